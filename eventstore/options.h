// How an EventStore is opened (event_store.h): its durability, limits,
// caches and injected collaborators.
//
// A value: copied into the store when it opens.
#ifndef MISSIONLOG_EVENTSTORE_OPTIONS_H_
#define MISSIONLOG_EVENTSTORE_OPTIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "eventstore/clock.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace missionlog {

struct Options {
  // Sync the WAL before acknowledging. Turn off for tests and benchmarks
  // only: without it an acknowledged append can be lost on power failure.
  bool sync = true;
  bool create_if_missing = true;
  // The header format of new records (tlog/leaf.h): 2, whose payload
  // digest is salted, or 1, the original unsalted one (kept for tests of
  // stores that hold both). Records of either format stay readable.
  int record_format = 2;

  // Limits. A request beyond any of them is INVALID_ARGUMENT.
  size_t max_payload_bytes = 1 << 20;
  size_t max_events_per_append = 10000;
  size_t max_append_bytes = 16 << 20;
  // Appends accepted but not yet answered (queued, being written or synced)
  // beyond this many bytes are refused with RESOURCE_EXHAUSTED instead of
  // growing memory without bound.
  size_t max_inflight_bytes = 256 << 20;
  // A read returns early, with where to continue, once it holds this many
  // bytes of events, whatever its limit.
  size_t max_read_bytes = 32 << 20;
  // Longest the sync stage waits for just-answered appenders to append
  // again, so they share the next WAL sync (never more than half the last
  // sync's duration; zero disables). See Writer::SyncLoop.
  absl::Duration max_group_commit_delay = absl::Microseconds(200);
  // Bytes one commit group may carry (it always carries at least one append).
  size_t max_group_bytes = 4 << 20;

  // Read SST files through mmap (faster scans; see storage.cc).
  bool mmap_reads = true;

  // RocksDB block cache shared by all column families.
  size_t block_cache_bytes = 256 << 20;

  // The bus's ring of recently committed events, read by subscribers near
  // the head instead of RocksDB.
  size_t recent_events = 100000;
  size_t recent_event_bytes = 64 << 20;

  // Check each read record's leaf hash and payload digest (DATA_LOSS on
  // mismatch). RocksDB's own block checksums are verified regardless.
  bool verify_reads = true;
  // Benchmarks only, to measure what the Merkle tree costs appends: the
  // writer skips it. Tree roots, proofs and checkpoints of such a store are
  // wrong; never set it on a store anyone will read or reopen.
  bool benchmark_without_tree = false;

  // A replica of a cluster (replica_store.h): the log grows only by
  // ReplicaStore::ApplyAsync, in etcd's order; AppendAsync is refused
  // (FAILED_PRECONDITION), since an append there would exist on this
  // replica alone.
  bool replica = false;

  // Free disk space kept in reserve (disk_space.h): appends are refused
  // with RESOURCE_EXHAUSTED while less than this is free on the disk
  // holding the store, and resume by themselves once there is more. The
  // write-ahead log is kept below a quarter of it, so that a restart always
  // has room to recover. Open refuses (RESOURCE_EXHAUSTED, saying how much
  // it needs) if recovering the log could run out of space. A write that
  // runs out of space anyway (another program filled the disk) stops
  // appends; once a reading finds the reserve free again, the store
  // reopens its database in place and takes appends again. Reads go on
  // throughout. 0: no reserve, no checks, no reopening.
  uint64_t disk_reserve_bytes = 256000000;
  // How often the free space is read.
  absl::Duration disk_check_interval = absl::Milliseconds(100);

  // Not owned; must outlive the store. nullptr means the system clock.
  Clock* clock = nullptr;
  // Not owned; must outlive the store. nullptr means rocksdb::Env::Default().
  // Tests pass a fault-injecting or in-memory Env here.
  rocksdb::Env* env = nullptr;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_OPTIONS_H_
