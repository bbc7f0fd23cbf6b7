#include "tlog/merkle.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace missionlog {
namespace merkle {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Digest Hash01(const Digest& left, const Digest& right) {
  static const unsigned char kNodePrefix = 0x01;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &kNodePrefix, 1);
  SHA256_Update(&ctx, left.data(), left.size());
  SHA256_Update(&ctx, right.data(), right.size());
  Digest digest;
  SHA256_Final(digest.data(), &ctx);
  return digest;
}
#pragma GCC diagnostic pop

// The largest power of two strictly less than n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Digest Root(const Digest* leaves, uint64_t n) {
  if (n == 0) return EmptyRoot();
  if (n == 1) return leaves[0];
  uint64_t k = SplitPoint(n);
  return Hash01(Root(leaves, k), Root(leaves + k, n - k));
}

void Path(const Digest* leaves, uint64_t n, uint64_t m,
          std::vector<Digest>* proof) {
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (m < k) {
    Path(leaves, k, m, proof);
    proof->push_back(Root(leaves + k, n - k));
  } else {
    Path(leaves + k, n - k, m - k, proof);
    proof->push_back(Root(leaves, k));
  }
}

// SUBPROOF(m, D[n], b).
void Subproof(const Digest* leaves, uint64_t n, uint64_t m, bool complete,
              std::vector<Digest>* proof) {
  if (m == n) {
    if (!complete) proof->push_back(Root(leaves, n));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    Subproof(leaves, k, m, complete, proof);
    proof->push_back(Root(leaves + k, n - k));
  } else {
    Subproof(leaves + k, n - k, m - k, false, proof);
    proof->push_back(Root(leaves, k));
  }
}

bool Lsb(uint64_t x) { return (x & 1) != 0; }

absl::Status Mismatch(absl::string_view what) {
  return absl::FailedPreconditionError(what);
}

}  // namespace

Digest HashChildren(const Digest& left, const Digest& right) {
  return Hash01(left, right);
}

Digest EmptyRoot() { return Sha256(""); }

Digest RootFromLeaves(const std::vector<Digest>& leaves) {
  return Root(leaves.data(), leaves.size());
}

std::vector<Digest> InclusionProof(const std::vector<Digest>& leaves,
                                   uint64_t index) {
  std::vector<Digest> proof;
  Path(leaves.data(), leaves.size(), index, &proof);
  return proof;
}

std::vector<Digest> ConsistencyProof(const std::vector<Digest>& leaves,
                                     uint64_t old_size) {
  std::vector<Digest> proof;
  if (old_size == 0 || old_size == leaves.size()) return proof;
  Subproof(leaves.data(), leaves.size(), old_size, true, &proof);
  return proof;
}

uint64_t Split(uint64_t begin, uint64_t end) {
  return begin + SplitPoint(end - begin);
}

