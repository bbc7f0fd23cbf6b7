// SharedMessages: subscribers that would build the same message (the same
// positions, the same filter) are given the one kept, and only that one.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/encoded_events.h"
#include "services/wire_encoding.h"

namespace missionlog {
namespace {

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

TEST(SharedMessagesTest, GivesTheKeptMessageOnlyForTheSameKey) {
  SharedMessages messages(1 << 20);
  const SharedMessages::Key key{10, 20, "dhsc/", "missionlog.decision."};
  grpc::ByteBuffer got;
  EXPECT_FALSE(messages.Get(key, &got));
  messages.Put(key, ToByteBuffer(std::string("batch 10-20")));
  ASSERT_TRUE(messages.Get(key, &got));
  EXPECT_EQ(Bytes(got), "batch 10-20");
  // Any difference is another message.
  EXPECT_FALSE(messages.Get({11, 20, "dhsc/", "missionlog.decision."}, &got));
  EXPECT_FALSE(messages.Get({10, 19, "dhsc/", "missionlog.decision."}, &got));
  EXPECT_FALSE(messages.Get({10, 20, "dhsc", "missionlog.decision."}, &got));
  EXPECT_FALSE(messages.Get({10, 20, "dhsc/", ""}, &got));
  EXPECT_FALSE(messages.Get({10, 20, "", "missionlog.decision."}, &got));
}

TEST(SharedMessagesTest, TheKeyOutlivesTheCallersStrings) {
  SharedMessages messages(1 << 20);
  {
    std::string stream = "mod/";
    std::string type = "t.";
    messages.Put({0, 5, stream, type}, ToByteBuffer(std::string("m")));
    stream.assign("xxxx");
    type.assign("yy");
  }
  grpc::ByteBuffer got;
  EXPECT_TRUE(messages.Get({0, 5, "mod/", "t."}, &got));
}

TEST(SharedMessagesTest, KeepsAFewRecentMessagesBoundedInBytes) {
  SharedMessages messages(/*max_bytes=*/100);
  for (uint64_t from = 0; from < 20; ++from) {
    messages.Put({from, from + 1, "", ""}, ToByteBuffer(std::string(10, 'x')));
  }
  grpc::ByteBuffer got;
  // The newest are kept, the oldest dropped (at most 8, within 100 bytes).
  EXPECT_TRUE(messages.Get({19, 20, "", ""}, &got));
  EXPECT_TRUE(messages.Get({12, 13, "", ""}, &got));
  EXPECT_FALSE(messages.Get({11, 12, "", ""}, &got));
  EXPECT_FALSE(messages.Get({0, 1, "", ""}, &got));
  // A large one pushes out older ones to stay within the bound.
  messages.Put({100, 200, "", ""}, ToByteBuffer(std::string(95, 'y')));
  EXPECT_TRUE(messages.Get({100, 200, "", ""}, &got));
  EXPECT_FALSE(messages.Get({19, 20, "", ""}, &got));
  // One over the bound by itself is not kept at all.
  messages.Put({200, 300, "", ""}, ToByteBuffer(std::string(101, 'z')));
  EXPECT_FALSE(messages.Get({200, 300, "", ""}, &got));
  EXPECT_TRUE(messages.Get({100, 200, "", ""}, &got));
}

TEST(SharedMessagesTest, AMessageGivenOutSurvivesItsEviction) {
  SharedMessages messages(/*max_bytes=*/10);
  messages.Put({0, 1, "", ""}, ToByteBuffer(std::string("first")));
  grpc::ByteBuffer given;
  ASSERT_TRUE(messages.Get({0, 1, "", ""}, &given));
  messages.Put({1, 2, "", ""}, ToByteBuffer(std::string("second!!")));
  grpc::ByteBuffer got;
  EXPECT_FALSE(messages.Get({0, 1, "", ""}, &got));
  EXPECT_EQ(Bytes(given), "first");  // still whole: it holds its bytes
}

}  // namespace
}  // namespace missionlog
