// The contributions view: claims to serve a mission that nothing backs.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, UnbackedClaimsAreMissionWashing) {
  RecordDecisionsAndConcerns();
  ContributionsView claims(store_.get(), UINT64_MAX);
  v1::MissionWashingRequest washing;
  washing.set_mission("dhsc/mission/nhs");
  v1::MissionWashingResponse unbacked = claims.MissionWashing(washing).value();
  EXPECT_EQ(unbacked.claims(), 2u);
  ASSERT_EQ(unbacked.unbacked_size(), 1);
  EXPECT_EQ(unbacked.unbacked(0).contribution(), "dfe/contribution/k1");
}

}  // namespace
}  // namespace missionlog
