// Validation of an append request against the store's limits, done on the
// caller's thread before the request reaches the writer: ids are parsed (or
// generated), payload digests computed, every rule checked. A request that
// fails here never reaches the writer and nothing is written.
//
// Thread safety: values, built by the appending thread and then owned by
// the writer.
#ifndef MISSIONLOG_EVENTSTORE_PREPARED_APPEND_H_
#define MISSIONLOG_EVENTSTORE_PREPARED_APPEND_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/utf8.h"
#include "base/uuid.h"
#include "eventstore/clock.h"
#include "eventstore/event_store.h"
#include "tlog/leaf.h"
#include "tlog/sha256.h"

namespace missionlog {

struct PreparedEvent {
  Uuid id;
  bool id_generated = false;  // the store made the id; it cannot repeat
  // The digest the header commits to (tlog/leaf.h): salted when `salted`.
  Digest payload_sha256{};
  bool salted = false;
  std::array<char, kPayloadSaltSize> salt{};
  absl::string_view salt_view() const {
    return salted ? absl::string_view(salt.data(), salt.size())
                  : absl::string_view();
  }
  EventData data;  // moved from the request; data.id is unused
};

struct PreparedAppend {
  std::string stream;
  ExpectedVersion expected_version = ExpectedVersion::Any();
  std::string recorded_by;
  std::vector<PreparedEvent> events;
  size_t bytes = 0;  // approximate memory held, for queue accounting
  // A replicated append (ReplicaStore::ApplyAsync): the recorded_at the
  // accepting node decided (the writer still never goes backwards), and
  // its place in the cluster's sequence. Unset and {0, 0} for a local one.
  std::optional<int64_t> recorded_at_us;
  ReplicaPosition replica;
  bool replicated() const { return replica.revision > 0; }
};

// Validates `request` and moves its contents into a PreparedAppend.
// INVALID_ARGUMENT naming the field and the rule on any violation.
absl::StatusOr<PreparedAppend> PrepareAppend(const Options& options,
                                             Clock* clock,
                                             AppendRequest request);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_PREPARED_APPEND_H_
