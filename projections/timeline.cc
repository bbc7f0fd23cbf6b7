#include "projections/timeline.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/event_types.h"
#include "google/protobuf/descriptor.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr char kTimeline[] = "t/";

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

// A Ref found in an event: the stream it names (a view into the event's
// payload) and the field path it was found at.
struct FoundRef {
  absl::string_view stream;
  std::string via;
};

// Collects every Ref with a stream in the wire bytes `in` of a message
// planned by `plan`, into (*refs)[*found...], reusing the entries' strings.
// False if the bytes are not a well-formed message.
bool CollectRefs(absl::string_view in, const RefPlan& plan,
                 absl::string_view path, int depth, std::vector<FoundRef>* refs,
                 size_t* found) {
  if (depth > 100) return false;
  // Occurrences so far of each field, for the index of repeated ones.
  absl::InlinedVector<std::pair<int, int>, 4> seen;
  uint64_t tag = 0;
  std::string at;
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
    auto count = std::find_if(
        seen.begin(), seen.end(),
        [field](const std::pair<int, int>& s) { return s.first == field; });
    if (count == seen.end()) count = seen.insert(seen.end(), {field, 0});
    const int index = count->second++;
    at.clear();
    if (!path.empty()) absl::StrAppend(&at, path, ".");
    at.append(entry.name);
    // Repeated fields are named with their index; a singular field that
    // appears twice (merged by a parser) keeps its plain name.
    if (entry.repeated) absl::StrAppend(&at, "[", index, "]");
    if (entry.is_ref) {
      absl::string_view stream;
      if (!RefStream(value, &stream)) return false;
      if (stream.empty()) continue;
      if (*found == refs->size()) refs->emplace_back();
      FoundRef& ref = (*refs)[(*found)++];
      ref.stream = stream;
      ref.via.assign(at);
    } else if (!CollectRefs(value, *entry.nested, at, depth + 1, refs, found)) {
      return false;
    }
  }
  return true;
}

class TimelineProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }
  // 2: Refs read from the wire bytes (in their order there).
  // 3: entries in chunks.
  int version() const override { return 3; }

  bool Wants(const RecordedEvent& event) const override {
    return domain::IsDomainType(event.type());
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    const RefPlan* plan = PlanOf(event.type());
    if (plan == nullptr) return absl::OkStatus();
    // The event's own stream first, then the Refs in its payload.
    size_t found = 0;
    if (refs_.empty()) refs_.emplace_back();
    refs_[found].stream = event.stream();
    refs_[found++].via.clear();
    if (!CollectRefs(event.payload(), *plan, "", 0, &refs_, &found)) {
      return absl::DataLossError(
          absl::StrCat("position ", event.position(), ": the payload is not a ",
                       domain::Prototype(domain::TypeOf(event.type()))
                           ->GetDescriptor()
                           ->full_name()));
    }
    for (size_t i = 0; i < found; ++i) {
      const FoundRef& ref = refs_[i];
      // Once per subject: few refs per event, so a linear search.
      bool repeated = false;
      for (size_t j = 0; j < i && !repeated; ++j) {
        repeated = refs_[j].stream == ref.stream;
      }
      if (repeated) continue;
      entry_.Clear();
      if (ref.stream != event.stream()) {
        entry_.mutable_stream()->assign(event.stream().data(),
                                        event.stream().size());
      }
      entry_.mutable_type()->assign(event.type().data(), event.type().size());
      entry_.set_via(ref.via);
      entry_.set_position(event.position());
      entry_.SerializeToString(&record_);
      key_.assign(kTimeline);
      absl::StrAppend(&key_, ref.stream, kSep);
      AppendChunkStart(event.position(), &key_);
      state->AppendRecord(key_, record_);
    }
    return absl::OkStatus();
  }

 private:
  // The Ref plan of a domain event type; nullptr for other types.
  const RefPlan* PlanOf(absl::string_view type) {
    auto it = plan_of_type_.find(type);
    if (it != plan_of_type_.end()) return it->second;
    const Message* prototype = domain::Prototype(domain::TypeOf(type));
    if (prototype == nullptr) return nullptr;  // not kept: any text at all
    const RefPlan* plan = plans_.For(prototype->GetDescriptor());
    plan_of_type_.emplace(std::string(type), plan);
    return plan;
  }

  const std::string name_ = kTimelineProjection;
  RefPlans plans_;
  absl::flat_hash_map<std::string, const RefPlan*> plan_of_type_;
  // Scratch, reused from event to event.
  std::vector<FoundRef> refs_;
  projections::TimelineEntryState entry_;
  std::string record_;
  std::string key_;
};

}  // namespace

std::unique_ptr<Projection> NewTimelineProjection() {
  return std::make_unique<TimelineProjection>();
}

absl::StatusOr<v1::TimelineResponse> TimelineView::Timeline(
    const v1::TimelineRequest& request) {
  const uint32_t limit =
      request.limit() == 0 ? kTimelineDefaultLimit : request.limit();
  const std::string prefix = absl::StrCat(kTimeline, request.subject(), kSep);
  v1::TimelineResponse response;
  absl::Status parse;
  absl::Status scanned = store_->ScanProjection(
      kTimelineProjection, "", prefix,
      [&](absl::string_view key, absl::string_view chunk) {
        if (key.size() != prefix.size() + 8) return true;
        ChunkReader reader(chunk);
        absl::string_view record;
        projections::TimelineEntryState state;
        while (reader.Next(&record)) {
          if (!state.ParseFromArray(record.data(),
                                    static_cast<int>(record.size()))) {
            parse = absl::DataLossError("timeline: bad entry");
            return false;
          }
          if (state.position() >= as_of_) return false;
          v1::TimelineEntry* entry = response.add_entries();
          entry->set_position(state.position());
          entry->set_stream(state.stream().empty() ? request.subject()
                                                   : state.stream());
          entry->set_type(state.type());
          entry->set_via(state.via());
          if (static_cast<uint32_t>(response.entries_size()) >= limit) {
            return false;
          }
        }
        if (!reader.ok()) {
          parse = absl::DataLossError("timeline: bad chunk");
          return false;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (!parse.ok()) return parse;
  return response;
}

}  // namespace missionlog
