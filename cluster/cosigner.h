// The cluster's checkpoints (README "Running three nodes"): one node signs
// at a time, the one holding an etcd lease on `<prefix>signer`; it puts
// each checkpoint it signs into etcd (`<prefix>cp/<size>`). Every node
// (the signer too) checks each such checkpoint against its own tree: the
// same root at that size, or this node says so and stops serving
// (`on_diverged`); then it adds its own signature line (`<prefix>cs/
// <size>/<node>`) and stores the note with every node's valid line
// gathered so far. An auditor can then require that all replicas signed
// the same history (`missionlog verify --require-cosigners=N`).
//
// Two nodes that both believe they hold the lease (while it expires) both
// sign: two checkpoints of one log, consistent with each other, which is
// harmless. etcd keeps only the newest `keep` checkpoints.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_CLUSTER_COSIGNER_H_
#define MISSIONLOG_CLUSTER_COSIGNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cluster/cluster_config.h"
#include "cluster/etcd_client.h"
#include "eventstore/event_store.h"
#include "tlog/signed_note.h"

namespace missionlog {

struct CosignerOptions {
  std::string node;
  std::string prefix = "/missionlog/";
  // How often the lease is renewed and new checkpoints are looked for.
  absl::Duration interval = absl::Seconds(1);
  // The lease's time to live: how long the cluster goes without a signer
  // after the signer dies.
  int64_t lease_seconds = 5;
  // Checkpoints kept in etcd for co-signing.
  int keep = 100;
  // Told (on the cosigner's thread) when another node signed a root this
  // node's tree does not have at that size.
  std::function<void(const absl::Status&)> on_diverged;
};

class Cosigner {
 public:
  // `store` and `etcd` must outlive the Cosigner. `key` is this node's key
  // (the cluster configuration's key for options.node).
  static std::unique_ptr<Cosigner> Start(EventStore* store, EtcdClient* etcd,
                                         ClusterConfig config, note::Signer key,
                                         CosignerOptions options);
  ~Cosigner();
  // Stops the thread and gives the lease up. Idempotent.
  void Stop();

  // Whether this node signs now (the Checkpointer's may_sign).
  bool Signing();
  // The Checkpointer's on_signed: puts the checkpoint of `size` into etcd
  // for the other nodes to co-sign.
  void Signed(uint64_t size);

 private:
  Cosigner(EventStore* store, EtcdClient* etcd, ClusterConfig config,
           note::Signer key, CosignerOptions options);
  void Run();
  absl::Status HoldLease();
  absl::Status CosignNew();
  absl::Status Gather(uint64_t size);
  absl::Status Trim();
  std::string CheckpointKey(uint64_t size) const;

  EventStore* const store_;
  EtcdClient* const etcd_;
  const ClusterConfig config_;
  const note::Signer key_;
  const CosignerOptions options_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool signing_ ABSL_GUARDED_BY(mu_) = false;
  bool diverged_ ABSL_GUARDED_BY(mu_) = false;
  // Only the cosigner's thread touches these.
  int64_t lease_ = 0;
  uint64_t seen_ = 0;  // the largest checkpoint size checked
  // Checkpoints not yet signed by every node: size -> (text, lines stored).
  std::map<uint64_t, std::pair<std::string, int>> incomplete_;
  std::thread thread_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLUSTER_COSIGNER_H_
