// Append: atomicity, dense positions and versions, expected versions,
// idempotency, server-stamped metadata.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tlog/leaf.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

using testing::MakeEvent;
using testing::TestUuid;

class AppendTest : public testing::StoreTest {};

TEST_F(AppendTest, PositionsAndVersionsAreDenseFromZero) {
  auto first = Append("dhsc/decision/1", ExpectedVersion::NoStream(),
                      {MakeEvent("a", "1"), MakeEvent("b", "2")});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->first_position, 0u);
  EXPECT_EQ(first->last_position, 1u);
  EXPECT_EQ(first->stream_version, 1u);

  auto other =
      Append("dft/decision/7", ExpectedVersion::Any(), {MakeEvent("c", "3")});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->first_position, 2u);
  EXPECT_EQ(other->stream_version, 0u);

  auto third = Append("dhsc/decision/1", ExpectedVersion::Exact(1),
                      {MakeEvent("d", "4")});
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->first_position, 3u);
  EXPECT_EQ(third->stream_version, 2u);

  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 4u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].position(), i);
  std::vector<RecordedEvent> stream = ReadStream("dhsc/decision/1");
  ASSERT_EQ(stream.size(), 3u);
  EXPECT_EQ(stream[2].type(), "d");
  EXPECT_EQ(stream[2].stream_version(), 2u);
  EXPECT_EQ(store_->GetHead().next_position, 4u);
}

TEST_F(AppendTest, RecordsEverythingTheClientSentAndStampsTheRest) {
  EventData event = MakeEvent("missionlog.test.v1", "{\"x\":1}", 7);
  event.occurred_at_us = 1600000000000000;
  event.correlation_id = "corr-1";
  event.causation_id = "cause-1";
  ASSERT_TRUE(Append("s/k/1", ExpectedVersion::Any(), {event}).ok());
  std::vector<RecordedEvent> read = ReadStream("s/k/1");
  ASSERT_EQ(read.size(), 1u);
  const RecordedEvent& recorded = read[0];
  EXPECT_EQ(recorded.id(), TestUuid(7));
  EXPECT_EQ(recorded.stream(), "s/k/1");
  EXPECT_EQ(recorded.type(), "missionlog.test.v1");
  EXPECT_EQ(recorded.source(), "urn:missionlog:test");
  EXPECT_EQ(recorded.occurred_at_us(), 1600000000000000);
  EXPECT_EQ(recorded.recorded_at_us(), clock_.NowMicros());
  EXPECT_EQ(recorded.recorded_by(), "test@missionlog");
  EXPECT_EQ(recorded.correlation_id(), "corr-1");
  EXPECT_EQ(recorded.causation_id(), "cause-1");
  EXPECT_EQ(recorded.content_type(), "application/json");
  EXPECT_EQ(recorded.payload(), "{\"x\":1}");
  // Format v2: the header commits to a salted digest; the salt is stored
  // beside the payload.
  EXPECT_EQ(recorded.format(), kLeafFormatV2);
  ASSERT_EQ(recorded.payload_salt().size(), kPayloadSaltSize);
  EXPECT_EQ(recorded.payload_sha256(),
            std::string(DigestView(
                SaltedPayloadDigest(recorded.payload_salt(), "{\"x\":1}"))));
  EXPECT_NE(recorded.payload_sha256(),
            std::string(DigestView(Sha256("{\"x\":1}"))));
  EXPECT_EQ(recorded.leaf_hash(),
            std::string(DigestView(LeafHash(recorded.header()))));
}

TEST_F(AppendTest, EqualPayloadsGetDifferentSaltsAndDigests) {
  ASSERT_TRUE(Append("s/k/1", ExpectedVersion::Any(),
                     {MakeEvent("t", "same"), MakeEvent("t", "same")})
                  .ok());
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_NE(all[0].payload_salt(), all[1].payload_salt());
  EXPECT_NE(all[0].payload_sha256(), all[1].payload_sha256());
}

// Salts are drawn from a per-thread pool of 4 KiB (256 salts) refilled
// from the DRBG: across refills, appends of any size and two threads, no
// salt repeats and none is left zero (a wiped pool byte handed out again).
TEST_F(AppendTest, SaltsNeverRepeatAcrossThePoolsRefillsAndThreads) {
  auto append_some = [this](int thread) {
    for (int i = 0; i < 40; ++i) {
      std::vector<EventData> events;
      for (int e = 0; e < 1 + (i * 7) % 23; ++e) {
        events.push_back(MakeEvent("t", "same"));
      }
      ASSERT_TRUE(Append(absl::StrCat("s/salt/", thread),
                         ExpectedVersion::Any(), events)
                      .ok());
    }
  };
  std::thread other(append_some, 1);
  append_some(0);
  other.join();
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_GT(all.size(), 2u * 256u);  // both threads' pools refilled
  std::set<std::string> salts;
  const std::string zero(kPayloadSaltSize, '\0');
  for (const RecordedEvent& event : all) {
    ASSERT_EQ(event.payload_salt().size(), kPayloadSaltSize);
    EXPECT_NE(std::string(event.payload_salt()), zero);
    EXPECT_TRUE(salts.insert(std::string(event.payload_salt())).second)
        << "position " << event.position();
  }
}

