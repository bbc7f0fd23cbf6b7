#include "eventstore/storage.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/coding.h"
#include "eventstore/disk_space.h"
#include "eventstore/info_log.h"
#include "eventstore/keys.h"
#include "eventstore/record.h"
#include "eventstore/status_util.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "tlog/merkle.h"

namespace missionlog {
namespace {

// The stream name and its 0x00 terminator: the prefix of every "streams" key
// of one stream (keys.h). Appends add keys at the end of their stream's
// range, so an insert hint per stream makes each insert an append.
class StreamPrefixTransform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "missionlog.StreamPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* end = std::memchr(key.data(), '\0', key.size());
    return rocksdb::Slice(key.data(),
                          static_cast<const char*>(end) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

rocksdb::ColumnFamilyOptions LogFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  // Keys arrive in increasing order and are mostly read in long ranges.
  // Large uncompressed blocks read through mmap are served without copying
  // or decompressing (LZ4 decompression was 40% of a log scan).
  options.write_buffer_size = 64 << 20;
  // Room for bursts while a flush runs, instead of stopping writes.
  options.max_write_buffer_number = 4;
  options.compression = rocksdb::kNoCompression;
  // Positions only grow: one insert hint for the whole family turns each
  // memtable insert from a skiplist search into an append.
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewCappedPrefixTransform(0));
  rocksdb::BlockBasedTableOptions table;
  table.block_size = 64 << 10;
  table.block_cache = cache;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

rocksdb::ColumnFamilyOptions IndexFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache, bool point_lookups) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 32 << 20;
  options.max_write_buffer_number = 4;
  if (!point_lookups) {
    options.memtable_insert_with_hint_prefix_extractor =
        std::make_shared<StreamPrefixTransform>();
  }
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) {
    // The id index is probed for every client-supplied id, and almost every
    // probe misses: bloom filters answer those without reading a block.
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.memtable_whole_key_filtering = true;
    options.memtable_prefix_bloom_size_ratio = 0.05;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Merkle nodes: point lookups, and inserts that append within each level
// (the level byte is the key's prefix), so a hint per level makes each
// insert an append.
rocksdb::ColumnFamilyOptions TreeFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options = IndexFamilyOptions(cache, true);
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(1));
  return options;
}

// Event ids: ids the store generates are UUIDv7, time-ordered, so one
// insert hint for the family makes most of their inserts appends (memtable
// insert instructions -27% under callgrind); random client ids pay ~2% for
// a hint that is rarely right.
rocksdb::ColumnFamilyOptions IdsFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options = IndexFamilyOptions(cache, true);
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewCappedPrefixTransform(0));
  return options;
}

// A projection's appends (ProjectionChange::append): a value is the
// concatenation of what was appended to it, in order.
class ConcatenateOperator : public rocksdb::AssociativeMergeOperator {
 public:
  const char* Name() const override { return "missionlog.Concatenate"; }
  bool Merge(const rocksdb::Slice& /*key*/,
             const rocksdb::Slice* existing_value, const rocksdb::Slice& value,
             std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    if (existing_value != nullptr) {
      new_value->reserve(existing_value->size() + value.size());
      new_value->assign(existing_value->data(), existing_value->size());
    }
    new_value->append(value.data(), value.size());
    return true;
  }
};

