// A RocksDB FileSystem that can make WAL syncs fail or wait, for the faults
// a test cannot cause on a real disk. Everything else goes to the default
// file system. Use with rocksdb::NewCompositeEnv and Options::env.
#ifndef MISSIONLOG_TESTS_FAULT_INJECTION_FS_H_
#define MISSIONLOG_TESTS_FAULT_INJECTION_FS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace missionlog {
namespace testing {

// Safe for concurrent use.
class FaultInjectionFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultInjectionFileSystem();

  const char* Name() const override { return "MissionlogFaultInjection"; }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;

  // From now on every WAL sync fails with an I/O error (or stops failing).
  void FailWalSyncs(bool fail);
  // While blocked, a WAL sync waits until Unblock().
  void BlockWalSyncs();
  void UnblockWalSyncs();
  // Waits until a WAL sync is waiting because of BlockWalSyncs().
  void WaitForBlockedSync();

  // Called by the WAL files this file system made.
  rocksdb::IOStatus BeforeWalSync();

 private:
  rocksdb::IOStatus Wrap(const std::string& name,
                         std::unique_ptr<rocksdb::FSWritableFile>* file);

  absl::Mutex mu_;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_FAULT_INJECTION_FS_H_
