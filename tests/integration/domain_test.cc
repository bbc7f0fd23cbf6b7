// The domain through the real missionlogd: Accountability commands
// (idempotency, optimistic concurrency, precise refusals that write
// nothing) and the importers (re-imports add nothing; the full IfG
// database), through the real client and CLI.
#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "clients/import/import_runner.h"
#include "clients/import/importers.h"
#include "domain/event_types.h"
#include "gtest/gtest.h"
#include "missionlog/v1/commands.pb.h"
#include "tests/domain_builders.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::Day;
using testing::OrganisationOwner;
using testing::RefTo;

const std::string kTestData = IMPORT_TESTDATA;
const std::string kDemoData = DEMO_DATA;

template <typename Request>
Request WithCommand(const std::string& stream, const std::string& id) {
  Request request;
  request.mutable_command()->set_stream(stream);
  request.mutable_command()->set_command_id(id);
  return request;
}

class DomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
    client_ = Client::Connect(server_->address());
  }

  uint64_t Head() { return client_->GetHead().value().next_position(); }

  void RegisterOrganisation(const std::string& slug) {
    auto request = WithCommand<v1::RegisterOrganisationRequest>(
        absl::StrCat(slug, "/organisation/", slug), "register");
    request.mutable_event()->set_organisation(slug);
    request.mutable_event()->set_name(absl::StrCat("The ", slug));
    request.mutable_event()->set_kind(
        v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT);
    ASSERT_TRUE(client_->Command("RegisterOrganisation", request).ok());
  }

  // dhsc/mission/nhs, led and owned by dhsc.
  void DeclareOwnedMission() {
    for (const char* slug : {"dhsc", "nhse", "ukhsa"})
      RegisterOrganisation(slug);
    auto declare =
        WithCommand<v1::DeclareMissionRequest>("dhsc/mission/nhs", "declare");
    v1::MissionDeclared* mission = declare.mutable_event();
    mission->set_title("Build an NHS fit for the future");
    mission->set_outcome_statement("Fewer lives lost to the biggest killers");
    mission->add_targets()->set_id("18-weeks");
    mission->mutable_targets(0)->set_description("92% treated within 18 weeks");
    *mission->mutable_lead_organisation() = RefTo("dhsc/organisation/dhsc");
    *mission->mutable_valid_from() = Day(2024, 7, 5);
    ASSERT_TRUE(client_->Command("DeclareMission", declare).ok());
    auto assign =
        WithCommand<v1::AssignOwnerRequest>("dhsc/mission/nhs", "assign-dhsc");
    assign.mutable_event()->set_subject_kind(v1::SUBJECT_KIND_MISSION);
    *assign.mutable_event()->mutable_owner() =
        OrganisationOwner("dhsc/organisation/dhsc");
    assign.mutable_event()->set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    *assign.mutable_event()->mutable_valid_from() = Day(2024, 7, 5);
    ASSERT_TRUE(client_->Command("AssignOwner", assign).ok());
  }

  v1::TransferOwnershipRequest Transfer(const std::string& command_id,
                                        const std::string& from,
                                        const std::string& to) {
    auto transfer = WithCommand<v1::TransferOwnershipRequest>(
        "dhsc/mission/nhs", command_id);
    *transfer.mutable_event()->mutable_from() = OrganisationOwner(from);
    *transfer.mutable_event()->mutable_to() = OrganisationOwner(to);
    transfer.mutable_event()->set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    transfer.mutable_event()->set_reason("Machinery of government change");
    *transfer.mutable_event()->mutable_valid_from() = Day(2025, 4, 1);
    return transfer;
  }

  // A valid decision on dhsc/decision/d-1 (command id d-1).
  static v1::RecordDecisionRequest DecisionCommand() {
    auto decision =
        WithCommand<v1::RecordDecisionRequest>("dhsc/decision/d-1", "d-1");
    decision.mutable_event()->set_title("Open diagnostic centres at weekends");
    decision.mutable_event()->set_decision("Fund 12-hour, 7-day opening");
    decision.mutable_event()->set_forum("Health mission board");
    decision.mutable_event()->set_level(v1::DECISION_LEVEL_DEPARTMENT);
    *decision.mutable_event()->add_decided_by() =
        OrganisationOwner("dhsc/organisation/dhsc");
    *decision.mutable_event()->mutable_decided_on() = Day(2025, 1, 6);
    return decision;
  }

  void ExpectOneOfTwoConcurrentTransfersWins(
      const std::function<absl::Status(const v1::TransferOwnershipRequest&)>&
          send);

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(DomainTest, ARetriedCommandAppendsNothingEvenWhenItsRuleNowFails) {
  DeclareOwnedMission();
  const v1::TransferOwnershipRequest transfer = Transfer(
      "transfer-1", "dhsc/organisation/dhsc", "nhse/organisation/nhse");
  absl::StatusOr<v1::CommandResult> first =
      client_->Command("TransferOwnership", transfer);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->deduplicated());
  const uint64_t head = Head();

  // The reply was "lost": the same command again. dhsc is no longer the
  // owner, but the command was carried out already: same event, no append.
  absl::StatusOr<v1::CommandResult> retry =
      client_->Command("TransferOwnership", transfer);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated());
  EXPECT_EQ(retry->position(), first->position());
  EXPECT_EQ(retry->event_id(), first->event_id());
  EXPECT_EQ(Head(), head);

  // A new command naming the old owner is refused, naming field and rule.
  absl::StatusOr<v1::CommandResult> stale = client_->Command(
      "TransferOwnership", Transfer("transfer-2", "dhsc/organisation/dhsc",
                                    "ukhsa/organisation/ukhsa"));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(stale.status().message()),
            "OwnershipTransferred.from: dhsc/organisation/dhsc is not the "
            "current OWNERSHIP_ROLE_LEAD_ORGANISATION of dhsc/mission/nhs");
  EXPECT_EQ(Head(), head);
}

