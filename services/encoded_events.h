// Recent events in their wire form (v1::RecordedEvent bytes), shared by all
// subscribers: the first subscriber to reach a position encodes it, the
// others copy the bytes. Without it, 100 subscribers decoded and encoded
// every event 100 times. Bounded in events and bytes; the oldest fall out.
#ifndef MISSIONLOG_SERVICES_ENCODED_EVENTS_H_
#define MISSIONLOG_SERVICES_ENCODED_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace missionlog {

struct EncodedEvent {
  std::string stream;  // for filtering
  std::string type;
  std::string bytes;  // wire form of v1::RecordedEvent
};

using SharedEncodedEvent = std::shared_ptr<const EncodedEvent>;

// Safe for concurrent use.
class EncodedEvents {
 public:
  EncodedEvents(size_t max_events, size_t max_bytes)
      : max_events_(max_events), max_bytes_(max_bytes) {}

  // The cached events of positions from, from+1, ... (at most `max`),
  // stopping at the first position not cached.
  void Get(uint64_t from, size_t max,
           std::vector<SharedEncodedEvent>* events) const;

  // Caches the events of positions first, first+1, ... If they do not
  // continue or overlap what is cached, the cache restarts at `first`.
  void Put(uint64_t first, const std::vector<SharedEncodedEvent>& events);

 private:
  const size_t max_events_;
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<SharedEncodedEvent> events_ ABSL_GUARDED_BY(mu_);
  uint64_t first_position_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ENCODED_EVENTS_H_
