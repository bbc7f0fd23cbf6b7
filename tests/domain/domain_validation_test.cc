// The domain rules one by one: each accepted case and each rejected case
// names the field and the rule; departments' own types stay opaque.
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "domain/validation.h"
#include "domain/values.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace domain {
namespace {

class DomainValidationTest : public ::testing::Test {
 protected:
  absl::Status Validate(const std::string& stream, const std::string& type,
                        const google::protobuf::Message& message) {
    return ValidateEvent(stream, type, message.SerializeAsString(),
                         [this](absl::string_view s) {
                           return existing_.count(std::string(s)) > 0;
                         });
  }

  static void SetDate(v1::Date* date, int y, int m, int d) {
    date->set_year(y);
    date->set_month(m);
    date->set_day(d);
  }

  v1::DecisionRecorded GoodDecision() {
    v1::DecisionRecorded decision;
    decision.set_title("Fund 40 community diagnostic centres");
    decision.set_decision("Allocate capital in 2025-26");
    decision.set_forum("Departmental board");
    decision.set_level(v1::DECISION_LEVEL_DEPARTMENT);
    decision.add_decided_by()->mutable_post()->set_stream("dhsc/post/sos");
    decision.add_missions()->set_stream("dhsc/mission/nhs");
    SetDate(decision.mutable_decided_on(), 2025, 3, 14);
    return decision;
  }

