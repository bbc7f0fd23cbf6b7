// The Missionlog event store: an append-only log of immutable events on
// RocksDB, with a global gap-free order, per-stream versions, optimistic
// concurrency and idempotent appends. This header is the engine's whole
// contract; everything else under eventstore/ is internal.
//
// Thread safety: an EventStore is safe for concurrent use by any number of
// threads. Appends from all threads are queued to one writer thread, which
// commits everything queued as one RocksDB WriteBatch and one WAL sync (group
// commit). An append is acknowledged only once it is durable.
//
// Errors (absl::Status codes):
//   INVALID_ARGUMENT   a request breaks a limit or a format rule; nothing
//   written ABORTED            expected version mismatch; see
//   ActualVersionFromStatus() ALREADY_EXISTS     an event id was appended
//   before with different content,
//                      or a request mixes new ids with ids already appended
//   RESOURCE_EXHAUSTED the append queue is full; retry later
//   DATA_LOSS          a stored record is corrupt or fails its hash check
//   UNAVAILABLE        the store is closed, or stopped after a write failure
#ifndef MISSIONLOG_EVENTSTORE_EVENT_STORE_H_
#define MISSIONLOG_EVENTSTORE_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "eventstore/clock.h"
#include "eventstore/recorded_event.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

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

// One change to a projection's state: a put, a delete (no value), or an
// append, which adds `value` to the end of the key's stored value (a
// RocksDB merge: the write costs only the bytes added, and readers see
// the concatenation).
struct ProjectionChange {
  std::string key;  // must not start with '\0' (reserved)
  std::optional<std::string> value;
  bool append = false;  // requires a value
};

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

struct StreamInfo {
  bool exists = false;
  uint64_t last_version = 0;   // meaningful only if exists
  uint64_t last_position = 0;  // meaningful only if exists
};

struct Head {
  uint64_t next_position = 0;  // number of committed events
  int64_t last_recorded_at_us = 0;
  // RFC 6962 root of the Merkle tree over those events (32 raw bytes).
  std::string root_hash;
};

// Counters since the store was opened. Read without stopping the writer, so
// the fields are each exact but not a consistent snapshot together.
struct Stats {
  uint64_t appends_acknowledged = 0;  // appends answered OK (durable)
  uint64_t events_written = 0;        // events written to RocksDB (new ones)
  uint64_t commit_groups = 0;         // WriteBatches written
  uint64_t wal_syncs = 0;             // WAL syncs (one per commit cycle)
  // The free-space reserve (Options::disk_reserve_bytes; 0: none) and the
  // last reading of the free space on the store's disk (0 without one).
  uint64_t disk_reserve_bytes = 0;
  uint64_t disk_free_bytes = 0;
};

struct Options {
  // Sync the WAL before acknowledging. Turn off for tests and benchmarks
  // only: without it an acknowledged append can be lost on power failure.
  bool sync = true;
  bool create_if_missing = true;

  // Limits. A request beyond any of them is INVALID_ARGUMENT.
  size_t max_payload_bytes = 1 << 20;
  size_t max_events_per_append = 10000;
  size_t max_append_bytes = 16 << 20;
  // Appends accepted but not yet answered (queued, being written or synced)
  // beyond this many bytes are refused with RESOURCE_EXHAUSTED instead of
  // growing memory without bound.
  size_t max_inflight_bytes = 256 << 20;
  // A read returns early, with where to continue, once it holds this many
  // bytes of events, whatever its limit.
  size_t max_read_bytes = 32 << 20;
  // Longest the sync stage waits for just-answered appenders to append
  // again, so they share the next WAL sync (never more than half the last
  // sync's duration; zero disables). See Writer::SyncLoop.
  absl::Duration max_group_commit_delay = absl::Microseconds(200);
  // Bytes one commit group may carry (it always carries at least one append).
  size_t max_group_bytes = 4 << 20;

  // Read SST files through mmap (faster scans; see storage.cc).
  bool mmap_reads = true;

  // RocksDB block cache shared by all column families.
  size_t block_cache_bytes = 256 << 20;

  // The bus's ring of recently committed events, read by subscribers near
  // the head instead of RocksDB.
  size_t recent_events = 100000;
  size_t recent_event_bytes = 64 << 20;

  // Check each read record's leaf hash and payload digest (DATA_LOSS on
  // mismatch). RocksDB's own block checksums are verified regardless.
  bool verify_reads = true;
  // Benchmarks only, to measure what the Merkle tree costs appends: the
  // writer skips it. Tree roots, proofs and checkpoints of such a store are
  // wrong; never set it on a store anyone will read or reopen.
  bool benchmark_without_tree = false;

