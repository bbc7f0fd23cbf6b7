// The runtime under the views: incremental state equals rebuilt state byte
// for byte (and survives a reopen), waiting for an unreached position
// times out (and so does a wait before the runner has opened its state),
// ignored events advance a projection without a write, a live
// projection stays live while it follows appends, state of another layout
// version is rebuilt at start; and chunks read back as appended.
#include "absl/synchronization/notification.h"
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, IncrementalStateEqualsRebuiltState) {
  Person("truss", "Liz Truss");
  Post("pm", "Prime Minister", "PM");
  // 1,202 events: lines and timelines span two chunks (kChunkPositions),
  // appended to by many small batches here and by one in the rebuild.
  for (int i = 0; i < 400; ++i) {
    Appoint(absl::StrCat("a", i), "truss", "pm",
            Day(2000 + i % 20, 1, 1 + i % 28), Day(2000 + i % 20, 6, 1));
    v1::SpendIncurred m;
    m.mutable_amount()->set_minor_units(1000 + i);
    m.mutable_amount()->set_currency("GBP");
    m.set_supplier(absl::StrCat("Supplier ", i % 3));
    *m.mutable_paid_on() = Day(2024, 1 + i % 12, 1);
    Append(absl::StrCat("hmt/spend/", i % 5), domain::EventType::kSpendIncurred,
           m);
    v1::OwnerAssigned owner;
    owner.mutable_owner()->mutable_post()->set_stream("ifg/post/pm");
    owner.set_role(v1::OWNERSHIP_ROLE_MINISTER);
    *owner.mutable_valid_from() = Day(2024, 1, 1 + i % 28);
    Append(absl::StrCat("x/mission/", i % 4), domain::EventType::kOwnerAssigned,
           owner);
  }
  CatchUp();
  std::map<std::string, std::string> incremental;
  for (const char* name : kAll) {
    incremental[name] = Digest(name);
    projections_->Find(name)->Rebuild();
  }
  CatchUp();
  for (const char* name : kAll) {
    EXPECT_EQ(Digest(name), incremental[name]) << name;
    EXPECT_EQ(projections_->Find(name)->Status().state, "live");
  }
  // And after reopening the store, the state was kept.
  projections_.reset();
  store_.reset();
  Options options;
  options.sync = false;
  store_ = EventStore::Open(options, dir_.Sub("db")).value();
  projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
  CatchUp();
  for (const char* name : kAll) {
    EXPECT_EQ(Digest(name), incremental[name]) << name;
  }
}

TEST(ChunkReaderTest, ReadsRecordsInOrderAndReportsATruncatedChunk) {
  std::string chunk;
  chunk += '\x02';
  chunk += "ab";
  chunk += '\x00';
  chunk += std::string(1, static_cast<char>(0x81)) + '\x01';  // 129
  chunk += std::string(129, 'c');
  ChunkReader reader(chunk);
  absl::string_view record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record, "ab");
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record, "");
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record, std::string(129, 'c'));
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_TRUE(reader.ok());

  ChunkReader truncated(
      absl::string_view("\x05"
                        "abc",
                        4));
  EXPECT_FALSE(truncated.Next(&record));
  EXPECT_FALSE(truncated.ok());
  ChunkReader cut_size(
      absl::string_view("\x02"
                        "ab"
                        "\x80",
                        4));
  EXPECT_TRUE(cut_size.Next(&record));
  EXPECT_FALSE(cut_size.Next(&record));
  EXPECT_FALSE(cut_size.ok());
}

