// The RocksDB database under the event store: opening it with its column
// families (layouts in keys.h), owning the handles, and the few lookups both
// the writer and the readers need.
#ifndef MISSIONLOG_EVENTSTORE_STORAGE_H_
#define MISSIONLOG_EVENTSTORE_STORAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "eventstore/merkle.h"
#include "eventstore/projection_families.h"
#include "eventstore/sha256.h"
#include "rocksdb/db.h"

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
  rocksdb::ColumnFamilyHandle* log() const { return log_; }
  rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* ids() const { return ids_; }
  rocksdb::ColumnFamilyHandle* tree() const { return tree_; }
  rocksdb::ColumnFamilyHandle* checkpoints() const { return checkpoints_; }
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

  // The head as stored: one past the last "log" key, and that event's
  // recorded_at. An empty log gives {0, 0}.
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
  Storage() = default;

  std::unique_ptr<rocksdb::DB> db_;
  // Freed before the other handles and the database.
  std::unique_ptr<ProjectionFamilies> projections_;
  rocksdb::ColumnFamilyHandle* log_ = nullptr;      // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;  // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* ids_ = nullptr;      // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* tree_ = nullptr;     // owned, freed in ~Storage
  rocksdb::ColumnFamilyHandle* checkpoints_ = nullptr;  // owned, as above
  rocksdb::ColumnFamilyHandle* default_ = nullptr;  // owned, freed in ~Storage
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STORAGE_H_
