// The engine as a cluster's replica (replica_store.h): replicas that apply
// the same replicated appends in the same order hold byte-identical logs,
// whatever their clocks and limits; the applied position is stored with the
// events it covers; and once an apply fails for a cause other than the
// log's content, no later one is applied past the gap.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "tests/fault_injection_fs.h"
#include "tests/test_util.h"
#include "tlog/leaf.h"

namespace missionlog {
namespace {

using testing::MakeAppend;
using testing::MakeEvent;

// One replicated append as the applier hands it to the store.
struct Entry {
  ReplicaPosition position;
  int64_t recorded_at_us;
  AppendRequest request;
};

absl::StatusOr<AppendResult> Apply(EventStore* store, Entry entry) {
  absl::Notification done;
  absl::StatusOr<AppendResult> out = absl::UnknownError("not answered");
  store->ApplyAsync(entry.position, std::move(entry.request),
                    entry.recorded_at_us,
                    [&](absl::StatusOr<AppendResult> result) {
                      out = std::move(result);
                      done.Notify();
                    });
  done.WaitForNotification();
  return out;
}

AppendRequest Signed(AppendRequest request) {
  request.recorded_by = "dept:dhsc";
  return request;
}

// Revisions with gaps (etcd's count every key written), a recorded_at that
// goes backwards, a wrong expected version, a retry, a batch.
std::vector<Entry> History() {
  std::vector<Entry> entries;
  entries.push_back({{5, 0},
                     1000,
                     Signed(MakeAppend("s/a", ExpectedVersion::NoStream(),
                                       {MakeEvent("t", "1", 1)}))});
  entries.push_back(
      {{9, 0},
       900,
       Signed(MakeAppend("s/a", ExpectedVersion::Exact(0),
                         {MakeEvent("t", "2", 2), MakeEvent("t", "3", 3)}))});
  // A second append in the same entry.
  entries.push_back({{9, 1},
                     950,
                     Signed(MakeAppend("s/c", ExpectedVersion::Any(),
                                       {MakeEvent("t", "6", 6)}))});
  // Stale: refused by the rule on every replica alike.
  entries.push_back({{12, 0},
                     2000,
                     Signed(MakeAppend("s/a", ExpectedVersion::Exact(0),
                                       {MakeEvent("t", "4", 4)}))});
  // A retry of revision 5's append: the original positions.
  entries.push_back({{13, 0},
                     2100,
                     Signed(MakeAppend("s/a", ExpectedVersion::NoStream(),
                                       {MakeEvent("t", "1", 1)}))});
  entries.push_back({{20, 0},
                     3000,
                     Signed(MakeAppend("s/b", ExpectedVersion::Any(),
                                       {MakeEvent("t", "5", 5)}))});
  // The salt the accepting node drew (a format-v2 header); the others
  // have none (v1).
  entries.back().request.events[0].payload_salt = "0123456789abcdef";
  return entries;
}

class ReplicaTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> OpenReplica(const std::string& name,
                                          testing::FakeClock* clock,
                                          size_t max_payload_bytes) {
    Options options;
    options.replica = true;
    options.sync = false;
    options.clock = clock;
    options.max_payload_bytes = max_payload_bytes;
    options.env = env_;
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        EventStore::Open(options, dir_.Sub(name));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static std::vector<RecordedEvent> ReadAll(EventStore* store) {
    ReadAllRequest request;
    request.limit = SIZE_MAX;
    absl::StatusOr<ReadAllResult> result = store->ReadAll(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? std::move(result->events)
                       : std::vector<RecordedEvent>();
  }

  testing::TempDir dir_;
  rocksdb::Env* env_ = nullptr;
};

TEST_F(ReplicaTest, ReplicasApplyingTheSameEntriesHoldIdenticalRecords) {
  testing::FakeClock early(1000), late(9000000000);
  // Different clocks and limits: neither may change what is stored.
  std::unique_ptr<EventStore> first = OpenReplica("first", &early, 1 << 20);
  std::unique_ptr<EventStore> second = OpenReplica("second", &late, 1);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);

  for (EventStore* store : {first.get(), second.get()}) {
    std::vector<absl::StatusOr<AppendResult>> results;
    for (Entry& entry : History()) {
      results.push_back(Apply(store, std::move(entry)));
    }
    ASSERT_TRUE(results[0].ok()) << results[0].status();
    ASSERT_TRUE(results[1].ok()) << results[1].status();
    EXPECT_EQ(results[1]->first_position, 1u);
    ASSERT_TRUE(results[2].ok()) << results[2].status();
    EXPECT_EQ(results[2]->first_position, 3u);
    EXPECT_EQ(results[3].status().code(), absl::StatusCode::kAborted);
    ASSERT_TRUE(results[4].ok()) << results[4].status();
    EXPECT_TRUE(results[4]->deduplicated);
    EXPECT_EQ(results[4]->first_position, 0u);
    ASSERT_TRUE(results[5].ok()) << results[5].status();
    EXPECT_EQ(results[5]->first_position, 4u);
    EXPECT_FALSE(store->ApplyingFenced());
  }

  std::vector<RecordedEvent> a = ReadAll(first.get());
  std::vector<RecordedEvent> b = ReadAll(second.get());
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].header(), b[i].header()) << "position " << i;
    EXPECT_EQ(a[i].format(), i == 4 ? kLeafFormatV2 : kLeafFormatV1);
    EXPECT_EQ(a[i].payload_salt(), b[i].payload_salt());
    EXPECT_EQ(a[i].payload(), b[i].payload()) << "position " << i;
    EXPECT_EQ(a[i].recorded_by(), "dept:dhsc");
  }
  // recorded_at comes from the entries and never decreases.
  EXPECT_EQ(a[0].recorded_at_us(), 1000);
  EXPECT_EQ(a[1].recorded_at_us(), 1000);
  EXPECT_EQ(a[2].recorded_at_us(), 1000);
  EXPECT_EQ(a[3].recorded_at_us(), 1000);
  EXPECT_EQ(a[4].recorded_at_us(), 3000);

  const Head head_a = first->GetHead();
  const Head head_b = second->GetHead();
  EXPECT_EQ(head_a.root_hash, head_b.root_hash);
  // The refused and the deduplicated entries count as applied too.
  EXPECT_EQ(head_a.applied, (ReplicaPosition{20, 0}));
  EXPECT_EQ(head_b.applied, (ReplicaPosition{20, 0}));
}

