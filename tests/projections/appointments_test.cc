// The appointments view: [start, end) boundaries, posts held on a date
// whatever order appointments were recorded in, acting and on-leave
// periods, names as on the date, and corrections seen as of earlier
// positions.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

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
         domain::EventType::kAppointmentCharacteristicsRecorded, leave);
  v1::PersonRenamed renamed;
  renamed.set_name("Baroness Doe");
  *renamed.mutable_valid_from() = Day(2022, 1, 1);
  Append("ifg/person/p", domain::EventType::kPersonRenamed, renamed);
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
      Append("ifg/appointment/a", domain::EventType::kAppointmentEnded, ended);
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

}  // namespace
}  // namespace missionlog
