// The Inquiry service on its own, over a real store and its projections,
// on an in-process gRPC server: requests are checked before any work
// (INVALID_ARGUMENT naming the field), answers name the positions of the
// events behind them and honour as_of_position, and a min_position the
// projections cannot reach in time is DEADLINE_EXCEEDED naming the
// projection.
#include "services/inquiry_service.h"

#include <memory>
#include <string>

#include "base/worker_pool.h"
#include "domain/event_types.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
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
    stub_ = v1::Inquiry::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
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

}  // namespace
}  // namespace missionlog
