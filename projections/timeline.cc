#include "projections/timeline.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "missionlog/v1/domain_actions.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kTimeline[] = "t/";
const absl::string_view kSep("\0", 1);

// Collects (stream, field path) for every Ref in `message`.
void CollectRefs(const Message& message, const std::string& path,
                 std::vector<std::pair<std::string, std::string>>* refs) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string name =
        path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    const auto visit = [&](const Message& child, const std::string& at) {
      if (child.GetDescriptor() == v1::Ref::descriptor()) {
        const auto& ref = static_cast<const v1::Ref&>(child);
        if (!ref.stream().empty()) refs->push_back({ref.stream(), at});
      } else {
        CollectRefs(child, at, refs);
      }
    };
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int i = 0; i < n; ++i) {
        visit(reflection->GetRepeatedMessage(message, field, i),
              absl::StrCat(name, "[", i, "]"));
      }
    } else {
      visit(reflection->GetMessage(message, field), name);
    }
  }
}

class TimelineProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }

  bool Wants(const RecordedEvent& event) const override {
    return absl::StartsWith(event.type(), "missionlog.");
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    const Message* prototype = DomainEventPrototype(std::string(event.type()));
    if (prototype == nullptr) return absl::OkStatus();
    std::unique_ptr<Message> message(prototype->New());
    absl::Status parsed = ParsePayload(event, message.get());
    if (!parsed.ok()) return parsed;
    std::vector<std::pair<std::string, std::string>> refs;
    refs.push_back({std::string(event.stream()), ""});
    CollectRefs(*message, "", &refs);
    std::set<std::string> seen;
    for (const auto& [stream, via] : refs) {
      if (!seen.insert(stream).second) continue;  // once per subject
      projections::TimelineEntryState entry;
      entry.set_stream(std::string(event.stream()));
      entry.set_type(std::string(event.type()));
      entry.set_via(via);
      state->PutBlind(
          PositionKey(absl::StrCat(kTimeline, stream, kSep), event.position()),
          entry.SerializeAsString());
    }
    return absl::OkStatus();
  }

 private:
  const std::string name_ = kTimelineProjection;
};

}  // namespace

std::unique_ptr<Projection> NewTimelineProjection() {
  return std::make_unique<TimelineProjection>();
}

absl::StatusOr<v1::TimelineResponse> TimelineView::Timeline(
    const v1::TimelineRequest& request) {
  const uint32_t limit = request.limit() == 0 ? 1000 : request.limit();
  const std::string prefix = absl::StrCat(kTimeline, request.subject(), kSep);
  v1::TimelineResponse response;
  absl::Status parse;
  absl::Status scanned = store_->ScanProjection(
      kTimelineProjection, "", prefix,
      [&](absl::string_view key, absl::string_view value) {
        if (key.size() != prefix.size() + 8) return true;
        uint64_t position = 0;
        for (char c : key.substr(prefix.size())) {
          position = position << 8 | static_cast<uint8_t>(c);
        }
        if (position >= as_of_) return false;
        projections::TimelineEntryState state;
        if (!state.ParseFromArray(value.data(),
                                  static_cast<int>(value.size()))) {
          parse = absl::DataLossError("timeline: bad entry");
          return false;
        }
        v1::TimelineEntry* entry = response.add_entries();
        entry->set_position(position);
        entry->set_stream(state.stream());
        entry->set_type(state.type());
        entry->set_via(state.via());
        return static_cast<uint32_t>(response.entries_size()) < limit;
      });
  if (!scanned.ok()) return scanned;
  if (!parse.ok()) return parse;
  return response;
}

}  // namespace missionlog
