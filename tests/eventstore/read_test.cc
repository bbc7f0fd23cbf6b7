// Reads: by stream forward and backward with limits, the whole log with
// filters and resumable positions, stream info and the head.
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

class ReadTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // Interleave three streams of two organisations and two event types:
    //   pos: 0 dhsc/a 1 dft/b 2 dhsc/a 3 dhsc/c 4 dft/b 5 dhsc/a ...
    const char* streams[] = {"dhsc/decision/a", "dft/decision/b",
                             "dhsc/decision/a", "dhsc/spend/c",
                             "dft/decision/b",  "dhsc/decision/a"};
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 6; ++i) {
        std::string type = i % 2 == 0 ? "missionlog.decision.recorded.v1"
                                      : "missionlog.spend.committed.v1";
        ASSERT_TRUE(Append(streams[i], ExpectedVersion::Any(),
                           {MakeEvent(type, std::to_string(round * 6 + i))})
                        .ok());
      }
    }
  }

  std::vector<uint64_t> Versions(const ReadStreamResult& result) {
    std::vector<uint64_t> versions;
    for (const auto& event : result.events) {
      versions.push_back(event.stream_version());
    }
    return versions;
  }

  std::vector<uint64_t> Positions(const std::vector<RecordedEvent>& events) {
    std::vector<uint64_t> positions;
    for (const auto& event : events) positions.push_back(event.position());
    return positions;
  }
};

TEST_F(ReadTest, StreamForwardFromVersionWithLimit) {
  ReadStreamRequest request;
  request.stream = "dhsc/decision/a";
  request.from_version = 1;
  request.limit = 3;
  auto result = store_->ReadStream(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Versions(*result), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_FALSE(result->end_of_stream);
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{2, 5, 6}));

  request.from_version = 4;
  result = store_->ReadStream(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Versions(*result), (std::vector<uint64_t>{4, 5}));
  EXPECT_TRUE(result->end_of_stream);
}

TEST_F(ReadTest, StreamBackward) {
  ReadStreamRequest request;
  request.stream = "dhsc/decision/a";
  request.from_version = kEndOfStream;
  request.direction = Direction::kBackward;
  request.limit = 4;
  auto result = store_->ReadStream(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Versions(*result), (std::vector<uint64_t>{5, 4, 3, 2}));
  EXPECT_FALSE(result->end_of_stream);

  request.from_version = 1;
  result = store_->ReadStream(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Versions(*result), (std::vector<uint64_t>{1, 0}));
  EXPECT_TRUE(result->end_of_stream);
}

TEST_F(ReadTest, StreamNamesArePrefixSafe) {
  // "dhsc/decision/a" must not read "dhsc/decision/ab" and vice versa.
  ASSERT_TRUE(Append("dhsc/decision/ab", ExpectedVersion::NoStream(),
                     {MakeEvent("x", "")})
                  .ok());
  EXPECT_EQ(ReadStream("dhsc/decision/a").size(), 6u);
  EXPECT_EQ(ReadStream("dhsc/decision/ab").size(), 1u);
  EXPECT_EQ(ReadStream("dhsc/decision/").size(), 0u);
}

TEST_F(ReadTest, MissingStreamIsEmpty) {
  EXPECT_TRUE(ReadStream("nobody/none/0").empty());
  auto info = store_->GetStreamInfo("nobody/none/0");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->exists);
}

TEST_F(ReadTest, StreamInfoAndHead) {
  auto info = store_->GetStreamInfo("dft/decision/b");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->exists);
  EXPECT_EQ(info->last_version, 3u);
  EXPECT_EQ(info->last_position, 10u);
  EXPECT_EQ(store_->GetHead().next_position, 12u);
}

TEST_F(ReadTest, AllFromPositionWithLimit) {
  ReadAllRequest request;
  request.from_position = 4;
  request.limit = 5;
  auto result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(result->next_position, 9u);
  EXPECT_FALSE(result->end_of_log);

  request.from_position = 9;
  result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{9, 10, 11}));
  EXPECT_EQ(result->next_position, 12u);
  EXPECT_TRUE(result->end_of_log);

  request.from_position = 100;
  result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->events.empty());
  EXPECT_TRUE(result->end_of_log);
}

