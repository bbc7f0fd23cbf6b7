// The hand-written wire encoding must produce exactly the bytes the
// generated protobuf code does, for every shape of event.
#include "services/wire_encoding.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "missionlog/v1/audit.pb.h"
#include "missionlog/v1/store.pb.h"
#include "services/conversions.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

class WireEncodingTest : public testing::StoreTest {};

TEST_F(WireEncodingTest, RecordedEventMatchesGeneratedCode) {
  std::vector<EventData> events;
  events.push_back(testing::MakeEvent("t.v1", "{\"a\":1}", 1));
  EventData full = testing::MakeEvent("missionlog.decision.recorded.v1",
                                      std::string(1000, 'p'), 2);
  full.occurred_at_us = 1700000000123456;
  full.correlation_id = "corr";
  full.causation_id = "cause";
  events.push_back(full);
  EventData before_epoch = testing::MakeEvent("t.v1", "", 3);
  before_epoch.occurred_at_us = -1500001;  // negative seconds and nanos
  before_epoch.source = "";
  before_epoch.content_type = "";
  events.push_back(before_epoch);
  EventData at_epoch = testing::MakeEvent("t.v1", "x", 4);
  at_epoch.occurred_at_us = 0;  // a present but all-default Timestamp
  events.push_back(at_epoch);
  // A length that needs a three-byte varint.
  events.push_back(testing::MakeEvent("t.v1", std::string(20000, 'q'), 5));
  ASSERT_TRUE(Append("w/e/1", ExpectedVersion::Any(), events).ok());
  clock_.Set(0);  // recorded_at stays at the floor, not 0; fine
  ASSERT_TRUE(
      Append("w/e/2", ExpectedVersion::Any(), {testing::MakeEvent("t", "")})
          .ok());

  for (const RecordedEvent& event : ReadAll()) {
    v1::RecordedEvent generated;
    ToProto(event, &generated);
    std::string expected;
    ASSERT_TRUE(generated.SerializeToString(&expected));
    std::string actual;
    AppendRecordedEvent(event, &actual);
    EXPECT_EQ(actual, expected) << "position " << event.position();
    // As a field of an enclosing message, after what is already there.
    for (int field : {1, 16, 3000}) {
      std::string enclosed = "before", wanted = "before";
      AppendRecordedEventField(field, event, &enclosed);
      AppendLengthDelimited(field, expected, &wanted);
      EXPECT_EQ(enclosed, wanted) << "position " << event.position();
    }
    v1::RecordedEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(actual));
    EXPECT_EQ(parsed.id(), event.id());
  }
}

TEST_F(WireEncodingTest, LogEntryMatchesGeneratedCode) {
  ASSERT_TRUE(
      Append("w/e/1", ExpectedVersion::Any(),
             {testing::MakeEvent("t", "payload"), testing::MakeEvent("t", ""),
              testing::MakeEvent("t", "erased")})
          .ok());
  ASSERT_TRUE(store_->ErasePayload(2).ok());
  for (const RecordedEvent& event : ReadAll()) {
    v1::LogEntry generated;
    generated.set_position(event.position());
    generated.set_leaf_hash(std::string(event.leaf_hash()));
    generated.set_header(std::string(event.header()));
    generated.set_data(std::string(event.payload()));
    generated.set_data_salt(std::string(event.payload_salt()));
    generated.set_data_erased(event.payload_erased());
    EXPECT_EQ(event.payload_erased(), event.position() == 2);
    std::string expected;
    ASSERT_TRUE(generated.SerializeToString(&expected));
    std::string actual;
    AppendLogEntry(event, &actual);
    EXPECT_EQ(actual, expected) << "position " << event.position();
    std::string enclosed = "before", wanted = "before";
    AppendLogEntryField(1, event, &enclosed);
    AppendLengthDelimited(1, expected, &wanted);
    EXPECT_EQ(enclosed, wanted) << "position " << event.position();
  }
}

TEST_F(WireEncodingTest, ResponsesParseAsTheirMessages) {
  ASSERT_TRUE(
      Append("w/e/1", ExpectedVersion::Any(),
             {testing::MakeEvent("t", "1"), testing::MakeEvent("t", "2")})
          .ok());
  std::string batch;
  for (const RecordedEvent& event : ReadAll()) {
    std::string bytes;
    AppendRecordedEvent(event, &bytes);
    AppendLengthDelimited(1, bytes, &batch);
  }
  std::string response;
  AppendLengthDelimited(1, batch, &response);
  v1::SubscribeResponse subscribe;
  ASSERT_TRUE(subscribe.ParseFromString(response));
  ASSERT_EQ(subscribe.events().events_size(), 2);
  EXPECT_EQ(subscribe.events().events(1).data(), "2");

  std::string caught_up;
  AppendLengthDelimited(2, "", &caught_up);  // position 0: empty message
  ASSERT_TRUE(subscribe.ParseFromString(caught_up));
  EXPECT_TRUE(subscribe.has_caught_up());
  EXPECT_EQ(subscribe.caught_up().position(), 0u);
}

TEST(WireEncoding, LengthDelimitedSizesAndHeadersAgreeWithTheField) {
  for (int field : {1, 15, 16, 2047, 2048}) {
    for (size_t size : {0, 1, 127, 128, 16383, 16384, 300000}) {
      const std::string value(size, 'x');
      std::string whole, header;
      AppendLengthDelimited(field, value, &whole);
      EXPECT_EQ(LengthDelimitedSize(field, size), whole.size())
          << field << " " << size;
      AppendLengthDelimitedHeader(field, size, &header);
      EXPECT_EQ(header + value, whole) << field << " " << size;
    }
  }
}

TEST(WireEncoding, AByteBufferTakesAStringWithoutChangingIt) {
  std::string bytes;
  AppendVarintField(2, 1, &bytes);
  AppendLengthDelimited(1, std::string(5000, 'y'), &bytes);
  const std::string expected = bytes;
  grpc::ByteBuffer buffer = ToByteBuffer(std::move(bytes));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(buffer.Dump(&slices).ok());
  std::string back;
  for (const grpc::Slice& slice : slices) {
    back.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(back, expected);
}

}  // namespace
}  // namespace missionlog
