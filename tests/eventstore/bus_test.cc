// The bus: wake-ups when the committed head moves, and the ring of recent
// events, which must serve exactly what storage serves.
#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

class BusTest : public testing::StoreTest {
 protected:
  void AppendEvents(int count) {
    for (int i = 0; i < count; ++i) {
      std::string type = i % 3 == 0 ? "missionlog.a.v1" : "missionlog.b.v1";
      ASSERT_TRUE(Append("org" + std::to_string(i % 2) + "/k/1",
                         ExpectedVersion::Any(),
                         {MakeEvent(type, "payload " + std::to_string(i))})
                      .ok());
    }
  }

  // Reads from `from` in slices of `limit` until the end of the log.
  std::vector<std::string> ReadRecords(uint64_t from, size_t limit,
                                       const std::string& type_prefix) {
    std::vector<std::string> records;
    ReadAllRequest request;
    request.from_position = from;
    request.limit = limit;
    request.type_prefix = type_prefix;
    while (true) {
      auto result = store_->ReadAll(request);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      for (const auto& event : result->events) {
        records.push_back(std::to_string(event.position()) + ":" +
                          event.record());
      }
      request.from_position = result->next_position;
      if (result->end_of_log) break;
    }
    return records;
  }
};

TEST_F(BusTest, NotifyWhenBeyondFiresOnceOnTheNextCommit) {
  AppendEvents(2);  // head: next_position 2
  int stale_calls = 0;
  EXPECT_FALSE(store_->NotifyWhenBeyond(1, [&] { ++stale_calls; }));

  absl::Notification fired;
  std::atomic<int> calls{0};
  ASSERT_TRUE(store_->NotifyWhenBeyond(2, [&] {
    ++calls;
    fired.Notify();
  }));
  EXPECT_FALSE(fired.HasBeenNotified());
  AppendEvents(1);
  fired.WaitForNotification();
  AppendEvents(1);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(stale_calls, 0);
}

TEST_F(BusTest, WaitersStillWaitingWhenTheStoreClosesAreDropped) {
  bool called = false;
  ASSERT_TRUE(store_->NotifyWhenBeyond(100, [&] { called = true; }));
  store_.reset();
  EXPECT_FALSE(called);
  Reopen();
}

TEST_F(BusTest, RingAndStorageServeTheSameEvents) {
  options_.recent_events = 5;  // most reads cross from storage into the ring
  Reopen();
  AppendEvents(30);
  std::vector<std::string> mixed = ReadRecords(0, 3, "");
  std::vector<std::string> mixed_filtered = ReadRecords(0, 2, "missionlog.a.");
  std::vector<std::vector<std::string>> tails;
  for (uint64_t from = 0; from < 30; ++from) {
    tails.push_back(ReadRecords(from, 4, ""));
  }
  Reopen();  // an empty ring: everything from storage
  std::vector<std::string> stored = ReadRecords(0, 3, "");
  ASSERT_EQ(stored.size(), 30u);
  EXPECT_EQ(mixed, stored);
  EXPECT_EQ(mixed_filtered, ReadRecords(0, 2, "missionlog.a."));
  EXPECT_EQ(mixed_filtered.size(), 10u);
  for (uint64_t from = 0; from < 30; ++from) {
    EXPECT_EQ(tails[from],
              std::vector<std::string>(stored.begin() + from, stored.end()))
        << "from " << from;
  }
}

TEST_F(BusTest, ReadsWorkWithTheRingDisabled) {
  options_.recent_events = 0;
  Reopen();
  AppendEvents(7);
  EXPECT_EQ(ReadRecords(0, 3, "").size(), 7u);
  EXPECT_EQ(ReadRecords(5, 3, "").size(), 2u);
}

}  // namespace
}  // namespace missionlog
