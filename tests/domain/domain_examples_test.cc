// Every domain action (domain/event_types.h) has a minimal
// valid example here, accepted by the rules on a subject whose history fits
// it; and an empty event of every type is refused, naming its message. A
// new action without an example fails the first test.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "domain/event_types.h"
#include "domain/validation.h"
#include "google/protobuf/util/json_util.h"
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
namespace domain {
namespace {

struct Action {
  std::string rpc;
  std::string type;
  const google::protobuf::Message* prototype;
};

std::vector<Action> Actions() {
  std::vector<Action> actions;
  for (EventType type : AllEventTypes()) {
    actions.push_back({std::string(ActionName(type)),
                       std::string(TypeName(type)), Prototype(type)});
  }
  return actions;
}

constexpr char kDay[] = R"({"year": 2025, "month": 4, "day": 1})";
constexpr char kOrg[] =
    R"({"organisation": {"stream": "dhsc/organisation/dhsc"}})";

std::string With(std::string json) {
  // $D: a date; $O: an owner.
  for (size_t at; (at = json.find("$D")) != std::string::npos;) {
    json.replace(at, 2, kDay);
  }
  for (size_t at; (at = json.find("$O")) != std::string::npos;) {
    json.replace(at, 2, kOrg);
  }
  return json;
}

// Stream and JSON event per action.
const std::map<std::string, std::pair<std::string, std::string>>& Examples() {
  static const auto* examples = new std::map<
      std::string, std::pair<std::string, std::string>>{
      {"RegisterOrganisation",
       {"dhsc/organisation/dhsc",
        R"({"organisation": "dhsc", "name": "Department of Health and Social Care", "kind": "ORGANISATION_KIND_MINISTERIAL_DEPARTMENT"})"}},
      {"RenameOrganisation",
       {"dhsc/organisation/dhsc", R"({"name": "DHSC", "valid_from": $D})"}},
      {"ChangeOrganisationParent",
       {"ukhsa/organisation/ukhsa",
        R"({"parent": {"stream": "dhsc/organisation/dhsc"}, "valid_from": $D})"}},
      {"MergeOrganisation",
       {"phe/organisation/phe",
        R"({"into": {"stream": "ukhsa/organisation/ukhsa"}, "valid_from": $D})"}},
      {"DemergeOrganisation",
       {"beis/organisation/beis",
        R"({"successors": [{"stream": "dsit/organisation/dsit"}], "valid_from": $D})"}},
      {"TransferFunctions",
       {"dcms/organisation/dcms",
        R"({"to": {"stream": "dsit/organisation/dsit"}, "functions": "digital", "valid_from": $D})"}},
      {"CloseOrganisation",
       {"beis/organisation/beis", R"({"status": "split", "valid_from": $D})"}},
      {"RegisterPerson", {"ifg/person/p1", R"({"name": "Wes Streeting"})"}},
      {"RenamePerson",
       {"ifg/person/p1", R"({"name": "Lord Example", "valid_from": $D})"}},
      {"CreatePost",
       {"dhsc/post/sos",
        R"({"organisation": {"stream": "dhsc/organisation/dhsc"}, "name": "Secretary of State"})"}},
      {"AbolishPost", {"dhsc/post/sos", R"({"valid_from": $D})"}},
      {"MakeAppointment",
       {"ifg/appointment/a1",
        R"({"person": {"stream": "ifg/person/p1"}, "post": {"stream": "dhsc/post/sos"}, "start": $D})"}},
      {"RecordAppointmentCharacteristics",
       {"ifg/appointment/a1",
        R"({"cabinet_status": "CABINET_STATUS_FULL_CABINET", "acting": true, "start": $D})"}},
      {"EndAppointment", {"ifg/appointment/a1", R"({"end": $D})"}},
      {"DeclareMission",
       {"dhsc/mission/nhs",
        R"({"title": "NHS", "outcome_statement": "Fit for the future", "targets": [{"id": "t", "description": "92% in 18 weeks"}], "lead_organisation": {"stream": "dhsc/organisation/dhsc"}, "valid_from": $D})"}},
      {"ReviseMissionTarget",
       {"dhsc/mission/nhs",
        R"({"target": {"id": "t", "description": "95%"}, "reason": "Faster", "valid_from": $D})"}},
      {"RetireMission",
       {"dhsc/mission/nhs", R"({"reason": "Met", "valid_from": $D})"}},
      {"AssignOwner",
       {"dhsc/mission/nhs",
        R"({"subject_kind": "SUBJECT_KIND_MISSION", "owner": $O, "role": "OWNERSHIP_ROLE_LEAD_ORGANISATION", "valid_from": $D})"}},
      {"RelieveOwner",
       {"dhsc/mission/nhs",
        R"({"owner": $O, "role": "OWNERSHIP_ROLE_LEAD_ORGANISATION", "valid_from": $D})"}},
      {"TransferOwnership",
       {"dhsc/mission/nhs",
        R"({"from": $O, "to": {"organisation": {"stream": "nhse/organisation/nhse"}}, "role": "OWNERSHIP_ROLE_LEAD_ORGANISATION", "reason": "Reorganisation", "valid_from": $D})"}},
      {"DelegateResponsibility",
       {"dhsc/mission/nhs",
        R"({"by": $O, "to": {"organisation": {"stream": "nhse/organisation/nhse"}}, "scope": "Elective recovery", "valid_from": $D})"}},
      {"RecordDecision",
       {"dhsc/decision/d1",
        R"({"title": "T", "decision": "D", "forum": "Board", "level": "DECISION_LEVEL_DEPARTMENT", "decided_by": [$O], "decided_on": $D})"}},
      {"ReviseDecision",
       {"dhsc/decision/d1",
        R"({"decision": "D2", "reason": "New evidence", "valid_from": $D})"}},
      {"ReverseDecision",
       {"dhsc/decision/d1", R"({"reason": "Unaffordable", "valid_from": $D})"}},
      {"ObserveDecisionOutcome",
       {"dhsc/decision/d1",
        R"({"outcome": "Waits fell", "as_expected": true, "observed_on": $D})"}},
      {"AllocateBudget",
       {"hmt/budget/b1",
        R"({"amount": {"minor_units": "100", "currency": "GBP"}, "from": {"stream": "hmt/organisation/hmt"}, "to": {"stream": "dhsc/organisation/dhsc"}, "fiscal_year": "2025-26", "valid_from": $D})"}},
      {"CommitSpend",
       {"dhsc/contract/c1",
        R"({"amount": {"minor_units": "100", "currency": "GBP"}, "supplier": "Example Ltd", "committed_on": $D})"}},
      {"IncurSpend",
       {"dhsc/spend/2025-04",
        R"({"amount": {"minor_units": "-100", "currency": "GBP"}, "supplier": "Example Ltd", "paid_on": $D})"}},
      {"ReallocateSpend",
       {"hmt/budget/b1",
        R"({"amount": {"minor_units": "50", "currency": "GBP"}, "to_budget": {"stream": "hmt/budget/b2"}, "reason": "Underspend", "valid_from": $D})"}},
      {"CancelSpend",
       {"hmt/budget/b1",
        R"({"amount": {"minor_units": "50", "currency": "GBP"}, "reason": "Not needed", "valid_from": $D})"}},
      {"RaiseConcern",
       {"dhsc/concern/c1",
        R"({"about": {"stream": "dhsc/decision/d1"}, "summary": "Staffing", "raised_by": $O, "raised_to": [$O], "severity": "SEVERITY_HIGH", "raised_on": $D})"}},
      {"AcknowledgeConcern", {"dhsc/concern/c1", R"({"by": $O, "on": $D})"}},
      {"RespondToConcern",
       {"dhsc/concern/c1",
        R"({"by": $O, "response": "Rota revised", "on": $D})"}},
      {"EscalateConcern",
       {"dhsc/concern/c1",
        R"({"to": [$O], "reason": "No answer", "severity": "SEVERITY_CRITICAL", "on": $D})"}},
      {"CloseConcern",
       {"dhsc/concern/c1", R"({"by": $O, "resolution": "Fixed", "on": $D})"}},
      {"ClaimContribution",
       {"dfe/contribution/c1",
        R"({"mission": {"stream": "dhsc/mission/nhs"}, "by": {"stream": "dfe/organisation/dfe"}, "claim": "Nurses trained", "valid_from": $D})"}},
      {"CreditContribution", {"dhsc/contribution/c2", R"({"mission": {"stream": "dhsc/mission/nhs"}, "credited": {"stream": "dfe/organisation/dfe"}, "by": {"stream": "dhsc/organisation/dhsc"}, "for_what": "Nurses", "valid_from": $D})"}},
      {"WithdrawContribution",
       {"dfe/contribution/c1",
        R"({"reason": "Double counted", "valid_from": $D})"}},
  };
  return *examples;
}

// Each subject's state: what the state rules need to see before.
SubjectState StateOf(absl::string_view stream) {
  SubjectState state;
  const auto add = [&state](EventType type,
                            const google::protobuf::Message& message) {
    state.Apply(TypeName(type), message.SerializeAsString());
  };
  if (absl::StrContains(stream, "/decision/")) {
    add(EventType::kDecisionRecorded, v1::DecisionRecorded());
  } else if (absl::StrContains(stream, "/concern/")) {
    add(EventType::kConcernRaised, v1::ConcernRaised());
  } else if (absl::StrContains(stream, "/mission/")) {
    v1::OwnerAssigned assigned;
    assigned.mutable_owner()->mutable_organisation()->set_stream(
        "dhsc/organisation/dhsc");
    assigned.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    add(EventType::kOwnerAssigned, assigned);
  }
  return state;
}

absl::Status Validate(const std::string& stream, const Action& action,
                      const std::string& payload) {
  return ValidateEvent(
      stream, action.type, payload, [](absl::string_view) { return true; },
      [](absl::string_view s) -> absl::StatusOr<SubjectState> {
        return StateOf(s);
      });
}

TEST(DomainExamplesTest, EveryActionHasAnAcceptedExample) {
  const std::vector<Action> actions = Actions();
  EXPECT_EQ(actions.size(), 38u);
  for (const Action& action : actions) {
    auto example = Examples().find(action.rpc);
    ASSERT_NE(example, Examples().end()) << "no example for " << action.rpc;
    std::unique_ptr<google::protobuf::Message> event(action.prototype->New());
    auto parsed = google::protobuf::util::JsonStringToMessage(
        With(example->second.second), event.get());
    ASSERT_TRUE(parsed.ok()) << action.rpc << ": " << parsed.ToString();
    absl::Status status =
        Validate(example->second.first, action, event->SerializeAsString());
    EXPECT_TRUE(status.ok()) << action.rpc << ": " << status;
  }
}

TEST(DomainExamplesTest, AnEmptyEventOfEveryTypeIsRefusedByName) {
  for (const Action& action : Actions()) {
    const std::string& stream = Examples().at(action.rpc).first;
    absl::Status status = Validate(stream, action, "");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << action.rpc << ": " << status;
    EXPECT_TRUE(absl::StartsWith(
        status.message(),
        absl::StrCat(action.prototype->GetDescriptor()->name(), ".")))
        << action.rpc << ": " << status;
  }
}

TEST(DomainExamplesTest, EveryTypeOnlyOnItsKindOfStream) {
  for (const Action& action : Actions()) {
    const auto& [stream, json] = Examples().at(action.rpc);
    std::unique_ptr<google::protobuf::Message> event(action.prototype->New());
    ASSERT_TRUE(
        google::protobuf::util::JsonStringToMessage(With(json), event.get())
            .ok());
    // The same event on a stream of another kind.
    const std::string wrong = absl::StrContains(stream, "/mission/")
                                  ? "dhsc/concern/x"
                                  : "dhsc/mission/x";
    absl::Status status = Validate(wrong, action, event->SerializeAsString());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << action.rpc << ": " << status;
    EXPECT_TRUE(absl::StartsWith(status.message(), "stream: "))
        << action.rpc << ": " << status;
  }
}

}  // namespace
}  // namespace domain
}  // namespace missionlog
