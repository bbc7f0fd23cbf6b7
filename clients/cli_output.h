// How the missionlog CLI prints: aligned rows for people, one JSON object
// per line (--json) for scripts.
#ifndef MISSIONLOG_CLIENTS_CLI_OUTPUT_H_
#define MISSIONLOG_CLIENTS_CLI_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "base/json_string.h"
#include "missionlog/v1/store.pb.h"

namespace missionlog {

// Prints events as they arrive, so a long read or a tail never buffers.
// Not thread-safe: one per output stream.
class EventPrinter {
 public:
  explicit EventPrinter(bool json, bool streaming = false)
      : json_(json), streaming_(streaming) {}
  void Print(const v1::RecordedEvent& event);
  // Table mode: a closing count (not for tails).
  void Finish();

 private:
  const bool json_;
  const bool streaming_;
  bool header_printed_ = false;
  uint64_t printed_ = 0;
};

// With an "event" member holding the decoded domain event, for types of the
// missionlog. namespace (domain/event_types.h).
std::string EventJson(const v1::RecordedEvent& event);
// A domain event's payload as JSON (proto field names), or std::nullopt for
// other types and payloads that do not parse.
std::optional<std::string> DomainEventJson(const v1::RecordedEvent& event);
std::string AppendResultJson(const v1::AppendResponse& result,
                             const std::string& id);
std::string StreamInfoJson(const std::string& stream,
                           const v1::GetStreamInfoResponse& info);
std::string HeadJson(const v1::GetHeadResponse& head);

// RFC 3339 UTC with microseconds.
std::string FormatMicros(int64_t micros);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_CLI_OUTPUT_H_
