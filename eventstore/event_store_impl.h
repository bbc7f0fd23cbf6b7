// The EventStore behind event_store.h: RocksDB storage, one group-commit
// writer, and readers capped at the committed head.
#ifndef MISSIONLOG_EVENTSTORE_EVENT_STORE_IMPL_H_
#define MISSIONLOG_EVENTSTORE_EVENT_STORE_IMPL_H_

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "eventstore/committed_head.h"
#include "eventstore/disk_space.h"
#include "eventstore/event_store.h"
#include "eventstore/reader.h"
#include "eventstore/recent_events.h"
#include "eventstore/storage.h"
#include "eventstore/storage_gate.h"
#include "eventstore/writer.h"
#include "tlog/merkle.h"

namespace missionlog {

// Safe for concurrent use (as EventStore promises).
// Copies the store's files into the BackupEngine directory `destination`
// and checks them (backups.cc); `started` holds what the backup covers.
absl::StatusOr<BackupResult> TakeBackup(rocksdb::DB* db, rocksdb::Env* db_env,
                                        const std::string& destination,
                                        const std::function<void()>& progress,
                                        BackupResult started);

class EventStoreImpl : public EventStore {
 public:
  static absl::StatusOr<std::unique_ptr<EventStoreImpl>> Open(
      const Options& options, const std::string& path);
  ~EventStoreImpl() override;

  absl::StatusOr<AppendResult> Append(AppendRequest request) override;
  void AppendAsync(AppendRequest request, AppendCallback done) override;
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) override;
  absl::StatusOr<ReadAllResult> ScanAll(
      const ReadAllRequest& request,
      const std::function<absl::Status(const RecordedEvent&)>& visit) override;
  absl::StatusOr<ReadStreamResult> ReadStream(
      const ReadStreamRequest& request) override;
  absl::StatusOr<StreamInfo> GetStreamInfo(absl::string_view stream) override;
  absl::StatusOr<std::optional<uint64_t>> FindEvent(
      absl::string_view id) override;
  Head GetHead() override;
  absl::StatusOr<std::string> GetTreeRoot(uint64_t tree_size) override;
  absl::StatusOr<std::vector<std::string>> GetInclusionProof(
      uint64_t position, uint64_t tree_size) override;
  absl::StatusOr<std::vector<std::string>> GetConsistencyProof(
      uint64_t old_size, uint64_t new_size) override;
  absl::StatusOr<std::vector<std::string>> GetTreeNodes(
      int level, uint64_t from_index, size_t max_nodes) override;
  absl::Status PutCheckpoint(uint64_t tree_size,
                             absl::string_view signed_note) override;
  absl::StatusOr<StoredCheckpoint> GetCheckpoint(uint64_t tree_size) override;
  absl::StatusOr<std::string> GetSealed(uint64_t position) override;
  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ScanSealed(
      uint64_t from, uint64_t to) override;
  absl::Status ErasePayload(uint64_t position) override;
  absl::StatusOr<BackupResult> Backup(const std::string& destination,
                                      std::function<void()> progress) override;
  absl::Status ReplaceSealed(uint64_t position,
                             const std::string& remaining) override;
  Stats GetStats() override;
  absl::StatusOr<uint64_t> OpenProjection(absl::string_view name) override;
  absl::Status CommitProjection(absl::string_view name,
                                const std::vector<ProjectionChange>& changes,
                                uint64_t position) override;
  absl::StatusOr<std::optional<std::string>> GetProjectionValue(
      absl::string_view name, absl::string_view key) override;
  absl::Status ScanProjection(
      absl::string_view name, absl::string_view from, absl::string_view prefix,
      const std::function<bool(absl::string_view, absl::string_view)>& visit)
      override;
  absl::Status ResetProjection(absl::string_view name) override;
  absl::StatusOr<int64_t> PrepareReplicated(AppendRequest* request) override;
  void ApplyAsync(ReplicaPosition position, AppendRequest request,
                  int64_t recorded_at_us, AppendCallback done) override;
  bool ApplyingFenced() override { return writer_.ReplicaFenced(); }
  void ResumeApplying() override { writer_.ResumeReplica(); }
  bool NotifyWhenBeyond(uint64_t position,
                        std::function<void()> callback) override {
    return head_.NotifyWhenBeyond(position, std::move(callback));
  }
  uint64_t Erasures() override {
    return erasures_.load(std::memory_order_acquire);
  }

 private:
  // `call()` with the gate passed; UNAVAILABLE while the storage is
  // reopening or closed.
  template <typename Call>
  auto WithStorage(const Call& call) -> decltype(call());
  // After an erasure's write: flushes every family, then compacts `key`'s
  // range of `families` to the bottom, so that the old value leaves the
  // WAL and the table files.
  absl::Status PurgeOldValues(
      const std::string& key,
      std::initializer_list<rocksdb::ColumnFamilyHandle*> families);
  // Once a reading found room: reopens the storage if a write ran out of
  // space or RocksDB stopped on an error.
  void RecoverIfStopped();
  absl::Status StoreCheckpoint(uint64_t tree_size,
                               absl::string_view signed_note);
  absl::StatusOr<StoredCheckpoint> LoadCheckpoint(uint64_t tree_size);

  EventStoreImpl(const Options& options, const std::string& path,
                 std::unique_ptr<Storage> storage, Head recovered,
                 merkle::CompactRange tree);

  // Constant after construction. Declaration order is destruction order in
  // reverse: the writer stops before the storage closes.
  const Options options_;
  // options_ without the request limits: the accepting node applied its
  // own, and a replica whose limits differ must still apply what the
  // others do.
  const Options apply_options_;
  Clock* const clock_;
  const std::unique_ptr<Storage> storage_;
  CommittedHead head_;
  absl::Mutex backup_mu_;  // one backup at a time
  RecentEvents recent_;
  std::atomic<uint64_t> erasures_{0};  // see Erasures()
  const Reader reader_;
  Writer writer_;
  // Every call that reads or writes storage passes the gate, so that a
  // reopen (after a write that ran out of space) waits for none.
  StorageGate gate_;
  // Last: its thread reopens the storage, so it stops first. nullptr
  // without a reserve.
  std::unique_ptr<DiskSpace> disk_space_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_EVENT_STORE_IMPL_H_