// Each round, two transfers name the current owner (dhsc) at once, sent by
// `send` (a command id and the transfer). Whichever commits first changes
// the owner; the other must then fail its rule check, however the two
// interleave. Transferring back to dhsc starts the next round.
void DomainTest::ExpectOneOfTwoConcurrentTransfersWins(
    const std::function<absl::Status(const v1::TransferOwnershipRequest&)>&
        send) {
  DeclareOwnedMission();
  for (int round = 0; round < 10; ++round) {
    absl::Status results[2];
    std::thread first([&] {
      results[0] =
          send(Transfer(absl::StrCat("r", round, "a"), "dhsc/organisation/dhsc",
                        "nhse/organisation/nhse"));
    });
    std::thread second([&] {
      results[1] =
          send(Transfer(absl::StrCat("r", round, "b"), "dhsc/organisation/dhsc",
                        "ukhsa/organisation/ukhsa"));
    });
    first.join();
    second.join();
    ASSERT_NE(results[0].ok(), results[1].ok())
        << "round " << round << ": " << results[0] << " / " << results[1];
    const int loser = results[0].ok() ? 1 : 0;
    EXPECT_EQ(results[loser].code(), absl::StatusCode::kFailedPrecondition)
        << results[loser];
    const std::string winner =
        results[0].ok() ? "nhse/organisation/nhse" : "ukhsa/organisation/ukhsa";
    ASSERT_TRUE(send(Transfer(absl::StrCat("back", round), winner,
                              "dhsc/organisation/dhsc"))
                    .ok());
  }
}

TEST_F(DomainTest, OfTwoConcurrentTransfersFromOneOwnerExactlyOneWins) {
  ExpectOneOfTwoConcurrentTransfersWins(
      [this](const v1::TransferOwnershipRequest& transfer) {
        return client_->Command("TransferOwnership", transfer).status();
      });
}

// The same event as a raw append, with no expected version: it takes the
// same path, so it gets the same guarantee.
TEST_F(DomainTest, OfTwoConcurrentRawTransfersExactlyOneWins) {
  ExpectOneOfTwoConcurrentTransfersWins(
      [this](const v1::TransferOwnershipRequest& transfer) {
        v1::AppendRequest append;
        append.set_stream(transfer.command().stream());
        v1::EventData* event = append.add_events();
        event->set_type(std::string(
            domain::TypeName(domain::EventType::kOwnershipTransferred)));
        event->set_datacontenttype("application/protobuf");
        event->set_data(transfer.event().SerializeAsString());
        return client_->Append(append).status();
      });
}

