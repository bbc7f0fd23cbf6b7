// RocksDB's info log (the LOG file in the store's directory), written so
// that a failed write is dropped rather than fatal.
//
// RocksDB's own logger writes through a WritableFileWriter, and once one of
// its writes fails (the disk full), every later log line reaches an
// assertion that Debian's librocksdb keeps, and the process aborts: on the
// next flush, compaction or DB::Resume(), all of which log. This logger
// appends to the file directly and forgets lines it cannot write.
#ifndef MISSIONLOG_EVENTSTORE_INFO_LOG_H_
#define MISSIONLOG_EVENTSTORE_INFO_LOG_H_

#include <cstdarg>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace missionlog {

// Safe for concurrent use (RocksDB logs from every thread).
class InfoLog : public rocksdb::Logger {
 public:
  // Opens <dir>/LOG on `fs`, after renaming a previous one to LOG.old.
  static absl::StatusOr<std::shared_ptr<InfoLog>> Open(
      const std::shared_ptr<rocksdb::FileSystem>& fs, const std::string& dir);
  ~InfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Flush() override {}

 private:
  explicit InfoLog(std::unique_ptr<rocksdb::FSWritableFile> file)
      : file_(std::move(file)) {}
  rocksdb::Status CloseImpl() override;

  absl::Mutex mu_;
  std::unique_ptr<rocksdb::FSWritableFile> file_ ABSL_GUARDED_BY(mu_);
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_INFO_LOG_H_
