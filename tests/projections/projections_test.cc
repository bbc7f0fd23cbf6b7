// Each view on small hand-built logs: [start, end) boundaries, acting and
// on-leave periods, out-of-order valid times, corrections seen as of an
// earlier position, transfers, exact spending; incremental state equals
// rebuilt state. A real engine on disk, the real runners.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/appointments.h"
#include "projections/concerns.h"
#include "projections/contributions.h"
#include "projections/decisions.h"
#include "projections/ownership.h"
#include "projections/projection_set.h"
#include "projections/spending.h"
#include "projections/timeline.h"
#include "tests/test_util.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

const char* const kAll[] = {kAppointmentsProjection, kOwnershipProjection,
                            kSpendingProjection,     kDecisionsProjection,
                            kConcernsProjection,     kContributionsProjection,
                            kTimelineProjection};

v1::Date Day(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.sync = false;
    store_ = EventStore::Open(options, dir_.Sub("db")).value();
    projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
  }

  // Appends one event; returns its position.
  uint64_t Append(const std::string& stream, const std::string& type,
                  const google::protobuf::Message& message) {
    AppendRequest append = testing::MakeAppend(
        stream, ExpectedVersion::Any(),
        {testing::MakeEvent(type, message.SerializeAsString())});
    return store_->Append(std::move(append)).value().first_position;
  }

  // Waits until every projection has applied the whole log.
  void CatchUp() {
    const uint64_t head = store_->GetHead().next_position;
    for (const char* name :
         {kAppointmentsProjection, kOwnershipProjection, kSpendingProjection,
          kDecisionsProjection, kConcernsProjection, kContributionsProjection,
          kTimelineProjection}) {
      ASSERT_TRUE(projections_->Find(name)
                      ->WaitFor(head, absl::Now() + absl::Seconds(30))
                      .ok());
    }
  }

  void Person(const std::string& id, const std::string& name) {
    v1::PersonRegistered person;
    person.set_name(name);
    Append("ifg/person/" + id, "missionlog.person.registered.v1", person);
  }
  void Post(const std::string& id, const std::string& name,
            const std::string& rank) {
    v1::PostCreated post;
    post.mutable_organisation()->set_stream("ifg/organisation/hmt");
    post.set_name(name);
    post.set_rank(rank);
    post.set_rank_value(rank == "PM" ? 1 : 3);
    Append("ifg/post/" + id, "missionlog.post.created.v1", post);
  }
  uint64_t Appoint(const std::string& id, const std::string& person,
                   const std::string& post, v1::Date start,
                   std::optional<v1::Date> end) {
    v1::AppointmentMade made;
    made.mutable_person()->set_stream("ifg/person/" + person);
    made.mutable_post()->set_stream("ifg/post/" + post);
    *made.mutable_start() = start;
    if (end) *made.mutable_end() = *end;
    return Append("ifg/appointment/" + id, "missionlog.appointment.made.v1",
                  made);
  }

  std::vector<std::string> HoldersOn(const v1::Date& on,
                                     uint64_t as_of = UINT64_MAX) {
    AppointmentsView view(store_.get(), as_of);
    v1::GovernmentOnRequest request;
    *request.mutable_on() = on;
    v1::GovernmentOnResponse response = view.GovernmentOn(request).value();
    std::vector<std::string> holders;
    for (const v1::PostOn& post : response.posts()) {
      for (const v1::PostHolding& h : post.holders()) {
        holders.push_back(absl::StrCat(post.post_name(), ": ", h.person_name(),
                                       h.acting() ? " (acting)" : "",
                                       h.on_leave() ? " (on leave)" : ""));
      }
    }
    return holders;
  }

  // SHA-256 over every key and value of a projection's family.
  std::string Digest(const std::string& name) {
    std::string all;
    EXPECT_TRUE(
        store_
            ->ScanProjection(name, "", "",
                             [&](absl::string_view k, absl::string_view v) {
                               absl::StrAppend(&all, k.size(), ":", k, v.size(),
                                               ":", v);
                               return true;
                             })
            .ok());
    Digest256 digest = Sha256(all);
    return std::string(DigestView(digest));
  }
  using Digest256 = decltype(Sha256(""));

  testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ProjectionSet> projections_;
};

