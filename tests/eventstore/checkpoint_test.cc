// Signed notes, checkpoint texts and the Checkpointer: keys and signatures
// interoperate with the Go reference (golang.org/x/mod/sumdb/note), any
// changed byte breaks a signature, checkpoint texts round-trip and reject
// malformed lines, and the Checkpointer signs only trees consistent with its
// previous checkpoint, keeps every checkpoint, and survives reopening.
#include "tlog/checkpoint.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/notification.h"
#include "eventstore/checkpointer.h"
#include "eventstore/event_store.h"
#include "eventstore/keys.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tlog/signed_note.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

// The example key pair and signed note of golang.org/x/mod/sumdb/note's
// tests (BSD-3-Clause, The Go Authors). Ed25519 is deterministic, so signing
// the same text with the same key must give the same bytes.
constexpr char kGoSignerKey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+"
    "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr char kGoVerifierKey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr char kGoText[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr char kGoSignedNote[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo"
    "tpRZb6KE6RyyBwJnAM=\n";

TEST(SignedNoteTest, InteroperatesWithTheGoReference) {
  absl::StatusOr<note::Signer> signer = note::Signer::FromKey(kGoSignerKey);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->SignerKey(), kGoSignerKey);
  EXPECT_EQ(signer->VerifierKey(), kGoVerifierKey);
  absl::StatusOr<std::string> signed_note = signer->Sign(kGoText);
  ASSERT_TRUE(signed_note.ok()) << signed_note.status();
  EXPECT_EQ(*signed_note, kGoSignedNote);

  absl::StatusOr<note::Verifier> verifier =
      note::Verifier::FromKey(kGoVerifierKey);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  absl::StatusOr<std::string> text = note::Open(kGoSignedNote, *verifier);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, kGoText);
}

TEST(SignedNoteTest, AnyChangedByteBreaksTheNote) {
  auto verifier = note::Verifier::FromKey(kGoVerifierKey);
  ASSERT_TRUE(verifier.ok());
  const std::string original = kGoSignedNote;
  for (size_t i = 0; i < original.size(); ++i) {
    std::string changed = original;
    changed[i] ^= 0x01;
    EXPECT_FALSE(note::Open(changed, *verifier).ok()) << "byte " << i;
  }
  // Dropping bytes, too.
  for (size_t i = 0; i < original.size(); ++i) {
    std::string shorter = original;
    shorter.erase(i, 1);
    EXPECT_FALSE(note::Open(shorter, *verifier).ok()) << "byte " << i;
  }
}

// Found by fuzz/checkpoint_fuzzer: a note ending in its blank line, with
// no signature line after it, read past the end of the signature block.
TEST(SignedNoteTest, ANoteWithAnEmptySignatureBlockIsMalformed) {
  auto verifier = note::Verifier::FromKey(kGoVerifierKey);
  ASSERT_TRUE(verifier.ok());
  for (const char* note : {"example.com/log\n1\nAAAA\n\n",
                           "example.com/log\n1\nAAAA\n\n\n", "\n\n"}) {
    absl::StatusOr<std::string> opened = note::Open(note, *verifier);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument)
        << opened.status();
  }
}

