// C2SP tlog-checkpoint note texts (c2sp.org/tlog-checkpoint): the log's
// origin, its tree size and the RFC 6962 root hash at that size, then
// optional extension lines. Missionlog adds one extension line with the time
// the checkpoint was signed:
//
//   checkpoint := origin "\n" tree_size "\n" base64(root_hash) "\n"
//                 extension_line*
//   tree_size  := decimal, no leading zeros ("0" for the empty tree)
//   extension_line := non-empty text "\n"   -- e.g. "time 2026-11-28T03:22:45Z"
//
// The text is signed as a signed note (signed_note.h); the log's key name is
// its origin.
//
// Thread safety: pure functions over values.
#ifndef MISSIONLOG_TLOG_CHECKPOINT_H_
#define MISSIONLOG_TLOG_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tlog/sha256.h"

namespace missionlog {

struct Checkpoint {
  std::string origin;
  uint64_t tree_size = 0;
  Digest root_hash{};
  std::vector<std::string> extensions;
};

// The note text of `checkpoint`.
std::string FormatCheckpoint(const Checkpoint& checkpoint);

// INVALID_ARGUMENT naming the line that is malformed.
absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text);

// The "time ..." extension line, and reading it back (nullopt if absent).
std::string TimeExtension(absl::Time time);
std::optional<absl::Time> CheckpointTime(const Checkpoint& checkpoint);

}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_CHECKPOINT_H_
