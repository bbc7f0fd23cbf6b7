// The Inquiry service on its own, over a real store and its projections,
// on an in-process gRPC server: requests are checked before any work
// (INVALID_ARGUMENT naming the field), answers name the positions of the
// events behind them and honour as_of_position, and a min_position the
// projections cannot reach in time is DEADLINE_EXCEEDED naming the
// projection.
#include "services/inquiry_service.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/worker_pool.h"
#include "clients/client.h"
#include "domain/event_types.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "projections/projection_set.h"
#include "services/access_control.h"
#include "tests/domain_builders.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::Day;

class InquiryServiceTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    workers_ = std::make_unique<WorkerPool>(2, 1000);
    access_ = AccessControl::Development();
    projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
    // A fresh store's projections start with a replay from 0, during which
    // queries answer UNAVAILABLE (the contract): the tests begin once each
    // has finished it, however late its thread gets a core.
    for (const RunnerStatus& status : projections_->Status()) {
      ASSERT_TRUE(projections_->Find(status.name)
                      ->WaitFor(0, absl::Now() + absl::Seconds(60))
                      .ok())
          << status.name;
    }
    service_ = std::make_unique<InquiryService>(store_.get(), store_.get(),
                                                projections_.get(),
                                                workers_.get(), access_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = "127.0.0.1:" + std::to_string(port);
    stub_ = v1::Inquiry::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    projections_->Stop();
    server_->Shutdown();
    server_.reset();
    service_.reset();
    projections_.reset();
    workers_.reset();
  }

  // dhsc is assigned as lead organisation of dhsc/mission/nhs from
  // 2024-07-05: the position of that event.
  uint64_t AssignDhsc() {
    v1::OwnerAssigned assigned;
    assigned.set_subject_kind(v1::SUBJECT_KIND_MISSION);
    assigned.mutable_owner()->mutable_organisation()->set_stream(
        "dhsc/organisation/dhsc");
    assigned.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    *assigned.mutable_valid_from() = Day(2024, 7, 5);
    EventData event;
    event.type =
        std::string(domain::TypeName(domain::EventType::kOwnerAssigned));
    event.payload = assigned.SerializeAsString();
    auto appended = Append("dhsc/mission/nhs", ExpectedVersion::Any(), {event});
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? appended->first_position : 0;
  }

  // Records `count` decisions serving dhsc/mission/nhs, each on its own
  // stream ("dhsc/decision/<tag>-<i>"), `title` ending each one's title.
  void RecordDecisions(int count, const std::string& tag,
                       const std::string& title = "") {
    for (int i = 0; i < count; ++i) {
      v1::DecisionRecorded recorded;
      recorded.set_title(absl::StrCat("Decision ", tag, "-", i, title));
      recorded.set_decision("Open seven days");
      recorded.set_level(v1::DECISION_LEVEL_DEPARTMENT);
      recorded.add_decided_by()->mutable_organisation()->set_stream(
          "dhsc/organisation/dhsc");
      recorded.add_missions()->set_stream("dhsc/mission/nhs");
      *recorded.mutable_decided_on() = Day(2025, 1, 1 + i % 28);
      EventData event;
      event.type =
          std::string(domain::TypeName(domain::EventType::kDecisionRecorded));
      event.payload = recorded.SerializeAsString();
      ASSERT_TRUE(Append(absl::StrCat("dhsc/decision/", tag, "-", i),
                         ExpectedVersion::NoStream(), {event})
                      .ok());
    }
  }

  grpc::Status Decisions(const v1::DecisionsRequest& request,
                         v1::DecisionsResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    return stub_->Decisions(&context, request, response);
  }

  // Every page of `request`'s answer, following next_page_token: the
  // decisions' streams in order, and the pages' sizes.
  std::vector<std::string> AllPages(v1::DecisionsRequest request,
                                    std::vector<int>* sizes) {
    std::vector<std::string> streams;
    do {
      v1::DecisionsResponse response;
      grpc::Status status = Decisions(request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      sizes->push_back(response.decisions_size());
      for (const v1::DecisionRow& row : response.decisions()) {
        streams.push_back(row.decision());
      }
      request.mutable_options()->set_page_token(
          response.info().next_page_token());
    } while (!request.options().page_token().empty());
    return streams;
  }

  grpc::Status WhoOwned(const v1::WhoOwnedRequest& request,
                        v1::WhoOwnedResponse* response,
                        absl::Duration deadline = absl::Seconds(10)) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    return stub_->WhoOwned(&context, request, response);
  }

  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<ProjectionSet> projections_;
  std::unique_ptr<InquiryService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<v1::Inquiry::Stub> stub_;
};