TEST_F(ProjectionsTest, OnTheDayAnAppointmentEndsTheOtherHolderHoldsThePost) {
  Person("truss", "Liz Truss");
  Person("sunak", "Rishi Sunak");
  Post("pm", "Prime Minister", "PM");
  // Recorded out of valid-time order: the later appointment first.
  Appoint("a2", "sunak", "pm", Day(2022, 10, 25), Day(2024, 7, 5));
  Appoint("a1", "truss", "pm", Day(2022, 9, 6), Day(2022, 10, 25));
  CatchUp();
  EXPECT_EQ(HoldersOn(Day(2022, 10, 24)),
            std::vector<std::string>{"Prime Minister: Liz Truss"});
  EXPECT_EQ(HoldersOn(Day(2022, 10, 25)),
            std::vector<std::string>{"Prime Minister: Rishi Sunak"});
  EXPECT_EQ(HoldersOn(Day(2024, 7, 5)), std::vector<std::string>{});
  EXPECT_EQ(HoldersOn(Day(2022, 9, 5)), std::vector<std::string>{});

  AppointmentsView view(store_.get(), UINT64_MAX);
  v1::PostHoldersRequest request;
  request.set_post("ifg/post/pm");
  v1::PostHoldersResponse holders = view.PostHolders(request).value();
  ASSERT_EQ(holders.holdings_size(), 2);
  EXPECT_EQ(holders.holdings(0).person_name(), "Liz Truss");  // by start
  EXPECT_EQ(holders.holdings(1).person_name(), "Rishi Sunak");
  *request.mutable_from() = Day(2023, 1, 1);
  EXPECT_EQ(view.PostHolders(request).value().holdings_size(), 1);
}

TEST_F(ProjectionsTest, ActingAndOnLeavePeriodsAndNamesOnTheDate) {
  Person("p", "Jane Doe");
  Post("sos", "Secretary of State", "SoS");
  Appoint("a", "p", "sos", Day(2020, 1, 1), std::nullopt);
  v1::AppointmentCharacteristicsRecorded leave;
  leave.set_on_leave(true);
  leave.set_leave_reason("Maternity leave");
  *leave.mutable_start() = Day(2021, 3, 1);
  *leave.mutable_end() = Day(2021, 9, 1);
  Append("ifg/appointment/a",
         "missionlog.appointment.characteristics_recorded.v1", leave);
  v1::PersonRenamed renamed;
  renamed.set_name("Baroness Doe");
  *renamed.mutable_valid_from() = Day(2022, 1, 1);
  Append("ifg/person/p", "missionlog.person.renamed.v1", renamed);
  CatchUp();
  EXPECT_EQ(HoldersOn(Day(2021, 2, 28)),
            std::vector<std::string>{"Secretary of State: Jane Doe"});
  EXPECT_EQ(
      HoldersOn(Day(2021, 3, 1)),
      std::vector<std::string>{"Secretary of State: Jane Doe (on leave)"});
  EXPECT_EQ(HoldersOn(Day(2021, 9, 1)),
            std::vector<std::string>{"Secretary of State: Jane Doe"});
  EXPECT_EQ(HoldersOn(Day(2022, 1, 1)),
            std::vector<std::string>{"Secretary of State: Baroness Doe"});
}

TEST_F(ProjectionsTest,
       ALaterCorrectionShowsAsACorrectionNotAsRewrittenHistory) {
  Person("p", "Jane Doe");
  Post("sos", "Secretary of State", "SoS");
  Appoint("a", "p", "sos", Day(2020, 1, 1), std::nullopt);
  const uint64_t before_correction = store_->GetHead().next_position;
  // Recorded later: the appointment in fact ended in 2021.
  v1::AppointmentEnded ended;
  *ended.mutable_end() = Day(2021, 6, 1);
  const uint64_t correction =
      Append("ifg/appointment/a", "missionlog.appointment.ended.v1", ended);
  CatchUp();
  EXPECT_EQ(HoldersOn(Day(2021, 7, 1)), std::vector<std::string>{});
  EXPECT_EQ(HoldersOn(Day(2021, 7, 1), before_correction),
            std::vector<std::string>{"Secretary of State: Jane Doe"});
  // The answer names the correction among its sources.
  AppointmentsView view(store_.get(), UINT64_MAX);
  v1::PostHoldersRequest request;
  request.set_post("ifg/post/sos");
  v1::PostHoldersResponse holders = view.PostHolders(request).value();
  ASSERT_EQ(holders.holdings_size(), 1);
  EXPECT_EQ(holders.holdings(0).end().year(), 2021);
  (void)correction;
}

