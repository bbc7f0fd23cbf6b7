// The log: appends with a global, gap-free order and per-stream versions,
// optimistic concurrency and idempotency; reads by stream and of the whole
// log; the committed head; and the bus's wake-up for readers that follow
// the head. Services and projections that read or append receive an
// EventLog, nothing more of the engine.
//
// Thread safety: safe for concurrent use by any number of threads.
// Appends from all threads are queued to one writer, which commits
// everything queued as one RocksDB WriteBatch and one WAL sync (group
// commit). An append is acknowledged only once it is durable.
//
// Errors (absl::Status codes), one cause each:
// clang-format off
//   INVALID_ARGUMENT    a request breaks a limit or a format rule; nothing
//                       is written
//   ABORTED             wrong expected version; ActualVersionFromStatus()
//                       gives the stream's actual version
//   ALREADY_EXISTS      an event id was appended before with different
//                       content, or a request mixes new ids with ids
//                       appended before
//   RESOURCE_EXHAUSTED  the append queue is full, or the disk's free space
//                       is below the reserve (Options::disk_reserve_bytes);
//                       retry later
//   DATA_LOSS           a stored record is corrupt or fails its hash check
//   UNAVAILABLE         the store is closing, stopped after a write failure,
//                       or is reopening after one
// clang-format on
#ifndef MISSIONLOG_EVENTSTORE_EVENT_LOG_H_
#define MISSIONLOG_EVENTSTORE_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/histogram.h"
#include "eventstore/recorded_event.h"

namespace missionlog {

// What the appender believes about the stream before its append.
class ExpectedVersion {
 public:
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };

  // No check at all.
  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  // The stream must have no events yet.
  static ExpectedVersion NoStream() {
    return ExpectedVersion(Kind::kNoStream, 0);
  }
  // The stream must have at least one event.
  static ExpectedVersion StreamExists() {
    return ExpectedVersion(Kind::kStreamExists, 0);
  }
  // The stream's last event must have exactly this version.
  static ExpectedVersion Exact(uint64_t version) {
    return ExpectedVersion(Kind::kExact, version);
  }

  Kind kind() const { return kind_; }
  uint64_t version() const { return version_; }

 private:
  ExpectedVersion(Kind kind, uint64_t version)
      : kind_(kind), version_(version) {}

  Kind kind_;
  uint64_t version_;
};

// An event as a client proposes it (CloudEvents-shaped).
struct EventData {
  std::string id;  // canonical UUID text; empty: the store generates a v7
  std::string type;
  std::string source;
  std::optional<int64_t> occurred_at_us;  // sender's clock, µs since epoch
  std::string correlation_id;
  std::string causation_id;
  std::string content_type;
  std::string payload;
  // Sealed fields' encrypted openings (a SealedData, sealing.proto), kept
  // beside the event and never in the log or its hash (sealed_store.h).
  // Empty for most events.
  std::string sealed;
  // For an event already recorded elsewhere (a replica applying another
  // node's append, a copy from a peer): its payload salt, 16 bytes for a
  // v2 record or empty for v1. Unset: the store draws one (or none, as
  // Options::record_format says).
  std::optional<std::string> payload_salt;
};

struct AppendRequest {
  std::string stream;  // `<organisation>/<kind>/<id>`
  ExpectedVersion expected_version = ExpectedVersion::Any();
  std::vector<EventData> events;
  // The authenticated principal. Stamped into every event's header by the
  // caller on the server side; never taken from a client's event.
  std::string recorded_by;
};

struct AppendResult {
  uint64_t first_position = 0;  // position of the request's first event
  uint64_t last_position = 0;   // position of the request's last event
  uint64_t stream_version = 0;  // the stream's version after the append
  bool deduplicated = false;    // every event had been appended before
};

// Reads the whole log ($all) in position order.
struct ReadAllRequest {
  uint64_t from_position = 0;
  size_t limit = 1000;        // maximum number of events returned
  std::string stream_prefix;  // only events whose stream starts with this
  std::string type_prefix;    // only events whose type starts with this
  // If not empty: only events whose type starts with one of these too.
  std::vector<std::string> any_type_prefixes;
  // false: skip the hash checks of Options::verify_reads, for readers who
  // recompute every hash themselves (auditors' GetEntries).
  bool verify = true;
};

struct ReadAllResult {
  std::vector<RecordedEvent> events;
  // Where the next read should start: one past the last position examined,
  // which may be past the last event returned when a filter skipped events.
  uint64_t next_position = 0;
  // True when the read reached the committed head.
  bool end_of_log = false;
};

enum class Direction { kForward, kBackward };

struct ReadStreamRequest {
  std::string stream;
  // First version to return. Backward reads start at min(from_version, last
  // version), so kEndOfStream reads the newest events first.
  uint64_t from_version = 0;
  Direction direction = Direction::kForward;
  size_t limit = 1000;
};

inline constexpr uint64_t kEndOfStream = UINT64_MAX;

struct ReadStreamResult {
  std::vector<RecordedEvent> events;
  // True when no event remains in the read's direction.
  bool end_of_stream = false;
};

// OK if `stream` is a name an append may use (1-256 bytes of UTF-8, no
// control characters); else INVALID_ARGUMENT "<field>: <the rule>".
absl::Status CheckStreamName(absl::string_view stream,
                             absl::string_view field = "stream");

struct StreamInfo {
  bool exists = false;
  uint64_t last_version = 0;   // meaningful only if exists
  uint64_t last_position = 0;  // meaningful only if exists
};