// Projections' state: point reads and short scans, from the shared cache.
rocksdb::ColumnFamilyOptions ProjectionFamilyOptions(
    const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions options;
  options.merge_operator = std::make_shared<ConcatenateOperator>();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Notes RocksDB's background errors (a flush or compaction that ran out
// of space, a failed WAL write), which stop its writes or background work
// until DB::Resume().
class ErrorListener : public rocksdb::EventListener {
 public:
  explicit ErrorListener(std::atomic<bool>* flag) : flag_(flag) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason /*reason*/,
                         rocksdb::Status* error) override {
    if (error != nullptr && !error->ok()) {
      flag_->store(true, std::memory_order_release);
    }
  }
  // The free-space reading decides when to resume (DiskSpace, Writer::
  // Resume), not RocksDB's own recovery thread, which wants a whole write
  // buffer free and would compete with our DB::Resume calls.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/,
                            rocksdb::Status /*error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
  void OnErrorRecoveryEnd(
      const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) flag_->store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool>* const flag_;
};

// Bytes of the write-ahead log files in `path` (recovery replays them).
uint64_t WalBytes(rocksdb::FileSystem* fs, const std::string& path) {
  std::vector<std::string> children;
  if (!fs->GetChildren(path, rocksdb::IOOptions(), &children, nullptr).ok()) {
    return 0;
  }
  uint64_t total = 0;
  for (const std::string& child : children) {
    uint64_t size = 0;
    if (absl::EndsWith(child, ".log") &&
        fs->GetFileSize(path + "/" + child, rocksdb::IOOptions(), &size,
                        nullptr)
            .ok()) {
      total += size;
    }
  }
  return total;
}

// Room beyond the WAL that opening needs: a new MANIFEST, OPTIONS and info
// log, and the new WAL's first writes.
constexpr uint64_t kOpenHeadroomBytes = 8 << 20;

// Recovery may write what it replays from the WAL into table files: refuse
// to start it where it could run out of space half way (it would abort,
// and leave empty MANIFEST and WAL files behind).
absl::Status CheckRoomToRecover(rocksdb::FileSystem* fs,
                                const std::string& path) {
  absl::StatusOr<uint64_t> free = FreeDiskBytes(path);
  if (!free.ok()) return absl::OkStatus();  // a new directory: nothing to do
  const uint64_t wal = WalBytes(fs, path);
  const uint64_t need = wal + kOpenHeadroomBytes;
  if (*free >= need) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrFormat(
      "not enough disk space to recover the store in %s: recovery needs "
      "about %.1f MB free (its write-ahead log is %.1f MB), and %.1f MB is "
      "free",
      path, need / 1e6, wal / 1e6, *free / 1e6));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> Storage::Open(
    const Options& options, const std::string& path) {
  std::unique_ptr<Storage> storage(new Storage(options, path));
  rocksdb::DBOptions& db_options = storage->db_options_;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  db_options.max_background_jobs = 2;
  db_options.paranoid_checks = true;
  // Reading SST files through mmap avoids a pread copy into a fresh buffer
  // per block: read_all ran 1.7x faster with it. Block checksums are still
  // verified; an I/O error on a mapped page would raise SIGBUS rather than
  // return an error, the accepted cost.
  db_options.allow_mmap_reads = options.mmap_reads;
  // One writer thread: concurrent memtable inserts never happen, and turning
  // them off enables the insert hints below.
  db_options.allow_concurrent_memtable_write = false;
  // Writers queued behind another (the log writer and the projections'
  // commits) sleep instead of spinning: on two cores a spinning waiter
  // takes the core the running write needs.
  db_options.enable_write_thread_adaptive_yield = false;
  if (options.disk_reserve_bytes > 0) {
    // The reserve must hold what a restart writes: recovery writes what it
    // replays from the WAL into table files before the store opens (so
    // nothing rests on a WAL file it has not synced), and the WAL grows in
    // preallocated chunks. Both are capped here at a quarter of the
    // reserve: past it, RocksDB flushes the memtables the oldest WAL backs
    // (and the chunk is no bigger). The rest covers the MANIFEST, OPTIONS
    // and info log, and what is written between two readings.
    db_options.max_total_wal_size = options.disk_reserve_bytes / 4;
  }
  rocksdb::Env* base_env =
      options.env != nullptr ? options.env : rocksdb::Env::Default();
  storage->wal_fs_ =
      std::make_shared<WalSyncFileSystem>(base_env->GetFileSystem(), path);
  storage->env_ = rocksdb::NewCompositeEnv(storage->wal_fs_);
  db_options.env = storage->env_.get();
  db_options.listeners.push_back(
      std::make_shared<ErrorListener>(&storage->background_error_));
  if (options.disk_reserve_bytes > 0) {
    RETURN_IF_ERROR(CheckRoomToRecover(storage->wal_fs_.get(), path));
  }
  if (options.create_if_missing) {
    storage->wal_fs_->CreateDirIfMissing(path, rocksdb::IOOptions(), nullptr)
        .PermitUncheckedError();  // DB::Open reports a directory it lacks
  }
  ASSIGN_OR_RETURN(db_options.info_log, InfoLog::Open(storage->wal_fs_, path));
  storage->cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  RETURN_IF_ERROR(storage->OpenDb());
  return storage;
}

absl::Status Storage::OpenDb() {
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {kLogColumnFamily, LogFamilyOptions(cache_)},
      {kStreamsColumnFamily, IndexFamilyOptions(cache_, false)},
      {kIdsColumnFamily, IdsFamilyOptions(cache_)},
      {kTreeColumnFamily, TreeFamilyOptions(cache_)},
      {kCheckpointsColumnFamily, rocksdb::ColumnFamilyOptions()},
      {kSealedColumnFamily, rocksdb::ColumnFamilyOptions()},
  };
  // Projections' families, as many as the store has.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options_, path_, &existing).ok()) {
    for (const std::string& name : existing) {
      if (absl::StartsWith(name, kProjectionFamilyPrefix)) {
        families.push_back({name, ProjectionFamilyOptions(cache_)});
      }
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status status =
      rocksdb::DB::Open(db_options_, path_, families, &handles, &raw_db);
  if (!status.ok()) {
    return FromRocksDb(status, absl::StrCat("opening the store at ", path_));
  }
  db_.reset(raw_db);
  background_error_.store(false, std::memory_order_release);
  default_ = handles[0];
  log_ = handles[1];
  streams_ = handles[2];
  ids_ = handles[3];
  tree_ = handles[4];
  checkpoints_ = handles[5];
  sealed_ = handles[6];
  std::map<std::string, rocksdb::ColumnFamilyHandle*> projections;
  for (size_t i = 7; i < handles.size(); ++i) {
    projections[families[i].name.substr(strlen(kProjectionFamilyPrefix))] =
        handles[i];
  }
  projections_ = std::make_unique<ProjectionFamilies>(
      raw_db, std::move(projections), ProjectionFamilyOptions(cache_));
  return absl::OkStatus();
}

void Storage::CloseDb() {
  if (db_ == nullptr) return;
  if (has_background_error()) {
    // Flushing the memtables on close would sync a WAL file whose write
    // failed, which RocksDB aborts on. Projections replay from their last
    // flushed positions; the log's data is in the WAL.
    db_->SetDBOptions({{"avoid_flush_during_shutdown", "true"}})
        .PermitUncheckedError();
  }
  projections_.reset();
  for (rocksdb::ColumnFamilyHandle* handle :
       {log_, streams_, ids_, tree_, checkpoints_, sealed_, default_}) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
  db_.reset();
}

absl::Status Storage::Reopen() {
  CloseDb();
  if (options_.disk_reserve_bytes > 0) {
    RETURN_IF_ERROR(CheckRoomToRecover(wal_fs_.get(), path_));
  }
  return OpenDb();
}

Storage::~Storage() { CloseDb(); }

absl::StatusOr<Head> Storage::RecoverHead() const {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), log_));
  it->SeekToLast();
  Head head;
  if (it->Valid()) {
    if (it->key().size() != 8) {
      return absl::DataLossError("log key of unexpected size");
    }
    uint64_t position = DecodeFixed64(it->key().data());
    RecordedEvent last;
    RETURN_IF_ERROR(DecodeRecord(position, it->value().ToString(),
                                 /*verify=*/true, &last));
    head.next_position = position + 1;
    head.last_recorded_at_us = last.recorded_at_us();
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "reading the log's last event"));
  std::string applied;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), default_, kAppliedKey, &applied);
  if (!status.IsNotFound()) {
    RETURN_IF_ERROR(FromRocksDb(status, "reading the applied position"));
    if (applied.size() != 12) {
      return absl::DataLossError("the applied position is malformed");
    }
    head.applied.revision = static_cast<int64_t>(DecodeFixed64(applied.data()));
    head.applied.index = DecodeFixed32(applied.data() + 8);
  }
  return head;
}

