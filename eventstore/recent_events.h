// The bus's ring: the most recently committed events, as their stored
// records, so that subscribers near the head read from memory instead of
// RocksDB. Bounded in events and bytes; the oldest fall out first. A reader
// whose position has fallen out reads from storage instead: both return the
// same bytes for the same position, so switching never skips or repeats.
// The ring also notes where each run of one event type begins, so that a
// reader filtering by type (each projection, a filtered subscription) passes
// a run it does not want with one test instead of one per record.
#ifndef MISSIONLOG_EVENTSTORE_RECENT_EVENTS_H_
#define MISSIONLOG_EVENTSTORE_RECENT_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace missionlog {

// One stored record inside its commit group's buffer, which the ring shares
// (one allocation per group, not per event).
struct SharedRecord {
  std::shared_ptr<const std::string> chunk;
  uint32_t offset = 0;
  uint32_t size = 0;

  absl::string_view view() const {
    return absl::string_view(*chunk).substr(offset, size);
  }
};

// Safe for concurrent use.
class RecentEvents {
 public:
  // `next_position` is the log's next position when the store opens.
  RecentEvents(uint64_t next_position, size_t max_events, size_t max_bytes)
      : max_events_(max_events),
        max_bytes_(max_bytes),
        first_position_(next_position) {}

  // Appends the records of positions first, first+1, ... REQUIRES: `first`
  // is one past the last appended position, or the ring is empty.
  void Append(uint64_t first, std::vector<SharedRecord> records);

  // The records of positions [from, end), at most `max_events` of them, if
  // the ring holds all of [from, end); false otherwise (read storage).
  bool Read(uint64_t from, uint64_t end, size_t max_events,
            std::vector<SharedRecord>* records) const;

  // Sets `*next` to the first position in [from, end) whose event type
  // `wants`, or to `end`, if the ring holds all of [from, end); false
  // otherwise (read storage). `wants` must answer the same for the same
  // type, and runs under the ring's lock: keep it to comparisons.
  bool SkipUnwanted(uint64_t from, uint64_t end,
                    absl::FunctionRef<bool(absl::string_view type)> wants,
                    uint64_t* next) const;

  // Drops every record up to and including `position` (its stored form
  // changed: an erasure), so that readers of them read storage.
  void ForgetThrough(uint64_t position);

 private:
  // Consecutive records of one type. `known` is false for a record whose
  // header would not parse: a reader skips no such run, and its own decode
  // reports the damage.
  struct TypeRun {
    uint64_t first = 0;
    uint64_t count = 0;
    std::string type;
    bool known = true;

    // Whether a record of `type` (`known`: its header parsed) after this
    // run belongs to it; a record of unknown type belongs to none.
    bool GoesOnWith(bool next_known, absl::string_view next_type) const {
      return known && next_known && type == next_type;
    }
  };

  // Drops the records that fall out of the ring (first_position_ moved).
  void DropFront() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_events_;
  const size_t max_bytes_;

  mutable absl::Mutex mu_;
  std::deque<SharedRecord> records_ ABSL_GUARDED_BY(mu_);
  // Covers records_ exactly, in order.
  std::deque<TypeRun> runs_ ABSL_GUARDED_BY(mu_);
  uint64_t first_position_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_RECENT_EVENTS_H_