  std::set<std::string> existing_ = {
      "dhsc/post/sos", "dhsc/mission/nhs",    "dhsc/organisation/dhsc",
      "ifg/person/p1", "ifg/post/chancellor", "dhsc/decision/2025-014"};
};

constexpr char kDecision[] = "missionlog.decision.recorded.v1";

TEST_F(DomainValidationTest, AGoodDecisionIsAccepted) {
  EXPECT_TRUE(
      Validate("dhsc/decision/2025-015", kDecision, GoodDecision()).ok());
}

TEST_F(DomainValidationTest, RejectionsNameTheFieldAndTheRule) {
  struct Case {
    std::string what;
    std::function<void(v1::DecisionRecorded*)> change;
    absl::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no title", [](auto* d) { d->clear_title(); },
       absl::StatusCode::kInvalidArgument, "DecisionRecorded.title: required"},
      {"no date", [](auto* d) { d->clear_decided_on(); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.decided_on: required"},
      {"31 February",
       [](auto* d) { SetDate(d->mutable_decided_on(), 2025, 2, 31); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.decided_on: 2025-02-31 is not a real date"},
      {"no level", [](auto* d) { d->clear_level(); },
       absl::StatusCode::kInvalidArgument, "DecisionRecorded.level: required"},
      {"unknown level",
       [](auto* d) { d->set_level(static_cast<v1::DecisionLevel>(99)); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.level: unknown value 99"},
      {"nobody decided", [](auto* d) { d->clear_decided_by(); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.decided_by: at least one required"},
      {"a missing mission",
       [](auto* d) { d->mutable_missions(0)->set_stream("dhsc/mission/gone"); },
       absl::StatusCode::kFailedPrecondition,
       "DecisionRecorded.missions[0]: stream dhsc/mission/gone does not "
       "exist"},
      {"a mission that is not one",
       [](auto* d) { d->mutable_missions(0)->set_stream("dhsc/post/sos"); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.missions[0]: dhsc/post/sos is not a mission stream"},
      {"a malformed reference",
       [](auto* d) { d->mutable_missions(0)->set_stream("NHS mission"); },
       absl::StatusCode::kInvalidArgument,
       "DecisionRecorded.missions[0]: \"NHS mission\" is not a stream name"},
  };
  for (const Case& c : cases) {
    v1::DecisionRecorded decision = GoodDecision();
    c.change(&decision);
    absl::Status status =
        Validate("dhsc/decision/2025-015", kDecision, decision);
    EXPECT_EQ(status.code(), c.code) << c.what << ": " << status;
    EXPECT_NE(status.message().find(c.message), std::string::npos)
        << c.what << ": " << status;
  }
}

TEST_F(DomainValidationTest, StreamKindTypeAndPayloadAreChecked) {
  EXPECT_EQ(Validate("dhsc/spend/1", kDecision, GoodDecision()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Validate("not-a-stream", kDecision, GoodDecision()).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status unknown = Validate(
      "dhsc/decision/1", "missionlog.decision.invented.v1", GoodDecision());
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("not a known domain event type"),
            std::string::npos);
  absl::Status garbage =
      ValidateEvent("dhsc/decision/1", kDecision, "{\"json\": true}",
                    [](absl::string_view) { return true; });
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.message().find("does not parse as"), std::string::npos)
      << garbage;
  EXPECT_FALSE(IsDomainType("dhsc.decision.recorded.v1"));
  EXPECT_TRUE(IsDomainType("missionlog.decision.recorded.v1"));
}

TEST_F(DomainValidationTest, RevisionsNeedAnExistingDecision) {
  v1::DecisionRevised revised;
  revised.set_decision("Allocate capital to 30 centres");
  revised.set_reason("costs rose");
  SetDate(revised.mutable_valid_from(), 2025, 6, 1);
  EXPECT_TRUE(Validate("dhsc/decision/2025-014",
                       "missionlog.decision.revised.v1", revised)
                  .ok());
  absl::Status none = Validate("dhsc/decision/2099-001",
                               "missionlog.decision.revised.v1", revised);
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition) << none;
  revised.clear_reason();
  EXPECT_NE(Validate("dhsc/decision/2025-014", "missionlog.decision.revised.v1",
                     revised)
                .message()
                .find("DecisionRevised.reason: required"),
            std::string::npos);
}

TEST_F(DomainValidationTest, AppointmentDatesMustBeOrdered) {
  v1::AppointmentMade appointment;
  appointment.mutable_person()->set_stream("ifg/person/p1");
  appointment.mutable_post()->set_stream("ifg/post/chancellor");
  SetDate(appointment.mutable_start(), 2024, 7, 5);
  const std::string type = "missionlog.appointment.made.v1";
  EXPECT_TRUE(Validate("ifg/appointment/a1", type, appointment).ok());
  SetDate(appointment.mutable_end(), 2024, 7, 5);
  absl::Status same_day = Validate("ifg/appointment/a1", type, appointment);
  EXPECT_NE(same_day.message().find(
                "AppointmentMade.end: 2024-07-05 is not after start "
                "2024-07-05"),
            std::string::npos)
      << same_day;
  SetDate(appointment.mutable_end(), 2026, 1, 1);
  EXPECT_TRUE(Validate("ifg/appointment/a1", type, appointment).ok());
}

// A change known only to lie in a period: not_before a real date, not
// after valid_from.
TEST_F(DomainValidationTest, APeriodStartsNoLaterThanItEnds) {
  const std::string type = "missionlog.organisation.renamed.v1";
  v1::OrganisationRenamed renamed;
  renamed.set_name("Museum of the Home");
  SetDate(renamed.mutable_valid_from(), 2023, 2, 28);
  SetDate(renamed.mutable_not_before(), 2023, 1, 30);
  EXPECT_TRUE(Validate("dhsc/organisation/dhsc", type, renamed).ok());
  SetDate(renamed.mutable_not_before(), 2023, 2, 28);
  EXPECT_TRUE(Validate("dhsc/organisation/dhsc", type, renamed).ok());
  SetDate(renamed.mutable_not_before(), 2023, 3, 1);
  absl::Status after = Validate("dhsc/organisation/dhsc", type, renamed);
  EXPECT_EQ(after.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(after.message().find("not_before: is after valid_from"),
            std::string::npos)
      << after;
  SetDate(renamed.mutable_not_before(), 2023, 2, 30);
  EXPECT_EQ(Validate("dhsc/organisation/dhsc", type, renamed).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DomainValidationTest, MoneyIsMinorUnitsWithARealCurrency) {
  v1::SpendIncurred spend;
  spend.mutable_amount()->set_minor_units(396155151);
  spend.mutable_amount()->set_currency("GBP");
  spend.set_supplier("Example Ltd");
  SetDate(spend.mutable_paid_on(), 2023, 4, 30);
  const std::string type = "missionlog.spending.spend_incurred.v1";
  EXPECT_TRUE(Validate("hmt/spend/t1", type, spend).ok());
  spend.mutable_amount()->set_minor_units(-123450);  // a refund
  EXPECT_TRUE(Validate("hmt/spend/t1", type, spend).ok());
  spend.mutable_amount()->set_currency("GPB");
  EXPECT_NE(Validate("hmt/spend/t1", type, spend)
                .message()
                .find("SpendIncurred.amount.currency: \"GPB\" is not an ISO "
                      "4217 currency code"),
            std::string::npos);
  spend.mutable_amount()->set_currency("GBP");
  spend.mutable_amount()->set_minor_units(0);
  EXPECT_EQ(Validate("hmt/spend/t1", type, spend).code(),
            absl::StatusCode::kInvalidArgument);

  v1::BudgetAllocated budget;
  budget.mutable_amount()->set_minor_units(-5);
  budget.mutable_amount()->set_currency("GBP");
  EXPECT_NE(Validate("hmt/budget/b1", "missionlog.spending.budget_allocated.v1",
                     budget)
                .message()
                .find("BudgetAllocated.amount.minor_units: must be positive"),
            std::string::npos);
}

TEST_F(DomainValidationTest, ASealedRaiserIsADigest) {
  v1::ConcernRaised concern;
  concern.mutable_about()->set_stream("dhsc/decision/2025-014");
  concern.set_summary("The costings omit staffing");
  concern.set_sealed_raiser_sha256(std::string(32, 'x'));
  concern.add_raised_to()->mutable_post()->set_stream("dhsc/post/sos");
  concern.set_severity(v1::SEVERITY_HIGH);
  SetDate(concern.mutable_raised_on(), 2025, 3, 20);
  const std::string type = "missionlog.concern.raised.v1";
  EXPECT_TRUE(Validate("dhsc/concern/c1", type, concern).ok());
  concern.set_sealed_raiser_sha256("short");
  EXPECT_NE(Validate("dhsc/concern/c1", type, concern)
                .message()
                .find("sealed_raiser_sha256: must be 32 bytes"),
            std::string::npos);
}

// The rules on a subject's state, with histories given per stream.
class DomainStateTest : public DomainValidationTest {
 protected:
  absl::Status ValidateWithHistory(const std::string& stream,
                                   const std::string& type,
                                   const google::protobuf::Message& message) {
    return ValidateEvent(
        stream, type, message.SerializeAsString(),
        [](absl::string_view) { return true; },
        [this](absl::string_view s) -> absl::StatusOr<SubjectState> {
          SubjectState state;
          for (const auto& [type, payload] : histories_[std::string(s)]) {
            state.Apply(type, payload);
          }
          return state;
        });
  }
  void Add(const std::string& stream, const std::string& type,
           const google::protobuf::Message& message) {
    histories_[stream].emplace_back(type, message.SerializeAsString());
  }
  // Per stream: its events' types and payloads, in order.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>>
      histories_;
};

TEST_F(DomainStateTest, ATransferNamesTheCurrentOwner) {
  const std::string mission = "dhsc/mission/nhs";
  v1::OwnerAssigned assigned;
  assigned.set_subject_kind(v1::SUBJECT_KIND_MISSION);
  assigned.mutable_owner()->mutable_post()->set_stream("dhsc/post/sos");
  assigned.set_role(v1::OWNERSHIP_ROLE_MINISTER);
  SetDate(assigned.mutable_valid_from(), 2024, 7, 5);
  Add(mission, "missionlog.accountability.owner_assigned.v1", assigned);

  v1::OwnershipTransferred transfer;
  transfer.mutable_from()->mutable_post()->set_stream("dhsc/post/sos");
  transfer.mutable_to()->mutable_post()->set_stream("dhsc/post/mos");
  transfer.set_role(v1::OWNERSHIP_ROLE_MINISTER);
  transfer.set_reason("portfolio reshuffle");
  SetDate(transfer.mutable_valid_from(), 2025, 1, 6);
  const std::string type = "missionlog.accountability.ownership_transferred.v1";
  EXPECT_TRUE(ValidateWithHistory(mission, type, transfer).ok());

  // After it, the old owner is no longer the one to transfer from.
  Add(mission, type, transfer);
  absl::Status stale = ValidateWithHistory(mission, type, transfer);
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.message().find("OwnershipTransferred.from: dhsc/post/sos "
                                 "is not the current OWNERSHIP_ROLE_MINISTER "
                                 "of dhsc/mission/nhs"),
            std::string::npos)
      << stale;
  // Nor the owner in another role.
  transfer.mutable_from()->mutable_post()->set_stream("dhsc/post/mos");
  transfer.set_role(v1::OWNERSHIP_ROLE_RESPONSIBLE_OWNER);
  EXPECT_EQ(ValidateWithHistory(mission, type, transfer).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DomainStateTest, AClosedConcernTakesNoResponse) {
  const std::string concern = "dhsc/concern/c1";
  v1::ConcernResponded response;
  response.mutable_by()->mutable_post()->set_stream("dhsc/post/sos");
  response.set_response("We have commissioned a review");
  SetDate(response.mutable_on(), 2025, 4, 1);
  const std::string type = "missionlog.concern.responded.v1";
  Add(concern, "missionlog.concern.raised.v1", v1::ConcernRaised());
  EXPECT_TRUE(ValidateWithHistory(concern, type, response).ok());
  v1::ConcernClosed closed;
  Add(concern, "missionlog.concern.closed.v1", closed);
  absl::Status refused = ValidateWithHistory(concern, type, response);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("the concern dhsc/concern/c1 is closed"),
            std::string::npos)
      << refused;
}

TEST_F(DomainStateTest, ARevisionNamesARecordedDecision) {
  v1::DecisionReversed reversed;
  reversed.set_reason("superseded by the spending review");
  SetDate(reversed.mutable_valid_from(), 2025, 6, 11);
  const std::string type = "missionlog.decision.reversed.v1";
  // The stream exists but holds something else.
  Add("dhsc/decision/x", "dhsc.note.v1", v1::DecisionReversed());
  EXPECT_EQ(ValidateWithHistory("dhsc/decision/x", type, reversed).code(),
            absl::StatusCode::kFailedPrecondition);
  Add("dhsc/decision/y", "missionlog.decision.recorded.v1", GoodDecision());
  EXPECT_TRUE(ValidateWithHistory("dhsc/decision/y", type, reversed).ok());
}

TEST(DomainDatesTest, RealDatesAndCurrencies) {
  EXPECT_TRUE(IsRealDate(2024, 2, 29));
  EXPECT_FALSE(IsRealDate(2023, 2, 29));
  EXPECT_FALSE(IsRealDate(1900, 2, 29));
  EXPECT_TRUE(IsRealDate(2000, 2, 29));
  EXPECT_FALSE(IsRealDate(2024, 4, 31));
  EXPECT_FALSE(IsRealDate(2024, 13, 1));
  EXPECT_FALSE(IsRealDate(2024, 0, 1));
  EXPECT_FALSE(IsRealDate(999, 1, 1));
  EXPECT_TRUE(IsCurrencyCode("GBP"));
  EXPECT_TRUE(IsCurrencyCode("EUR"));
  EXPECT_FALSE(IsCurrencyCode("gbp"));
  EXPECT_FALSE(IsCurrencyCode("XXX"));
  EXPECT_FALSE(IsCurrencyCode("GB"));
}

}  // namespace
}  // namespace domain
}  // namespace missionlog
