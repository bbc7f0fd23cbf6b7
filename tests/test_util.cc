#include "tests/test_util.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "eventstore/keys.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace missionlog {
namespace testing {

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr ? base : "/tmp") + "/missionlog-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  char* made = mkdtemp(buffer.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
  path_ = made != nullptr ? made : pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TestUuid(uint64_t n) {
  return absl::StrFormat("00000000-0000-4000-8000-%012x", n);
}

EventData MakeEvent(const std::string& type, const std::string& payload,
                    uint64_t n) {
  EventData event;
  if (n > 0) event.id = TestUuid(n);
  event.type = type;
  event.source = "urn:missionlog:test";
  event.content_type = "application/json";
  event.payload = payload;
  return event;
}

AppendRequest MakeAppend(const std::string& stream, ExpectedVersion expected,
                         std::vector<EventData> events) {
  AppendRequest request;
  request.stream = stream;
  request.expected_version = expected;
  request.events = std::move(events);
  request.recorded_by = "test@missionlog";
  return request;
}

namespace {

struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~RawDb() {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  }
};

void OpenRaw(const std::string& path, RawDb* raw) {
  std::vector<std::string> names;
  rocksdb::Status listed =
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  ASSERT_TRUE(listed.ok()) << listed.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.push_back({name, {}});
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(rocksdb::DBOptions(), path,
                                             families, &raw->handles, &db);
  ASSERT_TRUE(status.ok()) << status.ToString();
  raw->db.reset(db);
}

}  // namespace

void TamperWithValue(const std::string& path, const std::string& column_family,
                     const std::string& key,
                     const std::function<void(std::string*)>& mutate) {
  RawDb raw;
  OpenRaw(path, &raw);
  rocksdb::ColumnFamilyHandle* family = nullptr;
  for (auto* handle : raw.handles) {
    if (handle->GetName() == column_family) family = handle;
  }
  ASSERT_NE(family, nullptr) << column_family;
  std::string value;
  ASSERT_TRUE(raw.db->Get(rocksdb::ReadOptions(), family, key, &value).ok());
  mutate(&value);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(raw.db->Put(sync, family, key, value).ok());
}

void TamperWithRecord(const std::string& path, uint64_t position,
                      const std::function<void(std::string*)>& mutate) {
  TamperWithValue(path, kLogColumnFamily, LogKey(position), mutate);
}

int CorruptLogTables(const std::string& path, size_t offset) {
  std::vector<std::string> tables;
  {
    RawDb raw;
    OpenRaw(path, &raw);
    if (raw.db == nullptr) return 0;
    EXPECT_TRUE(raw.db->Flush(rocksdb::FlushOptions(), raw.handles[1]).ok());
    std::vector<rocksdb::LiveFileMetaData> files;
    raw.db->GetLiveFilesMetaData(&files);
    for (const auto& file : files) {
      if (file.column_family_name == kLogColumnFamily) {
        tables.push_back(file.db_path + "/" + file.name);
      }
    }
  }  // closed: the files are no longer in use
  for (const std::string& name : tables) {
    std::fstream stream(name, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    stream.get(byte);
    stream.seekp(static_cast<std::streamoff>(offset));
    stream.put(static_cast<char>(byte ^ 0x5a));
  }
  return static_cast<int>(tables.size());
}

StoreTest::StoreTest() {
  options_.clock = &clock_;
  options_.sync = false;  // page cache survives a process exit; see crash_test
}

void StoreTest::Reopen() {
  store_.reset();
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(options_, db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(store).value();
}

absl::StatusOr<AppendResult> StoreTest::Append(const std::string& stream,
                                               ExpectedVersion expected,
                                               std::vector<EventData> events) {
  return store_->Append(MakeAppend(stream, expected, std::move(events)));
}

std::vector<RecordedEvent> StoreTest::ReadStream(const std::string& stream) {
  ReadStreamRequest request;
  request.stream = stream;
  request.limit = SIZE_MAX;
  absl::StatusOr<ReadStreamResult> result = store_->ReadStream(request);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  EXPECT_TRUE(result->end_of_stream);
  return std::move(result->events);
}

std::vector<RecordedEvent> StoreTest::ReadAll() {
  ReadAllRequest request;
  request.limit = SIZE_MAX;
  absl::StatusOr<ReadAllResult> result = store_->ReadAll(request);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  EXPECT_TRUE(result->end_of_log);
  return std::move(result->events);
}

}  // namespace testing
}  // namespace missionlog
