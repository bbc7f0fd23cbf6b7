// Backups with RocksDB's BackupEngine. What the store adds: the position
// and checkpoint a backup covers, recorded in the backup's metadata
// ("missionlog-backup 1 position=P checkpoint=N"), a read-back against
// the checksums after each backup and before each restore, and a restore
// that refuses to overwrite a store.
#include <sys/stat.h>

#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "eventstore/event_store_impl.h"
#include "eventstore/status_util.h"
#include "rocksdb/utilities/backup_engine.h"

namespace missionlog {
namespace {

constexpr char kMetadataMagic[] = "missionlog-backup 1";

std::string Metadata(uint64_t position, uint64_t checkpoint_size) {
  return absl::StrCat(kMetadataMagic, " position=", position,
                      " checkpoint=", checkpoint_size);
}

// False if `metadata` is not ours.
bool ParseMetadata(absl::string_view metadata, uint64_t* position,
                   uint64_t* checkpoint_size) {
  if (!absl::ConsumePrefix(&metadata, kMetadataMagic)) return false;
  bool has_position = false, has_checkpoint = false;
  for (absl::string_view field :
       absl::StrSplit(metadata, ' ', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&field, "position=")) {
      has_position = absl::SimpleAtoi(field, position);
    } else if (absl::ConsumePrefix(&field, "checkpoint=")) {
      has_checkpoint = absl::SimpleAtoi(field, checkpoint_size);
    }
  }
  return has_position && has_checkpoint;
}

absl::Status FromIo(const rocksdb::IOStatus& status, absl::string_view what) {
  return FromRocksDb(status, what);
}

}  // namespace

absl::StatusOr<BackupResult> TakeBackup(rocksdb::DB* db, rocksdb::Env* db_env,
                                        const std::string& destination,
                                        const std::function<void()>& progress,
                                        BackupResult result) {
  rocksdb::BackupEngineOptions options(destination);
  options.backup_env = rocksdb::Env::Default();
  options.sync = true;  // each file synced before the backup is recorded
  options.share_table_files = true;  // incremental
  options.callback_trigger_interval_size = 256 << 10;
  rocksdb::BackupEngine* opened = nullptr;
  rocksdb::IOStatus status =
      rocksdb::BackupEngine::Open(options, db_env, &opened);
  if (!status.ok()) return FromIo(status, "opening the backup directory");
  std::unique_ptr<rocksdb::BackupEngine> engine(opened);
  rocksdb::CreateBackupOptions create;
  // Memtables flushed first: the backup is table files (and whatever WAL
  // the families' consistency still needs), all at one point.
  create.flush_before_backup = true;
  if (progress) create.progress_callback = progress;
  rocksdb::BackupID id = 0;
  status = engine->CreateNewBackupWithMetadata(
      create, db, Metadata(result.position, result.checkpoint_size), &id);
  if (!status.ok()) return FromIo(status, "taking the backup");
  // Read back whole: every file against its checksum.
  status = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
  if (!status.ok()) return FromIo(status, "checking the backup just taken");
  rocksdb::BackupInfo info;
  rocksdb::Status found = engine->GetBackupInfo(id, &info);
  if (!found.ok()) return FromRocksDb(found, "reading the backup's size");
  std::vector<rocksdb::BackupInfo> all;
  engine->GetBackupInfo(&all);
  result.backup_id = id;
  result.bytes = info.size;
  result.files = info.number_files;
  result.backups_kept = static_cast<uint32_t>(all.size());
  return result;
}

absl::StatusOr<RestoreResult> RestoreLatestBackup(const std::string& backup_dir,
                                                  const std::string& data_dir) {
  struct stat existing;
  if (stat((data_dir + "/CURRENT").c_str(), &existing) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(data_dir,
                     " already holds a store: restore into an empty "
                     "directory (and never over the store it replaces)"));
  }
  rocksdb::BackupEngineOptions options(backup_dir);
  options.backup_env = rocksdb::Env::Default();
  rocksdb::BackupEngineReadOnly* opened = nullptr;
  rocksdb::IOStatus status = rocksdb::BackupEngineReadOnly::Open(
      options, rocksdb::Env::Default(), &opened);
  if (!status.ok()) return FromIo(status, "opening the backup directory");
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(opened);
  std::vector<rocksdb::BackupInfo> backups;
  engine->GetBackupInfo(&backups);
  if (backups.empty()) {
    return absl::NotFoundError(
        absl::StrCat(backup_dir, " holds no whole backup"));
  }
  const rocksdb::BackupInfo& latest = backups.back();
  RestoreResult result;
  result.backup_id = latest.backup_id;
  if (!ParseMetadata(latest.app_metadata, &result.position,
                     &result.checkpoint_size)) {
    return absl::DataLossError(
        absl::StrCat("backup ", latest.backup_id, " in ", backup_dir,
                     " was not taken by missionlog (its metadata is \"",
                     latest.app_metadata, "\")"));
  }
  status = engine->VerifyBackup(latest.backup_id,
                                /*verify_with_checksum=*/true);
  if (!status.ok()) {
    return absl::DataLossError(
        absl::StrCat("backup ", latest.backup_id,
                     " does not match its checksums: ", status.ToString()));
  }
  status = engine->RestoreDBFromBackup(latest.backup_id, data_dir, data_dir);
  if (!status.ok()) return FromIo(status, "restoring");
  // Opened once, as missionlogd would: recovery checks the tree's edge.
  Options store_options;
  store_options.create_if_missing = false;
  ASSIGN_OR_RETURN(std::unique_ptr<EventStore> store,
                   EventStore::Open(store_options, data_dir));
  result.events = store->GetHead().next_position;
  if (result.events < result.position) {
    return absl::DataLossError(absl::StrCat(
        "the restored store has ", result.events, " events, fewer than the ",
        result.position, " the backup was taken to cover"));
  }
  return result;
}

}  // namespace missionlog
