// Faults a real disk will not produce on demand, injected below RocksDB:
// appends queued behind a slow WAL sync share the next sync (group commit),
// and a failed sync is never acknowledged and stops the store.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "tests/fault_injection_fs.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

class FaultTest : public testing::StoreTest {
 protected:
  FaultTest()
      : fs_(std::make_shared<testing::FaultInjectionFileSystem>()),
        env_(rocksdb::NewCompositeEnv(fs_)) {
    options_.sync = true;
    options_.env = env_.get();
  }
  // The store must close before the file system it writes through goes.
  ~FaultTest() override { store_.reset(); }

  // Waits (bounded) until the writer has written `events` events.
  void WaitForEventsWritten(uint64_t events) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (store_->GetStats().events_written < events) {
      ASSERT_LT(absl::Now(), deadline) << "writer never wrote " << events;
      std::this_thread::yield();
    }
  }

  std::shared_ptr<testing::FaultInjectionFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(FaultTest, AppendsQueuedBehindASyncShareTheNextSync) {
  constexpr int kQueued = 20;
  const Stats before = store_->GetStats();
  fs_->BlockWalSyncs();

  absl::Notification first_done;
  store_->AppendAsync(testing::MakeAppend("s/k/first", ExpectedVersion::Any(),
                                          {MakeEvent("a", "")}),
                      [&](absl::StatusOr<AppendResult> result) {
                        EXPECT_TRUE(result.ok()) << result.status();
                        first_done.Notify();
                      });
  fs_->WaitForBlockedSync();  // the first append's sync is in progress

  std::vector<std::unique_ptr<absl::Notification>> done;
  for (int i = 0; i < kQueued; ++i) {
    done.push_back(std::make_unique<absl::Notification>());
    absl::Notification* notification = done.back().get();
    store_->AppendAsync(
        testing::MakeAppend("s/k/" + std::to_string(i), ExpectedVersion::Any(),
                            {MakeEvent("a", "")}),
        [notification](absl::StatusOr<AppendResult> result) {
          EXPECT_TRUE(result.ok()) << result.status();
          notification->Notify();
        });
  }
  // All of them written to RocksDB, none durable, none acknowledged.
  WaitForEventsWritten(before.events_written + 1 + kQueued);
  EXPECT_FALSE(first_done.HasBeenNotified());
  EXPECT_EQ(store_->GetHead().next_position, 0u);  // readers see nothing yet

  fs_->UnblockWalSyncs();
  first_done.WaitForNotification();
  for (auto& notification : done) notification->WaitForNotification();

  const Stats after = store_->GetStats();
  EXPECT_EQ(after.appends_acknowledged - before.appends_acknowledged,
            1u + kQueued);
  // One sync for the first append, one for all the queued ones.
  EXPECT_EQ(after.wal_syncs - before.wal_syncs, 2u);
  EXPECT_EQ(store_->GetHead().next_position, 1u + kQueued);
}

TEST_F(FaultTest, FailedSyncIsNotAcknowledgedAndStopsAppends) {
  auto kept = Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "1")});
  ASSERT_TRUE(kept.ok()) << kept.status();

  fs_->FailWalSyncs(true);
  auto failed = Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", "2")});
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  // The store stops rather than acknowledging anything it cannot sync.
  fs_->FailWalSyncs(false);
  auto refused = Append("s/k/2", ExpectedVersion::Any(), {MakeEvent("a", "3")});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  // Committed history stays readable, and the head never moved past it.
  EXPECT_EQ(store_->GetHead().next_position, 1u);
  EXPECT_EQ(ReadAll().size(), 1u);

  Reopen();
  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_GE(all.size(), 1u);
  EXPECT_EQ(all[0].payload(), "1");
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].position(), i);
  auto after = Append("s/k/2", ExpectedVersion::Any(), {MakeEvent("a", "4")});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->first_position, all.size());
}

TEST_F(FaultTest, RetryOfAnAppendWhoseSyncFailsIsNotAcknowledged) {
  fs_->FailWalSyncs(true);
  fs_->BlockWalSyncs();
  absl::Notification original_done, retry_done;
  absl::Status original_status, retry_status;
  auto append = [] {
    return testing::MakeAppend("s/k/1", ExpectedVersion::Any(),
                               {MakeEvent("a", "x", 9)});
  };
  store_->AppendAsync(append(), [&](absl::StatusOr<AppendResult> result) {
    original_status = result.status();
    original_done.Notify();
  });
  fs_->WaitForBlockedSync();  // the original is written, its sync pending
  // The retry finds the original's id in RocksDB and deduplicates to it.
  store_->AppendAsync(append(), [&](absl::StatusOr<AppendResult> result) {
    retry_status = result.status();
    retry_done.Notify();
  });
  fs_->UnblockWalSyncs();
  original_done.WaitForNotification();
  retry_done.WaitForNotification();
  EXPECT_EQ(original_status.code(), absl::StatusCode::kUnavailable)
      << original_status;
  EXPECT_EQ(retry_status.code(), absl::StatusCode::kUnavailable)
      << retry_status;
  EXPECT_EQ(store_->GetHead().next_position, 0u);
}

TEST_F(FaultTest, InflightLimitRefusesWithResourceExhausted) {
  options_.max_inflight_bytes = 64 << 10;
  Reopen();
  fs_->BlockWalSyncs();
  const std::string payload(10 << 10, 'p');
  struct Outcome {
    absl::Notification done;
    absl::Status status;
  };
  std::vector<std::unique_ptr<Outcome>> accepted;
  absl::Status refused;
  // Nothing accepted can complete while syncs are blocked, so in-flight
  // bytes only grow until the limit refuses an append, answered at once.
  for (int i = 0; i < 100 && refused.ok(); ++i) {
    auto outcome = std::make_unique<Outcome>();
    Outcome* slot = outcome.get();
    store_->AppendAsync(testing::MakeAppend("s/k/1", ExpectedVersion::Any(),
                                            {MakeEvent("a", payload)}),
                        [slot](absl::StatusOr<AppendResult> result) {
                          slot->status = result.status();
                          slot->done.Notify();
                        });
    if (slot->done.HasBeenNotified()) {
      refused = slot->status;
    } else {
      accepted.push_back(std::move(outcome));
    }
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  EXPECT_GE(accepted.size(), 5u);
  EXPECT_LE(accepted.size(), 7u);

  fs_->UnblockWalSyncs();
  for (auto& outcome : accepted) {
    outcome->done.WaitForNotification();
    EXPECT_TRUE(outcome->status.ok()) << outcome->status;
  }
  EXPECT_EQ(store_->GetHead().next_position, accepted.size());
  // Once they are answered there is room again.
  EXPECT_TRUE(
      Append("s/k/1", ExpectedVersion::Any(), {MakeEvent("a", payload)}).ok());
}

}  // namespace
}  // namespace missionlog
