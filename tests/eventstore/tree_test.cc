// The store's Merkle tree, maintained by the writer in the same WriteBatch
// as the events: its root for every size equals the RFC 6962 reference over
// the stored leaf hashes, its proofs verify and equal the reference proofs,
// it survives reopening, and damage to it is detected.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tlog/merkle.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

Digest ToDigest(const std::string& bytes) {
  Digest digest{};
  EXPECT_EQ(bytes.size(), digest.size());
  std::copy(bytes.begin(),
            bytes.begin() + std::min(bytes.size(), digest.size()),
            digest.begin());
  return digest;
}

std::vector<Digest> ToDigests(const std::vector<std::string>& strings) {
  std::vector<Digest> digests;
  for (const std::string& s : strings) digests.push_back(ToDigest(s));
  return digests;
}

class TreeTest : public testing::StoreTest {
 protected:
  // Appends `count` events in appends of 1 to 5 events.
  void AppendEvents(int count) {
    for (int done = 0; done < count;) {
      int batch = std::min(1 + done % 5, count - done);
      std::vector<EventData> events;
      for (int i = 0; i < batch; ++i) {
        events.push_back(MakeEvent("t.v1", absl::StrCat("event ", done + i)));
      }
      ASSERT_TRUE(Append(absl::StrCat("tree/s/", done % 3),
                         ExpectedVersion::Any(), std::move(events))
                      .ok());
      done += batch;
    }
  }

  std::vector<Digest> LeafHashes() {
    std::vector<Digest> leaves;
    for (const RecordedEvent& event : ReadAll()) {
      leaves.push_back(ToDigest(std::string(event.leaf_hash())));
    }
    return leaves;
  }

  Digest Root(uint64_t size) {
    absl::StatusOr<std::string> root = store_->GetTreeRoot(size);
    EXPECT_TRUE(root.ok()) << root.status();
    return root.ok() ? ToDigest(*root) : Digest{};
  }
};

TEST_F(TreeTest, RootOfEverySizeMatchesTheReference) {
  EXPECT_EQ(Root(0), merkle::EmptyRoot());
  AppendEvents(1000);
  std::vector<Digest> leaves = LeafHashes();
  ASSERT_EQ(leaves.size(), 1000u);
  for (uint64_t size = 1; size <= 1000; ++size) {
    std::vector<Digest> prefix(leaves.begin(), leaves.begin() + size);
    ASSERT_EQ(Root(size), merkle::RootFromLeaves(prefix)) << "size " << size;
  }
  EXPECT_EQ(store_->GetHead().root_hash,
            std::string(DigestView(merkle::RootFromLeaves(leaves))));
}

TEST_F(TreeTest, ProofsVerifyAndEqualTheReference) {
  AppendEvents(200);
  std::vector<Digest> leaves = LeafHashes();
  uint64_t seed = 7;
  auto next = [&seed](uint64_t bound) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % bound;
  };
  for (int trial = 0; trial < 300; ++trial) {
    const uint64_t size = 1 + next(200);
    const uint64_t position = next(size);
    std::vector<Digest> prefix(leaves.begin(), leaves.begin() + size);
    auto proof = store_->GetInclusionProof(position, size);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(ToDigests(*proof), merkle::InclusionProof(prefix, position));
    EXPECT_TRUE(merkle::VerifyInclusion(position, size, leaves[position],
                                        ToDigests(*proof), Root(size))
                    .ok())
        << position << " in " << size;

    const uint64_t old_size = 1 + next(size);
    auto consistency = store_->GetConsistencyProof(old_size, size);
    ASSERT_TRUE(consistency.ok()) << consistency.status();
    EXPECT_EQ(ToDigests(*consistency),
              merkle::ConsistencyProof(prefix, old_size));
    EXPECT_TRUE(merkle::VerifyConsistency(old_size, size,
                                          ToDigests(*consistency),
                                          Root(old_size), Root(size))
                    .ok())
        << old_size << " to " << size;
  }
}

TEST_F(TreeTest, TheTreeSurvivesReopenAndKeepsGrowing) {
  AppendEvents(37);
  const std::string root37 = store_->GetHead().root_hash;
  Reopen();
  EXPECT_EQ(store_->GetHead().root_hash, root37);
  AppendEvents(60);
  std::vector<Digest> leaves = LeafHashes();
  ASSERT_EQ(leaves.size(), 97u);
  EXPECT_EQ(store_->GetHead().root_hash,
            std::string(DigestView(merkle::RootFromLeaves(leaves))));
  EXPECT_EQ(Root(37), ToDigest(root37));
}

TEST_F(TreeTest, SizesPastTheHeadAreOutOfRange) {
  AppendEvents(5);
  EXPECT_EQ(store_->GetTreeRoot(6).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->GetInclusionProof(1, 6).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->GetInclusionProof(5, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetConsistencyProof(0, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetConsistencyProof(3, 9).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(TreeTest, ReopeningWithoutAUsableFrontierRebuildsTheEdge) {
  AppendEvents(1000);
  const std::string root = store_->GetHead().root_hash;
  store_.reset();
  // A frontier of another size (as in a store written before frontiers):
  // the edge is rebuilt from stored nodes and leaf hashes.
  testing::TamperWithValue(db_path(), kTreeColumnFamily, kTreeFrontierKey,
                           [](std::string* value) { (*value)[7] ^= 1; });
  Reopen();
  EXPECT_EQ(store_->GetHead().root_hash, root);
  AppendEvents(3);
  EXPECT_EQ(store_->GetHead().root_hash,
            std::string(DigestView(merkle::RootFromLeaves(LeafHashes()))));
}

TEST_F(TreeTest, ATamperedNodeBreaksTheProofsThatUseIt) {
  AppendEvents(256);
  const Digest root = Root(256);
  store_.reset();
  // Flip a byte of the node over positions 16..31 (level 4, index 1).
  testing::TamperWithValue(db_path(), kTreeColumnFamily, TreeKey(4, 1),
                           [](std::string* value) { (*value)[0] ^= 1; });
  Reopen();
  // Higher nodes were stored when they were built, so the damage shows
  // where an auditor looks: a proof through the node no longer verifies
  // against the root they recorded.
  auto proof = store_->GetInclusionProof(0, 256);
  ASSERT_TRUE(proof.ok());
  std::vector<Digest> leaves = LeafHashes();
  EXPECT_FALSE(
      merkle::VerifyInclusion(0, 256, leaves[0], ToDigests(*proof), root).ok());
  // The stored node above it was written from the original.
  EXPECT_EQ(Root(256), root);
}

}  // namespace
}  // namespace missionlog
