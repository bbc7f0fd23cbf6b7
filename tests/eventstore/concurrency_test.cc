// Many threads appending at once to shared and separate streams with mixed
// expected versions: the log stays dense, each stream's versions stay dense,
// every acknowledged event is there exactly where it was acknowledged, and
// no rejected event is.
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;
using testing::TestUuid;

constexpr int kThreads = 8;
constexpr int kAppendsPerThread = 2000;
constexpr int kSharedStreams = 4;

struct Outcome {
  std::map<std::string, uint64_t> acked;  // event id -> acknowledged position
  std::set<std::string> rejected;         // ids of rejected events
  int aborted = 0;
};

// Thread `t`'s append `i`: alternates own/shared streams and cycles through
// the four kinds of expected version.
void RunAppender(EventStore* store, int t, Outcome* outcome) {
  uint64_t own_next_version = 0;
  for (int i = 0; i < kAppendsPerThread; ++i) {
    const bool shared = i % 2 == 1;
    std::string stream =
        shared ? absl::StrCat("shared/s/", (i / 2) % kSharedStreams)
               : absl::StrCat("own/t/", t);
    ExpectedVersion expected = ExpectedVersion::Any();
    switch (i % 8 / 2) {
      case 0:
        break;
      case 1:
        expected = ExpectedVersion::StreamExists();
        break;
      case 2:
        expected = ExpectedVersion::NoStream();
        break;
      case 3:
        if (shared) {
          auto info = store->GetStreamInfo(stream);
          ASSERT_TRUE(info.ok());
          expected = info->exists ? ExpectedVersion::Exact(info->last_version)
                                  : ExpectedVersion::NoStream();
        } else {
          expected = own_next_version == 0
                         ? ExpectedVersion::NoStream()
                         : ExpectedVersion::Exact(own_next_version - 1);
        }
        break;
    }
    const int events = 1 + i % 3;
    std::vector<EventData> batch;
    std::vector<std::string> ids;
    for (int e = 0; e < events; ++e) {
      uint64_t n = (static_cast<uint64_t>(t) << 32) | (i << 4) | e;
      batch.push_back(MakeEvent("t", absl::StrCat(t, "/", i, "/", e), n + 1));
      ids.push_back(TestUuid(n + 1));
    }
    auto result =
        store->Append(testing::MakeAppend(stream, expected, std::move(batch)));
    if (result.ok()) {
      ASSERT_EQ(result->last_position - result->first_position,
                static_cast<uint64_t>(events - 1));
      for (int e = 0; e < events; ++e) {
        outcome->acked[ids[e]] = result->first_position + e;
      }
      if (!shared) own_next_version = result->stream_version + 1;
    } else {
      ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted)
          << result.status();
      ++outcome->aborted;
      outcome->rejected.insert(ids.begin(), ids.end());
    }
  }
}

class ConcurrencyTest : public testing::StoreTest {};

TEST_F(ConcurrencyTest, DenseOrderUnderConcurrentAppends) {
  std::vector<Outcome> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(RunAppender, store_.get(), t, &outcomes[t]);
  }
  for (auto& thread : threads) thread.join();

  std::map<std::string, uint64_t> acked;
  std::set<std::string> rejected;
  int aborted = 0;
  for (const Outcome& outcome : outcomes) {
    acked.insert(outcome.acked.begin(), outcome.acked.end());
    rejected.insert(outcome.rejected.begin(), outcome.rejected.end());
    aborted += outcome.aborted;
  }
  // Both outcomes happened, so both paths were exercised.
  EXPECT_GT(aborted, 0);
  EXPECT_GT(acked.size(), 0u);

  std::vector<RecordedEvent> all = ReadAll();
  ASSERT_EQ(all.size(), acked.size());
  EXPECT_EQ(store_->GetHead().next_position, all.size());
  absl::flat_hash_map<std::string, uint64_t> next_version;
  for (size_t i = 0; i < all.size(); ++i) {
    const RecordedEvent& event = all[i];
    ASSERT_EQ(event.position(), i);
    std::string stream(event.stream());
    EXPECT_EQ(event.stream_version(), next_version[stream]++)
        << "stream " << stream << " at position " << i;
    auto it = acked.find(event.id());
    ASSERT_NE(it, acked.end()) << "unacknowledged event " << event.id();
    EXPECT_EQ(it->second, i);
    EXPECT_EQ(rejected.count(event.id()), 0u);
  }
  for (const auto& [stream, count] : next_version) {
    EXPECT_EQ(ReadStream(stream).size(), count);
  }
}

}  // namespace
}  // namespace missionlog
