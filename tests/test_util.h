// Helpers shared by the tests: temporary directories, a controllable clock,
// event builders, and offline access to a closed store's RocksDB.
#ifndef MISSIONLOG_TESTS_TEST_UTIL_H_
#define MISSIONLOG_TESTS_TEST_UTIL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "eventstore/clock.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"

namespace missionlog {
namespace testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A clock that returns whatever the test sets.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_us) : now_us_(now_us) {}
  int64_t NowMicros() override { return now_us_.load(); }
  void Set(int64_t now_us) { now_us_.store(now_us); }

 private:
  std::atomic<int64_t> now_us_;
};

// A canonical UUID text whose last 12 digits are `n`, for deterministic ids.
std::string TestUuid(uint64_t n);

// An event of type `type` with `payload`, and id TestUuid(n) when n > 0.
EventData MakeEvent(const std::string& type, const std::string& payload,
                    uint64_t n = 0);

AppendRequest MakeAppend(const std::string& stream, ExpectedVersion expected,
                         std::vector<EventData> events);

// Rewrites the stored log value at `position` of the closed store at `path`
// with `mutate(value)`. Opens RocksDB directly, as an attacker with disk
// access would.
void TamperWithRecord(const std::string& path, uint64_t position,
                      const std::function<void(std::string*)>& mutate);

// The same for any key of any column family (keys.h).
void TamperWithValue(const std::string& path, const std::string& column_family,
                     const std::string& key,
                     const std::function<void(std::string*)>& mutate);

// Flushes the closed store at `path` into SST files and flips one byte at
// `offset` in each "log" family SST file. Returns the number of files hit.
int CorruptLogTables(const std::string& path, size_t offset);

// A store in a temporary directory with a fake clock, reopenable.
class StoreTest : public ::testing::Test {
 protected:
  StoreTest();
  void SetUp() override { Reopen(); }

  // Closes the store (if open) and opens it again on the same directory.
  void Reopen();
  std::string db_path() const { return dir_.Sub("db"); }

  absl::StatusOr<AppendResult> Append(const std::string& stream,
                                      ExpectedVersion expected,
                                      std::vector<EventData> events);
  // The whole stream, forward.
  std::vector<RecordedEvent> ReadStream(const std::string& stream);
  // The whole log.
  std::vector<RecordedEvent> ReadAll();

  TempDir dir_;
  FakeClock clock_{1700000000000000};
  Options options_;
  std::unique_ptr<EventStore> store_;
};

}  // namespace testing
}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_TEST_UTIL_H_
