// Making RocksDB's write-ahead log durable from the writer's sync thread
// without DB::SyncWAL().
//
// The writer writes group N+1 while the sync thread syncs group N. If the
// write of N+1 fails (ENOSPC, EIO), RocksDB marks the WAL file's writer as
// failed, and any later SyncWAL() on it reaches an assertion that Debian's
// librocksdb keeps (WritableFileWriter::AssertFalseAndGetStatusForPrevError)
// and aborts the process. Nothing can order our SyncWAL() after RocksDB's
// failure bookkeeping without serializing the two threads, so the sync
// thread does not call it: this file system sees every WAL file RocksDB
// opens and syncs those written since the last sync itself (fdatasync, the
// same call SyncWAL makes), and the WAL directory after a new WAL file, as
// SyncWAL does. RocksDB's own syncs (of closed WAL files before a flush, of
// sync=true writes) still happen as before.
#ifndef MISSIONLOG_EVENTSTORE_WAL_SYNC_H_
#define MISSIONLOG_EVENTSTORE_WAL_SYNC_H_

#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace missionlog {

// Safe for concurrent use.
class WalSyncFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // Wraps `base`; WAL files are the "*.log" files in directory `wal_dir`.
  WalSyncFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base,
                    std::string wal_dir);
  ~WalSyncFileSystem() override;

  const char* Name() const override { return "MissionlogWalSync"; }

  // Makes every WAL append that returned before this call durable: syncs
  // each WAL file appended to since the last call, then the WAL directory
  // if a WAL file was created since. The first error is returned (and the
  // caller must not trust any later success: the kernel may have dropped
  // the pages that failed).
  absl::Status SyncWal();

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(
      const std::string& fname, const std::string& old_fname,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override;

 private:
  class WalFile;

  bool IsWal(const std::string& fname) const;
  // Wraps `file` (just opened as `fname`) if it is a WAL file.
  void Track(const std::string& fname,
             std::unique_ptr<rocksdb::FSWritableFile>* file);
  void Forget(WalFile* file);

  const std::string wal_dir_;

  // Held across the syncs of SyncWal, so that a file is not closed or
  // destroyed while it is being synced.
  absl::Mutex mu_;
  std::set<WalFile*> files_ ABSL_GUARDED_BY(mu_);
  bool directory_dirty_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<rocksdb::FSDirectory> directory_ ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_WAL_SYNC_H_
