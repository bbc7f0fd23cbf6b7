// The spending view: totals exact to the minor unit, and as of an earlier
// position.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, SpendingTotalsAreExactAndAsOfAgrees) {
  const auto spend = [&](const std::string& stream, int64_t pence,
                         v1::Date paid, const std::string& mission) {
    v1::SpendIncurred m;
    m.mutable_amount()->set_minor_units(pence);
    m.mutable_amount()->set_currency("GBP");
    m.set_supplier("Acme Ltd");
    *m.mutable_paid_on() = paid;
    if (!mission.empty()) m.add_missions()->set_stream(mission);
    return Append(stream, domain::EventType::kSpendIncurred, m);
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
  Append("hmt/budget/b1", domain::EventType::kBudgetAllocated, budget);
  v1::SpendReallocated moved;
  moved.mutable_amount()->set_minor_units(30000000);
  moved.mutable_amount()->set_currency("GBP");
  *moved.mutable_valid_from() = Day(2024, 9, 1);
  Append("hmt/budget/b1", domain::EventType::kSpendReallocated, moved);
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

// A tender that was unsuccessful or cancelled never became spending: its
// budget is shown apart, not as allocated; an organisation is its exact
// slug, not a prefix of one.
TEST_F(ProjectionsTest, TendersThatDidNotProceedAreShownApart) {
  const auto tender = [&](const std::string& ocid, int64_t pence,
                          const std::string& status) {
    v1::BudgetAllocated m;
    m.mutable_amount()->set_minor_units(pence);
    m.mutable_amount()->set_currency("GBP");
    m.set_fiscal_year("2014-15");
    *m.mutable_valid_from() = Day(2014, 12, 17);
    m.set_tender_status(status);
    return Append("bath/budget/" + ocid, domain::EventType::kBudgetAllocated,
                  m);
  };
  tender("o-1", 2000000000, "unsuccessful");
  tender("o-2", 500, "cancelled");
  tender("o-3", 700, "active");
  tender("o-4", 11, "");
  CatchUp();
  for (const uint64_t as_of :
       {uint64_t{UINT64_MAX}, store_->GetHead().next_position}) {
    SpendingView view(store_.get(), as_of);
    v1::SpendingRequest request;
    request.set_organisation("bath");
    const v1::SpendingResponse response = view.Spending(request).value();
    ASSERT_EQ(response.rows_size(), 2) << as_of;  // the month, the year
    for (const v1::SpendingRow& row : response.rows()) {
      EXPECT_EQ(row.allocated(), 711) << as_of;
      EXPECT_EQ(row.not_proceeding(), 2000000500) << as_of;
      EXPECT_EQ(row.events(), 4u) << as_of;
    }
    request.set_organisation("ba");
    EXPECT_EQ(view.Spending(request).value().rows_size(), 0) << as_of;
  }
}

}  // namespace
}  // namespace missionlog
