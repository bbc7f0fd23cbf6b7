// A projection: a deterministic fold over the log (DESIGN §4). The runner
// (runner.h) feeds it the events in position order; the projection reads
// and changes its state through a State, whose changes the runner commits
// together with the position reached (ProjectionStore::CommitProjection), so a
// crash never applies an event twice or skips one.
//
// A projection must be deterministic: the same events in the same order
// give the same state, so a rebuild equals the incremental state.
#ifndef MISSIONLOG_PROJECTIONS_PROJECTION_H_
#define MISSIONLOG_PROJECTIONS_PROJECTION_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/event_types.h"
#include "eventstore/event_log.h"
#include "eventstore/projection_store.h"
#include "google/protobuf/message.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {

// A projection's state during a batch: reads see the batch's own changes,
// then the stored state. Not thread-safe; one per batch.
class State {
 public:
  State(ProjectionStore* store, std::string projection)
      : store_(store), projection_(std::move(projection)) {}

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key);
  void Put(absl::string_view key, std::string value);
  void Delete(absl::string_view key);
  // A put of a key this batch never reads nor writes otherwise (e.g. an
  // index entry named by the event's position): kept in a plain list,
  // which is much cheaper than the read overlay.
  void PutBlind(std::string key, std::string value);
  // Appends `record` to the chunk of records under `key` (see
  // AppendChunkStart):
  // the batch writes each chunk it touched once, with only the bytes it
  // added. A chunk is read with ChunkReader; this batch must not Get or
  // Put the key.
  void AppendRecord(absl::string_view key, absl::string_view record);

  // Typed helpers: false when the key is absent (message left cleared).
  absl::StatusOr<bool> GetMessage(absl::string_view key,
                                  google::protobuf::Message* message);
  void PutMessage(absl::string_view key,
                  const google::protobuf::Message& message);

  // The batch's changes, in key order, for CommitProjection; clears them.
  std::vector<ProjectionChange> TakeChanges();
  bool empty() const {
    return changes_.empty() && blind_.empty() && appended_.empty();
  }

 private:
  ProjectionStore* const store_;
  const std::string projection_;
  std::map<std::string, std::optional<std::string>, std::less<>> changes_;
  std::vector<ProjectionChange> blind_;
  absl::flat_hash_map<std::string, std::string> appended_;
};

// Logs that only grow (a line per event) are kept in chunks: the records
// of events in one aligned range of kChunkPositions positions share a key,
// so a batch writes a few keys instead of one per event, and the stored
// bytes do not depend on how the events were batched (a rebuild equals
// the incremental state).
inline constexpr uint64_t kChunkPositions = 1024;
// Appends the first position of `position`'s range to `key`, as
// PositionKey encodes it: a chunk's key is its prefix, then this.
void AppendChunkStart(uint64_t position, std::string* key);

// Reads the records of a chunk in the order they were appended (each
// length-prefixed, base/coding.h).
class ChunkReader {
 public:
  explicit ChunkReader(absl::string_view chunk) : rest_(chunk) {}
  // False at the end, or if the chunk is malformed (then ok() is false).
  bool Next(absl::string_view* record);
  bool ok() const { return ok_; }

 private:
  absl::string_view rest_;
  bool ok_ = true;
};

class Projection {
 public:
  virtual ~Projection() = default;
  virtual const std::string& name() const = 0;
  // The layout of the projection's state. When it changes, a store whose
  // state was written by another version is rebuilt at start.
  virtual int version() const { return 1; }
  // Every event the projection folds has a type starting with one of
  // these: the store skips other records without decoding them.
  virtual std::vector<std::string> type_prefixes() const {
    return {domain::kTypePrefix};
  }
  // Whether the projection folds this event: decided from the type (and
  // stream) only, so that others are skipped without decoding.
  virtual bool Wants(const RecordedEvent& event) const = 0;
  // Folds one event. An error stops the projection (its status says why);
  // a malformed payload of a validated type is DATA_LOSS.
  virtual absl::Status Apply(const RecordedEvent& event, State* state) = 0;
  // Called once per batch, before its changes are committed: a projection
  // that keeps decoded records across the batch's events writes them here.
  virtual absl::Status Flush(State* /*state*/) { return absl::OkStatus(); }
};

// Parses an event's payload into `message`; DATA_LOSS naming the type if
// it does not parse (a validated type's payload always does).
absl::Status ParsePayload(const RecordedEvent& event,
                          google::protobuf::Message* message);

// The payload as message M (ParsePayload's errors).
template <typename M>
absl::StatusOr<M> PayloadAs(const RecordedEvent& event) {
  M message;
  absl::Status parsed = ParsePayload(event, &message);
  if (!parsed.ok()) return parsed;
  return message;
}

// Decodes payloads by domain type into one reused message per type, for a
// projection that hands them to the domain's effects (domain/
// subject_state.h). Not thread-safe: one per projection.
class PayloadDecoder {
 public:
  // `event`'s payload as the message of `type` (valid until the next
  // Decode of that type); ParsePayload's errors.
  // REQUIRES: type != domain::EventType::kUnknown.
  absl::StatusOr<const google::protobuf::Message*> Decode(
      const RecordedEvent& event, domain::EventType type);

 private:
  std::vector<std::unique_ptr<google::protobuf::Message>> messages_;
};

// A projection of one family of domain events (domain/event_types.h):
// it wants every event whose type is in the family and gets each one's
// payload decoded by type (PayloadDecoder). Events of types this build
// does not know are skipped.
class FamilyProjection : public Projection {
 public:
  FamilyProjection(std::string name, domain::Family family)
      : name_(std::move(name)), family_(domain::FamilyPrefix(family)) {}

  const std::string& name() const final { return name_; }
  std::vector<std::string> type_prefixes() const final { return {family_}; }
  bool Wants(const RecordedEvent& event) const final;
  absl::Status Apply(const RecordedEvent& event, State* state) final;

 protected:
  // Folds one event of the family; `payload` is the message of `type`.
  virtual absl::Status ApplyDecoded(domain::EventType type,
                                    const google::protobuf::Message& payload,
                                    const RecordedEvent& event,
                                    State* state) = 0;

 private:
  const std::string name_;
  const std::string family_;
  PayloadDecoder decoder_;
};

// Separates the parts of a state key made of several names (a stream
// name never contains NUL).
inline constexpr absl::string_view kSep("\0", 1);

// A key of `prefix`, then `position` as 8 big-endian bytes (so a scan of
// the prefix returns positions in order).
std::string PositionKey(absl::string_view prefix, uint64_t position);
// Appends `position` to `key` as PositionKey does.
void AppendPosition(uint64_t position, std::string* key);

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_PROJECTION_H_