absl::StatusOr<merkle::CompactRange> Storage::RecoverTree(uint64_t size) const {
  std::string frontier;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), tree_, kTreeFrontierKey, &frontier);
  if (!status.IsNotFound()) {
    RETURN_IF_ERROR(FromRocksDb(status, "reading the tree's frontier"));
  }
  if (status.ok() && frontier.size() >= 8 && (frontier.size() - 8) % 32 == 0 &&
      DecodeFixed64(frontier.data()) == size) {
    std::vector<Digest> peaks((frontier.size() - 8) / 32);
    for (size_t i = 0; i < peaks.size(); ++i) {
      std::copy(frontier.begin() + 8 + 32 * i,
                frontier.begin() + 8 + 32 * (i + 1), peaks[i].begin());
    }
    absl::StatusOr<merkle::CompactRange> range =
        merkle::CompactRange::FromPeaks(size, std::move(peaks));
    if (range.ok()) return range;
  }
  return merkle::CompactRange::Recover(
      size, [this](uint64_t begin, uint64_t end) {
        return SubtreeRoot(begin, end, /*check_leaves=*/false);
      });
}

absl::StatusOr<Digest> Storage::SubtreeRoot(uint64_t begin, uint64_t end,
                                            bool check_leaves) const {
  const uint64_t width = end - begin;
  if (width == 0) return merkle::EmptyRoot();
  if ((width & (width - 1)) == 0 && begin % width == 0) {
    // A complete subtree: stored, or hashed from the nodes (or leaves) of
    // the stored level below it, read in one scan.
    const int level = __builtin_ctzll(width);
    const int base = level - level % kTreeTileHeight;
    const uint64_t count = uint64_t{1} << (level - base);
    ASSIGN_OR_RETURN(std::vector<Digest> nodes,
                     base == 0 ? LeafHashes(begin, count, check_leaves)
                               : StoredNodes(base, begin >> base, count));
    for (size_t n = nodes.size(); n > 1; n /= 2) {
      for (size_t i = 0; i < n / 2; ++i) {
        nodes[i] = merkle::HashChildren(nodes[2 * i], nodes[2 * i + 1]);
      }
    }
    return nodes[0];
  }
  const uint64_t split = merkle::Split(begin, end);
  ASSIGN_OR_RETURN(Digest left, SubtreeRoot(begin, split, check_leaves));
  ASSIGN_OR_RETURN(Digest right, SubtreeRoot(split, end, check_leaves));
  return merkle::HashChildren(left, right);
}