  // Free disk space kept in reserve (disk_space.h): appends are refused
  // with RESOURCE_EXHAUSTED while less than this is free on the disk
  // holding the store, and resume by themselves once there is more. The
  // write-ahead log is kept below a quarter of it, so that a restart always
  // has room to recover. Open refuses (RESOURCE_EXHAUSTED, saying how much
  // it needs) if recovering the log could run out of space. A write that
  // runs out of space anyway (another program filled the disk) stops
  // appends; once a reading finds the reserve free again, the store
  // reopens its database in place and takes appends again. Reads go on
  // throughout. 0: no reserve, no checks, no reopening.
  uint64_t disk_reserve_bytes = 256000000;
  // How often the free space is read.
  absl::Duration disk_check_interval = absl::Milliseconds(100);

  // Not owned; must outlive the store. nullptr means the system clock.
  Clock* clock = nullptr;
  // Not owned; must outlive the store. nullptr means rocksdb::Env::Default().
  // Tests pass a fault-injecting or in-memory Env here.
  rocksdb::Env* env = nullptr;
};

class EventStore {
 public:
  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;

  // Opens (or creates) the store in directory `path`. Stream heads, the next
  // position and the id index are recovered from disk.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(
      const Options& options, const std::string& path);

  EventStore() = default;
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Finishes queued appends, then closes the database.
  virtual ~EventStore() = default;

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

  // The Merkle tree over the log: leaf i is the leaf hash of the event at
  // position i (RFC 6962). Sizes are capped at the committed head
  // (OUT_OF_RANGE beyond it); hashes are 32 raw bytes. A stored node or
  // record that fails its check is DATA_LOSS.
  virtual absl::StatusOr<std::string> GetTreeRoot(uint64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetInclusionProof(
      uint64_t position, uint64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetConsistencyProof(
      uint64_t old_size, uint64_t new_size) = 0;
  // The stored hashes of complete subtrees at `level` (a multiple of 4:
  // the levels the store keeps, keys.h), from node
  // `from_index` on: node i covers leaves [i << level, (i + 1) << level).
  // At most `max_nodes`, and only nodes complete within the committed tree.
  // For auditors who check the server's tree against the leaves.
  virtual absl::StatusOr<std::vector<std::string>> GetTreeNodes(
      int level, uint64_t from_index, size_t max_nodes) = 0;

  // Signed checkpoints (checkpoint.h), stored verbatim and kept forever.
  // The store does not sign: Checkpointer does, and checks consistency
  // first. PutCheckpoint writes synchronously; INVALID_ARGUMENT if
  // `tree_size` is past the committed head.
  virtual absl::Status PutCheckpoint(uint64_t tree_size,
                                     absl::string_view signed_note) = 0;
  // The checkpoint signed at exactly `tree_size`, or the latest for 0.
  // NOT_FOUND if there is none.
  struct StoredCheckpoint {
    uint64_t tree_size = 0;
    std::string signed_note;
  };
  virtual absl::StatusOr<StoredCheckpoint> GetCheckpoint(
      uint64_t tree_size) = 0;

  // Projection state (projections/): each projection's keys live in a
  // column family of its own ("projection.<name>"; names are 1-64 of
  // [a-z0-9_-]) together with the position its state reflects, and change
  // only through CommitProjection, which writes the changes and the new
  // position in one atomic write, outside the WAL: after a crash the family
  // holds its last flushed state and position together, and the projection
  // replays the log from there. Errors: INVALID_ARGUMENT for a bad
  // name or key, NOT_FOUND for a projection not opened, DATA_LOSS.
  //
  // Creates the projection's family if it has none; returns its position
  // (0 for a new one).
  virtual absl::StatusOr<uint64_t> OpenProjection(absl::string_view name) = 0;
  virtual absl::Status CommitProjection(
      absl::string_view name, const std::vector<ProjectionChange>& changes,
      uint64_t position) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetProjectionValue(
      absl::string_view name, absl::string_view key) = 0;
  // Visits keys that start with `prefix`, in order from `from` (or from
  // `prefix` if empty), until `visit` returns false.
  virtual absl::Status ScanProjection(
      absl::string_view name, absl::string_view from, absl::string_view prefix,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) = 0;
  // Drops the projection's state and position together (for a rebuild);
  // it then exists, empty, at position 0.
  virtual absl::Status ResetProjection(absl::string_view name) = 0;

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

#endif  // MISSIONLOG_EVENTSTORE_EVENT_STORE_H_