namespace {

absl::Status PathOf(uint64_t begin, uint64_t end, uint64_t index,
                    const RangeRoot& root, std::vector<Digest>* proof) {
  if (end - begin <= 1) return absl::OkStatus();
  const uint64_t split = Split(begin, end);
  absl::StatusOr<Digest> sibling;
  if (index < split) {
    absl::Status status = PathOf(begin, split, index, root, proof);
    if (!status.ok()) return status;
    sibling = root(split, end);
  } else {
    absl::Status status = PathOf(split, end, index, root, proof);
    if (!status.ok()) return status;
    sibling = root(begin, split);
  }
  if (!sibling.ok()) return sibling.status();
  proof->push_back(*sibling);
  return absl::OkStatus();
}

absl::Status SubproofOf(uint64_t begin, uint64_t end, uint64_t old_end,
                        bool complete, const RangeRoot& root,
                        std::vector<Digest>* proof) {
  if (old_end == end) {
    if (complete) return absl::OkStatus();
    absl::StatusOr<Digest> whole = root(begin, end);
    if (!whole.ok()) return whole.status();
    proof->push_back(*whole);
    return absl::OkStatus();
  }
  const uint64_t split = Split(begin, end);
  absl::StatusOr<Digest> sibling;
  if (old_end <= split) {
    absl::Status status =
        SubproofOf(begin, split, old_end, complete, root, proof);
    if (!status.ok()) return status;
    sibling = root(split, end);
  } else {
    absl::Status status = SubproofOf(split, end, old_end, false, root, proof);
    if (!status.ok()) return status;
    sibling = root(begin, split);
  }
  if (!sibling.ok()) return sibling.status();
  proof->push_back(*sibling);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Digest>> InclusionProof(uint64_t index,
                                                   uint64_t size,
                                                   const RangeRoot& root) {
  std::vector<Digest> proof;
  absl::Status status = PathOf(0, size, index, root, &proof);
  if (!status.ok()) return status;
  return proof;
}

absl::StatusOr<std::vector<Digest>> ConsistencyProof(uint64_t old_size,
                                                     uint64_t new_size,
                                                     const RangeRoot& root) {
  std::vector<Digest> proof;
  if (old_size == new_size) return proof;
  absl::Status status = SubproofOf(0, new_size, old_size, true, root, &proof);
  if (!status.ok()) return status;
  return proof;
}

absl::StatusOr<CompactRange> CompactRange::Recover(uint64_t size,
                                                   const RangeRoot& root) {
  CompactRange range;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    absl::StatusOr<Digest> peak = root(begin, begin + width);
    if (!peak.ok()) return peak.status();
    range.peaks_.push_back(*peak);
    begin += width;
  }
  range.size_ = size;
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromPeaks(
    uint64_t size, std::vector<Digest> peaks) {
  size_t expected = 0;
  for (uint64_t rest = size; rest != 0; rest &= rest - 1) ++expected;
  if (peaks.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("a tree of size ", size, " has ", expected, " peaks, not ",
                     peaks.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.peaks_ = std::move(peaks);
  return range;
}

void CompactRange::Append(const Digest& leaf, const Emit& emit) {
  peaks_.push_back(leaf);
  const uint64_t old_size = size_++;
  // Each trailing one bit of the old size is a peak the new leaf completes.
  for (int level = 0; (old_size >> level) & 1; ++level) {
    Digest right = peaks_.back();
    peaks_.pop_back();
    Digest merged = Hash01(peaks_.back(), right);
    peaks_.back() = merged;
    emit(level + 1, (size_ >> (level + 1)) - 1, merged);
  }
}

Digest CompactRange::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  Digest root = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) root = Hash01(peaks_[i], root);
  return root;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t tree_size,
                             const Digest& leaf_hash,
                             const std::vector<Digest>& proof,
                             const Digest& root) {
  if (index >= tree_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf index ", index, " is not below tree size ", tree_size));
  }
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return absl::InvalidArgumentError("inclusion proof too long");
    if (Lsb(fn) || fn == sn) {
      r = Hash01(p, r);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = Hash01(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("inclusion proof too short");
  if (r != root) return Mismatch("inclusion proof does not lead to the root");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                               const std::vector<Digest>& proof,
                               const Digest& old_root, const Digest& new_root) {
  if (old_size > new_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "old size ", old_size, " is larger than new size ", new_size));
  }
  if (old_size == 0) {
    // Everything is consistent with the empty tree: such a check proves
    // nothing, and a verifier asking for one has a bug.
    return absl::InvalidArgumentError(
        "a consistency proof from the empty tree proves nothing");
  }
  if (old_size == new_size) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError("equal sizes need an empty proof");
    }
    if (old_root != new_root) return Mismatch("roots of equal sizes differ");
    return absl::OkStatus();
  }
  if (proof.empty()) return absl::InvalidArgumentError("empty proof");

  std::vector<Digest> path;
  // An exact power of two: the old root is itself the first node.
  if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while (Lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path[0];
  Digest sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) {
      return absl::InvalidArgumentError("consistency proof too long");
    }
    if (Lsb(fn) || fn == sn) {
      fr = Hash01(path[i], fr);
      sr = Hash01(path[i], sr);
      while (!Lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = Hash01(sr, path[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return absl::InvalidArgumentError("consistency proof too short");
  if (fr != old_root) return Mismatch("consistency proof: old root mismatch");
  if (sr != new_root) return Mismatch("consistency proof: new root mismatch");
  return absl::OkStatus();
}

}  // namespace merkle
}  // namespace missionlog