TEST_F(ProjectionsTest, WaitingForAPositionTheLogHasNotReachedTimesOut) {
  ProjectionRunner* runner = projections_->Find(kSpendingProjection);
  absl::Status status = runner->WaitFor(store_->GetHead().next_position + 1,
                                        absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
}

// A ProjectionStore whose opening of a projection waits for the test.
class HeldOpen : public ProjectionStore {
 public:
  explicit HeldOpen(ProjectionStore* store) : store_(store) {}
  absl::Notification release;

  absl::StatusOr<uint64_t> OpenProjection(absl::string_view name) override {
    release.WaitForNotification();
    return store_->OpenProjection(name);
  }
  absl::Status CommitProjection(absl::string_view name,
                                const std::vector<ProjectionChange>& changes,
                                uint64_t position) override {
    return store_->CommitProjection(name, changes, position);
  }
  absl::StatusOr<std::optional<std::string>> GetProjectionValue(
      absl::string_view name, absl::string_view key) override {
    return store_->GetProjectionValue(name, key);
  }
  absl::Status ScanProjection(
      absl::string_view name, absl::string_view from, absl::string_view prefix,
      const std::function<bool(absl::string_view, absl::string_view)>& visit)
      override {
    return store_->ScanProjection(name, from, prefix, visit);
  }
  absl::Status ResetProjection(absl::string_view name) override {
    return store_->ResetProjection(name);
  }

 private:
  ProjectionStore* const store_;
};

// Until its thread has read the stored position, a runner cannot say what
// it has applied: the open may start a replay from 0. A wait then waits,
// even for position 0 (it used to return at once, and the replay the open
// started then made queries answer UNAVAILABLE).
TEST_F(ProjectionsTest, AWaitBeforeTheRunnerHasOpenedItsStateWaitsForTheOpen) {
  projections_.reset();  // one runner per projection on a store
  Person("truss", "Liz Truss");
  HeldOpen held(store_.get());
  auto runner = std::make_unique<ProjectionRunner>(store_.get(), &held,
                                                   NewSpendingProjection());
  absl::Status early = runner->WaitFor(0, absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(early.code(), absl::StatusCode::kDeadlineExceeded) << early;
  held.release.Notify();
  const uint64_t head = store_->GetHead().next_position;
  absl::Status opened = runner->WaitFor(head, absl::Now() + absl::Seconds(60));
  EXPECT_TRUE(opened.ok()) << opened;
  EXPECT_EQ(runner->Status().state, "live");
}

// Following appends a projection ignores costs it no write per batch: its
// position moves in memory, is stored when it stops, and the state is
// unchanged across the restart.
TEST_F(ProjectionsTest, EventsAProjectionIgnoresAdvanceItWithoutAWrite) {
  Person("truss", "Liz Truss");
  CatchUp();
  const uint64_t stored =
      store_->OpenProjection(kAppointmentsProjection).value();
  ASSERT_EQ(stored, store_->GetHead().next_position);
  const std::string before = Digest(kAppointmentsProjection);
  v1::PersonRegistered ignored;  // under a type no projection folds
  for (int i = 0; i < 20; ++i) Append("other/x", "bench.event.v1", ignored);
  CatchUp();
  const uint64_t head = store_->GetHead().next_position;
  EXPECT_EQ(projections_->Find(kAppointmentsProjection)->Readable().value(),
            head);
  EXPECT_EQ(store_->OpenProjection(kAppointmentsProjection).value(), stored);
  projections_.reset();  // stops the runners
  EXPECT_EQ(store_->OpenProjection(kAppointmentsProjection).value(), head);
  EXPECT_EQ(Digest(kAppointmentsProjection), before);
  projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
  CatchUp();
  EXPECT_EQ(Digest(kAppointmentsProjection), before);
}

// Once at the head a projection reports itself live while it follows new
// appends (its lag says how far behind it is), rather than flickering back
// to catching_up after every commit.
TEST_F(ProjectionsTest, ALiveProjectionStaysLiveWhileItFollowsAppends) {
  Person("truss", "Liz Truss");
  CatchUp();
  for (int i = 0; i < 20; ++i) Person(absl::StrCat("p", i), "Someone");
  const RunnerStatus following =
      projections_->Find(kAppointmentsProjection)->Status();
  EXPECT_EQ(following.state, "live");
  EXPECT_EQ(following.head, store_->GetHead().next_position);
  EXPECT_LE(following.position, following.head);
  CatchUp();
  const RunnerStatus caught_up =
      projections_->Find(kAppointmentsProjection)->Status();
  EXPECT_EQ(caught_up.state, "live");
  EXPECT_EQ(caught_up.position, caught_up.head);
}

TEST_F(ProjectionsTest, StateOfAnotherLayoutVersionIsRebuiltAtStart) {
  Person("truss", "Liz Truss");
  Post("pm", "Prime Minister", "PM");
  Appoint("a1", "truss", "pm", Day(2022, 9, 6), Day(2022, 10, 25));
  CatchUp();
  projections_.reset();
  // As an older server would have left it: version 1, a key the current
  // layout does not have, and the position at the head.
  const uint64_t head = store_->GetHead().next_position;
  ASSERT_TRUE(store_
                  ->CommitProjection(kAppointmentsProjection,
                                     {{"~version", std::string("1")},
                                      {"zz/stale", std::string("x")}},
                                     head)
                  .ok());
  projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
  CatchUp();
  EXPECT_FALSE(store_->GetProjectionValue(kAppointmentsProjection, "zz/stale")
                   .value()
                   .has_value());
  EXPECT_EQ(store_->GetProjectionValue(kAppointmentsProjection, "~version")
                .value()
                .value_or(""),
            "2");
  EXPECT_EQ(HoldersOn(Day(2022, 10, 24)),
            std::vector<std::string>{"Prime Minister: Liz Truss"});
}

}  // namespace
}  // namespace missionlog
