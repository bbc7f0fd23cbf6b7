// The cluster configuration file: which missionlogd nodes replicate the
// log, where their gRPC listeners are, and the public key each signs its
// replicated entries with (README "Running three nodes"). One line per
// node, '#' starts a comment:
//
//   node NAME ADDRESS VERIFIER_KEY
//
// NAME is the node's name (--node), ADDRESS its host:port, VERIFIER_KEY
// the verifier key (tlog/signed_note.h) of the node's own signing key.
// Every node's key carries the same name, the log's origin: each node signs
// the cluster's checkpoints (and its replicated entries) with its own key,
// and a checkpoint note carries one signature line per node, all under
// the one origin (c2sp.org/signed-note tells keys of one name apart by
// their key ids). Every node reads the same file.
//
// Thread safety: immutable once read.
#ifndef MISSIONLOG_CLUSTER_CLUSTER_CONFIG_H_
#define MISSIONLOG_CLUSTER_CLUSTER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tlog/signed_note.h"

namespace missionlog {

struct ClusterNode {
  std::string name;
  std::string address;
  note::Verifier key;
};

class ClusterConfig {
 public:
  // INVALID_ARGUMENT naming the line for anything malformed: an unknown
  // word, a key that does not parse, keys of different names, a name, an
  // address or a key given twice, no node at all.
  static absl::StatusOr<ClusterConfig> Parse(absl::string_view text);
  static absl::StatusOr<ClusterConfig> Read(const std::string& path);

  const std::vector<ClusterNode>& nodes() const { return nodes_; }
  // The name every node's key carries: the log's origin.
  const std::string& origin() const { return nodes_.front().key.name(); }
  // nullptr if no node is called `name`.
  const ClusterNode* Find(absl::string_view name) const;

 private:
  std::vector<ClusterNode> nodes_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLUSTER_CLUSTER_CONFIG_H_
