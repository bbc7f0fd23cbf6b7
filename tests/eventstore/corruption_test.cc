// Damage to stored data is reported as DATA_LOSS naming the position, never
// a crash and never silently wrong data: a changed header byte, payload byte
// or stored leaf hash, a record moved to another position, a truncated
// record, and RocksDB block corruption in an SST file.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::MakeEvent;

// Offset one past the header in a stored value (grammar in record.cc).
size_t HeaderEnd(const std::string& value) {
  absl::string_view in(value);
  uint32_t header_length = 0;
  EXPECT_TRUE(GetVarint32(&in, &header_length));
  return value.size() - in.size() + header_length;
}

class CorruptionTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          Append(
              "dhsc/decision/" + std::to_string(i % 2), ExpectedVersion::Any(),
              {MakeEvent("missionlog.test.v1", "payload-" + std::to_string(i))})
              .ok());
    }
  }

  // Closes the store, applies `mutate` to the stored value at `position`,
  // and reopens.
  void Tamper(uint64_t position,
              const std::function<void(std::string*)>& mutate) {
    store_.reset();
    testing::TamperWithRecord(db_path(), position, mutate);
    Reopen();
  }

  void ExpectDataLoss(const absl::Status& status, uint64_t position) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_TRUE(absl::StrContains(status.message(),
                                  absl::StrCat("position ", position)))
        << status.message();
  }

  absl::Status ReadAllStatus(uint64_t from = 0) {
    ReadAllRequest request;
    request.from_position = from;
    return store_->ReadAll(request).status();
  }

  absl::Status ReadStreamStatus(const std::string& stream) {
    ReadStreamRequest request;
    request.stream = stream;
    return store_->ReadStream(request).status();
  }
};

TEST_F(CorruptionTest, ChangedHeaderByte) {
  // The last byte of the header is inside content_type.
  Tamper(2,
         [](std::string* value) { (*value)[HeaderEnd(*value) - 1] ^= 0x01; });
  ExpectDataLoss(ReadAllStatus(), 2);
  ExpectDataLoss(ReadStreamStatus("dhsc/decision/0"), 2);
  // Events before and after the damage are still readable.
  EXPECT_TRUE(ReadAllStatus(3).ok());
  EXPECT_TRUE(ReadStreamStatus("dhsc/decision/1").ok());
}

TEST_F(CorruptionTest, ChangedPayloadByte) {
  Tamper(3, [](std::string* value) { value->back() ^= 0x20; });
  ExpectDataLoss(ReadAllStatus(), 3);
  ExpectDataLoss(ReadStreamStatus("dhsc/decision/1"), 3);
}

TEST_F(CorruptionTest, ChangedStoredLeafHash) {
  Tamper(1,
         [](std::string* value) { (*value)[HeaderEnd(*value) + 5] ^= 0xff; });
  ExpectDataLoss(ReadAllStatus(), 1);
}

TEST_F(CorruptionTest, RecordMovedToAnotherPosition) {
  store_.reset();
  std::string moved;
  testing::TamperWithRecord(db_path(), 1,
                            [&moved](std::string* value) { moved = *value; });
  testing::TamperWithRecord(db_path(), 3,
                            [&moved](std::string* value) { *value = moved; });
  Reopen();
  ExpectDataLoss(ReadAllStatus(), 3);
}

TEST_F(CorruptionTest, TruncatedRecord) {
  Tamper(0, [](std::string* value) { value->resize(10); });
  ExpectDataLoss(ReadAllStatus(), 0);
}

TEST_F(CorruptionTest, DamagedLastRecordFailsOpenWithDataLoss) {
  store_.reset();
  testing::TamperWithRecord(db_path(), 4,
                            [](std::string* value) { value->back() ^= 1; });
  auto reopened = EventStore::Open(options_, db_path());
  ASSERT_FALSE(reopened.ok());
  ExpectDataLoss(reopened.status(), 4);
}

TEST_F(CorruptionTest, UnverifiedReadsSkipHashChecks) {
  Tamper(3, [](std::string* value) { value->back() ^= 0x20; });
  options_.verify_reads = false;
  Reopen();
  EXPECT_TRUE(ReadAllStatus().ok());
}

TEST_F(CorruptionTest, SstBlockCorruptionIsDataLoss) {
  store_.reset();
  ASSERT_GE(testing::CorruptLogTables(db_path(), 100), 1);
  absl::StatusOr<std::unique_ptr<EventStore>> reopened =
      EventStore::Open(options_, db_path());
  if (!reopened.ok()) {
    EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss)
        << reopened.status();
    return;
  }
  store_ = std::move(reopened).value();
  absl::Status status = ReadAllStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
}

}  // namespace
}  // namespace missionlog
