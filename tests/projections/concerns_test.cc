// The concerns view: overdue and open concerns on a date, decisions taken
// while a concern about their subject was open, and who was told (as the
// post they held).
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, OverdueOpenAndWhoWasTold) {
  RecordDecisionsAndConcerns();
  DecisionsView decisions(store_.get(), UINT64_MAX);
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
}

}  // namespace
}  // namespace missionlog
