// The log of a cluster's node (README "Running three nodes"): appends go
// through etcd, which orders them; every node's applier follows etcd and
// applies every node's appends, in etcd's order, to its own store.
//
// An append on this node: the store checks it and fixes its ids and
// recorded_at (ReplicaStore::PrepareReplicated); the proposer puts the
// appends accepted while its previous put was in flight as ONE signed
// value into etcd (group commit: one Raft round and one etcd fsync for
// all of them); the append is acknowledged once this node's own replica
// has applied it, with the result the replica decided (positions, or
// ABORTED with the actual version, or the original positions of a retry):
// a caller reads its own write on this node. etcd decides only the order;
// expected versions and ids are decided by the replicas, identically on
// every node because every node applies the same appends to the same log.
//
// Reads, the head and the bus are this node's store's.
//
// Errors beyond EventLog's: UNAVAILABLE when etcd did not take the append
// (no quorum, unreachable: the message says which); the append may still
// have been taken, so the caller retries with the same event ids, which
// is idempotent. FAILED_PRECONDITION once this node stopped applying
// (status() says why): it accepts no append until restarted.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_CLUSTER_REPLICATED_LOG_H_
#define MISSIONLOG_CLUSTER_REPLICATED_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cluster/cluster_config.h"
#include "cluster/etcd_client.h"
#include "eventstore/event_store.h"
#include "tlog/signed_note.h"

namespace missionlog {

struct ReplicationOptions {
  // This node's name in the cluster configuration.
  std::string node;
  // Every key Missionlog keeps in etcd starts with this.
  std::string prefix = "/missionlog/";
  // Largest value put into etcd: etcd refuses a request over its
  // --max-request-bytes (1.5 MiB by default). A single append larger than
  // this is refused (INVALID_ARGUMENT).
  size_t max_entry_bytes = 1400 * 1024;
  // Puts into etcd in flight at once; the appends accepted meanwhile
  // wait for the next.
  int max_puts_in_flight = 1;
  // Appends submitted to the store and not yet applied, in bytes: the
  // applier waits beyond this.
  size_t max_applying_bytes = 64 << 20;
  // How often this node publishes the revision it has applied, and
  // compacts etcd's history below every node's.
  absl::Duration retention_interval = absl::Seconds(5);
  // A node further behind than this many revisions does not hold
  // compaction back: it catches up from a peer instead.
  int64_t max_retained_revisions = 100000;
  // Before following etcd, and whenever etcd no longer holds what this
  // node has yet to apply: copy the log from a peer (catch_up.h). Unset:
  // such a node stops applying.
  std::function<absl::Status()> catch_up;
  // Told (on the applier's thread) when this node stops applying for good.
  std::function<void(const absl::Status&)> on_stopped;
  // Told, with its payload, of every event of type `applied_type` that
  // this node applies (not a retry's duplicate): how each node carries out
  // on its own copy what the log records there (an erasure). Called on
  // the engine's completion thread: hand the work off.
  std::string applied_type;
  std::function<void(std::string payload)> on_applied;
};

// Where a replica stands (Replication.GetReplicaStatus).
struct ReplicaState {
  Head head;
  absl::Status stopped;  // OK while applying
};

class ReplicatedLog : public EventLog {
 public:
  // Starts the applier (from the store's applied position) and the
  // retention loop. `store` must be opened with Options::replica; `store`
  // and `etcd` must outlive the ReplicatedLog. `key` is this node's
  // signing key, whose verifier key the cluster configuration lists.
  static absl::StatusOr<std::unique_ptr<ReplicatedLog>> Start(
      EventStore* store, EtcdClient* etcd, ClusterConfig config,
      note::Signer key, ReplicationOptions options);

  // Stop().
  ~ReplicatedLog() override;
  // Fails appends still waiting (UNAVAILABLE), stops the applier and the
  // retention loop. Idempotent.
  void Stop();

  ReplicaState state();
  // From now on refuses appends with FAILED_PRECONDITION saying `why`
  // (this replica diverged from the others), and stops applying.
  void Refuse(const absl::Status& why);

  absl::StatusOr<AppendResult> Append(AppendRequest request) override;
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) override;
  absl::StatusOr<ReadAllResult> ScanAll(
      const ReadAllRequest& request,
      const std::function<absl::Status(const RecordedEvent&)>& visit) override;
  absl::StatusOr<ReadStreamResult> ReadStream(
      const ReadStreamRequest& request) override;
  absl::StatusOr<StreamInfo> GetStreamInfo(absl::string_view stream) override;
  absl::StatusOr<std::optional<uint64_t>> FindEvent(
      absl::string_view id) override;
  Head GetHead() override;
  Stats GetStats() override;
  bool NotifyWhenBeyond(uint64_t position,
                        std::function<void()> callback) override;
  uint64_t Erasures() override { return store_->Erasures(); }

 private:
  struct Queued;
  struct Waiting;

  ReplicatedLog(EventStore* store, EtcdClient* etcd, ClusterConfig config,
                note::Signer key, ReplicationOptions options);

  // Puts `batch` into etcd as one proposal; on its answer, the next batch.
  void Propose(std::vector<Queued> batch);
  // Takes the appends queued since (up to max_entry_bytes); if there are
  // none, one put in flight fewer.
  std::vector<Queued> NextBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the callers waiting for proposal `sequence` with `status`.
  void FailWaiting(uint64_t sequence, const absl::Status& status);
  void Answer(uint64_t sequence, uint32_t index,
              absl::StatusOr<AppendResult> result);

  void ApplyLoop();
  // One watch of etcd from where the replica stands, until it ends.
  // OK when it should be opened again; an error stops applying.
  absl::Status Follow();
  absl::Status ApplyEntry(int64_t revision, absl::string_view value);
  // Waits for every submitted append to finish.
  void Drain();
  void StopApplying(const absl::Status& status);
  void RetentionLoop();
  absl::Status Retain();

  EventStore* const store_;
  EtcdClient* const etcd_;
  const ClusterConfig config_;
  const note::Signer key_;
  const ReplicationOptions options_;
  const uint64_t incarnation_;
  const std::string entry_key_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  // Proposer.
  std::vector<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int proposing_ ABSL_GUARDED_BY(mu_) = 0;  // puts in flight
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Waiting>> waiting_
      ABSL_GUARDED_BY(mu_);
  // Applier.
  ReplicaPosition submitted_ ABSL_GUARDED_BY(mu_);
  size_t applying_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int applying_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* watch_ ABSL_GUARDED_BY(mu_) = nullptr;

  std::thread applier_;
  std::thread retention_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLUSTER_REPLICATED_LOG_H_
