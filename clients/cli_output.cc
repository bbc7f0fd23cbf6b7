#include "clients/cli_output.h"

#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "domain/event_types.h"
#include "google/protobuf/util/json_util.h"

namespace missionlog {
namespace {

int64_t Micros(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

// At most `width` characters of `text` with control characters shown as
// spaces, for a table cell.
std::string Cell(absl::string_view text, size_t width) {
  std::string cell;
  for (char c : text) {
    if (cell.size() == width) break;
    cell.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  if (text.size() > width && width > 3) cell.replace(width - 3, 3, "...");
  return cell;
}

bool IsBinaryContentType(absl::string_view type) {
  return absl::StartsWith(type, "application/protobuf") ||
         absl::StartsWith(type, "application/x-protobuf") ||
         absl::StartsWith(type, "application/octet-stream");
}

}  // namespace

std::string FormatMicros(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string EventJson(const v1::RecordedEvent& event) {
  std::string json = absl::StrCat("{\"position\":", event.position(),
                                  ",\"stream\":", JsonString(event.subject()),
                                  ",\"version\":", event.stream_version(),
                                  ",\"id\":", JsonString(event.id()),
                                  ",\"type\":", JsonString(event.type()),
                                  ",\"source\":", JsonString(event.source()));
  if (event.has_time()) {
    absl::StrAppend(
        &json, ",\"time\":", JsonString(FormatMicros(Micros(event.time()))));
  }
  absl::StrAppend(&json, ",\"recorded_time\":",
                  JsonString(FormatMicros(Micros(event.recorded_time()))),
                  ",\"recorded_by\":", JsonString(event.recorded_by()));
  if (!event.correlation_id().empty()) {
    absl::StrAppend(&json,
                    ",\"correlation_id\":", JsonString(event.correlation_id()));
  }
  if (!event.causation_id().empty()) {
    absl::StrAppend(&json,
                    ",\"causation_id\":", JsonString(event.causation_id()));
  }
  absl::StrAppend(
      &json, ",\"datacontenttype\":", JsonString(event.datacontenttype()),
      // An erased payload says so; binary payloads as base64.
      event.data_erased() ? std::string(",\"data_erased\":true")
      : !IsBinaryContentType(event.datacontenttype())
          ? absl::StrCat(",\"data\":", JsonString(event.data()))
          : absl::StrCat(",\"data_base64\":\"",
                         absl::Base64Escape(event.data()), "\""),
      ",\"data_sha256\":\"", absl::BytesToHexString(event.data_sha256()),
      "\",\"leaf_hash\":\"", absl::BytesToHexString(event.leaf_hash()), "\"");
  std::optional<std::string> decoded;
  if (!event.data_erased()) decoded = DomainEventJson(event);
  if (decoded) {
    absl::StrAppend(&json, ",\"event\":", *decoded);
  }
  absl::StrAppend(&json, "}");
  return json;
}

std::optional<std::string> DomainEventJson(const v1::RecordedEvent& event) {
  const google::protobuf::Message* prototype =
      domain::Prototype(domain::TypeOf(event.type()));
  if (prototype == nullptr) return std::nullopt;
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromString(event.data())) return std::nullopt;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*message, &json, options)
           .ok()) {
    return std::nullopt;
  }
  return json;
}

void EventPrinter::Print(const v1::RecordedEvent& event) {
  ++printed_;
  if (json_) {
    std::printf("%s\n", EventJson(event).c_str());
  } else {
    if (!header_printed_) {
      std::printf("%-9s %-30s %-7s %-34s %-27s %s\n", "POSITION", "STREAM",
                  "VERSION", "TYPE", "RECORDED (UTC)", "DATA");
      header_printed_ = true;
    }
    std::printf(
        "%-9llu %-30s %-7llu %-34s %-27s %s\n",
        static_cast<unsigned long long>(event.position()),
        Cell(event.subject(), 30).c_str(),
        static_cast<unsigned long long>(event.stream_version()),
        Cell(event.type(), 34).c_str(),
        FormatMicros(Micros(event.recorded_time())).c_str(),
        event.data_erased()
            ? "(erased)"
            : Cell(DomainEventJson(event).value_or(event.data()), 60).c_str());
  }
  if (streaming_) std::fflush(stdout);
}

void EventPrinter::Finish() {
  if (!json_) {
    std::printf("(%llu event%s)\n", static_cast<unsigned long long>(printed_),
                printed_ == 1 ? "" : "s");
  }
}

std::string AppendResultJson(const v1::AppendResponse& result,
                             const std::string& id) {
  return absl::StrCat(
      "{\"id\":", JsonString(id),
      ",\"first_position\":", result.first_position(),
      ",\"last_position\":", result.last_position(),
      ",\"stream_version\":", result.stream_version(),
      ",\"deduplicated\":", result.deduplicated() ? "true" : "false", "}");
}

std::string StreamInfoJson(const std::string& stream,
                           const v1::GetStreamInfoResponse& info) {
  std::string json =
      absl::StrCat("{\"stream\":", JsonString(stream),
                   ",\"exists\":", info.exists() ? "true" : "false");
  if (info.exists()) {
    absl::StrAppend(&json, ",\"last_version\":", info.last_version(),
                    ",\"last_position\":", info.last_position());
  }
  return json + "}";
}

std::string HeadJson(const v1::GetHeadResponse& head) {
  return absl::StrCat("{\"next_position\":", head.next_position(),
                      ",\"last_recorded_at_us\":", head.last_recorded_at_us(),
                      "}");
}

}  // namespace missionlog
