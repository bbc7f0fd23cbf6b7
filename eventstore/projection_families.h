// The column families holding projections' state (EventStore's projection
// state API, event_store.h): "projection.<name>", one per projection,
// opened with the store and created on first use. Each family holds the
// projection's keys and, under kProjectionPositionKey, the position its
// state reflects, so that state and position are written in one
// WriteBatch and dropped together.
//
// Thread safety: safe for concurrent use. Reads and commits share the
// families; Reset (drop and recreate a family) excludes them.
#ifndef MISSIONLOG_EVENTSTORE_PROJECTION_FAMILIES_H_
#define MISSIONLOG_EVENTSTORE_PROJECTION_FAMILIES_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"
#include "rocksdb/db.h"

namespace missionlog {

inline constexpr char kProjectionFamilyPrefix[] = "projection.";
// Reserved: projection keys may not start with '\0'.
inline constexpr char kProjectionPositionKey[] = {'\0', 'p', 'o', 's'};

class ProjectionFamilies {
 public:
  // `db` must outlive this; `existing` are the projection families opened
  // with it (owned from now on).
  ProjectionFamilies(
      rocksdb::DB* db,
      std::map<std::string, rocksdb::ColumnFamilyHandle*> existing,
      rocksdb::ColumnFamilyOptions options);
  // Frees the handles (before the database closes).
  ~ProjectionFamilies();

  absl::StatusOr<uint64_t> Open(absl::string_view name);
  absl::Status Commit(absl::string_view name,
                      const std::vector<ProjectionChange>& changes,
                      uint64_t position);
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view name,
                                                 absl::string_view key);
  absl::Status Scan(
      absl::string_view name, absl::string_view from, absl::string_view prefix,
      const std::function<bool(absl::string_view, absl::string_view)>& visit);
  absl::Status Reset(absl::string_view name);

 private:
  // The family of `name`, or nullptr. REQUIRES: mu_ held (shared suffices).
  rocksdb::ColumnFamilyHandle* Find(absl::string_view name) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<rocksdb::ColumnFamilyHandle*> Create(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  rocksdb::DB* const db_;
  const rocksdb::ColumnFamilyOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_PROJECTION_FAMILIES_H_
