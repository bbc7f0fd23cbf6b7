// The decisions view: where decisions were made (by level, with shares)
// and a reversal chained to its decision, as of before and after it.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, WhereDecisionsWereMadeAndAReversal) {
  const uint64_t reversal = RecordDecisionsAndConcerns();
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
}

}  // namespace
}  // namespace missionlog
