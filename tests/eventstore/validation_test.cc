// Every limit and format rule: a precise INVALID_ARGUMENT naming the field,
// and nothing written.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

class ValidationTest : public testing::StoreTest {
 protected:
  // Appends `request` and expects INVALID_ARGUMENT mentioning `field`, with
  // the log unchanged.
  void ExpectInvalid(AppendRequest request, const std::string& field) {
    const uint64_t before = store_->GetHead().next_position;
    absl::StatusOr<AppendResult> result = store_->Append(std::move(request));
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), field))
        << result.status().message() << " does not name " << field;
    EXPECT_EQ(store_->GetHead().next_position, before);
    EXPECT_EQ(ReadAll().size(), before);
  }

  // Valid() with `change` made is refused, naming `field`.
  void ExpectRefused(const std::string& field,
                     const std::function<void(AppendRequest*)>& change) {
    AppendRequest request = Valid();
    change(&request);
    ExpectInvalid(std::move(request), field);
  }

  AppendRequest Valid() {
    return testing::MakeAppend("dhsc/decision/1", ExpectedVersion::Any(),
                               {MakeEvent("a", "1"), MakeEvent("b", "2")});
  }
};

TEST_F(ValidationTest, StreamName) {
  AppendRequest empty = Valid();
  empty.stream = "";
  ExpectInvalid(std::move(empty), "stream");

  AppendRequest longest = Valid();
  longest.stream = std::string(256, 's');
  EXPECT_TRUE(store_->Append(std::move(longest)).ok());

  AppendRequest too_long = Valid();
  too_long.stream = std::string(257, 's');
  ExpectInvalid(std::move(too_long), "stream");

  for (std::string bad :
       {std::string("a\nb"), std::string("a\0b", 3), std::string("a\x7f"),
        std::string("\xc3\x28"), std::string("\xe2\x82"),
        std::string("\xc2\x85"), std::string("\xed\xa0\x80"),
        std::string("\xc0\xaf")}) {
    AppendRequest request = Valid();
    request.stream = bad;
    ExpectInvalid(std::move(request), "stream");
  }

  AppendRequest unicode = Valid();
  unicode.stream = "cymru/penderfyniad/\xc3\xa2\xe2\x82\xac\xf0\x9f\x8f\xb4";
  EXPECT_TRUE(store_->Append(std::move(unicode)).ok());
}

TEST_F(ValidationTest, ReadsRefuseANameNoAppendCouldUse) {
  // Read of a stream, and its info, by the same rule as an append's
  // stream: a name no append could have used is not an empty stream.
  for (const std::string& bad :
       {std::string(), std::string(257, 's'), std::string("a\nb"),
        std::string("\xc3\x28")}) {
    ReadStreamRequest read;
    read.stream = bad;
    absl::StatusOr<ReadStreamResult> result = store_->ReadStream(read);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(result.status().message(), "stream: "))
        << result.status();
    absl::StatusOr<StreamInfo> info = store_->GetStreamInfo(bad);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(info.status().message(), result.status().message());
  }
  ReadStreamRequest longest;
  longest.stream = std::string(256, 's');
  absl::StatusOr<ReadStreamResult> result = store_->ReadStream(longest);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->events.empty());
  EXPECT_TRUE(result->end_of_stream);
}

TEST_F(ValidationTest, EventType) {
  ExpectRefused("events[1].type",
                [](AppendRequest* r) { r->events[1].type = ""; });
  ExpectRefused("events[0].type", [](AppendRequest* r) {
    r->events[0].type = std::string(257, 't');
  });
}

TEST_F(ValidationTest, OtherTextFields) {
  ExpectRefused("events[0].source", [](AppendRequest* r) {
    r->events[0].source = std::string(1025, 'u');
  });
  ExpectRefused("events[1].correlation_id", [](AppendRequest* r) {
    r->events[1].correlation_id = "bad\tid";
  });
  ExpectRefused("events[1].causation_id", [](AppendRequest* r) {
    r->events[1].causation_id = std::string(300, 'c');
  });
  ExpectRefused("events[0].content_type",
                [](AppendRequest* r) { r->events[0].content_type = "\x01"; });
  ExpectRefused("recorded_by",
                [](AppendRequest* r) { r->recorded_by = "who\n"; });
}

TEST_F(ValidationTest, PayloadSize) {
  AppendRequest largest = Valid();
  largest.events[0].payload = std::string(1 << 20, 'p');
  EXPECT_TRUE(store_->Append(std::move(largest)).ok());

  AppendRequest too_large = Valid();
  too_large.events[1].payload = std::string((1 << 20) + 1, 'p');
  ExpectInvalid(std::move(too_large), "events[1].payload");
}

TEST_F(ValidationTest, EventCount) {
  AppendRequest none = Valid();
  none.events.clear();
  ExpectInvalid(std::move(none), "events");

  AppendRequest too_many = Valid();
  too_many.events.assign(10001, MakeEvent("a", ""));
  ExpectInvalid(std::move(too_many), "events");

  AppendRequest most = Valid();
  most.events.assign(10000, MakeEvent("a", ""));
  auto result = store_->Append(std::move(most));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->last_position - result->first_position, 9999u);
}

TEST_F(ValidationTest, AppendSize) {
  // 17 events of 1 MiB: each within the payload limit, together over 16 MiB.
  AppendRequest request = Valid();
  request.events.assign(17, MakeEvent("a", std::string(1 << 20, 'p')));
  ExpectInvalid(std::move(request), "events");
}

TEST_F(ValidationTest, EventIds) {
  for (std::string bad : {"not-a-uuid", "00000000-0000-4000-8000-00000000000",
                          "00000000-0000-4000-8000-0000000000000",
                          "{00000000-0000-4000-8000-000000000001}",
                          "00000000000040008000000000000001xxxx",
                          "0000000g-0000-4000-8000-000000000001",
                          "00000000-0000-4000-8000_000000000001"}) {
    AppendRequest request = Valid();
    request.events[1].id = bad;
    ExpectInvalid(std::move(request), "events[1].id");
  }
  AppendRequest upper = Valid();
  upper.events[0].id = "ABCDEF01-2345-4789-ABCD-EF0123456789";
  ASSERT_TRUE(store_->Append(std::move(upper)).ok());
  EXPECT_EQ(ReadAll()[0].id(), "abcdef01-2345-4789-abcd-ef0123456789");
}

TEST_F(ValidationTest, RepeatedIdInOneAppend) {
  AppendRequest request = Valid();
  request.events[0].id = testing::TestUuid(5);
  request.events[1].id = testing::TestUuid(5);
  ExpectInvalid(std::move(request), "events[1].id");
}

TEST_F(ValidationTest, LimitsAreConfigurable) {
  options_.max_payload_bytes = 10;
  options_.max_events_per_append = 2;
  Reopen();
  AppendRequest payload = Valid();
  payload.events[0].payload = std::string(11, 'p');
  ExpectInvalid(std::move(payload), "events[0].payload");
  AppendRequest count = Valid();
  count.events.push_back(MakeEvent("c", ""));
  ExpectInvalid(std::move(count), "events");
}

}  // namespace
}  // namespace missionlog
