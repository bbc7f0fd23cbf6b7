// The server's log lines an operator ships (README "Logs"): one line per
// event on stderr, key=value or JSON, with a level. Every refused call
// (unauthenticated, denied, over a limit, invalid) is one WARN line with
// its principal, peer, method, code and reason, rate-limited so that a
// flood cannot fill the disk: at most `max_per_second` lines a second,
// then one line saying how many were left out.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_REQUEST_LOG_H_
#define MISSIONLOG_SERVICES_REQUEST_LOG_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/rate_limit.h"

namespace missionlog {

class RequestLog {
 public:
  enum class Format { kKeyValue, kJson };
  enum class Level { kDebug, kInfo, kWarn, kError };

  // Lines below `min_level` are dropped; lines go to `out` (stderr).
  RequestLog(Format format, Level min_level, int max_per_second,
             std::FILE* out = stderr)
      : format_(format),
        min_level_(min_level),
        refused_limit_(max_per_second),
        out_(out) {}

  // One line: time, level, msg, then the fields in order.
  void Log(Level level, absl::string_view message,
           const std::vector<std::pair<std::string, std::string>>& fields);

  // A refused call, rate-limited.
  void Refused(absl::string_view method, absl::string_view code,
               absl::string_view reason, absl::string_view principal,
               absl::string_view peer);

  // "info" -> kInfo; false for no such level.
  static bool ParseLevel(absl::string_view text, Level* level);

 private:
  std::string Line(
      Level level, absl::string_view message,
      const std::vector<std::pair<std::string, std::string>>& fields) const;

  const Format format_;
  const Level min_level_;
  PerSecondLimit refused_limit_;
  std::FILE* const out_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_REQUEST_LOG_H_