TEST_F(DomainTest, RefusedCommandsNameTheFieldAndWriteNothing) {
  DeclareOwnedMission();
  const uint64_t head = Head();
  const auto expect_refused = [&](const std::string& rpc,
                                  const google::protobuf::Message& request,
                                  absl::StatusCode code,
                                  const std::string& message) {
    absl::StatusOr<v1::CommandResult> result = client_->Command(rpc, request);
    EXPECT_EQ(result.status().code(), code) << rpc << ": " << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), message))
        << result.status();
    EXPECT_EQ(Head(), head) << rpc;
  };
  auto no_id = WithCommand<v1::RetireMissionRequest>("dhsc/mission/nhs", "");
  no_id.mutable_event()->set_reason("r");
  expect_refused("RetireMission", no_id, absl::StatusCode::kInvalidArgument,
                 "command.command_id: required");
  auto no_event =
      WithCommand<v1::RetireMissionRequest>("dhsc/mission/nhs", "retire");
  expect_refused("RetireMission", no_event, absl::StatusCode::kInvalidArgument,
                 "event: required");
  v1::RecordDecisionRequest decision = DecisionCommand();
  decision.mutable_event()->clear_decided_on();
  expect_refused("RecordDecision", decision, absl::StatusCode::kInvalidArgument,
                 "DecisionRecorded.decided_on: required");
  *decision.mutable_event()->mutable_decided_on() = Day(2025, 2, 30);
  expect_refused("RecordDecision", decision, absl::StatusCode::kInvalidArgument,
                 "DecisionRecorded.decided_on: 2025-02-30 is not a real date");
  *decision.mutable_event()->mutable_decided_on() = Day(2025, 1, 6);
  *decision.mutable_event()->add_missions() = RefTo("dhsc/mission/cancer");
  expect_refused("RecordDecision", decision,
                 absl::StatusCode::kFailedPrecondition,
                 "DecisionRecorded.missions[0]: stream dhsc/mission/cancer "
                 "does not exist");
  decision.mutable_event()->clear_missions();
  decision.mutable_command()->set_stream("dhsc/concern/d-1");
  expect_refused("RecordDecision", decision, absl::StatusCode::kInvalidArgument,
                 "belongs on a decision stream");
  decision.mutable_command()->set_stream("dhsc/decision/d-1");
  decision.mutable_command()->mutable_expected_version()->set_kind(
      v1::ExpectedVersion::EXACT);
  decision.mutable_command()->mutable_expected_version()->set_version(3);
  expect_refused("RecordDecision", decision, absl::StatusCode::kAborted,
                 "dhsc/decision/d-1");
}

TEST_F(DomainTest, ACommandIdReusedForAnotherCommandIsAlreadyExists) {
  DeclareOwnedMission();
  const v1::RecordDecisionRequest decision = DecisionCommand();
  ASSERT_TRUE(client_->Command("RecordDecision", decision).ok());
  const uint64_t after = Head();
  auto reused = decision;
  reused.mutable_event()->set_title("Something else");
  absl::StatusOr<v1::CommandResult> result =
      client_->Command("RecordDecision", reused);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StartsWith(
      result.status().message(),
      "command.command_id: \"d-1\" was used on dhsc/decision/d-1 for a "
      "different command"))
      << result.status();
  EXPECT_EQ(Head(), after);
}

TEST_F(DomainTest, AResponseGoesOnlyToAnOpenConcern) {
  DeclareOwnedMission();
  ASSERT_TRUE(client_->Command("RecordDecision", DecisionCommand()).ok());
  auto raise = WithCommand<v1::RaiseConcernRequest>("dhsc/concern/c-1", "c-1");
  *raise.mutable_event()->mutable_about() = RefTo("dhsc/decision/d-1");
  raise.mutable_event()->set_summary("The rota assumes staff we do not have");
  *raise.mutable_event()->mutable_raised_by() =
      OrganisationOwner("nhse/organisation/nhse");
  *raise.mutable_event()->add_raised_to() =
      OrganisationOwner("dhsc/organisation/dhsc");
  raise.mutable_event()->set_severity(v1::SEVERITY_HIGH);
  *raise.mutable_event()->mutable_raised_on() = Day(2025, 2, 3);
  absl::StatusOr<v1::CommandResult> raised =
      client_->Command("RaiseConcern", raise);
  ASSERT_TRUE(raised.ok()) << raised.status();
  auto close =
      WithCommand<v1::CloseConcernRequest>("dhsc/concern/c-1", "close");
  *close.mutable_event()->mutable_by() =
      OrganisationOwner("dhsc/organisation/dhsc");
  close.mutable_event()->set_resolution("Rota revised");
  *close.mutable_event()->mutable_on() = Day(2025, 3, 1);
  ASSERT_TRUE(client_->Command("CloseConcern", close).ok());
  const uint64_t closed = Head();
  auto respond =
      WithCommand<v1::RespondToConcernRequest>("dhsc/concern/c-1", "respond");
  *respond.mutable_event()->mutable_by() =
      OrganisationOwner("dhsc/organisation/dhsc");
  respond.mutable_event()->set_response("Late reply");
  *respond.mutable_event()->mutable_on() = Day(2025, 3, 2);
  absl::StatusOr<v1::CommandResult> late =
      client_->Command("RespondToConcern", respond);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(late.status().message()),
            "ConcernResponded: the concern dhsc/concern/c-1 is closed");
  EXPECT_EQ(Head(), closed);
}