TEST_F(ReplicaTest, AppliedRevisionSurvivesAReopen) {
  testing::FakeClock clock(1000);
  std::unique_ptr<EventStore> store = OpenReplica("r", &clock, 1 << 20);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetHead().applied, ReplicaPosition());
  std::vector<Entry> entries = History();
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(Apply(store.get(), std::move(entries[i])).ok());
  }
  store.reset();
  store = OpenReplica("r", &clock, 1 << 20);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetHead().applied, (ReplicaPosition{9, 1}));
  EXPECT_EQ(store->GetHead().next_position, 4u);
}

TEST_F(ReplicaTest, AReplicaRefusesAppendsThatBypassEtcd) {
  testing::FakeClock clock(1000);
  std::unique_ptr<EventStore> store = OpenReplica("r", &clock, 1 << 20);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<AppendResult> result = store->Append(
      MakeAppend("s/a", ExpectedVersion::Any(), {MakeEvent("t", "1", 1)}));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition)
      << result.status();
  EXPECT_EQ(store->GetHead().next_position, 0u);
}

TEST_F(ReplicaTest, PreparingFixesIdsAndTimeAndChecksTheLimits) {
  testing::FakeClock clock(123456);
  std::unique_ptr<EventStore> store = OpenReplica("r", &clock, 10);
  ASSERT_NE(store, nullptr);
  AppendRequest request = Signed(
      MakeAppend("s/a", ExpectedVersion::Exact(3),
                 {MakeEvent("t", "small", 7), MakeEvent("t", "also", 0)}));
  absl::StatusOr<int64_t> recorded_at = store->PrepareReplicated(&request);
  ASSERT_TRUE(recorded_at.ok()) << recorded_at.status();
  EXPECT_EQ(*recorded_at, 123456);
  ASSERT_EQ(request.events.size(), 2u);
  EXPECT_EQ(request.events[0].id, testing::TestUuid(7));
  EXPECT_EQ(request.events[1].id.size(), 36u);  // a new one
  EXPECT_EQ(request.events[1].payload, "also");
  EXPECT_EQ(request.stream, "s/a");
  EXPECT_EQ(request.recorded_by, "dept:dhsc");
  EXPECT_EQ(request.expected_version.version(), 3u);

  AppendRequest too_big = Signed(MakeAppend(
      "s/a", ExpectedVersion::Any(), {MakeEvent("t", "more than ten", 8)}));
  EXPECT_EQ(store->PrepareReplicated(&too_big).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetHead().next_position, 0u);
}

TEST_F(ReplicaTest, AFailedApplyFencesEveryLaterOne) {
  auto fs = std::make_shared<testing::FaultInjectionFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  env_ = env.get();
  testing::FakeClock clock(1000);
  Options options;
  options.replica = true;
  options.sync = true;
  options.clock = &clock;
  options.env = env_;
  absl::StatusOr<std::unique_ptr<EventStore>> opened =
      EventStore::Open(options, dir_.Sub("r"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<EventStore> store = std::move(opened).value();

  std::vector<Entry> entries = History();
  ASSERT_TRUE(Apply(store.get(), std::move(entries[0])).ok());
  fs->FailWalSyncs(true);
  EXPECT_EQ(Apply(store.get(), std::move(entries[1])).status().code(),
            absl::StatusCode::kUnavailable);
  fs->FailWalSyncs(false);
  EXPECT_TRUE(store->ApplyingFenced());
  absl::StatusOr<AppendResult> later =
      Apply(store.get(), std::move(entries[4]));
  EXPECT_EQ(later.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(later.status().message().find("not applied"), std::string::npos)
      << later.status();
  // The committed head never covers the failed one.
  EXPECT_EQ(store->GetHead().applied, (ReplicaPosition{5, 0}));
  EXPECT_EQ(store->GetHead().next_position, 1u);

  // Reopened, the stored applied position matches the stored events,
  // whether or not the unsynced write reached the disk.
  store.reset();
  opened = EventStore::Open(options, dir_.Sub("r"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  store = std::move(opened).value();
  const Head head = store->GetHead();
  if (head.next_position == 1) {
    EXPECT_EQ(head.applied, (ReplicaPosition{5, 0}));
  } else {
    EXPECT_EQ(head.next_position, 3u);
    EXPECT_EQ(head.applied, (ReplicaPosition{9, 0}));
  }
  EXPECT_FALSE(store->ApplyingFenced());
  store.reset();
}

}  // namespace
}  // namespace missionlog
