#include "projections/projection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/coding.h"

namespace missionlog {

absl::StatusOr<std::optional<std::string>> State::Get(absl::string_view key) {
  auto it = changes_.find(key);
  if (it != changes_.end()) return it->second;
  return store_->GetProjectionValue(projection_, key);
}

void State::Put(absl::string_view key, std::string value) {
  changes_[std::string(key)] = std::move(value);
}

void State::Delete(absl::string_view key) {
  changes_[std::string(key)] = std::nullopt;
}

absl::StatusOr<bool> State::GetMessage(absl::string_view key,
                                       google::protobuf::Message* message) {
  message->Clear();
  absl::StatusOr<std::optional<std::string>> value = Get(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return false;
  if (!message->ParseFromString(**value)) {
    return absl::DataLossError(absl::StrCat(projection_, ": the record at key ",
                                            key, " does not parse as ",
                                            message->GetTypeName()));
  }
  return true;
}

void State::PutMessage(absl::string_view key,
                       const google::protobuf::Message& message) {
  Put(key, message.SerializeAsString());
}

void State::PutBlind(std::string key, std::string value) {
  blind_.push_back(ProjectionChange{std::move(key), std::move(value)});
}

void State::AppendRecord(absl::string_view key, absl::string_view record) {
  auto it = appended_.find(key);
  if (it == appended_.end()) it = appended_.emplace(key, std::string()).first;
  PutLengthPrefixed(&it->second, record);
}

std::vector<ProjectionChange> State::TakeChanges() {
  std::vector<ProjectionChange> changes = std::move(blind_);
  blind_.clear();
  changes.reserve(changes.size() + changes_.size() + appended_.size());
  for (auto& [key, value] : changes_) {
    changes.push_back(ProjectionChange{key, std::move(value)});
  }
  changes_.clear();
  for (auto& [key, chunk] : appended_) {
    changes.push_back(ProjectionChange{key, std::move(chunk), true});
  }
  appended_.clear();
  // In key order: RocksDB's memtable inserts sorted keys several times
  // faster than scattered ones (its skip list reuses the last splice).
  std::sort(changes.begin(), changes.end(),
            [](const ProjectionChange& a, const ProjectionChange& b) {
              return a.key < b.key;
            });
  return changes;
}

absl::Status ParsePayload(const RecordedEvent& event,
                          google::protobuf::Message* message) {
  if (!message->ParseFromArray(event.payload().data(),
                               static_cast<int>(event.payload().size()))) {
    return absl::DataLossError(absl::StrCat(
        event.type(), " at position ", event.position(),
        ": the payload does not parse as ", message->GetTypeName()));
  }
  return absl::OkStatus();
}

absl::StatusOr<const google::protobuf::Message*> PayloadDecoder::Decode(
    const RecordedEvent& event, domain::EventType type) {
  const size_t index = static_cast<size_t>(type);
  if (messages_.size() <= index) messages_.resize(index + 1);
  std::unique_ptr<google::protobuf::Message>& message = messages_[index];
  if (message == nullptr) message.reset(domain::Prototype(type)->New());
  absl::Status parsed = ParsePayload(event, message.get());
  if (!parsed.ok()) return parsed;
  return message.get();
}

bool FamilyProjection::Wants(const RecordedEvent& event) const {
  return absl::StartsWith(event.type(), family_);
}

absl::Status FamilyProjection::Apply(const RecordedEvent& event, State* state) {
  const domain::EventType type = domain::TypeOf(event.type());
  if (type == domain::EventType::kUnknown) return absl::OkStatus();
  absl::StatusOr<const google::protobuf::Message*> payload =
      decoder_.Decode(event, type);
  if (!payload.ok()) return payload.status();
  return ApplyDecoded(type, **payload, event, state);
}

void AppendChunkStart(uint64_t position, std::string* key) {
  AppendPosition(position - position % kChunkPositions, key);
}

bool ChunkReader::Next(absl::string_view* record) {
  if (rest_.empty()) return false;
  ok_ = GetLengthPrefixed(&rest_, record);
  return ok_;
}

std::string PositionKey(absl::string_view prefix, uint64_t position) {
  std::string key(prefix);
  AppendPosition(position, &key);
  return key;
}

void AppendPosition(uint64_t position, std::string* key) {
  for (int shift = 56; shift >= 0; shift -= 8) {  // big-endian: in order
    key->push_back(static_cast<char>((position >> shift) & 0xFF));
  }
}

}  // namespace missionlog
