#include "services/request_log.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/json_string.h"

namespace missionlog {
namespace {

const char* LevelName(RequestLog::Level level) {
  switch (level) {
    case RequestLog::Level::kDebug:
      return "debug";
    case RequestLog::Level::kInfo:
      return "info";
    case RequestLog::Level::kWarn:
      return "warn";
    case RequestLog::Level::kError:
      return "error";
  }
  return "info";
}

// A logfmt value: bare when it needs no quoting, else quoted and escaped.
std::string KeyValueValue(absl::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) return std::string(value);
  return JsonString(value);  // quoted, with \" \\ \n and \u escapes
}

}  // namespace

bool RequestLog::ParseLevel(absl::string_view text, Level* level) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (Level candidate :
       {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (lower == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

std::string RequestLog::Line(
    Level level, absl::string_view message,
    const std::vector<std::pair<std::string, std::string>>& fields) const {
  const std::string time = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                            absl::UTCTimeZone());
  std::string line;
  if (format_ == Format::kJson) {
    absl::StrAppend(&line, "{\"time\":\"", time, "\",\"level\":\"",
                    LevelName(level), "\",\"msg\":", JsonString(message));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",", JsonString(key), ":", JsonString(value));
    }
    absl::StrAppend(&line, "}\n");
  } else {
    absl::StrAppend(&line, "time=", time, " level=", LevelName(level),
                    " msg=", KeyValueValue(message));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", key, "=", KeyValueValue(value));
    }
    absl::StrAppend(&line, "\n");
  }
  return line;
}

void RequestLog::Log(
    Level level, absl::string_view message,
    const std::vector<std::pair<std::string, std::string>>& fields) {
  if (level < min_level_) return;
  const std::string line = Line(level, message, fields);
  std::fwrite(line.data(), 1, line.size(), out_);
}

void RequestLog::Refused(absl::string_view method, absl::string_view code,
                         absl::string_view reason, absl::string_view principal,
                         absl::string_view peer) {
  if (Level::kWarn < min_level_) return;
  uint64_t left_out = 0;
  const bool admitted = refused_limit_.Admit(&left_out);
  if (left_out > 0) {
    Log(Level::kWarn, "refused calls left out of the log (rate limit)",
        {{"count", absl::StrCat(left_out)}});
  }
  if (!admitted) return;
  // The reason is the caller's to read too; bounded here all the same.
  Log(Level::kWarn, "call refused",
      {{"method", std::string(method)},
       {"code", std::string(code)},
       {"principal", std::string(principal)},
       {"peer", std::string(peer)},
       {"reason", std::string(reason.substr(0, 512))}});
}

}  // namespace missionlog