TEST_F(ReadTest, AllFilteredByStreamPrefix) {
  ReadAllRequest request;
  request.stream_prefix = "dft/";
  auto result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{1, 4, 7, 10}));
  EXPECT_TRUE(result->end_of_log);
}

TEST_F(ReadTest, AllFilteredByTypePrefixAndStreamPrefix) {
  ReadAllRequest request;
  request.stream_prefix = "dhsc/";
  request.type_prefix = "missionlog.spend.";
  auto result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{3, 5, 9, 11}));
}

TEST_F(ReadTest, AllFilteredByAnyOfSeveralTypePrefixes) {
  ReadAllRequest request;
  request.stream_prefix = "dft/";
  request.any_type_prefixes = {"missionlog.none.", "missionlog.spend."};
  auto result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{1, 7}));
  request.any_type_prefixes.push_back("missionlog.decision.");
  result = store_->ReadAll(request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Positions(result->events), (std::vector<uint64_t>{1, 4, 7, 10}));
}

TEST_F(ReadTest, FilteredReadResumesPastSkippedEvents) {
  ReadAllRequest request;
  request.stream_prefix = "dft/";
  request.limit = 1;
  auto first = store_->ReadAll(request);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Positions(first->events), (std::vector<uint64_t>{1}));
  EXPECT_EQ(first->next_position, 2u);
  request.from_position = first->next_position;
  auto second = store_->ReadAll(request);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Positions(second->events), (std::vector<uint64_t>{4}));
}

TEST_F(ReadTest, ReadsStopAtTheByteLimitAndResume) {
  options_.max_read_bytes = 1;  // every read returns one event
  Reopen();
  ReadAllRequest all;
  all.limit = 100;
  std::vector<uint64_t> positions;
  while (true) {
    auto result = store_->ReadAll(all);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_LE(result->events.size(), 1u);
    for (const auto& event : result->events) {
      positions.push_back(event.position());
    }
    all.from_position = result->next_position;
    if (result->end_of_log) break;
  }
  EXPECT_EQ(positions.size(), 12u);

  ReadStreamRequest stream;
  stream.stream = "dhsc/decision/a";
  stream.limit = 100;
  auto first = store_->ReadStream(stream);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->events.size(), 1u);
  EXPECT_FALSE(first->end_of_stream);
}

// ScanAll selects what ReadAll selects, from the ring of recent events
// and (after a reopen) from storage, and stops at its visitor's error.
TEST_F(ReadTest, ScanAllVisitsWhatReadAllReturns) {
  ReadAllRequest request;
  request.from_position = 1;
  request.limit = 5;
  request.type_prefix = "missionlog.decision.";
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) Reopen();  // the ring is empty: storage serves
    auto read = store_->ReadAll(request);
    ASSERT_TRUE(read.ok()) << read.status();
    std::vector<uint64_t> positions;
    std::vector<std::string> payloads;
    auto scanned = store_->ScanAll(request, [&](const RecordedEvent& event) {
      positions.push_back(event.position());
      payloads.push_back(std::string(event.payload()));
      return absl::OkStatus();
    });
    ASSERT_TRUE(scanned.ok()) << scanned.status();
    EXPECT_EQ(positions, Positions(read->events));
    EXPECT_EQ(positions, (std::vector<uint64_t>{2, 4, 6, 8, 10}));
    EXPECT_EQ(payloads, (std::vector<std::string>{"2", "4", "6", "8", "10"}));
    EXPECT_TRUE(scanned->events.empty());
    EXPECT_EQ(scanned->next_position, read->next_position);
    EXPECT_EQ(scanned->end_of_log, read->end_of_log);

    int visited = 0;
    auto stopped = store_->ScanAll(request, [&](const RecordedEvent& event) {
      ++visited;
      return event.position() == 4 ? absl::CancelledError("enough")
                                   : absl::OkStatus();
    });
    EXPECT_EQ(stopped.status(), absl::CancelledError("enough"));
    EXPECT_EQ(visited, 2);
  }
}

}  // namespace
}  // namespace missionlog
