// Signed checkpoints (tlog/checkpoint.h), stored verbatim and kept
// forever. The store does not sign: Checkpointer (checkpointer.h) does, and
// checks consistency with the previous checkpoint first.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_EVENTSTORE_CHECKPOINT_STORE_H_
#define MISSIONLOG_EVENTSTORE_CHECKPOINT_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;

  // Writes synchronously; INVALID_ARGUMENT if `tree_size` is past the
  // committed head.
  virtual absl::Status PutCheckpoint(uint64_t tree_size,
                                     absl::string_view signed_note) = 0;

  struct StoredCheckpoint {
    uint64_t tree_size = 0;
    std::string signed_note;
  };
  // The checkpoint signed at exactly `tree_size`, or the latest for 0.
  // NOT_FOUND if there is none.
  virtual absl::StatusOr<StoredCheckpoint> GetCheckpoint(
      uint64_t tree_size) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_CHECKPOINT_STORE_H_
