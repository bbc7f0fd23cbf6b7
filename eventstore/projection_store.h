// Projection state (projections/): each projection's keys live in a column
// family of its own ("projection.<name>"; names are 1-64 of [a-z0-9_-])
// together with the position its state reflects, and change only through
// CommitProjection, which writes the changes and the new position in one
// atomic write, outside the WAL: after a crash the family holds its last
// flushed state and position together, and the projection replays the log
// from there.
//
// Errors: INVALID_ARGUMENT for a bad name or key, NOT_FOUND for a
// projection not opened, DATA_LOSS; UNAVAILABLE while the store reopens.
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_EVENTSTORE_PROJECTION_STORE_H_
#define MISSIONLOG_EVENTSTORE_PROJECTION_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {

// One change to a projection's state: a put, a delete (no value), or an
// append, which adds `value` to the end of the key's stored value (a
// RocksDB merge: the write costs only the bytes added, and readers see
// the concatenation).
struct ProjectionChange {
  std::string key;  // must not start with '\0' (reserved)
  std::optional<std::string> value;
  bool append = false;  // requires a value
};

class ProjectionStore {
 public:
  virtual ~ProjectionStore() = default;

  // Creates the projection's family if it has none; returns its position
  // (0 for a new one).
  virtual absl::StatusOr<uint64_t> OpenProjection(absl::string_view name) = 0;
  virtual absl::Status CommitProjection(
      absl::string_view name, const std::vector<ProjectionChange>& changes,
      uint64_t position) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetProjectionValue(
      absl::string_view name, absl::string_view key) = 0;
  // Visits keys that start with `prefix`, in order from `from` (or from
  // `prefix` if empty), until `visit` returns false.
  virtual absl::Status ScanProjection(
      absl::string_view name, absl::string_view from, absl::string_view prefix,
      const std::function<bool(absl::string_view key, absl::string_view value)>&
          visit) = 0;
  // Drops the projection's state and position together (for a rebuild);
  // it then exists, empty, at position 0.
  virtual absl::Status ResetProjection(absl::string_view name) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_PROJECTION_STORE_H_
