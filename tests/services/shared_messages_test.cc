// SharedMessages: subscribers that would build the same message (the same
// positions, the same filter) are given the one kept, and only that one;
// neither it nor EncodedEvents gives what was read before an erasure.
#include <memory>
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

// A subscriber at a position takes a kept message from that position
// whatever its end (the longest), before gathering any event itself.
TEST(SharedMessagesTest, GivesTheLongestMessageFromAPositionForTheFilter) {
  SharedMessages messages(1 << 20);
  grpc::ByteBuffer got;
  uint64_t to = 0;
  EXPECT_FALSE(messages.GetFrom(10, "dhsc/", "", 0, &got, &to));
  messages.Put({10, 15, "dhsc/", ""}, ToByteBuffer(std::string("10-15")));
  messages.Put({10, 20, "dhsc/", ""}, ToByteBuffer(std::string("10-20")));
  messages.Put({10, 30, "mod/", ""}, ToByteBuffer(std::string("mod 10-30")));
  messages.Put({15, 40, "dhsc/", ""}, ToByteBuffer(std::string("15-40")));
  ASSERT_TRUE(messages.GetFrom(10, "dhsc/", "", 0, &got, &to));
  EXPECT_EQ(Bytes(got), "10-20");
  EXPECT_EQ(to, 20u);
  ASSERT_TRUE(messages.GetFrom(15, "dhsc/", "", 0, &got, &to));
  EXPECT_EQ(Bytes(got), "15-40");
  EXPECT_EQ(to, 40u);
  // Another position, filter or count of erasures has none.
  EXPECT_FALSE(messages.GetFrom(11, "dhsc/", "", 0, &got, &to));
  EXPECT_FALSE(messages.GetFrom(10, "dhsc/", "missionlog.", 0, &got, &to));
  EXPECT_FALSE(messages.GetFrom(10, "dhsc", "", 0, &got, &to));
  EXPECT_FALSE(messages.GetFrom(10, "dhsc/", "", 1, &got, &to));
  EXPECT_FALSE(messages.GetFrom(10, "dhsc/", "", 0, &got, &to));
  EXPECT_EQ(to, 40u);  // untouched when nothing is given
}

TEST(SharedMessagesTest, AMessageReadBeforeAnErasureIsNeverGivenAfterIt) {
  SharedMessages messages(1 << 20);
  messages.Put({0, 3, "dhsc/", "", /*erasures=*/0},
               ToByteBuffer(std::string("with the payload")));
  grpc::ByteBuffer got;
  EXPECT_TRUE(messages.Get({0, 3, "dhsc/", "", 0}, &got));
  EXPECT_FALSE(messages.Get({0, 3, "dhsc/", "", 1}, &got));
  // Seeing the later count let it go, and a read from before is not kept.
  EXPECT_FALSE(messages.Get({0, 3, "dhsc/", "", 0}, &got));
  messages.Put({0, 3, "dhsc/", "", 0}, ToByteBuffer(std::string("stale")));
  EXPECT_FALSE(messages.Get({0, 3, "dhsc/", "", 0}, &got));
  messages.Put({0, 3, "dhsc/", "", 1}, ToByteBuffer(std::string("erased")));
  ASSERT_TRUE(messages.Get({0, 3, "dhsc/", "", 1}, &got));
  EXPECT_EQ(Bytes(got), "erased");
}

// The encoded events follow the store's count of erasures the same way.
TEST(EncodedEventsTest, AnErasureEmptiesTheCacheAndOlderReadsAreNotKept) {
  EncodedEvents encoded(/*max_events=*/100, /*max_bytes=*/1 << 20);
  auto event = [](const std::string& bytes) {
    auto made = std::make_shared<EncodedEvent>();
    made->stream = "dhsc/note/n1";
    made->bytes = bytes;
    return SharedEncodedEvent(made);
  };
  encoded.Put(0, {event("a"), event("secret"), event("c")}, /*erasures=*/0);
  std::vector<SharedEncodedEvent> got;
  encoded.Get(0, 10, /*erasures=*/0, &got);
  EXPECT_EQ(got.size(), 3u);
  got.clear();
  // The store erased a payload: nothing cached is given any more.
  encoded.Get(0, 10, /*erasures=*/1, &got);
  EXPECT_TRUE(got.empty());
  // A read taken before that erasure (count 0) is not cached.
  encoded.Put(0, {event("a"), event("secret"), event("c")}, 0);
  encoded.Get(0, 10, 1, &got);
  EXPECT_TRUE(got.empty());
  // One taken after it is.
  encoded.Put(0, {event("a"), event(""), event("c")}, 1);
  encoded.Get(0, 10, 1, &got);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1]->bytes, "");
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
