#include "eventstore/projection_families.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "eventstore/status_util.h"
#include "rocksdb/write_batch.h"

namespace missionlog {
namespace {

const rocksdb::Slice kPositionKey(kProjectionPositionKey,
                                  sizeof(kProjectionPositionKey));

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("projection name: 1-64 bytes");
  }
  for (char c : name) {
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' &&
        c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("projection name \"", name,
                       "\": lower-case letters, digits, '_', '-'"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReadPosition(rocksdb::DB* db,
                                      rocksdb::ColumnFamilyHandle* family) {
  std::string value;
  rocksdb::Status status =
      db->Get(rocksdb::ReadOptions(), family, kPositionKey, &value);
  if (status.IsNotFound()) return 0;
  RETURN_IF_ERROR(FromRocksDb(status, "reading a projection's position"));
  if (value.size() != 8) {
    return absl::DataLossError("a projection's position is malformed");
  }
  return DecodeFixed64(value.data());
}

}  // namespace

ProjectionFamilies::ProjectionFamilies(
    rocksdb::DB* db,
    std::map<std::string, rocksdb::ColumnFamilyHandle*> existing,
    rocksdb::ColumnFamilyOptions options)
    : db_(db), options_(std::move(options)) {
  for (auto& [name, handle] : existing) families_.emplace(name, handle);
}

ProjectionFamilies::~ProjectionFamilies() {
  absl::MutexLock lock(&mu_);
  for (auto& [name, handle] : families_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
}

rocksdb::ColumnFamilyHandle* ProjectionFamilies::Find(
    absl::string_view name) const {
  auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second;
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> ProjectionFamilies::Create(
    absl::string_view name) {
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  RETURN_IF_ERROR(FromRocksDb(
      db_->CreateColumnFamily(
          options_, absl::StrCat(kProjectionFamilyPrefix, name), &handle),
      absl::StrCat("creating projection ", name)));
  families_.emplace(std::string(name), handle);
  return handle;
}

absl::StatusOr<uint64_t> ProjectionFamilies::Open(absl::string_view name) {
  RETURN_IF_ERROR(CheckName(name));
  absl::MutexLock lock(&mu_);
  rocksdb::ColumnFamilyHandle* family = Find(name);
  if (family == nullptr) {
    ASSIGN_OR_RETURN(family, Create(name));
  }
  return ReadPosition(db_, family);
}

absl::Status ProjectionFamilies::Commit(
    absl::string_view name, const std::vector<ProjectionChange>& changes,
    uint64_t position) {
  absl::ReaderMutexLock lock(&mu_);
  rocksdb::ColumnFamilyHandle* family = Find(name);
  if (family == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection ", name));
  }
  rocksdb::WriteBatch batch;
  for (const ProjectionChange& change : changes) {
    if (!change.key.empty() && change.key[0] == '\0') {
      return absl::InvalidArgumentError(
          "projection keys may not start with NUL");
    }
    if (change.append) {
      if (!change.value) {
        return absl::InvalidArgumentError("a projection append needs a value");
      }
      batch.Merge(family, change.key, *change.value);
    } else if (change.value) {
      batch.Put(family, change.key, *change.value);
    } else {
      batch.Delete(family, change.key);
    }
  }
  std::string encoded;
  PutFixed64(&encoded, position);
  batch.Put(family, kPositionKey, encoded);
  // Not in the WAL at all: a projection's state can always be derived
  // again from the log. After a crash the family holds what its last
  // flush wrote, state and position together (one family, flushed whole),
  // and the projection replays from that position.
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return FromRocksDb(db_->Write(options, &batch),
                     absl::StrCat("writing projection ", name));
}

absl::StatusOr<std::optional<std::string>> ProjectionFamilies::Get(
    absl::string_view name, absl::string_view key) {
  absl::ReaderMutexLock lock(&mu_);
  rocksdb::ColumnFamilyHandle* family = Find(name);
  if (family == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection ", name));
  }
  std::string value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), family,
               rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(
      FromRocksDb(status, absl::StrCat("reading projection ", name)));
  return std::optional<std::string>(std::move(value));
}

absl::Status ProjectionFamilies::Scan(
    absl::string_view name, absl::string_view from, absl::string_view prefix,
    const std::function<bool(absl::string_view, absl::string_view)>& visit) {
  absl::ReaderMutexLock lock(&mu_);
  rocksdb::ColumnFamilyHandle* family = Find(name);
  if (family == nullptr) {
    return absl::NotFoundError(absl::StrCat("no projection ", name));
  }
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), family));
  const absl::string_view start = from.empty() ? prefix : from;
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid();
       it->Next()) {
    const absl::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!key.empty() && key[0] == '\0') continue;
    if (!visit(key,
               absl::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocksDb(it->status(), absl::StrCat("scanning projection ", name));
}

absl::Status ProjectionFamilies::Reset(absl::string_view name) {
  RETURN_IF_ERROR(CheckName(name));
  absl::MutexLock lock(&mu_);
  rocksdb::ColumnFamilyHandle* family = Find(name);
  if (family != nullptr) {
    // State and position go together: the family is the unit.
    RETURN_IF_ERROR(FromRocksDb(db_->DropColumnFamily(family),
                                absl::StrCat("dropping projection ", name)));
    db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
    families_.erase(families_.find(name));
  }
  return Create(name).status();
}

}  // namespace missionlog
