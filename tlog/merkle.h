// RFC 6962 / RFC 9162 (section 2.1) Merkle tree hashing, proof generation
// from a list of leaf hashes (the recursive reference definitions) and
// proof verification. The store will maintain the tree incrementally
// (issue 6); these are the definitions it is tested against, and what
// verifiers run.
#ifndef MISSIONLOG_TLOG_MERKLE_H_
#define MISSIONLOG_TLOG_MERKLE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace merkle {

// SHA-256(0x01 || left || right): an interior node.
Digest HashChildren(const Digest& left, const Digest& right);

// MTH({}) = SHA-256(""): the root of the empty tree.
Digest EmptyRoot();

// MTH(D[n]) over leaf hashes (each already SHA-256(0x00 || leaf)).
Digest RootFromLeaves(const std::vector<Digest>& leaves);

// PATH(m, D[n]): the inclusion proof of leaf `index` in `leaves`.
// REQUIRES: index < leaves.size().
std::vector<Digest> InclusionProof(const std::vector<Digest>& leaves,
                                   uint64_t index);

// PROOF(m, D[n]): the consistency proof between the tree of the first
// `old_size` leaves and the tree of all of them.
// REQUIRES: old_size <= leaves.size().
std::vector<Digest> ConsistencyProof(const std::vector<Digest>& leaves,
                                     uint64_t old_size);

// The root of leaves [begin, end) of some tree (from memory or storage).
using RangeRoot =
    std::function<absl::StatusOr<Digest>(uint64_t begin, uint64_t end)>;

// PATH and PROOF over any tree, given the roots of its ranges.
// REQUIRES: index < size; 0 < old_size <= new_size.
absl::StatusOr<std::vector<Digest>> InclusionProof(uint64_t index,
                                                   uint64_t size,
                                                   const RangeRoot& root);
absl::StatusOr<std::vector<Digest>> ConsistencyProof(uint64_t old_size,
                                                     uint64_t new_size,
                                                     const RangeRoot& root);

// The range [begin, end) split where RFC 6962 splits it: `begin` plus the
// largest power of two below end - begin. REQUIRES: end - begin > 1.
uint64_t Split(uint64_t begin, uint64_t end);

// The right edge of a growing tree: the roots of its perfect subtrees
// ("peaks"), largest first. Appending a leaf completes 0 or more subtrees,
// which the caller stores; the root of the whole tree folds the peaks.
// A value: not synchronized (the engine's writer thread owns its range).
class CompactRange {
 public:
  using Emit = std::function<void(int level, uint64_t index, const Digest&)>;

  CompactRange() = default;

  // Rebuilds the range for the first `size` leaves from their roots.
  static absl::StatusOr<CompactRange> Recover(uint64_t size,
                                              const RangeRoot& root);

  // The range with the given peaks (the roots of the complete subtrees
  // that make up the first `size` leaves, largest first), as peaks()
  // returned them. INVALID_ARGUMENT if their number does not fit `size`.
  static absl::StatusOr<CompactRange> FromPeaks(uint64_t size,
                                                std::vector<Digest> peaks);
  const std::vector<Digest>& peaks() const { return peaks_; }

  // Appends the leaf at index size(); `emit` gets every subtree of level
  // >= 1 this completes, lowest first.
  void Append(const Digest& leaf, const Emit& emit);

  uint64_t size() const { return size_; }
  Digest Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Digest> peaks_;
};

// RFC 9162 2.1.3.2. OK, or INVALID_ARGUMENT (malformed: index out of range,
// wrong proof length) or FAILED_PRECONDITION (the root does not match).
absl::Status VerifyInclusion(uint64_t index, uint64_t tree_size,
                             const Digest& leaf_hash,
                             const std::vector<Digest>& proof,
                             const Digest& root);

// RFC 9162 2.1.4.2, with the conventions of transparency-dev/merkle for the
// edge cases: equal sizes need an empty proof and equal roots; a proof from
// the empty tree (old_size 0) is refused as meaningless.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const std::vector<Digest>& proof,
                               const Digest& old_root, const Digest& new_root);

}  // namespace merkle
}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_MERKLE_H_