namespace {

// Point lookups of `keys` in one batch (bloom filters make each cheaper than
// a seek). OK with `values` filled, or the index of the first key that is
// missing in `*missing`.
absl::Status MultiGet(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                      const std::vector<std::string>& keys,
                      std::vector<rocksdb::PinnableSlice>* values,
                      size_t* missing) {
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::Status> statuses(keys.size());
  values->resize(keys.size());
  db->MultiGet(rocksdb::ReadOptions(), family, slices.size(), slices.data(),
               values->data(), statuses.data(), /*sorted_input=*/true);
  *missing = keys.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      *missing = i;
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(FromRocksDb(statuses[i], "reading the tree"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Digest>> Storage::StoredNodes(int level,
                                                         uint64_t first,
                                                         uint64_t count) const {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (uint64_t i = 0; i < count; ++i)
    keys.push_back(TreeKey(level, first + i));
  std::vector<rocksdb::PinnableSlice> values;
  size_t missing;
  RETURN_IF_ERROR(MultiGet(db_.get(), tree_, keys, &values, &missing));
  std::vector<Digest> nodes(count);
  for (size_t i = 0; i < count; ++i) {
    if (i == missing || values[i].size() != 32) {
      const uint64_t index = first + i;
      return absl::DataLossError(absl::StrCat(
          "Merkle node at level ", level, " index ", index, " (positions ",
          index << level, "..", ((index + 1) << level) - 1,
          ") is missing or malformed"));
    }
    std::memcpy(nodes[i].data(), values[i].data(), 32);
  }
  return nodes;
}

absl::StatusOr<std::vector<Digest>> Storage::LeafHashes(uint64_t first,
                                                        uint64_t count,
                                                        bool check) const {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (uint64_t i = 0; i < count; ++i) keys.push_back(LogKey(first + i));
  std::vector<rocksdb::PinnableSlice> values;
  size_t missing;
  RETURN_IF_ERROR(MultiGet(db_.get(), log_, keys, &values, &missing));
  std::vector<Digest> leaves(count);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t position = first + i;
    if (i == missing) {
      return absl::DataLossError(
          absl::StrCat("the log has no event at position ", position));
    }
    RecordParts parts;
    RETURN_IF_ERROR(SplitRecordValue(
        position, absl::string_view(values[i].data(), values[i].size()),
        &parts));
    if (check) {
      leaves[i] = LeafHash(parts.header);
      if (DigestView(leaves[i]) != parts.leaf_hash) {
        return absl::DataLossError(
            absl::StrCat("event at position ", position,
                         " is corrupt: leaf hash does not match header"));
      }
    } else {
      std::copy(parts.leaf_hash.begin(), parts.leaf_hash.end(),
                leaves[i].begin());
    }
  }
  return leaves;
}

absl::StatusOr<std::optional<Storage::StreamHead>> Storage::LastInStream(
    absl::string_view stream, uint64_t position_limit) const {
  std::string prefix = StreamKeyPrefix(stream);
  std::string last_key = StreamKey(stream, UINT64_MAX);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), streams_));
  std::optional<StreamHead> head;
  for (it->SeekForPrev(last_key); it->Valid() && it->key().starts_with(prefix);
       it->Prev()) {
    if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
      return absl::DataLossError(absl::StrCat("stream index entry of stream '",
                                              stream, "' is malformed"));
    }
    uint64_t position = DecodeFixed64(it->value().data());
    if (position < position_limit) {
      head = StreamHead{StreamKeyVersion(absl::string_view(it->key().data(),
                                                           it->key().size())),
                        position};
      break;
    }
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "reading a stream's head"));
  return head;
}

}  // namespace missionlog
