#include "eventstore/wal_sync.h"

#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventstore/status_util.h"

namespace missionlog {

// A WAL file: appends mark it dirty once they return, so a sync that starts
// after an append returned covers it. Closing syncs what is still dirty, so
// no byte written through it is left for a sync that will skip it.
class WalSyncFileSystem::WalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WalFile(WalSyncFileSystem* owner,
          std::unique_ptr<rocksdb::FSWritableFile> file)
      : FSWritableFileOwnerWrapper(std::move(file)), owner_(owner) {}
  ~WalFile() override { owner_->Forget(this); }

  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Dirtied(target()->Append(data, options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Dirtied(target()->Append(data, options, info, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return Dirtied(target()->PositionedAppend(data, offset, options, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    return Dirtied(
        target()->PositionedAppend(data, offset, options, info, dbg));
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    absl::MutexLock lock(&owner_->mu_);
    rocksdb::IOStatus synced;
    if (dirty_.exchange(false, std::memory_order_acq_rel)) {
      synced = target()->Sync(options, dbg);
    }
    closed_ = true;
    rocksdb::IOStatus closed = target()->Close(options, dbg);
    return synced.ok() ? closed : synced;
  }

  // REQUIRES: owner_->mu_ held.
  rocksdb::IOStatus SyncIfDirty() {
    if (closed_ || !dirty_.exchange(false, std::memory_order_acq_rel)) {
      return rocksdb::IOStatus::OK();
    }
    return target()->Sync(rocksdb::IOOptions(), nullptr);
  }

 private:
  // Whatever the outcome: a failed append may still have written part.
  rocksdb::IOStatus Dirtied(rocksdb::IOStatus status) {
    dirty_.store(true, std::memory_order_release);
    return status;
  }

  WalSyncFileSystem* const owner_;
  std::atomic<bool> dirty_{false};
  bool closed_ = false;  // guarded by owner_->mu_
};

WalSyncFileSystem::WalSyncFileSystem(
    const std::shared_ptr<rocksdb::FileSystem>& base, std::string wal_dir)
    : FileSystemWrapper(base), wal_dir_(std::move(wal_dir)) {}

WalSyncFileSystem::~WalSyncFileSystem() = default;

bool WalSyncFileSystem::IsWal(const std::string& fname) const {
  // RocksDB names WAL files <dir>/<number>.log (the info log is "LOG").
  size_t slash = fname.rfind('/');
  absl::string_view dir = slash == std::string::npos
                              ? absl::string_view()
                              : absl::string_view(fname).substr(0, slash);
  while (absl::EndsWith(dir, "/")) dir.remove_suffix(1);
  absl::string_view own = wal_dir_;
  while (absl::EndsWith(own, "/")) own.remove_suffix(1);
  return absl::EndsWith(fname, ".log") && dir == own;
}

void WalSyncFileSystem::Track(const std::string& fname,
                              std::unique_ptr<rocksdb::FSWritableFile>* file) {
  if (!IsWal(fname) || *file == nullptr) return;
  auto wal = std::make_unique<WalFile>(this, std::move(*file));
  absl::MutexLock lock(&mu_);
  files_.insert(wal.get());
  directory_dirty_ = true;
  *file = std::move(wal);
}

void WalSyncFileSystem::Forget(WalFile* file) {
  absl::MutexLock lock(&mu_);
  files_.erase(file);
}

rocksdb::IOStatus WalSyncFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus status =
      target()->NewWritableFile(fname, options, result, dbg);
  if (status.ok()) Track(fname, result);
  return status;
}

rocksdb::IOStatus WalSyncFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus status =
      target()->ReopenWritableFile(fname, options, result, dbg);
  if (status.ok()) Track(fname, result);
  return status;
}

rocksdb::IOStatus WalSyncFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname,
    const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus status =
      target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (status.ok()) Track(fname, result);
  return status;
}

absl::Status WalSyncFileSystem::SyncWal() {
  absl::MutexLock lock(&mu_);
  for (WalFile* file : files_) {
    rocksdb::IOStatus status = file->SyncIfDirty();
    if (!status.ok()) return FromRocksDb(status, "syncing the WAL");
  }
  if (!directory_dirty_) return absl::OkStatus();
  if (directory_ == nullptr) {
    rocksdb::IOStatus opened = target()->NewDirectory(
        wal_dir_, rocksdb::IOOptions(), &directory_, nullptr);
    if (!opened.ok()) {
      return FromRocksDb(opened, "opening the WAL directory to sync it");
    }
  }
  rocksdb::IOStatus synced = directory_->Fsync(rocksdb::IOOptions(), nullptr);
  if (!synced.ok()) return FromRocksDb(synced, "syncing the WAL directory");
  directory_dirty_ = false;
  return absl::OkStatus();
}

}  // namespace missionlog
