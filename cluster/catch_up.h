// Catching up from a peer (README "Running three nodes"): a node that is
// new, wiped, or further behind than etcd still holds copies the log from
// another node, checks the copy, and then follows etcd again from where
// that peer stood.
//
// The copy goes through the store's replica path (ReplicaStore::
// ApplyAsync) with each event's own header fields, so the copied records
// are built exactly as the peer built them; then this node's own tree
// must give the peer's root at the peer's head, and the root of the
// peer's latest signed checkpoint (signed with the peer's key in the
// cluster configuration) at its size. Before copying, the peer proves
// (a consistency proof) that this node's log so far is a prefix of its
// own. The last copied append carries the peer's applied position, so a
// copy cut short by a crash leaves the node where it was, and it copies
// again.
#ifndef MISSIONLOG_CLUSTER_CATCH_UP_H_
#define MISSIONLOG_CLUSTER_CATCH_UP_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "cluster/cluster_config.h"
#include "eventstore/event_store.h"
#include "grpcpp/grpcpp.h"

namespace missionlog {

struct CatchUpOptions {
  // This node's name: every other node in the configuration is a peer.
  std::string node;
  // How to reach peers: their listeners' credentials, and a bearer token
  // (empty: none) for a policy that asks for one. The peer must let this
  // node read the log and the audit RPCs.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string token;
  // Events asked for per read.
  size_t batch_events = 20000;
};

// Copies what `store` lacks from the peer furthest ahead. OK once the copy
// is checked; UNAVAILABLE if no peer answers or none is ahead (try again
// later); DATA_LOSS if a peer's log does not extend this node's, or the
// copy does not give the peer's roots (this node must not serve).
absl::Status CatchUp(EventStore* store, const ClusterConfig& config,
                     const CatchUpOptions& options);

}  // namespace missionlog

#endif  // MISSIONLOG_CLUSTER_CATCH_UP_H_