// A store written before format v2 keeps its v1 records readable and
// verifiable beside new v2 ones, and a retry of a v1 event still
// deduplicates.
TEST_F(AppendTest, V1RecordsStayReadableBesideV2Ones) {
  options_.record_format = 1;
  Reopen();
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("t", "old", 1)}).ok());
  options_.record_format = 2;
  Reopen();
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("t", "new", 2)}).ok());
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].format(), kLeafFormatV1);
  EXPECT_TRUE(all[0].payload_salt().empty());
  EXPECT_EQ(all[0].payload_sha256(), DigestView(Sha256("old")));
  EXPECT_EQ(all[1].format(), kLeafFormatV2);
  for (const RecordedEvent& event : all) {
    RecordedEvent checked;
    EXPECT_TRUE(
        DecodeRecord(event.position(), event.record(), true, &checked).ok());
  }
  absl::StatusOr<AppendResult> retry =
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("t", "old", 1)});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, 0u);
  absl::StatusOr<AppendResult> changed =
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("t", "other", 1)});
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
}

// The engine's part of a whole-payload erasure: the record keeps its
// header and leaf hash, the tree is unchanged, reads carry the marker, and
// the payload leaves the table files.
TEST_F(AppendTest, ErasingAPayloadKeepsTheTree) {
  ASSERT_TRUE(Append("s/k/1", ExpectedVersion::Any(),
                     {MakeEvent("t", "keep-1"), MakeEvent("t", "forget-me"),
                      MakeEvent("t", "keep-2")})
                  .ok());
  absl::StatusOr<std::string> root = store_->GetTreeRoot(3);
  ASSERT_TRUE(root.ok());
  const std::vector<RecordedEvent> before = ReadAll();
  ASSERT_TRUE(store_->ErasePayload(1).ok());
  EXPECT_EQ(store_->ErasePayload(1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ErasePayload(3).code(), absl::StatusCode::kNotFound);
  const std::vector<RecordedEvent> after = ReadAll();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_TRUE(after[1].payload_erased());
  EXPECT_TRUE(after[1].payload().empty());
  EXPECT_TRUE(after[1].payload_salt().empty());
  EXPECT_EQ(after[1].header(), before[1].header());
  EXPECT_EQ(after[1].leaf_hash(), before[1].leaf_hash());
  EXPECT_EQ(after[0].payload(), "keep-1");
  EXPECT_EQ(after[2].payload(), "keep-2");
  EXPECT_EQ(*store_->GetTreeRoot(3), *root);
  // Survives a reopen, and a retry of the erased event is not taken for
  // the same content.
  Reopen();
  EXPECT_TRUE(ReadAll()[1].payload_erased());
  EXPECT_EQ(*store_->GetTreeRoot(3), *root);
}

TEST_F(AppendTest, GeneratesVersion7IdsWhenAbsent) {
  ASSERT_TRUE(Append("s/k/1", ExpectedVersion::Any(),
                     {MakeEvent("a", "1"), MakeEvent("a", "2")})
                  .ok());
  std::vector<RecordedEvent> read = ReadStream("s/k/1");
  ASSERT_EQ(read.size(), 2u);
  EXPECT_NE(read[0].id(), read[1].id());
  EXPECT_EQ(read[0].id().size(), 36u);
  EXPECT_EQ(read[0].id()[14], '7');  // version nibble
}

TEST_F(AppendTest, ExpectedNoStream) {
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::NoStream(), {MakeEvent("a", "")}).ok());
  auto again =
      Append("s/k/1", ExpectedVersion::NoStream(), {MakeEvent("a", "")});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  std::optional<ActualVersion> actual = ActualVersionFromStatus(again.status());
  ASSERT_TRUE(actual.has_value());
  EXPECT_TRUE(actual->stream_exists);
  EXPECT_EQ(actual->version, 0u);
}

TEST_F(AppendTest, ExpectedStreamExists) {
  auto missing =
      Append("s/k/1", ExpectedVersion::StreamExists(), {MakeEvent("a", "")});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kAborted);
  std::optional<ActualVersion> actual =
      ActualVersionFromStatus(missing.status());
  ASSERT_TRUE(actual.has_value());
  EXPECT_FALSE(actual->stream_exists);
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "")}).ok());
  EXPECT_TRUE(
      Append("s/k/1", ExpectedVersion::StreamExists(), {MakeEvent("a", "")})
          .ok());
}

