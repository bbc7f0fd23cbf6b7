#include "tests/fault_injection_fs.h"

#include <utility>

#include "absl/strings/match.h"

namespace missionlog {
namespace testing {
namespace {

class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WalFile(std::unique_ptr<rocksdb::FSWritableFile> file,
          FaultInjectionFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                         rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = fs_->BeforeWalSync();
    return status.ok() ? target()->Sync(options, dbg) : status;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = fs_->BeforeWalSync();
    return status.ok() ? target()->Fsync(options, dbg) : status;
  }

 private:
  FaultInjectionFileSystem* const fs_;
};

}  // namespace

FaultInjectionFileSystem::FaultInjectionFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

rocksdb::IOStatus FaultInjectionFileSystem::Wrap(
    const std::string& name, std::unique_ptr<rocksdb::FSWritableFile>* file) {
  if (absl::EndsWith(name, ".log")) {
    *file = std::make_unique<WalFile>(std::move(*file), this);
  }
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus FaultInjectionFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus status =
      target()->NewWritableFile(name, options, file, dbg);
  return status.ok() ? Wrap(name, file) : status;
}

rocksdb::IOStatus FaultInjectionFileSystem::ReopenWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus status =
      target()->ReopenWritableFile(name, options, file, dbg);
  return status.ok() ? Wrap(name, file) : status;
}

void FaultInjectionFileSystem::FailWalSyncs(bool fail) {
  absl::MutexLock lock(&mu_);
  fail_ = fail;
}

void FaultInjectionFileSystem::BlockWalSyncs() {
  absl::MutexLock lock(&mu_);
  blocked_ = true;
}

void FaultInjectionFileSystem::UnblockWalSyncs() {
  absl::MutexLock lock(&mu_);
  blocked_ = false;
}

void FaultInjectionFileSystem::WaitForBlockedSync() {
  absl::MutexLock lock(&mu_);
  auto waiting = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return waiting_ > 0;
  };
  mu_.Await(absl::Condition(&waiting));
}

rocksdb::IOStatus FaultInjectionFileSystem::BeforeWalSync() {
  absl::MutexLock lock(&mu_);
  ++waiting_;
  auto unblocked = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !blocked_; };
  mu_.Await(absl::Condition(&unblocked));
  --waiting_;
  if (fail_) return rocksdb::IOStatus::IOError("injected WAL sync failure");
  return rocksdb::IOStatus::OK();
}

}  // namespace testing
}  // namespace missionlog
