// The domain event contracts (proto/missionlog/v1/domain/) load together
// into one descriptor pool (no clashing names), and each event type round
// trips through its wire form.
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/missions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace {

TEST(DomainTypesTest, EveryAreaLoadsIntoOnePool) {
  // Touching a descriptor loads its file into the generated pool; a name
  // clash with another file would abort here.
  const std::vector<const google::protobuf::Descriptor*> types = {
      v1::OrganisationRegistered::descriptor(),
      v1::OrganisationDemerged::descriptor(),
      v1::AppointmentMade::descriptor(),
      v1::AppointmentCharacteristicsRecorded::descriptor(),
      v1::MissionDeclared::descriptor(),
      v1::OwnerAssigned::descriptor(),
      v1::OwnershipTransferred::descriptor(),
      v1::DecisionRecorded::descriptor(),
      v1::DecisionReversed::descriptor(),
      v1::SpendIncurred::descriptor(),
      v1::SpendCommitted::descriptor(),
      v1::ConcernRaised::descriptor(),
      v1::ConcernResponded::descriptor(),
      v1::ContributionClaimed::descriptor(),
  };
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const google::protobuf::Descriptor* type : types) {
    EXPECT_EQ(pool->FindMessageTypeByName(type->full_name()), type)
        << type->full_name();
  }
}

TEST(DomainTypesTest, ADecisionRoundTrips) {
  v1::DecisionRecorded decision;
  decision.set_title("Fund 40 community diagnostic centres");
  decision.set_decision("Allocate capital to 40 centres in 2025-26");
  decision.set_forum("Departmental board");
  decision.set_level(v1::DECISION_LEVEL_DEPARTMENT);
  decision.add_decided_by()->mutable_post()->set_stream(
      "dhsc/post/secretary-of-state");
  decision.add_missions()->set_stream("dhsc/mission/nhs");
  decision.mutable_decided_on()->set_year(2025);
  decision.mutable_decided_on()->set_month(3);
  decision.mutable_decided_on()->set_day(14);
  std::string bytes;
  ASSERT_TRUE(decision.SerializeToString(&bytes));
  v1::DecisionRecorded parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.decided_by(0).post().stream(),
            "dhsc/post/secretary-of-state");
  EXPECT_EQ(parsed.level(), v1::DECISION_LEVEL_DEPARTMENT);

  v1::SpendIncurred spend;
  spend.mutable_amount()->set_minor_units(396155151);  // £3,961,551.51
  spend.mutable_amount()->set_currency("GBP");
  ASSERT_TRUE(spend.SerializeToString(&bytes));
  v1::SpendIncurred spend_parsed;
  ASSERT_TRUE(spend_parsed.ParseFromString(bytes));
  EXPECT_EQ(spend_parsed.amount().minor_units(), 396155151);
}

}  // namespace
}  // namespace missionlog
