// The one place rocksdb::Status becomes absl::Status (eventstore/ only).
#ifndef MISSIONLOG_EVENTSTORE_STATUS_UTIL_H_
#define MISSIONLOG_EVENTSTORE_STATUS_UTIL_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "rocksdb/status.h"

namespace missionlog {

// Maps a RocksDB status onto the absl code that tells the caller what to do;
// `context` says what was being done.
absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STATUS_UTIL_H_
