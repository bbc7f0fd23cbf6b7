// The free-space reserve (etcd's NOSPACE alarm and PostgreSQL's reserved
// WAL space are the precedents): appends are refused while the disk holding
// the store has less than the reserve free, so that RocksDB itself never
// runs out of space and the store can always shut down, restart and
// recover. What the reserve covers, with the store's settings (storage.cc):
// recovery writes what it replays from the write-ahead log into table files
// (the WAL is kept below a quarter of the reserve); the WAL grows in
// preallocated chunks (no bigger than that cap either); the MANIFEST,
// OPTIONS and info log files; and what is written between two readings.
//
// A thread reads the free space every `interval`. Between readings each
// admitted append takes its size (its WAL record) from what the last
// reading left above the reserve, so a burst cannot run far past the
// reserve before the next reading (table files written later by flushes
// show up in the readings). After
// each reading it calls `on_reading` (on its own thread, which may block
// there: the store resumes appends from it).
#ifndef MISSIONLOG_EVENTSTORE_DISK_SPACE_H_
#define MISSIONLOG_EVENTSTORE_DISK_SPACE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace missionlog {

// Safe for concurrent use.
class DiskSpace {
 public:
  // Bytes free to this process on the disk holding the store.
  using FreeSpaceFn = std::function<absl::StatusOr<uint64_t>()>;
  // `above_reserve`: whether the reading found at least the reserve free.
  using ReadingFn = std::function<void(bool above_reserve)>;

  // Reads once, then starts the thread. `describe` names the disk in
  // messages (the store's directory).
  DiskSpace(uint64_t reserve_bytes, absl::Duration interval,
            std::string describe, FreeSpaceFn free_space, ReadingFn on_reading);
  DiskSpace(const DiskSpace&) = delete;
  DiskSpace& operator=(const DiskSpace&) = delete;
  // Stops the thread (waiting for a reading in progress).
  ~DiskSpace();

  // OK if an append of about `bytes` may be written; otherwise
  // RESOURCE_EXHAUSTED saying how much is free and how much is kept.
  absl::Status Admit(size_t bytes);

  uint64_t reserve_bytes() const { return reserve_bytes_; }
  // Appends refused so far.
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  // Whether the last reading found less than the reserve free (appends are
  // refused until the next reading finds more).
  bool below_reserve() const {
    return budget_.load(std::memory_order_relaxed) < 0;
  }
  // The last reading (0 until one succeeded).
  uint64_t free_bytes() const {
    return free_bytes_.load(std::memory_order_relaxed);
  }

 private:
  void Read();
  void Loop();
  absl::Status Refusal(int64_t budget) const;

  // Constant after construction.
  const uint64_t reserve_bytes_;
  const absl::Duration interval_;
  const std::string describe_;
  const FreeSpaceFn free_space_;
  const ReadingFn on_reading_;

  // Bytes appends may still take before the next reading (negative: none).
  std::atomic<int64_t> budget_{0};
  std::atomic<uint64_t> free_bytes_{0};
  std::atomic<uint64_t> refused_{0};

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Bytes available to an unprivileged process on the file system holding
// `path` (statvfs f_bavail): the conservative reading, since root may
// still write into the blocks ext4 keeps back but a service user may not.
absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& path);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_DISK_SPACE_H_