TEST_F(InquiryServiceTest, ABadRequestNamesTheField) {
  v1::WhoOwnedRequest request;
  request.set_subject("dhsc/mission/nhs");
  *request.mutable_on() = Day(2023, 2, 29);
  v1::WhoOwnedResponse response;
  grpc::Status status = WhoOwned(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "on: 2023-2-29 is not a real date");
  request.clear_subject();
  *request.mutable_on() = Day(2024, 1, 1);
  status = WhoOwned(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "subject: required");
  // A subject no stream could be named: refused, not answered as unknown.
  request.set_subject(std::string(257, 's'));
  status = WhoOwned(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "subject: is 257 bytes; the limit is 256");
  request.set_subject("dhsc/mission/\n");
  status = WhoOwned(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "subject: must be valid UTF-8 without control characters");
}

TEST_F(InquiryServiceTest, AnAnswerNamesItsEventsAndHonoursAsOf) {
  // Something before it (as_of_position 0 means "now").
  ASSERT_TRUE(Append("dhsc/note/1", ExpectedVersion::Any(),
                     {testing::MakeEvent("dhsc.note.v1", "{}")})
                  .ok());
  const uint64_t position = AssignDhsc();
  v1::WhoOwnedRequest request;
  request.set_subject("dhsc/mission/nhs");
  *request.mutable_on() = Day(2025, 1, 1);
  v1::WhoOwnedResponse response;
  grpc::Status status = WhoOwned(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.owners_size(), 1);
  EXPECT_EQ(response.owners(0).owner().organisation().stream(),
            "dhsc/organisation/dhsc");
  ASSERT_EQ(response.owners(0).positions_size(), 1);
  EXPECT_EQ(response.owners(0).positions(0), position);
  EXPECT_GE(response.info().position(), position + 1);
  // As the record stood before that event: no owner.
  request.mutable_options()->set_as_of_position(position);
  response.Clear();
  status = WhoOwned(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.owners_size(), 0);
}

TEST_F(InquiryServiceTest, AnUnreachableMinPositionIsDeadlineExceeded) {
  AssignDhsc();
  v1::WhoOwnedRequest request;
  request.set_subject("dhsc/mission/nhs");
  *request.mutable_on() = Day(2025, 1, 1);
  request.mutable_options()->set_min_position(1000);
  v1::WhoOwnedResponse response;
  grpc::Status status =
      WhoOwned(request, &response, /*deadline=*/absl::Milliseconds(300));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(InquiryServiceTest, PagesCoverTheAnswerOnceAsItStoodForTheFirst) {
  RecordDecisions(25, "a");
  v1::DecisionsRequest request;
  request.set_mission("dhsc/mission/nhs");
  v1::DecisionsResponse whole;
  ASSERT_TRUE(Decisions(request, &whole).ok());
  ASSERT_EQ(whole.decisions_size(), 25);
  EXPECT_EQ(whole.info().next_page_token(), "");

  request.mutable_options()->set_page_size(10);
  v1::DecisionsResponse first;
  ASSERT_TRUE(Decisions(request, &first).ok());
  ASSERT_EQ(first.decisions_size(), 10);
  ASSERT_NE(first.info().next_page_token(), "");
  // Recorded after the first page: not in the later ones.
  RecordDecisions(5, "b");
  request.mutable_options()->set_page_token(first.info().next_page_token());
  std::vector<int> sizes;
  std::vector<std::string> streams;
  for (const v1::DecisionRow& row : first.decisions()) {
    streams.push_back(row.decision());
  }
  for (const std::string& stream : AllPages(request, &sizes)) {
    streams.push_back(stream);
  }
  EXPECT_EQ(sizes, (std::vector<int>{10, 5}));
  std::vector<std::string> expected;
  for (const v1::DecisionRow& row : whole.decisions()) {
    expected.push_back(row.decision());
  }
  EXPECT_EQ(streams, expected);
  // A new query sees them.
  request.mutable_options()->clear_page_token();
  sizes.clear();
  EXPECT_EQ(AllPages(request, &sizes).size(), 30u);
  EXPECT_EQ(sizes, (std::vector<int>{10, 10, 10}));
}

TEST_F(InquiryServiceTest, ABigAnswerComesInPagesAClientCanReceive) {
  // 45 decisions of 100 KiB each: 4.6 MB, over gRPC's default receive
  // limit (which this test's client keeps) in one message.
  RecordDecisions(45, "big", std::string(100 << 10, 'x'));
  v1::DecisionsRequest request;
  request.set_mission("dhsc/mission/nhs");
  std::vector<int> sizes;
  std::vector<std::string> streams = AllPages(request, &sizes);
  EXPECT_EQ(streams.size(), 45u);
  EXPECT_EQ(std::set<std::string>(streams.begin(), streams.end()).size(), 45u);
  // Each page under 3 MiB of rows: 30 rows of just over 100 KiB at most.
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_LE(sizes[0], 30);
  EXPECT_GE(sizes[0], 25);
}

TEST_F(InquiryServiceTest, TheClientGathersEveryPage) {
  RecordDecisions(45, "big", std::string(100 << 10, 'x'));
  // Without paging options: the whole answer, in order, in one response.
  std::unique_ptr<Client> client = Client::Connect(address_);
  v1::DecisionsRequest request;
  request.set_mission("dhsc/mission/nhs");
  absl::StatusOr<v1::DecisionsResponse> whole = client->Decisions(request);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->info().next_page_token(), "");
  std::vector<int> sizes;
  std::vector<std::string> streams = AllPages(request, &sizes);
  ASSERT_EQ(sizes.size(), 2u);
  ASSERT_EQ(whole->decisions_size(), 45);
  for (int i = 0; i < 45; ++i) {
    EXPECT_EQ(whole->decisions(i).decision(), streams[i]);
  }
  // With them: the one page asked for.
  request.mutable_options()->set_page_size(10);
  absl::StatusOr<v1::DecisionsResponse> page = client->Decisions(request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->decisions_size(), 10);
  EXPECT_NE(page->info().next_page_token(), "");
}

