// The ownership view: who owned a subject on a date through assignments,
// transfers and back-dated corrections, bitemporally.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

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
  Append("dhsc/mission/nhs", domain::EventType::kOwnerAssigned, assigned);
  v1::OwnerAssigned minister;
  minister.set_subject_kind(v1::SUBJECT_KIND_MISSION);
  minister.mutable_owner()->mutable_post()->set_stream("ifg/post/sos");
  minister.set_role(v1::OWNERSHIP_ROLE_MINISTER);
  *minister.mutable_valid_from() = Day(2024, 7, 5);
  Append("dhsc/mission/nhs", domain::EventType::kOwnerAssigned, minister);
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
  const uint64_t transferred = Append(
      "dhsc/mission/nhs", domain::EventType::kOwnershipTransferred, transfer);
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

}  // namespace
}  // namespace missionlog
