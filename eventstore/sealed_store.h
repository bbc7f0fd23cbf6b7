// Sealed fields' encrypted openings, kept beside the log (README "Sealed
// fields"): written with their event (EventData::sealed), read back for
// an unsealing, and destroyed by an erasure. Never part of the log, its
// records or its tree.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_EVENTSTORE_SEALED_STORE_H_
#define MISSIONLOG_EVENTSTORE_SEALED_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace missionlog {

class SealedStore {
 public:
  virtual ~SealedStore() = default;

  // The event at `position`'s sealed data, as appended. NOT_FOUND if the
  // event has none (no sealed field, or erased).
  virtual absl::StatusOr<std::string> GetSealed(uint64_t position) = 0;

  // Every event in [from, to) that has sealed data: (position, data).
  virtual absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>>
  ScanSealed(uint64_t from, uint64_t to) = 0;

  // Replaces the event's sealed data by `remaining` (empty: removes it),
  // with a synced write, then compacts the family's files over that key
  // so that the old bytes leave the disk (RocksDB keeps no history once
  // compacted). NOT_FOUND if the event has none.
  virtual absl::Status ReplaceSealed(uint64_t position,
                                     const std::string& remaining) = 0;

  // Erases the whole payload of the event at `position` (record.cc's
  // erased form: header and leaf hash kept, salt and payload gone) and its
  // sealed data, in one synced write; then flushes every column family (so
  // that no live WAL file still holds the old value) and compacts the
  // key's range of the log and sealed families to the bottom. The caller
  // has recorded why (an Erased event) before calling. NOT_FOUND if there
  // is no such event or its payload is already erased.
  virtual absl::Status ErasePayload(uint64_t position) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_SEALED_STORE_H_
