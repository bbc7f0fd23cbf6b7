// Wire appends converted for the engine: moving the events' strings out of
// a parsed request gives what copying them gives, and leaves the request
// what an error's details still need.
#include "services/conversions.h"

#include <string>

#include "google/protobuf/arena.h"
#include "gtest/gtest.h"
#include "missionlog/v1/store.pb.h"

namespace missionlog {
namespace {

v1::AppendRequest* MakeRequest(google::protobuf::Arena* arena) {
  auto* request =
      google::protobuf::Arena::CreateMessage<v1::AppendRequest>(arena);
  request->set_stream("dept/decisions/1");
  request->mutable_expected_version()->set_kind(v1::ExpectedVersion::EXACT);
  request->mutable_expected_version()->set_version(4);
  for (int i = 0; i < 2; ++i) {
    v1::EventData* event = request->add_events();
    event->set_id(i == 0 ? "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" : "");
    event->set_type("missionlog.decision.recorded.v1");
    event->set_source("urn:missionlog:test:a-source-longer-than-sso");
    event->mutable_time()->set_seconds(1700000000 + i);
    event->mutable_time()->set_nanos(123000);
    event->set_correlation_id("corr-" + std::to_string(i));
    event->set_causation_id("cause-" + std::to_string(i));
    event->set_datacontenttype("application/json; charset=utf-8");
    event->set_data(std::string(300 + i, 'p'));
  }
  return request;
}

TEST(ConversionsTest, TakingTheEventsGivesWhatCopyingGives) {
  google::protobuf::Arena arena;
  v1::AppendRequest* request = MakeRequest(&arena);
  absl::StatusOr<AppendRequest> copied = FromProto(*request, "alice");
  ASSERT_TRUE(copied.ok()) << copied.status();
  absl::StatusOr<AppendRequest> taken = TakeFromProto(request, "alice");
  ASSERT_TRUE(taken.ok()) << taken.status();

  EXPECT_EQ(taken->stream, copied->stream);
  EXPECT_EQ(taken->recorded_by, "alice");
  ASSERT_EQ(taken->events.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const EventData& a = taken->events[i];
    const EventData& b = copied->events[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.occurred_at_us, b.occurred_at_us);
    EXPECT_EQ(a.correlation_id, b.correlation_id);
    EXPECT_EQ(a.causation_id, b.causation_id);
    EXPECT_EQ(a.content_type, b.content_type);
    EXPECT_EQ(a.payload, b.payload);
    EXPECT_EQ(a.payload.size(), 300 + i);
  }
  // What WrongExpectedVersion's details name stays; the payloads moved.
  EXPECT_EQ(request->stream(), "dept/decisions/1");
  EXPECT_EQ(request->expected_version().kind(), v1::ExpectedVersion::EXACT);
  EXPECT_EQ(request->expected_version().version(), 4u);
  EXPECT_TRUE(request->events(0).data().empty());
  EXPECT_TRUE(request->events(1).source().empty());
}

TEST(ConversionsTest, TakingRefusesWhatCopyingRefuses) {
  google::protobuf::Arena arena;
  v1::AppendRequest* request = MakeRequest(&arena);
  request->mutable_events(1)->mutable_time()->set_nanos(-1);
  absl::StatusOr<AppendRequest> copied = FromProto(*request, "alice");
  absl::StatusOr<AppendRequest> taken = TakeFromProto(request, "alice");
  ASSERT_FALSE(copied.ok());
  EXPECT_EQ(taken.status(), copied.status());
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace missionlog