TEST_F(DomainTest, ImportingTheSameFilesAgainAddsNothing) {
  std::vector<absl::StatusOr<ImportPlan>> plans;
  plans.push_back(PlanIfgMinisters(kTestData + "/ifg"));
  plans.push_back(PlanSpend25k({kTestData + "/spend"}, ""));
  plans.push_back(PlanOcds({kTestData + "/ocds"}));
  plans.push_back(
      PlanGovukOrgs(kTestData + "/govuk/organisations-2023-02-01.json",
                    kTestData + "/govuk/organisations-2023-03-01.json", ""));
  for (absl::StatusOr<ImportPlan>& plan : plans) {
    ASSERT_TRUE(plan.ok()) << plan.status();
    const size_t events = plan->events();
    ASSERT_GT(events, 0u);
    ImportPlan again = *plan;
    absl::StatusOr<ImportSummary> first =
        RunImport(client_.get(), *std::move(plan), nullptr);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->events_appended, events);
    EXPECT_EQ(first->events_rejected, 0u)
        << (first->rejections.empty() ? "" : first->rejections[0]);
    const uint64_t head = Head();
    absl::StatusOr<ImportSummary> second =
        RunImport(client_.get(), std::move(again), nullptr);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->events_appended, 0u);
    EXPECT_EQ(second->events_already_present, events);
    EXPECT_EQ(Head(), head);
  }
}

TEST_F(DomainTest, AFileThatGainedRowsAddsOnlyTheNewOnes) {
  absl::StatusOr<ImportPlan> plan = PlanSpend25k({kTestData + "/spend"}, "");
  ASSERT_TRUE(plan.ok());
  // Import all but the last event of a month with several payments.
  ImportPlan partial = *plan;
  auto month = std::find_if(
      partial.phases[0].begin(), partial.phases[0].end(),
      [](const v1::AppendRequest& a) { return a.events_size() > 1; });
  ASSERT_NE(month, partial.phases[0].end());
  month->mutable_events()->RemoveLast();
  ASSERT_TRUE(RunImport(client_.get(), std::move(partial), nullptr).ok());
  const uint64_t head = Head();
  absl::StatusOr<ImportSummary> full =
      RunImport(client_.get(), *std::move(plan), nullptr);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->events_appended, 1u);
  EXPECT_EQ(Head(), head + 1);
}

TEST_F(DomainTest, TheFullIfgDatabaseImports) {
  absl::StatusOr<ImportPlan> plan =
      PlanIfgMinisters(kDemoData + "/ifg-ministers");
  ASSERT_TRUE(plan.ok()) << plan.status();
  // 3,667 appointments in the database; two end before they start, and
  // each is reported (with its characteristics row), not guessed.
  EXPECT_EQ(plan->events_by_type["missionlog.appointment.made.v1"], 3665u);
  ASSERT_EQ(plan->skipped.size(), 4u);
  EXPECT_EQ(plan->skipped[0].line, 1730);
  EXPECT_EQ(plan->skipped[0].reason,
            "end_date 2025-05-14 is not after start_date 2025-09-01");
  const size_t events = plan->events();
  absl::StatusOr<ImportSummary> summary =
      RunImport(client_.get(), *std::move(plan), nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->events_appended, events);
  EXPECT_EQ(summary->events_rejected, 0u);
  // The server holds every appointment.
  v1::ReadRequest read;
  read.mutable_all()->set_from_position(0);
  read.set_limit(100000);
  read.mutable_all()->mutable_filter()->set_type_prefix(
      "missionlog.appointment.made.");
  size_t appointments = 0;
  ASSERT_TRUE(client_
                  ->Read(read,
                         [&](const v1::ReadResponse& batch) {
                           appointments += batch.events_size();
                           return true;
                         })
                  .ok());
  EXPECT_EQ(appointments, 3665u);
}

}  // namespace
}  // namespace missionlog