TEST_F(ProjectionsTest, OwnershipThroughTransfersAndBackDatedCorrections) {
  Person("p", "Jane Doe");
  Post("sos", "Secretary of State", "SoS");
  Appoint("a", "p", "sos", Day(2024, 7, 5), std::nullopt);
  v1::OwnerAssigned assigned;
  assigned.set_subject_kind(v1::SUBJECT_KIND_MISSION);
  assigned.mutable_owner()->mutable_organisation()->set_stream(
      "dhsc/organisation/dhsc");
  assigned.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
  *assigned.mutable_valid_from() = Day(2024, 7, 5);
  Append("dhsc/mission/nhs", "missionlog.accountability.owner_assigned.v1",
         assigned);
  v1::OwnerAssigned minister;
  minister.set_subject_kind(v1::SUBJECT_KIND_MISSION);
  minister.mutable_owner()->mutable_post()->set_stream("ifg/post/sos");
  minister.set_role(v1::OWNERSHIP_ROLE_MINISTER);
  *minister.mutable_valid_from() = Day(2024, 7, 5);
  Append("dhsc/mission/nhs", "missionlog.accountability.owner_assigned.v1",
         minister);
  const uint64_t before_transfer = store_->GetHead().next_position;
  // Recorded now, effective earlier: the transfer really happened 2025-04-01.
  v1::OwnershipTransferred transfer;
  transfer.mutable_from()->mutable_organisation()->set_stream(
      "dhsc/organisation/dhsc");
  transfer.mutable_to()->mutable_organisation()->set_stream(
      "nhse/organisation/nhse");
  transfer.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
  transfer.set_reason("NHS England absorbed");
  *transfer.mutable_valid_from() = Day(2025, 4, 1);
  const uint64_t transferred =
      Append("dhsc/mission/nhs",
             "missionlog.accountability.ownership_transferred.v1", transfer);
  CatchUp();

  const auto owners = [&](const v1::Date& on, uint64_t as_of) {
    AppointmentsView appointments(store_.get(), as_of);
    OwnershipView view(store_.get(), &appointments, as_of);
    v1::WhoOwnedRequest request;
    request.set_subject("dhsc/mission/nhs");
    *request.mutable_on() = on;
    return view.WhoOwned(request).value();
  };
  v1::WhoOwnedResponse may = owners(Day(2025, 5, 1), UINT64_MAX);
  ASSERT_EQ(may.owners_size(), 2);
  std::map<int, const v1::OwnerOn*> by_role;
  for (const v1::OwnerOn& o : may.owners()) by_role[o.role()] = &o;
  EXPECT_EQ(by_role[v1::OWNERSHIP_ROLE_LEAD_ORGANISATION]
                ->owner()
                .organisation()
                .stream(),
            "nhse/organisation/nhse");
  EXPECT_EQ(by_role[v1::OWNERSHIP_ROLE_LEAD_ORGANISATION]->positions(0),
            transferred);
  // The minister's post resolves to who held it that day.
  const v1::OwnerOn* sos = by_role[v1::OWNERSHIP_ROLE_MINISTER];
  EXPECT_EQ(sos->owner_name(), "Secretary of State");
  ASSERT_EQ(sos->holders_size(), 1);
  EXPECT_EQ(sos->holders(0).person_name(), "Jane Doe");
  // The day before the transfer took effect: still dhsc.
  v1::WhoOwnedResponse march = owners(Day(2025, 3, 31), UINT64_MAX);
  bool dhsc = false;
  for (const v1::OwnerOn& o : march.owners()) {
    dhsc |= o.owner().organisation().stream() == "dhsc/organisation/dhsc";
  }
  EXPECT_TRUE(dhsc);
  // As the record stood before the transfer was recorded: dhsc in May too.
  v1::WhoOwnedResponse then = owners(Day(2025, 5, 1), before_transfer);
  bool still_dhsc = false;
  for (const v1::OwnerOn& o : then.owners()) {
    still_dhsc |= o.owner().organisation().stream() == "dhsc/organisation/dhsc";
  }
  EXPECT_TRUE(still_dhsc);

  AppointmentsView appointments(store_.get(), UINT64_MAX);
  OwnershipView view(store_.get(), &appointments, UINT64_MAX);
  v1::OwnershipHistoryRequest request;
  request.set_subject("dhsc/mission/nhs");
  v1::OwnershipHistoryResponse history = view.History(request).value();
  ASSERT_EQ(history.intervals_size(), 3);
  EXPECT_EQ(history.intervals(0).ended_by(), "transferred");
  EXPECT_EQ(history.intervals(0).to().year(), 2025);
  EXPECT_EQ(history.intervals(2).via(), "transferred");
  EXPECT_FALSE(history.intervals(2).has_to());
}