TEST_F(AppendTest, ExpectedExactVersion) {
  ASSERT_TRUE(Append("s/k/1", ExpectedVersion::Any(),
                     {MakeEvent("a", ""), MakeEvent("a", "")})
                  .ok());
  auto stale = Append("s/k/1", ExpectedVersion::Exact(0), {MakeEvent("a", "")});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ActualVersionFromStatus(stale.status())->version, 1u);
  auto ahead = Append("s/k/1", ExpectedVersion::Exact(5), {MakeEvent("a", "")});
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kAborted);
  auto on_missing =
      Append("s/k/2", ExpectedVersion::Exact(0), {MakeEvent("a", "")});
  EXPECT_EQ(on_missing.status().code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(ActualVersionFromStatus(on_missing.status())->stream_exists);
  auto right = Append("s/k/1", ExpectedVersion::Exact(1), {MakeEvent("a", "")});
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(right->stream_version, 2u);
  // Nothing the rejected appends carried was written.
  EXPECT_EQ(ReadAll().size(), 3u);
}

TEST_F(AppendTest, RetryWithSameIdsAndContentReturnsOriginalPositions) {
  std::vector<EventData> events = {MakeEvent("a", "1", 1),
                                   MakeEvent("b", "2", 2)};
  auto original = Append("s/k/1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(original.ok());
  ASSERT_TRUE(
      Append("s/k/2", ExpectedVersion::Any(), {MakeEvent("c", "")}).ok());
  // The retry's expected version no longer holds; idempotency wins.
  auto retry = Append("s/k/1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, original->first_position);
  EXPECT_EQ(retry->last_position, original->last_position);
  EXPECT_EQ(retry->stream_version, original->stream_version);
  EXPECT_EQ(ReadAll().size(), 3u);
}

TEST_F(AppendTest, SameIdWithDifferentContentIsAlreadyExists) {
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "1", 1)}).ok());
  auto changed_payload =
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "2", 1)});
  EXPECT_EQ(changed_payload.status().code(), absl::StatusCode::kAlreadyExists);
  auto changed_stream =
      Append("s/k/9", ExpectedVersion::Any(), {MakeEvent("a", "1", 1)});
  EXPECT_EQ(changed_stream.status().code(), absl::StatusCode::kAlreadyExists);
  auto changed_type =
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("z", "1", 1)});
  EXPECT_EQ(changed_type.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll().size(), 1u);
}

TEST_F(AppendTest, BatchMixingNewAndSeenIdsWritesNothing) {
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "1", 1)}).ok());
  auto mixed = Append("s/k/1", ExpectedVersion::Any(),
                      {MakeEvent("b", "2", 2), MakeEvent("a", "1", 1)});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll().size(), 1u);
  EXPECT_EQ(ReadStream("s/k/1").size(), 1u);
}

TEST_F(AppendTest, RecordedAtNeverDecreasesWhenTheClockGoesBack) {
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "")}).ok());
  const int64_t first = clock_.NowMicros();
  clock_.Set(first - 5000000);
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "")}).ok());
  clock_.Set(first + 10);
  ASSERT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "")}).ok());
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].recorded_at_us(), first);
  EXPECT_EQ(all[1].recorded_at_us(), first);
  EXPECT_EQ(all[2].recorded_at_us(), first + 10);
  EXPECT_EQ(store_->GetHead().last_recorded_at_us, first + 10);
}

TEST_F(AppendTest, AsyncAppendCallsBackOnce) {
  absl::Notification done;
  absl::StatusOr<AppendResult> outcome;
  int calls = 0;
  store_->AppendAsync(testing::MakeAppend("s/k/1", ExpectedVersion::Any(),
                                          {MakeEvent("a", "1")}),
                      [&](absl::StatusOr<AppendResult> result) {
                        ++calls;
                        outcome = std::move(result);
                        done.Notify();
                      });
  done.WaitForNotification();
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->first_position, 0u);
}

// Retries queued together land in one commit group: the writer sees an id
// it has staged but not yet written (group_ids_) and holds the retry for
// the next group, which finds the id on disk and answers with the original
// positions. Nothing is written twice.
TEST_F(AppendTest, RetriesQueuedTogetherGetTheOriginalPositions) {
  constexpr int kCopies = 40;
  absl::Mutex mu;
  std::vector<absl::StatusOr<AppendResult>> results;
  for (int i = 0; i < kCopies; ++i) {
    store_->AppendAsync(
        testing::MakeAppend("s/k/1", ExpectedVersion::Any(),
                            {MakeEvent("a", "1", 7), MakeEvent("a", "2", 8)}),
        [&](absl::StatusOr<AppendResult> result) {
          absl::MutexLock lock(&mu);
          results.push_back(std::move(result));
        });
  }
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<absl::StatusOr<AppendResult>>* r) {
          return r->size() == kCopies;
        },
        &results));
  }
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->first_position, 0u);
    EXPECT_EQ(result->last_position, 1u);
  }
  EXPECT_EQ(ReadAll().size(), 2u);
  EXPECT_EQ(store_->GetHead().next_position, 2u);
}

}  // namespace
}  // namespace missionlog