TEST_F(InquiryServiceTest, PagingOptionsAreChecked) {
  RecordDecisions(3, "c");
  v1::DecisionsRequest request;
  request.set_mission("dhsc/mission/nhs");
  request.mutable_options()->set_page_size(1);
  v1::DecisionsResponse first;
  ASSERT_TRUE(Decisions(request, &first).ok());
  const std::string token = first.info().next_page_token();
  ASSERT_NE(token, "");
  v1::DecisionsResponse response;

  v1::DecisionsRequest other = request;
  other.set_forum("Cabinet");
  other.mutable_options()->set_page_token(token);
  grpc::Status status = Decisions(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "options.page_token: from another query (send the request of the "
            "page it came with; only page_size and min_position may change)");

  // Not base64; and "99999.0.abc", past the log's head.
  for (const std::string& bad :
       {std::string("not a token"), std::string("OTk5OTkuMC5hYmM")}) {
    request.mutable_options()->set_page_token(bad);
    status = Decisions(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_EQ(status.error_message(),
              "options.page_token: not one this server gave (pass "
              "AnswerInfo.next_page_token as it came)")
        << bad;
  }

  // Altered: its query no longer matches.
  request.mutable_options()->set_page_token(token + "x");
  EXPECT_EQ(Decisions(request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  request.mutable_options()->set_page_token(token);
  request.mutable_options()->set_page_size(10001);
  status = Decisions(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "options.page_size: at most 10000");
  // The page size may change between pages.
  request.mutable_options()->set_page_size(5);
  ASSERT_TRUE(Decisions(request, &response).ok());
  EXPECT_EQ(response.decisions_size(), 2);
  EXPECT_EQ(response.info().next_page_token(), "");
}

TEST_F(InquiryServiceTest, ATimelineGoesOnPastItsLimit) {
  // Each names the mission: 25 entries on its timeline.
  RecordDecisions(25, "t");
  v1::TimelineRequest request;
  request.set_subject("dhsc/mission/nhs");
  request.set_limit(10);
  std::vector<uint64_t> positions;
  std::vector<int> sizes;
  do {
    grpc::ClientContext context;
    v1::TimelineResponse response;
    grpc::Status status = stub_->Timeline(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    sizes.push_back(response.entries_size());
    for (const v1::TimelineEntry& entry : response.entries()) {
      positions.push_back(entry.position());
    }
    request.mutable_options()->set_page_token(
        response.info().next_page_token());
  } while (!request.options().page_token().empty());
  EXPECT_EQ(sizes, (std::vector<int>{10, 10, 5}));
  ASSERT_EQ(positions.size(), 25u);
  for (size_t i = 1; i < positions.size(); ++i) {
    EXPECT_LT(positions[i - 1], positions[i]);
  }
}

}  // namespace
}  // namespace missionlog