TEST_F(ProjectionsTest, SpendingTotalsAreExactAndAsOfAgrees) {
  const auto spend = [&](const std::string& stream, int64_t pence,
                         v1::Date paid, const std::string& mission) {
    v1::SpendIncurred m;
    m.mutable_amount()->set_minor_units(pence);
    m.mutable_amount()->set_currency("GBP");
    m.set_supplier("Acme Ltd");
    *m.mutable_paid_on() = paid;
    if (!mission.empty()) m.add_missions()->set_stream(mission);
    return Append(stream, "missionlog.spending.spend_incurred.v1", m);
  };
  spend("hmt/spend/2024-03", 396155151, Day(2024, 3, 31), "dhsc/mission/nhs");
  spend("hmt/spend/2024-04", 1, Day(2024, 4, 1), "dhsc/mission/nhs");
  const uint64_t refund_at =
      spend("hmt/spend/2024-04", -123450, Day(2024, 4, 2), "dhsc/mission/nhs");
  spend("hmt/spend/2024-04", 2500000, Day(2024, 4, 3), "");
  v1::BudgetAllocated budget;
  budget.mutable_amount()->set_minor_units(100000000);
  budget.mutable_amount()->set_currency("GBP");
  budget.add_missions()->set_stream("dhsc/mission/nhs");
  budget.set_fiscal_year("2024-25");
  *budget.mutable_valid_from() = Day(2024, 4, 1);
  Append("hmt/budget/b1", "missionlog.spending.budget_allocated.v1", budget);
  v1::SpendReallocated moved;
  moved.mutable_amount()->set_minor_units(30000000);
  moved.mutable_amount()->set_currency("GBP");
  *moved.mutable_valid_from() = Day(2024, 9, 1);
  Append("hmt/budget/b1", "missionlog.spending.reallocated.v1", moved);
  CatchUp();

  const auto rows = [&](v1::SpendingRequest request, uint64_t as_of) {
    SpendingView view(store_.get(), as_of);
    std::map<std::string, std::vector<int64_t>> out;
    const v1::SpendingResponse response = view.Spending(request).value();
    for (const v1::SpendingRow& row : response.rows()) {
      out[row.fiscal_year() + "/" +
          (row.month().empty() ? "total" : row.month())] = {
          row.allocated(), row.committed(), row.incurred(),
          static_cast<int64_t>(row.events())};
    }
    return out;
  };
  v1::SpendingRequest by_mission;
  by_mission.set_mission("dhsc/mission/nhs");
  std::map<std::string, std::vector<int64_t>> nhs =
      rows(by_mission, UINT64_MAX);
  EXPECT_EQ(nhs["2023-24/2024-03"], (std::vector<int64_t>{0, 0, 396155151, 1}));
  EXPECT_EQ(nhs["2024-25/2024-04"],
            (std::vector<int64_t>{100000000, 0, 1 - 123450, 3}));
  EXPECT_EQ(nhs["2024-25/total"],
            (std::vector<int64_t>{100000000, 0, 1 - 123450, 3}));
  // The same question through the lines (as of the whole log) agrees.
  EXPECT_EQ(rows(by_mission, store_->GetHead().next_position), nhs);
  // As of before the refund was recorded.
  EXPECT_EQ(rows(by_mission, refund_at)["2024-25/2024-04"],
            (std::vector<int64_t>{0, 0, 1, 1}));
  v1::SpendingRequest by_org;
  by_org.set_organisation("hmt");
  by_org.set_fiscal_year("2024-25");
  std::map<std::string, std::vector<int64_t>> hmt = rows(by_org, UINT64_MAX);
  EXPECT_EQ(hmt["2024-25/2024-04"],
            (std::vector<int64_t>{100000000, 0, 1 - 123450 + 2500000, 4}));
  EXPECT_EQ(hmt["2024-25/2024-09"], (std::vector<int64_t>{-30000000, 0, 0, 1}));
  EXPECT_EQ(hmt.count("2023-24/2024-03"), 0u);
  // Two dimensions: by the lines.
  v1::SpendingRequest both = by_mission;
  both.set_supplier("Acme Ltd");
  EXPECT_EQ(rows(both, UINT64_MAX)["2024-25/2024-04"],
            (std::vector<int64_t>{0, 0, 1 - 123450, 2}));
  v1::SpendingRequest none;
  SpendingView view(store_.get(), UINT64_MAX);
  EXPECT_EQ(view.Spending(none).status().code(),
            absl::StatusCode::kInvalidArgument);
}

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
    Append(absl::StrCat("hmt/spend/", i % 5),
           "missionlog.spending.spend_incurred.v1", m);
    v1::OwnerAssigned owner;
    owner.mutable_owner()->mutable_post()->set_stream("ifg/post/pm");
    owner.set_role(v1::OWNERSHIP_ROLE_MINISTER);
    *owner.mutable_valid_from() = Day(2024, 1, 1 + i % 28);
    Append(absl::StrCat("x/mission/", i % 4),
           "missionlog.accountability.owner_assigned.v1", owner);
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

