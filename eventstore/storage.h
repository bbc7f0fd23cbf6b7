// The RocksDB database under the event store: opening it with its column
// families (layouts in keys.h), owning the handles, and the few lookups both
// the writer and the readers need.
#ifndef MISSIONLOG_EVENTSTORE_STORAGE_H_
#define MISSIONLOG_EVENTSTORE_STORAGE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "eventstore/projection_families.h"
#include "eventstore/wal_sync.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "tlog/merkle.h"
#include "tlog/sha256.h"

namespace missionlog {

// Thread safety: safe for concurrent use (RocksDB is).
class Storage {
 public:
  static absl::StatusOr<std::unique_ptr<Storage>> Open(const Options& options,
                                                       const std::string& path);

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  // Closes the database; the column family handles go first.
  ~Storage();

  rocksdb::DB* db() const { return db_.get(); }
  // The Env the database runs on (its files, WAL sync included).
  rocksdb::Env* env() const { return env_.get(); }

  // Makes every WAL write that returned before the call durable (see
  // wal_sync.h for why this is not DB::SyncWAL()).
  absl::Status SyncWal() { return wal_fs_->SyncWal(); }

  // True while RocksDB holds a background error (its writes or background
  // work stopped: a flush, compaction or WAL write that failed), until the
  // database is reopened.
  bool has_background_error() const {
    return background_error_.load(std::memory_order_acquire);
  }
  // Closes the database and opens it again: recovery replays the WAL,
  // writes what it replayed into table files and starts a new WAL, which is
  // how RocksDB comes back whole from a failed write. REQUIRES: nothing
  // uses the database meanwhile (the caller excludes readers and the
  // writer). On failure (RESOURCE_EXHAUSTED if recovery could run out of
  // space) the database stays closed: is_open() is false until a Reopen
  // succeeds.
  absl::Status Reopen();
  bool is_open() const { return db_ != nullptr; }

  rocksdb::ColumnFamilyHandle* log() const { return log_; }
  rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* ids() const { return ids_; }
  rocksdb::ColumnFamilyHandle* tree() const { return tree_; }
  rocksdb::ColumnFamilyHandle* checkpoints() const { return checkpoints_; }
  rocksdb::ColumnFamilyHandle* sealed() const { return sealed_; }
  // The default family: the store's own facts (keys.h).
  rocksdb::ColumnFamilyHandle* meta() const { return default_; }
  ProjectionFamilies* projections() const { return projections_.get(); }

  // The root of leaves [begin, end) of the Merkle tree, from stored nodes
  // (complete subtrees) and leaf hashes. REQUIRES: begin < end <= the
  // written size.
  // `check_leaves`: recompute each leaf hash read from its header
  // (DATA_LOSS on a mismatch); off, the stored leaf hash is taken as is
  // (reopening, which must not fail on one damaged record).
  absl::StatusOr<Digest> SubtreeRoot(uint64_t begin, uint64_t end,
                                     bool check_leaves = true) const;
  // The stored nodes [first, first + count) of a stored `level` (keys.h),
  // in one scan; DATA_LOSS naming the first missing or malformed one.
  absl::StatusOr<std::vector<Digest>> StoredNodes(int level, uint64_t first,
                                                  uint64_t count) const;
  // The leaf hashes at positions [first, first + count), in one scan,
  // checked against their headers if `check`.
  absl::StatusOr<std::vector<Digest>> LeafHashes(uint64_t first, uint64_t count,
                                                 bool check) const;

  // The tree's right edge for `size` leaves: from the stored frontier
  // (keys.h), or if it is absent or of another size, from stored nodes and
  // the leaf hashes as stored.
  absl::StatusOr<merkle::CompactRange> RecoverTree(uint64_t size) const;

  // The head as stored: one past the last "log" key, that event's
  // recorded_at, and the applied position (keys.h). An empty log gives
  // {0, 0, "", {0, 0}}. The root is left to RecoverTree.
  absl::StatusOr<Head> RecoverHead() const;

  // The stream's last event whose position is below `position_limit`, or
  // std::nullopt if there is none. Versions and positions grow together, so
  // this is the stream's head as of that position.
  struct StreamHead {
    uint64_t version;
    uint64_t position;
  };
  absl::StatusOr<std::optional<StreamHead>> LastInStream(
      absl::string_view stream, uint64_t position_limit) const;

 private:
  Storage(const Options& options, std::string path)
      : options_(options), path_(std::move(path)) {}
  // Opens the database with db_options_ (the handles and projections too).
  absl::Status OpenDb();
  // Closes it (idempotent).
  void CloseDb();

  const Options options_;
  const std::string path_;
  rocksdb::DBOptions db_options_;
  std::shared_ptr<rocksdb::Cache> cache_;

  // The file system and Env under the database (in db_options_ too):
  // declared before it, so they outlive it.
  std::shared_ptr<WalSyncFileSystem> wal_fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::atomic<bool> background_error_{false};
  std::unique_ptr<rocksdb::DB> db_;
  // Freed before the other handles and the database.
  std::unique_ptr<ProjectionFamilies> projections_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;      // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;  // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* ids_ = nullptr;      // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* tree_ = nullptr;     // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;  // owned, as above
  rocksdb::ColumnFamilyHandle* sealed_ = nullptr;       // owned, as above
  rocksdb::ColumnFamilyHandle* default_ = nullptr;  // owned, freed in ~Storage
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STORAGE_H_
