// The bus: wake-ups when the committed head moves, and the ring of recent
// events, which must serve exactly what storage serves.
#include <atomic>
#include <string>
#include <utility>
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

// Runs of one type, skipped whole by filtered readers of the ring, some
// longer than the ring keeps (so the oldest run is cut by eviction): every
// read by type, from every position, gets from the ring what storage gives.
TEST_F(BusTest, TypeFilteredReadsSkipRunsAsStorageFiltersEvents) {
  options_.recent_events = 12;
  Reopen();
  const std::vector<std::pair<std::string, int>> runs = {
      {"missionlog.a.v1", 5}, {"missionlog.b.v1", 7}, {"missionlog.a.v1", 1},
      {"missionlog.c.v1", 4}, {"missionlog.b.v1", 2}, {"missionlog.a.v2", 3}};
  int n = 0;
  for (const auto& [type, count] : runs) {
    // One append for the run's first event and one for the rest: runs cross
    // commit groups.
    std::vector<EventData> rest;
    for (int i = 1; i < count; ++i) {
      rest.push_back(MakeEvent(type, "r" + std::to_string(n + i)));
    }
    ASSERT_TRUE(Append("s/" + std::to_string(n % 3), ExpectedVersion::Any(),
                       {MakeEvent(type, "r" + std::to_string(n))})
                    .ok());
    if (!rest.empty()) {
      ASSERT_TRUE(
          Append("s/" + std::to_string(n % 3), ExpectedVersion::Any(), rest)
              .ok());
    }
    n += count;
  }
  ASSERT_EQ(n, 22);
  // Reads from `from` one call at a time: each call's events and where it
  // says the next one goes on.
  auto read = [this](uint64_t from, size_t limit, const std::string& prefix,
                     const std::vector<std::string>& any) {
    std::vector<std::string> calls;
    ReadAllRequest request;
    request.from_position = from;
    request.limit = limit;
    request.type_prefix = prefix;
    request.any_type_prefixes = any;
    while (true) {
      auto result = store_->ReadAll(request);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      std::string call;
      for (const auto& event : result->events) {
        call += std::to_string(event.position()) + "=" + event.record() + ";";
      }
      call += "next " + std::to_string(result->next_position) +
              (result->end_of_log ? " end" : "");
      calls.push_back(call);
      request.from_position = result->next_position;
      if (result->end_of_log) break;
    }
    return calls;
  };
  struct Filter {
    std::string prefix;
    std::vector<std::string> any;
  };
  const std::vector<Filter> filters = {
      {"missionlog.a.", {}},
      {"missionlog.b.", {}},
      {"", {"missionlog.c.", "missionlog.a.v2"}},
      {"missionlog.", {"missionlog.b."}},
      {"missionlog.z.", {}}};
  std::vector<std::vector<std::string>> from_ring;
  for (const Filter& filter : filters) {
    for (uint64_t from = 0; from <= 22; ++from) {
      for (size_t limit : {1, 2, 100}) {
        from_ring.push_back(read(from, limit, filter.prefix, filter.any));
      }
    }
  }
  Reopen();  // an empty ring: everything from storage
  size_t i = 0;
  for (const Filter& filter : filters) {
    for (uint64_t from = 0; from <= 22; ++from) {
      for (size_t limit : {1, 2, 100}) {
        EXPECT_EQ(from_ring[i++], read(from, limit, filter.prefix, filter.any))
            << filter.prefix << " from " << from << " limit " << limit;
      }
    }
  }
  // The filters select what they should: b's 9 events from position 5,
  // none of z's.
  ReadAllRequest only_b;
  only_b.limit = 100;
  only_b.type_prefix = "missionlog.b.";
  auto b = store_->ReadAll(only_b);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->events.size(), 9u);
  EXPECT_EQ(b->events.front().position(), 5u);
  EXPECT_EQ(b->events.back().position(), 18u);
  EXPECT_EQ(read(0, 100, "missionlog.z.", {}),
            std::vector<std::string>{"next 22 end"});
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
