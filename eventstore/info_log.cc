#include "eventstore/info_log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <utility>

#include "eventstore/status_util.h"

namespace missionlog {
namespace {

// Past this, lines are dropped (the log starts over at the next open).
constexpr uint64_t kMaxLogBytes = 64 << 20;

}  // namespace

absl::StatusOr<std::shared_ptr<InfoLog>> InfoLog::Open(
    const std::shared_ptr<rocksdb::FileSystem>& fs, const std::string& dir) {
  const std::string path = dir + "/LOG";
  fs->RenameFile(path, dir + "/LOG.old", rocksdb::IOOptions(), nullptr)
      .PermitUncheckedError();  // there may be none
  std::unique_ptr<rocksdb::FSWritableFile> file;
  RETURN_IF_ERROR(FromRocksDb(
      fs->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr),
      "creating the store's info log"));
  return std::shared_ptr<InfoLog>(new InfoLog(std::move(file)));
}

InfoLog::~InfoLog() {
  if (!closed_) CloseImpl().PermitUncheckedError();
}

void InfoLog::Logv(const char* format, va_list ap) {
  char line[1024];
  timeval now;
  gettimeofday(&now, nullptr);
  struct tm t;
  localtime_r(&now.tv_sec, &t);
  int n = std::snprintf(
      line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %lx ",
      t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
      static_cast<long>(now.tv_usec), static_cast<unsigned long>(gettid()));
  if (n < 0) return;
  va_list copy;
  va_copy(copy, ap);
  int m = std::vsnprintf(line + n, sizeof line - n, format, copy);
  va_end(copy);
  if (m < 0) return;
  size_t size = std::min(sizeof line - 1, static_cast<size_t>(n + m));
  if (line[size - 1] != '\n') line[size++] = '\n';
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr || size_ + size > kMaxLogBytes) return;
  // A line that cannot be written is forgotten, never fatal.
  if (file_->Append(rocksdb::Slice(line, size), rocksdb::IOOptions(), nullptr)
          .ok()) {
    size_ += size;
  }
}

rocksdb::Status InfoLog::CloseImpl() {
  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) return rocksdb::Status::OK();
  rocksdb::IOStatus closed = file_->Close(rocksdb::IOOptions(), nullptr);
  file_.reset();
  return std::move(closed);
}

}  // namespace missionlog
