// The single writer: owns positions and stream heads, and commits appends in
// groups (leveldb's DBImpl::Write is the model).
//
// Three threads form a pipeline. The writer thread takes everything queued,
// checks each append (idempotency, expected version), assigns positions and
// versions, encodes the records into one WriteBatch and writes it without
// syncing. It hands the group to the sync thread and starts on the next group
// while the sync thread makes the WAL durable with one SyncWAL() for all
// groups waiting and publishes the new committed head. The completion thread
// then runs the callbacks (waking the appenders) while the next sync is
// already under way. So one fsync acknowledges many appends, and neither the
// CPU work of the next group nor the wake-ups of the last wait for the disk.
//
// Readers cap at the published head, so the unsynced tail the writer has
// already written to RocksDB is invisible to them. If a write or a sync
// fails, the store stops accepting appends (every later append gets
// UNAVAILABLE) until it is reopened (after a write that ran out of space,
// Reopen does that in place): what reached the disk is then recovered, and
// nothing unacknowledged was promised.
#ifndef MISSIONLOG_EVENTSTORE_WRITER_H_
#define MISSIONLOG_EVENTSTORE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/histogram.h"
#include "eventstore/clock.h"
#include "eventstore/committed_head.h"
#include "eventstore/event_store.h"
#include "eventstore/prepared_append.h"
#include "eventstore/recent_events.h"
#include "eventstore/stage_queue.h"
#include "eventstore/storage.h"
#include "rocksdb/write_batch.h"
#include "tlog/merkle.h"

namespace missionlog {

// Safe for concurrent use.
class Writer {
 public:
  // `storage` and `head` must outlive the writer. `recovered` is the head as
  // stored on disk when the store was opened.
  // `tree` is the Merkle tree's right edge as recovered from disk.
  Writer(const Options& options, Clock* clock, Storage* storage,
         CommittedHead* head, RecentEvents* recent, Head recovered,
         merkle::CompactRange tree);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Commits everything already queued, then stops the pipeline threads.
  ~Writer();

  // Queues `append`; `done` runs once, on the completion thread, after the
  // append is durable or has failed, or inline at once if it is refused
  // (the queue full, the store stopped or closing).
  void Submit(PreparedAppend append, EventStore::AppendCallback done);

  Stats GetStats();

  // Replicated appends (PreparedAppend::replicated()) are applied in the
  // order submitted, and each replica must apply every one: once one of
  // them fails for a cause other than the log's content (a refusal, a
  // write or sync failure, a storage read error), every later replicated
  // append is refused until ResumeReplica, so none is applied past a gap.
  // The applier then waits for its appends in flight and resumes after the
  // committed head's applied position.
  bool ReplicaFenced();
  void ResumeReplica();

  // True if appends stopped after a write that ran out of space (which a
  // reopen of the database recovers from).
  bool StoppedForSpace();
  // Reopens the database under the writer, which must not be stopped for
  // another cause: refuses appends, waits for those in the pipeline to be
  // answered, runs `reopen`, rereads the head and the tree from storage and
  // publishes them, and takes appends again. If `reopen` fails, appends
  // stay refused (StoppedForSpace) until a later Reopen succeeds. Blocks;
  // called by the disk-space thread once there is room.
  void Reopen(const std::function<absl::Status()>& reopen);

 private:
  struct Pending {
    PreparedAppend append;
    EventStore::AppendCallback done;
    absl::StatusOr<AppendResult> result = absl::UnknownError("not committed");
    // The result follows from the log's content (committed, deduplicated,
    // or refused by a rule), so every replica reaches the same one.
    bool decided = false;
    int64_t submitted_ns = 0;  // for the append latency histogram
  };
  struct Group {
    std::vector<std::unique_ptr<Pending>> appends;
    bool wrote = false;           // the group put something into RocksDB
    Head head_after;              // the head once this group is durable
    uint64_t first_position = 0;  // of `records`
    std::string chunk;            // the records it wrote, concatenated
    std::vector<std::pair<uint32_t, uint32_t>> spans;  // (offset, size)
    std::vector<SharedRecord> records;  // `chunk` shared, for the bus's ring
  };

  void WriterLoop();
  void SyncLoop();
  void CompletionLoop();
  // Takes the next appends to commit, waiting for one; empty on shutdown.
  std::vector<std::unique_ptr<Pending>> TakeQueued();
  std::unique_ptr<Group> CommitGroup(
      std::vector<std::unique_ptr<Pending>> appends,
      std::vector<std::unique_ptr<Pending>>* deferred);

  // Writer-thread helpers.
  enum class Staged { kDone, kDefer };
  Staged Stage(Pending* pending, rocksdb::WriteBatch* batch, Group* group);
  // Fills `found` with the position of each event id already in the store
  // (UINT64_MAX if absent). kDefer if an id was staged earlier in this group.
  absl::StatusOr<Staged> FindExistingIds(const PreparedAppend& append,
                                         std::vector<uint64_t>* found);
  absl::StatusOr<AppendResult> Deduplicate(const PreparedAppend& append,
                                           const std::vector<uint64_t>& found);
  // Next version of `stream` (0 if it has no events), from the cache or disk.
  absl::StatusOr<uint64_t> NextVersion(const std::string& stream);
  void StageEvents(const PreparedAppend& append, uint64_t first_version,
                   rocksdb::WriteBatch* batch, AppendResult* result,
                   Group* group);
  // Stops appends. `resumable`: a reopen recovers from it (Reopen).
  void Fail(const absl::Status& status, bool resumable);
  // Reopen's second half: the writer's state from storage, published.
  absl::Status Reload();

  // Constant after construction.
  const Options options_;
  Clock* const clock_;
  Storage* const storage_;
  CommittedHead* const head_;
  RecentEvents* const recent_;

  absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  // Bytes of appends accepted but not yet answered, wherever they are in
  // the pipeline (queued, written, syncing, completing).
  size_t inflight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);  // set once a write or sync fails
  bool error_resumable_ ABSL_GUARDED_BY(mu_) = false;
  bool reopening_ ABSL_GUARDED_BY(mu_) = false;
  bool replica_fenced_ ABSL_GUARDED_BY(mu_) = false;

  // Groups written but not yet durable, then durable but not yet answered.
  StageQueue<std::unique_ptr<Group>> to_sync_;
  StageQueue<std::unique_ptr<Group>> to_complete_;

  // Owned by the writer thread alone.
  merkle::CompactRange tree_;
  uint64_t next_position_;
  int64_t last_recorded_at_us_;
  ReplicaPosition applied_;  // the last decided replicated append
  // Next version per stream, including staged but unsynced appends. Bounded:
  // cleared between groups when it grows past a limit (disk has the truth).
  absl::flat_hash_map<std::string, uint64_t> next_versions_;
  // Event ids staged in the current group (not yet in RocksDB). Keyed by
  // the 16 bytes themselves: a std::string of 16 is past the small-string
  // buffer, an allocation per event.
  absl::flat_hash_map<Uuid, uint64_t> group_ids_;
  std::string scratch_header_;
  std::string scratch_key_;

  // Counters for GetStats(); relaxed, each written by one thread.
  std::atomic<uint64_t> appends_acknowledged_{0};
  std::atomic<uint64_t> events_written_{0};
  std::atomic<uint64_t> commit_groups_{0};
  std::atomic<uint64_t> wal_syncs_{0};
  std::atomic<uint64_t> bytes_written_{0};
  LatencyHistogram append_latency_;  // submitted to acknowledged
  LatencyHistogram wal_sync_latency_;

  std::thread writer_thread_;
  std::thread sync_thread_;
  std::thread completion_thread_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_WRITER_H_