// Where a cluster's replica stands in the sequence of replicated appends
// (replica_store.h): the etcd revision of an entry, and the index of one
// append within it. {0, 0} is before the first (etcd's revisions start at
// 1). Ordered as (revision, index).
struct ReplicaPosition {
  int64_t revision = 0;
  uint32_t index = 0;
  friend bool operator<(const ReplicaPosition& a, const ReplicaPosition& b) {
    return a.revision < b.revision ||
           (a.revision == b.revision && a.index < b.index);
  }
  friend bool operator==(const ReplicaPosition& a, const ReplicaPosition& b) {
    return a.revision == b.revision && a.index == b.index;
  }
  friend bool operator!=(const ReplicaPosition& a, const ReplicaPosition& b) {
    return !(a == b);
  }
};

struct Head {
  uint64_t next_position = 0;  // number of committed events
  int64_t last_recorded_at_us = 0;
  // RFC 6962 root of the Merkle tree over those events (32 raw bytes).
  std::string root_hash;
  // In a cluster's replica (replica_store.h): the last replicated append
  // applied, consistent with the fields above. {0, 0} outside a cluster.
  ReplicaPosition applied;
};

// Counters since the store was opened. Read without stopping the writer, so
// the fields are each exact but not a consistent snapshot together.
struct Stats {
  uint64_t appends_acknowledged = 0;  // appends answered OK (durable)
  uint64_t events_written = 0;        // events written to RocksDB (new ones)
  uint64_t commit_groups = 0;         // WriteBatches written
  uint64_t wal_syncs = 0;             // WAL syncs (one per commit cycle)
  uint64_t bytes_written = 0;         // log records written (the log only)
  // Live histograms, valid while the store is open: an append from its
  // submission to its acknowledgement, and each WAL sync.
  const LatencyHistogram* append_latency = nullptr;
  const LatencyHistogram* wal_sync_latency = nullptr;
  // RocksDB's own, summed over the column families: table files' size,
  // bytes compaction has yet to rewrite, and whether writes are stopped
  // (1) or slowed (its delayed write rate, bytes/s; 0 when not).
  uint64_t sst_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t write_stopped = 0;
  uint64_t delayed_write_rate = 0;
  // Appends refused for disk space since the store opened, and whether
  // they are refused now (1: the last reading found less than the reserve).
  uint64_t appends_refused_for_space = 0;
  uint64_t refusing_for_space = 0;
  // 1 while appends are refused because a write or sync failed (until the
  // store is reopened: after running out of space, by itself).
  uint64_t appends_stopped = 0;
  // The free-space reserve (Options::disk_reserve_bytes; 0: none) and the
  // last reading of the free space on the store's disk (0 without one).
  uint64_t disk_reserve_bytes = 0;
  uint64_t disk_free_bytes = 0;
};

class EventLog {
 public:
  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;

  EventLog() = default;
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;
  virtual ~EventLog() = default;

  // Appends all of `request`'s events to its stream atomically, or none.
  // Returns once the append is durable (if Options::sync).
  virtual absl::StatusOr<AppendResult> Append(AppendRequest request) = 0;

  // Like Append, but returns at once; `done` runs exactly once, on an
  // internal thread, when the append is durable or has failed. `done` must
  // not block and must not call Append.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;

  // Reads see only fully committed appends.
  virtual absl::StatusOr<ReadAllResult> ReadAll(
      const ReadAllRequest& request) = 0;
  // ReadAll for a reader in this process that uses each event once and in
  // order (projections): `visit` sees each event the request selects,
  // decoded into one reused RecordedEvent (valid only during the call), so
  // a long scan allocates nothing per event. Stops at the first error
  // `visit` returns, and returns it. `events` in the result stays empty.
  virtual absl::StatusOr<ReadAllResult> ScanAll(
      const ReadAllRequest& request,
      const std::function<absl::Status(const RecordedEvent&)>& visit) = 0;
  // A stream with no events reads as empty and at its end; a name no
  // append could use (empty, over 256 bytes, control characters, invalid
  // UTF-8) is INVALID_ARGUMENT "stream: <the rule>", for both.
  virtual absl::StatusOr<ReadStreamResult> ReadStream(
      const ReadStreamRequest& request) = 0;
  virtual absl::StatusOr<StreamInfo> GetStreamInfo(
      absl::string_view stream) = 0;
  // The position of the committed event with id `id` (canonical UUID
  // text), or std::nullopt if no committed event has it. INVALID_ARGUMENT
  // if `id` is not a UUID.
  virtual absl::StatusOr<std::optional<uint64_t>> FindEvent(
      absl::string_view id) = 0;
  virtual Head GetHead() = 0;
  virtual Stats GetStats() = 0;
  // How many payloads this store has erased since it opened. It grows just
  // after each erasure is written: a cache of events read while it had an
  // earlier value may hold a payload that is gone, and must let it go.
  virtual uint64_t Erasures() = 0;

  // The bus's wake-up for subscribers that have caught up: runs `callback`
  // once, on an internal thread, as soon as the committed head passes
  // `position` (GetHead().next_position > position). Returns false, keeping
  // nothing, if it already has. `callback` must be quick and must not block
  // or call into the store; schedule the work elsewhere. Callbacks still
  // waiting when the store closes are destroyed without running.
  virtual bool NotifyWhenBeyond(uint64_t position,
                                std::function<void()> callback) = 0;
};

// A stream's version as reported with an ABORTED append.
struct ActualVersion {
  bool stream_exists = false;
  uint64_t version = 0;  // the last event's version; meaningful if it exists
};

// For an ABORTED status from Append: the stream's actual version, carried as
// a status payload. std::nullopt if `status` carries none.
std::optional<ActualVersion> ActualVersionFromStatus(
    const absl::Status& status);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_EVENT_LOG_H_
