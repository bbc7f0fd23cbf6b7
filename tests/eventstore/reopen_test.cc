// Reopening recovers everything from disk: the next position, stream heads,
// the id index and the recorded_at floor.
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

class ReopenTest : public testing::StoreTest {};

TEST_F(ReopenTest, EmptyStoreReopensEmpty) {
  Reopen();
  EXPECT_EQ(store_->GetHead().next_position, 0u);
  EXPECT_TRUE(ReadAll().empty());
}

TEST_F(ReopenTest, PositionsContinueAfterReopen) {
  ASSERT_TRUE(Append("a/b/c", ExpectedVersion::Any(),
                     {MakeEvent("t", "1"), MakeEvent("t", "2")})
                  .ok());
  Reopen();
  EXPECT_EQ(store_->GetHead().next_position, 2u);
  auto next = Append("x/y/z", ExpectedVersion::Any(), {MakeEvent("t", "3")});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first_position, 2u);
  EXPECT_EQ(ReadAll().size(), 3u);
}

TEST_F(ReopenTest, StreamHeadsSurviveReopen) {
  ASSERT_TRUE(Append("a/b/c", ExpectedVersion::NoStream(),
                     {MakeEvent("t", "1"), MakeEvent("t", "2")})
                  .ok());
  Reopen();
  EXPECT_EQ(Append("a/b/c", ExpectedVersion::NoStream(), {MakeEvent("t", "")})
                .status()
                .code(),
            absl::StatusCode::kAborted);
  auto exact = Append("a/b/c", ExpectedVersion::Exact(1), {MakeEvent("t", "")});
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->stream_version, 2u);
}

TEST_F(ReopenTest, IdIndexSurvivesReopen) {
  auto original =
      Append("a/b/c", ExpectedVersion::Any(), {MakeEvent("t", "1", 42)});
  ASSERT_TRUE(original.ok());
  Reopen();
  auto retry =
      Append("a/b/c", ExpectedVersion::Any(), {MakeEvent("t", "1", 42)});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, original->first_position);
  auto changed =
      Append("a/b/c", ExpectedVersion::Any(), {MakeEvent("t", "2", 42)});
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadAll().size(), 1u);
}

TEST_F(ReopenTest, RecordedAtNeverDecreasesAcrossReopen) {
  ASSERT_TRUE(
      Append("a/b/c", ExpectedVersion::Any(), {MakeEvent("t", "")}).ok());
  const int64_t first = clock_.NowMicros();
  clock_.Set(first - 1000000);
  Reopen();
  EXPECT_EQ(store_->GetHead().last_recorded_at_us, first);
  ASSERT_TRUE(
      Append("a/b/c", ExpectedVersion::Any(), {MakeEvent("t", "")}).ok());
  EXPECT_EQ(ReadAll().back().recorded_at_us(), first);
}

TEST_F(ReopenTest, LargeLogSurvivesFlushAndReopen) {
  // Enough events that RocksDB writes SST files rather than only the WAL.
  for (int i = 0; i < 50; ++i) {
    std::vector<EventData> batch;
    for (int e = 0; e < 200; ++e) {
      batch.push_back(MakeEvent("t", std::string(200, 'a' + e % 26)));
    }
    ASSERT_TRUE(Append("bulk/s/" + std::to_string(i % 5),
                       ExpectedVersion::Any(), std::move(batch))
                    .ok());
  }
  Reopen();
  Reopen();
  EXPECT_EQ(store_->GetHead().next_position, 10000u);
  EXPECT_EQ(ReadStream("bulk/s/3").size(), 2000u);
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), 10000u);
  EXPECT_EQ(all.back().position(), 9999u);
}

}  // namespace
}  // namespace missionlog
