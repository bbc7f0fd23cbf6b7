// The Merkle tree over the log: leaf i is the leaf hash of the event at
// position i (RFC 6962). Sizes are capped at the committed head
// (OUT_OF_RANGE beyond it); hashes are 32 raw bytes. A stored node or
// record that fails its check is DATA_LOSS. For the Audit service and the
// checkpoint signer.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_EVENTSTORE_TREE_READER_H_
#define MISSIONLOG_EVENTSTORE_TREE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace missionlog {

class TreeReader {
 public:
  virtual ~TreeReader() = default;

  virtual absl::StatusOr<std::string> GetTreeRoot(uint64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetInclusionProof(
      uint64_t position, uint64_t tree_size) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetConsistencyProof(
      uint64_t old_size, uint64_t new_size) = 0;
  // The stored hashes of complete subtrees at `level` (a multiple of 4:
  // the levels the store keeps), from node `from_index` on: node i covers
  // leaves [i << level, (i + 1) << level). At most `max_nodes`, and only
  // nodes complete within the committed tree. For auditors who check the
  // server's tree against the leaves.
  virtual absl::StatusOr<std::vector<std::string>> GetTreeNodes(
      int level, uint64_t from_index, size_t max_nodes) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_TREE_READER_H_