TEST_F(ProjectionsTest, DecisionsConcernsClaimsAndTimelines) {
  Person("p", "Jane Doe");
  Post("sos", "Secretary of State", "SoS");
  Appoint("a", "p", "sos", Day(2024, 7, 5), std::nullopt);
  const auto decide = [&](const std::string& id, const std::string& forum,
                          v1::DecisionLevel level, v1::Date on,
                          const std::string& about) {
    v1::DecisionRecorded d;
    d.set_title("Decision " + id);
    d.set_decision("Do " + id);
    d.set_forum(forum);
    d.set_level(level);
    d.add_decided_by()->mutable_post()->set_stream("ifg/post/sos");
    d.add_missions()->set_stream("dhsc/mission/nhs");
    *d.mutable_decided_on() = on;
    if (!about.empty()) d.mutable_about()->set_stream(about);
    return Append("dhsc/decision/" + id, "missionlog.decision.recorded.v1", d);
  };
  decide("d1", "Board", v1::DECISION_LEVEL_DEPARTMENT, Day(2025, 1, 6), "");
  decide("d2", "Cabinet", v1::DECISION_LEVEL_CENTRE, Day(2025, 2, 1), "");
  v1::ConcernRaised raised;
  raised.mutable_about()->set_stream("dhsc/decision/d1");
  raised.set_summary("Staffing");
  raised.mutable_raised_by()->mutable_organisation()->set_stream(
      "nhse/organisation/nhse");
  raised.add_raised_to()->mutable_post()->set_stream("ifg/post/sos");
  raised.set_severity(v1::SEVERITY_HIGH);
  *raised.mutable_raised_on() = Day(2025, 2, 3);
  *raised.mutable_respond_by() = Day(2025, 3, 3);
  Append("dhsc/concern/c1", "missionlog.concern.raised.v1", raised);
  // Decided while the concern about d1 was open, and about d1.
  decide("d3", "Board", v1::DECISION_LEVEL_DEPARTMENT, Day(2025, 2, 20),
         "dhsc/decision/d1");
  v1::DecisionReversed reversed;
  reversed.set_reason("Unaffordable");
  *reversed.mutable_valid_from() = Day(2025, 4, 1);
  const uint64_t reversal =
      Append("dhsc/decision/d2", "missionlog.decision.reversed.v1", reversed);
  v1::ConcernClosed closed;
  closed.mutable_by()->mutable_organisation()->set_stream(
      "dhsc/organisation/dhsc");
  closed.set_resolution("Rota revised");
  *closed.mutable_on() = Day(2025, 5, 1);
  Append("dhsc/concern/c1", "missionlog.concern.closed.v1", closed);
  v1::ContributionClaimed bare;
  bare.mutable_mission()->set_stream("dhsc/mission/nhs");
  bare.mutable_by()->set_stream("dfe/organisation/dfe");
  bare.set_claim("Nurses trained");
  Append("dfe/contribution/k1", "missionlog.contribution.claimed.v1", bare);
  v1::ContributionClaimed backed = bare;
  backed.add_decisions()->set_stream("dhsc/decision/d1");
  Append("dfe/contribution/k2", "missionlog.contribution.claimed.v1", backed);
  CatchUp();

  DecisionsView decisions(store_.get(), UINT64_MAX);
  v1::DecisionLocusRequest locus;
  locus.set_mission("dhsc/mission/nhs");
  v1::DecisionLocusResponse where = decisions.Locus(locus).value();
  EXPECT_EQ(where.decisions(), 3u);
  ASSERT_EQ(where.by_level_size(), 2);
  EXPECT_EQ(where.by_level(0).key(), "DECISION_LEVEL_DEPARTMENT");
  EXPECT_EQ(where.by_level(0).decisions(), 2u);
  EXPECT_NEAR(where.by_level(0).share(), 2.0 / 3, 1e-9);
  v1::DecisionsRequest centre;
  centre.set_level(v1::DECISION_LEVEL_CENTRE);
  v1::DecisionsResponse reversed_rows = decisions.Decisions(centre).value();
  ASSERT_EQ(reversed_rows.decisions_size(), 1);
  EXPECT_EQ(reversed_rows.decisions(0).status(), "reversed");
  ASSERT_EQ(reversed_rows.decisions(0).changes_size(), 1);
  EXPECT_EQ(reversed_rows.decisions(0).changes(0).position(), reversal);
  DecisionsView before_reversal(store_.get(), reversal);
  EXPECT_EQ(before_reversal.Decisions(centre).value().decisions(0).status(),
            "standing");

  ConcernsView concerns(store_.get(), UINT64_MAX);
  v1::ConcernsRequest overdue;
  *overdue.mutable_overdue_on() = Day(2025, 3, 10);
  EXPECT_EQ(concerns.Concerns(overdue).value().concerns_size(), 1);
  *overdue.mutable_overdue_on() = Day(2025, 3, 3);  // due that day: not yet
  EXPECT_EQ(concerns.Concerns(overdue).value().concerns_size(), 0);
  *overdue.mutable_overdue_on() = Day(2025, 5, 1);  // closed that day
  EXPECT_EQ(concerns.Concerns(overdue).value().concerns_size(), 0);
  v1::ConcernsRequest open;
  open.set_status("open");
  EXPECT_EQ(concerns.Concerns(open).value().concerns_size(), 0);
  v1::DecisionsOverOpenConcernsRequest over;
  over.set_subject("dhsc/decision/d1");
  v1::DecisionsOverOpenConcernsResponse flagged =
      concerns.OverOpenConcerns(over, &decisions).value();
  ASSERT_EQ(flagged.decisions_size(), 1);
  EXPECT_EQ(flagged.decisions(0).decision().decision(), "dhsc/decision/d3");
  AppointmentsView appointments(store_.get(), UINT64_MAX);
  v1::WhoWasToldRequest told;
  told.set_person("ifg/person/p");
  v1::WhoWasToldResponse jane =
      concerns.WhoWasTold(told, &appointments).value();
  ASSERT_EQ(jane.told_size(), 1);
  EXPECT_EQ(jane.told(0).how(), "as Secretary of State");
  *told.mutable_before() = Day(2025, 2, 3);  // raised that day: not before
  EXPECT_EQ(concerns.WhoWasTold(told, &appointments).value().told_size(), 0);

  ContributionsView claims(store_.get(), UINT64_MAX);
  v1::MissionWashingRequest washing;
  washing.set_mission("dhsc/mission/nhs");
  v1::MissionWashingResponse unbacked = claims.MissionWashing(washing).value();
  EXPECT_EQ(unbacked.claims(), 2u);
  ASSERT_EQ(unbacked.unbacked_size(), 1);
  EXPECT_EQ(unbacked.unbacked(0).contribution(), "dfe/contribution/k1");

  TimelineView timeline(store_.get(), UINT64_MAX);
  v1::TimelineRequest about_d1;
  about_d1.set_subject("dhsc/decision/d1");
  v1::TimelineResponse entries = timeline.Timeline(about_d1).value();
  std::vector<std::string> seen;
  for (const v1::TimelineEntry& e : entries.entries()) {
    seen.push_back(e.stream() + " " + e.via());
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{
                "dhsc/decision/d1 ", "dhsc/concern/c1 about",
                "dhsc/decision/d3 about", "dfe/contribution/k2 decisions[0]"}));
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
