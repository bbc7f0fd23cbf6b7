// Online backups of the store and offline restores (README "Backup and
// restore"), with RocksDB's BackupEngine: a backup directory holds any
// number of backups, incremental (a table file already there is shared,
// not copied again), each checksummed and recorded only once whole.
//
// Thread safety: safe for concurrent use; backups run one at a time.
#ifndef MISSIONLOG_EVENTSTORE_BACKUPS_H_
#define MISSIONLOG_EVENTSTORE_BACKUPS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace missionlog {

struct BackupResult {
  uint32_t backup_id = 0;
  // Every event below this position (the committed head when the backup
  // began, so every append acknowledged before it) is in the backup.
  uint64_t position = 0;
  // The latest signed checkpoint when it began (0: none yet), and its note.
  uint64_t checkpoint_size = 0;
  std::string checkpoint_note;
  uint64_t bytes = 0;  // the backup's files, shared ones included
  uint32_t files = 0;
  uint32_t backups_kept = 0;  // in the directory now
};

class Backups {
 public:
  virtual ~Backups() = default;

  // A consistent copy of the whole store (every column family at one
  // point) into the backup directory `destination` (created if missing),
  // taken while appends go on, then read back and checked against its
  // checksums. `progress` is called as files are copied. A backup cut off
  // (a crash, kill -9) is never recorded: it is dropped when the
  // directory is next opened, and a restore uses the latest whole one.
  // FAILED_PRECONDITION if another backup is running.
  virtual absl::StatusOr<BackupResult> Backup(
      const std::string& destination, std::function<void()> progress) = 0;
};

struct RestoreResult {
  uint32_t backup_id = 0;
  uint64_t position = 0;  // as recorded when the backup was taken
  uint64_t checkpoint_size = 0;
  uint64_t events = 0;  // in the restored store
};

// Restores the latest whole backup in `backup_dir` into `data_dir`, which
// must not hold a store (FAILED_PRECONDITION), after checking every file
// against its checksum (DATA_LOSS naming the file otherwise); then opens
// the restored store once to count its events. NOT_FOUND if the directory
// holds no whole backup. The signing key is not in a backup: copy it
// (log.key, log.pub) into `data_dir` from its own safe place.
absl::StatusOr<RestoreResult> RestoreLatestBackup(const std::string& backup_dir,
                                                  const std::string& data_dir);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_BACKUPS_H_