TEST(SignedNoteTest, OtherKeysAreIgnoredButNeverEnough) {
  auto ours = note::Signer::Generate("example.org/log");
  auto other = note::Signer::Generate("witness.example/w1");
  ASSERT_TRUE(ours.ok() && other.ok());
  auto our_verifier = note::Verifier::FromKey(ours->VerifierKey());
  ASSERT_TRUE(our_verifier.ok());
  const std::string text = "example.org/log\n3\nabc=\n";
  auto by_other = other->Sign(text);
  ASSERT_TRUE(by_other.ok());
  // Signed only by another key: rejected.
  EXPECT_EQ(note::Open(*by_other, *our_verifier).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Cosigned (a witness's line after ours): accepted.
  auto by_us = ours->Sign(text);
  ASSERT_TRUE(by_us.ok());
  std::string cosigned = *by_us + by_other->substr(text.size() + 1);
  auto opened = note::Open(cosigned, *our_verifier);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, text);
  // A key with our name but another id does not count as ours.
  auto impostor = note::Signer::Generate("example.org/log");
  ASSERT_TRUE(impostor.ok());
  auto by_impostor = impostor->Sign(text);
  ASSERT_TRUE(by_impostor.ok());
  EXPECT_FALSE(note::Open(*by_impostor, *our_verifier).ok());
}

TEST(SignedNoteTest, MalformedKeysAndTextsAreRejected) {
  EXPECT_FALSE(note::Signer::Generate("").ok());
  EXPECT_FALSE(note::Signer::Generate("has space").ok());
  EXPECT_FALSE(note::Signer::Generate("has+plus").ok());
  EXPECT_FALSE(note::Verifier::FromKey(kGoSignerKey).ok());
  EXPECT_FALSE(note::Signer::FromKey(kGoVerifierKey).ok());
  // Wrong key id for the key.
  EXPECT_FALSE(
      note::Verifier::FromKey(
          absl::StrReplaceAll(kGoVerifierKey, {{"c74f20a3", "c74f20a4"}}))
          .ok());
  // Every truncation of a key is malformed.
  const std::string key = kGoVerifierKey;
  for (size_t n = 0; n < key.size(); ++n) {
    EXPECT_FALSE(note::Verifier::FromKey(key.substr(0, n)).ok()) << n;
  }
  auto signer = note::Signer::FromKey(kGoSignerKey);
  ASSERT_TRUE(signer.ok());
  EXPECT_FALSE(signer->Sign("no final newline").ok());
  EXPECT_FALSE(signer->Sign("blank last line\n\n").ok());
  EXPECT_FALSE(signer->Sign("control \x01 character\n").ok());
  EXPECT_FALSE(signer->Sign("bad utf-8 \xff\n").ok());
}

TEST(CheckpointTextTest, RoundTripsAndRejectsMalformedLines) {
  Checkpoint checkpoint;
  checkpoint.origin = "example.org/log";
  checkpoint.tree_size = 1234;
  checkpoint.root_hash.fill(0xab);
  checkpoint.extensions.push_back(TimeExtension(absl::FromUnixSeconds(1)));
  const std::string text = FormatCheckpoint(checkpoint);
  EXPECT_EQ(
      text,
      "example.org/log\n1234\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
      "\ntime 1970-01-01T00:00:01Z\n");
  auto parsed = ParseCheckpoint(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->origin, checkpoint.origin);
  EXPECT_EQ(parsed->tree_size, 1234u);
  EXPECT_EQ(parsed->root_hash, checkpoint.root_hash);
  EXPECT_EQ(CheckpointTime(*parsed), absl::FromUnixSeconds(1));

  const std::string root = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
  for (const std::string& bad : std::vector<std::string>{
           "",
           "origin\n12\n",
           absl::StrCat("\n12\n", root, "\n"),
           absl::StrCat("origin\n012\n", root, "\n"),
           absl::StrCat("origin\n-1\n", root, "\n"),
           absl::StrCat("origin\n1e3\n", root, "\n"),
           absl::StrCat("origin\n99999999999999999999\n", root, "\n"),
           "origin\n12\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6==\n",
           "origin\n12\nnot base64!\n",
           absl::StrCat("origin\n12\n", root),
           absl::StrCat("origin\n12\n", root, "\n\nextension\n"),
       }) {
    EXPECT_EQ(ParseCheckpoint(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << absl::CHexEscape(bad);
  }
}

class CheckpointerTest : public testing::StoreTest {
 protected:
  CheckpointerTest() : signer_(*note::Signer::Generate("test.example/log")) {
    // Tests sign explicitly, or wait for on_signed.
    checkpointer_options_.interval = absl::Hours(1);
  }

  void AppendEvents(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(Append("org/kind/1", ExpectedVersion::Any(),
                         {MakeEvent("t.v1", absl::StrCat("event ", i))})
                      .ok());
    }
  }

  std::unique_ptr<Checkpointer> Start() {
    return Checkpointer::Start(store_.get(), signer_, checkpointer_options_);
  }

  // The checkpoint stored at `size` (0: latest), opened with our key.
  Checkpoint Stored(uint64_t size) {
    auto stored = store_->GetCheckpoint(size);
    EXPECT_TRUE(stored.ok()) << stored.status();
    auto verifier = note::Verifier::FromKey(signer_.VerifierKey());
    auto text = note::Open(stored->signed_note, *verifier);
    EXPECT_TRUE(text.ok()) << text.status();
    auto checkpoint = ParseCheckpoint(*text);
    EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
    return *checkpoint;
  }

  note::Signer signer_;
  CheckpointerOptions checkpointer_options_;
};

TEST_F(CheckpointerTest, SignsTheHeadAndKeepsEveryCheckpoint) {
  auto checkpointer = Start();
  EXPECT_EQ(store_->GetCheckpoint(0).status().code(),
            absl::StatusCode::kNotFound);
  // An empty log is not signed.
  EXPECT_EQ(*checkpointer->SignNow(), 0u);
  AppendEvents(5);
  EXPECT_EQ(*checkpointer->SignNow(), 5u);
  EXPECT_EQ(*checkpointer->SignNow(), 5u);  // nothing new: no new checkpoint
  AppendEvents(3);
  EXPECT_EQ(*checkpointer->SignNow(), 8u);

  Checkpoint five = Stored(5);
  EXPECT_EQ(five.origin, "test.example/log");
  EXPECT_EQ(five.tree_size, 5u);
  EXPECT_EQ(DigestView(five.root_hash), *store_->GetTreeRoot(5));
  EXPECT_TRUE(CheckpointTime(five).has_value());
  Checkpoint latest = Stored(0);
  EXPECT_EQ(latest.tree_size, 8u);
  EXPECT_EQ(DigestView(latest.root_hash), store_->GetHead().root_hash);
  EXPECT_EQ(store_->GetCheckpoint(6).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CheckpointerTest, StopSignsALastCheckpoint) {
  auto checkpointer = Start();
  AppendEvents(4);
  EXPECT_TRUE(checkpointer->Stop().ok());
  EXPECT_EQ(Stored(0).tree_size, 4u);
}

TEST_F(CheckpointerTest, SignsOnItsOwnAfterMaxEvents) {
  checkpointer_options_.max_events = 10;
  absl::Notification signed_ten;
  checkpointer_options_.on_signed = [&signed_ten](uint64_t size) {
    if (size == 10 && !signed_ten.HasBeenNotified()) signed_ten.Notify();
  };
  auto checkpointer = Start();
  AppendEvents(9);
  EXPECT_EQ(store_->GetCheckpoint(0).status().code(),
            absl::StatusCode::kNotFound);
  AppendEvents(1);
  // The writer's publish of the tenth event wakes the signing thread (the
  // interval is an hour).
  signed_ten.WaitForNotification();
  EXPECT_EQ(Stored(0).tree_size, 10u);
}

TEST_F(CheckpointerTest, CheckpointsSurviveReopenAndStayConsistent) {
  {
    auto checkpointer = Start();
    AppendEvents(7);
    ASSERT_EQ(*checkpointer->SignNow(), 7u);
  }
  Reopen();
  auto checkpointer = Start();
  EXPECT_TRUE(checkpointer->status().ok()) << checkpointer->status();
  EXPECT_EQ(Stored(0).tree_size, 7u);
  AppendEvents(2);
  EXPECT_EQ(*checkpointer->SignNow(), 9u);
  EXPECT_EQ(Stored(7).tree_size, 7u);
}

TEST_F(CheckpointerTest, RefusesToSignATreeInconsistentWithTheLastCheckpoint) {
  AppendEvents(20);
  {
    auto checkpointer = Start();
    ASSERT_EQ(*checkpointer->SignNow(), 20u);
  }
  // Damage a stored node under the checkpoint's root: leaves 0..15
  // (level 4, index 0).
  store_.reset();
  testing::TamperWithValue(db_path(), kTreeColumnFamily, TreeKey(4, 0),
                           [](std::string* value) { (*value)[0] ^= 1; });
  Reopen();
  std::vector<absl::Status> errors;
  checkpointer_options_.on_error = [&errors](const absl::Status& s) {
    errors.push_back(s);
  };
  auto checkpointer = Start();
  // The latest checkpoint's root no longer matches the stored tree.
  EXPECT_EQ(checkpointer->status().code(),
            absl::StatusCode::kFailedPrecondition);
  AppendEvents(3);
  EXPECT_EQ(checkpointer->SignNow().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Stored(0).tree_size, 20u);  // nothing new was signed
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message().find("refusing to sign"), std::string::npos);
}

TEST_F(CheckpointerTest, RefusesWhenANodeUnderTheNextProofIsDamaged) {
  AppendEvents(6);
  {
    auto checkpointer = Start();
    ASSERT_EQ(*checkpointer->SignNow(), 6u);
  }
  // 256 events: the proof from 6 holds the root of leaves 16..31, the
  // stored level-4 node 1; neither the root of 6 (from leaves) nor that of
  // 256 (a stored level-8 node) reads it.
  AppendEvents(250);
  store_.reset();
  testing::TamperWithValue(db_path(), kTreeColumnFamily, TreeKey(4, 1),
                           [](std::string* value) { (*value)[5] ^= 1; });
  Reopen();
  auto checkpointer = Start();
  absl::StatusOr<uint64_t> signed_size = checkpointer->SignNow();
  EXPECT_EQ(signed_size.status().code(), absl::StatusCode::kFailedPrecondition)
      << signed_size.status();
  EXPECT_EQ(Stored(0).tree_size, 6u);
}

TEST_F(CheckpointerTest, TreeNodesAreServedPerLevel) {
  AppendEvents(300);
  auto level4 = store_->GetTreeNodes(4, 0, 100);
  ASSERT_TRUE(level4.ok()) << level4.status();
  EXPECT_EQ(level4->size(), 18u);  // leaves 0-15 .. 272-287
  EXPECT_EQ((*level4)[0], *store_->GetTreeRoot(16));
  auto level8 = store_->GetTreeNodes(8, 0, 100);
  ASSERT_TRUE(level8.ok());
  ASSERT_EQ(level8->size(), 1u);
  EXPECT_EQ((*level8)[0], *store_->GetTreeRoot(256));
  EXPECT_EQ(store_->GetTreeNodes(4, 3, 1)->size(), 1u);
  EXPECT_TRUE(store_->GetTreeNodes(12, 0, 100)->empty());
  // Other levels are not stored (they are hashed from the ones below).
  for (int level : {0, 1, 2, 3, 5}) {
    EXPECT_EQ(store_->GetTreeNodes(level, 0, 1).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace missionlog
