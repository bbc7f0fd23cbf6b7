// The missionlog CLI's shared pieces: its argument form
// (positional words and --name=value options), one-line errors, payload
// and expected-version arguments, and a progress bar for long jobs.
#ifndef MISSIONLOG_CLIENTS_CLI_ARGS_H_
#define MISSIONLOG_CLIENTS_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "missionlog/v1/store.pb.h"

namespace missionlog {

// The CLI's usage text (missionlog_cli.cc).
extern const char kUsage[];

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--name=value" or "--flag"

  bool Has(const std::string& name) const { return options.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

Args ParseArgs(int argc, char** argv);

// Print one line (and for usage errors the usage) to stderr; return the
// exit status: 2 for bad usage, 1 for a failed call.
int UsageError(const std::string& message);
int CallError(const std::string& what, const absl::Status& status);

bool ParseNumber(const std::string& text, uint64_t* value);
// The payload argument: literal text, @file, or - for stdin.
bool ReadPayload(const std::string& arg, std::string* payload);
// any | no-stream | exists | N
bool ParseExpectedVersion(const std::string& text,
                          v1::ExpectedVersion* version);

// A one-line bar on stderr, redrawn at most every 100 ms.
// Not thread-safe: one per command.
class ProgressBar {
 public:
  // `unit` names what is counted, e.g. "entries".
  ProgressBar(bool enabled, std::string unit)
      : enabled_(enabled), unit_(std::move(unit)) {}
  void Update(uint64_t done, uint64_t total);
  // Ends the bar's line, if one was drawn.
  void Clear();

 private:
  const bool enabled_;
  const std::string unit_;
  const absl::Time start_ = absl::Now();
  absl::Time last_ = absl::InfinitePast();
  bool drawn_ = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_CLI_ARGS_H_
