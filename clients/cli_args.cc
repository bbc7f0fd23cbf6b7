#include "clients/cli_args.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace missionlog {

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--") && arg.size() > 2) {
      size_t eq = arg.find('=');
      if (eq == std::string::npos) {
        args.options[arg.substr(2)] = "";
      } else {
        args.options[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      }
    } else {
      args.positional.push_back(arg);
    }
  }
  return args;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "missionlog: %s\n%s", message.c_str(), kUsage);
  return 2;
}

int CallError(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "missionlog: %s failed: %s: %s\n", what.c_str(),
               absl::StatusCodeToString(status.code()).c_str(),
               std::string(status.message()).c_str());
  return 1;
}

bool ParseNumber(const std::string& text, uint64_t* value) {
  return absl::SimpleAtoi(text, value);
}

// The payload argument: literal text, @file, or - for stdin.
bool ReadPayload(const std::string& arg, std::string* payload) {
  if (arg == "-") {
    payload->assign(std::istreambuf_iterator<char>(std::cin),
                    std::istreambuf_iterator<char>());
    return true;
  }
  if (absl::StartsWith(arg, "@")) {
    std::ifstream file(arg.substr(1), std::ios::binary);
    if (!file) return false;
    std::ostringstream contents;
    contents << file.rdbuf();
    *payload = contents.str();
    return true;
  }
  *payload = arg;
  return true;
}

bool ParseExpectedVersion(const std::string& text,
                          v1::ExpectedVersion* version) {
  if (text == "any") {
    version->set_kind(v1::ExpectedVersion::ANY);
  } else if (text == "no-stream") {
    version->set_kind(v1::ExpectedVersion::NO_STREAM);
  } else if (text == "exists") {
    version->set_kind(v1::ExpectedVersion::STREAM_EXISTS);
  } else {
    uint64_t exact;
    if (!ParseNumber(text, &exact)) return false;
    version->set_kind(v1::ExpectedVersion::EXACT);
    version->set_version(exact);
  }
  return true;
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (done < total && now - last_ < absl::Milliseconds(100)) return;
  last_ = now;
  const double fraction = total == 0 ? 1 : static_cast<double>(done) / total;
  const int filled = static_cast<int>(fraction * 30);
  const double seconds = absl::ToDoubleSeconds(now - start_);
  std::fprintf(stderr, "\r[%s%s] %llu/%llu %s %3.0f%% %.0f/s ",
               std::string(filled, '#').c_str(),
               std::string(30 - filled, '.').c_str(),
               static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total), unit_.c_str(),
               fraction * 100, seconds > 0 ? done / seconds : 0.0);
  drawn_ = true;
}

void ProgressBar::Clear() {
  if (drawn_) std::fprintf(stderr, "\n");
}

}  // namespace missionlog
