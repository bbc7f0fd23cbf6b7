#include "projections/timeline.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "missionlog/v1/domain_actions.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kTimeline[] = "t/";
const absl::string_view kSep("\0", 1);

// Where the Refs are in one message type's wire form: its message fields
// that are Refs or (transitively) contain one. Built once per type from
// the descriptors, so that an event's Refs are read straight from its
// payload bytes, without building the message.
struct RefPlan {
  struct Field {
    std::string name;
    bool repeated = false;
    bool is_ref = false;
    const RefPlan* nested = nullptr;  // when not a Ref
  };
  absl::flat_hash_map<int, Field> fields;
};

class RefPlans {
 public:
  // The plan of `descriptor`; never null. Not thread-safe (one per
  // projection, used by its runner's thread).
  const RefPlan* For(const google::protobuf::Descriptor* descriptor) {
    auto it = plans_.find(descriptor);
    if (it != plans_.end()) return it->second.get();
    // Inserted before its fields are planned, so recursive types end.
    RefPlan* plan = plans_.emplace(descriptor, std::make_unique<RefPlan>())
                        .first->second.get();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      RefPlan::Field entry;
      entry.name = field->name();
      entry.repeated = field->is_repeated();
      if (field->message_type() == v1::Ref::descriptor()) {
        entry.is_ref = true;
      } else {
        entry.nested = For(field->message_type());
        if (!MayHoldRefs(field->message_type())) continue;
      }
      plan->fields.emplace(field->number(), std::move(entry));
    }
    return plan;
  }

 private:
  // Whether any Ref can be reached from `descriptor`.
  bool MayHoldRefs(const google::protobuf::Descriptor* descriptor) {
    std::set<const google::protobuf::Descriptor*> seen;
    std::vector<const google::protobuf::Descriptor*> todo = {descriptor};
    while (!todo.empty()) {
      const google::protobuf::Descriptor* d = todo.back();
      todo.pop_back();
      if (!seen.insert(d).second) continue;
      for (int i = 0; i < d->field_count(); ++i) {
        const FieldDescriptor* field = d->field(i);
        if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
        if (field->message_type() == v1::Ref::descriptor()) return true;
        todo.push_back(field->message_type());
      }
    }
    return false;
  }

  absl::flat_hash_map<const google::protobuf::Descriptor*,
                      std::unique_ptr<RefPlan>>
      plans_;
};

// Protobuf wire format, as much as a scan needs.
bool ReadVarint(absl::string_view* in, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Skips the value of a field of `wire_type` (groups to their end tag).
bool SkipValue(absl::string_view* in, int field, int wire_type, int depth) {
  uint64_t n = 0;
  switch (wire_type) {
    case 0:
      return ReadVarint(in, &n);
    case 1:
    case 5: {
      const size_t size = wire_type == 1 ? 8 : 4;
      if (in->size() < size) return false;
      in->remove_prefix(size);
      return true;
    }
    case 2:
      if (!ReadVarint(in, &n) || n > in->size()) return false;
      in->remove_prefix(n);
      return true;
    case 3: {
      if (depth > 100) return false;
      uint64_t tag = 0;
      while (ReadVarint(in, &tag)) {
        const int inner = static_cast<int>(tag >> 3);
        const int type = static_cast<int>(tag & 7);
        if (type == 4) return inner == field;
        if (!SkipValue(in, inner, type, depth + 1)) return false;
      }
      return false;
    }
    default:
      return false;
  }
}

// The last `stream` of a Ref's bytes (proto3: the last value wins).
bool RefStream(absl::string_view in, absl::string_view* stream) {
  *stream = absl::string_view();
  uint64_t tag = 0;
  while (!in.empty()) {
    if (!ReadVarint(&in, &tag)) return false;
    const int field = static_cast<int>(tag >> 3);
    const int type = static_cast<int>(tag & 7);
    if (field == 1 && type == 2) {
      uint64_t n = 0;
      if (!ReadVarint(&in, &n) || n > in.size()) return false;
      *stream = in.substr(0, n);
      in.remove_prefix(n);
    } else if (!SkipValue(&in, field, type, 0)) {
      return false;
    }
  }
  return true;
}

// Collects (stream, field path) for every Ref with a stream in the wire
// bytes `in` of a message planned by `plan`. False if the bytes are not a
// well-formed message.
bool CollectRefs(absl::string_view in, const RefPlan& plan,
                 const std::string& path, int depth,
                 std::vector<std::pair<std::string, std::string>>* refs) {
  if (depth > 100) return false;
  // Occurrences so far of each field, for the index of repeated ones.
  absl::flat_hash_map<int, int> seen;
  uint64_t tag = 0;
  while (!in.empty()) {
    if (!ReadVarint(&in, &tag)) return false;
    const int field = static_cast<int>(tag >> 3);
    const int type = static_cast<int>(tag & 7);
    auto planned = plan.fields.find(field);
    if (planned == plan.fields.end() || type != 2) {
      if (!SkipValue(&in, field, type, 0)) return false;
      continue;
    }
    uint64_t n = 0;
    if (!ReadVarint(&in, &n) || n > in.size()) return false;
    const absl::string_view value = in.substr(0, n);
    in.remove_prefix(n);
    const RefPlan::Field& entry = planned->second;
    std::string at =
        path.empty() ? entry.name : absl::StrCat(path, ".", entry.name);
    const int index = seen[field]++;
    // Repeated fields are named with their index; a singular field that
    // appears twice (merged by a parser) keeps its plain name.
    if (entry.repeated) absl::StrAppend(&at, "[", index, "]");
    if (entry.is_ref) {
      absl::string_view stream;
      if (!RefStream(value, &stream)) return false;
      if (!stream.empty())
        refs->emplace_back(std::string(stream), std::move(at));
    } else if (!CollectRefs(value, *entry.nested, at, depth + 1, refs)) {
      return false;
    }
  }
  return true;
}

class TimelineProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }
  // 2: Refs read from the wire bytes (in their order there).
  int version() const override { return 2; }

  bool Wants(const RecordedEvent& event) const override {
    return absl::StartsWith(event.type(), "missionlog.");
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    const Message* prototype = DomainEventPrototype(std::string(event.type()));
    if (prototype == nullptr) return absl::OkStatus();
    std::vector<std::pair<std::string, std::string>> refs;
    refs.push_back({std::string(event.stream()), ""});
    if (!CollectRefs(event.payload(), *plans_.For(prototype->GetDescriptor()),
                     "", 0, &refs)) {
      return absl::DataLossError(
          absl::StrCat("position ", event.position(), ": the payload is not a ",
                       prototype->GetDescriptor()->full_name()));
    }
    std::vector<absl::string_view> seen;
    for (const auto& [stream, via] : refs) {
      // Once per subject: few refs per event, so a linear search.
      if (std::find(seen.begin(), seen.end(), stream) != seen.end()) continue;
      seen.push_back(stream);
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
  RefPlans plans_;
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
