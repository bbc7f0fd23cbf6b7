// Recent events in their wire form (v1::RecordedEvent bytes), shared by all
// subscribers: the first subscriber to reach a position encodes it, the
// others copy the bytes. Without it, 100 subscribers decoded and encoded
// every event 100 times. Bounded in events and bytes; the oldest fall out.
//
// Both caches here know which erasures their contents were read after (the
// store's EventLog::Erasures() then): once the store has erased another
// payload, what they hold may include it, and they let it all go.
#ifndef MISSIONLOG_SERVICES_ENCODED_EVENTS_H_
#define MISSIONLOG_SERVICES_ENCODED_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/byte_buffer.h"

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
  // stopping at the first position not cached. `erasures`: the store's
  // count now; if it moved since the cache was filled, the cache is
  // emptied and gives nothing.
  void Get(uint64_t from, size_t max, uint64_t erasures,
           std::vector<SharedEncodedEvent>* events);

  // Caches the events of positions first, first+1, ..., read when the
  // store's count of erasures was `erasures` (taken before the read). If
  // they do not continue or overlap what is cached, the cache restarts at
  // `first`; read before an erasure the cache knows of, they are dropped.
  void Put(uint64_t first, const std::vector<SharedEncodedEvent>& events,
           uint64_t erasures);

 private:
  const size_t max_events_;
  const size_t max_bytes_;
  // Empties the cache if `erasures` is past what it was filled after.
  // False if `erasures` is before it (a read older than the contents).
  bool Current(uint64_t erasures) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<SharedEncodedEvent> events_ ABSL_GUARDED_BY(mu_);
  uint64_t first_position_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t erasures_ ABSL_GUARDED_BY(mu_) = 0;
};

// Whole SubscribeResponse messages, kept for the subscribers that would
// build the same one: those at the same position with the same filter (the
// usual case at the head: every consumer of a mission's streams is woken
// by one commit and would send the same batch). The first builds it, the
// others send the same refcounted bytes, as a broker sends one encoded
// message to every consumer. A few recent messages are kept, bounded in
// bytes.
class SharedMessages {
 public:
  explicit SharedMessages(size_t max_bytes) : max_bytes_(max_bytes) {}

  // What a message holds: the events of positions [from, to) matching the
  // filter's prefixes, as read when the store had made `erasures` erasures
  // (a message of an earlier count is never given again: once a later
  // count is seen, every message kept is let go).
  struct Key {
    uint64_t from = 0;
    uint64_t to = 0;
    absl::string_view stream_prefix;
    absl::string_view type_prefix;
    uint64_t erasures = 0;
  };

  // True, and `*message` shares the kept bytes, if a message for `key` is
  // kept.
  bool Get(const Key& key, grpc::ByteBuffer* message);
  // True, and `*message` shares the kept bytes and `*to` is its end, if a
  // message of events from `from` for the filter, read at `erasures`, is
  // kept (the longest, if several are). A subscriber at `from` sends it
  // before gathering any event itself: whatever its end, it holds every
  // match from `from` up to it, and every event before its end was
  // committed when it was built.
  bool GetFrom(uint64_t from, absl::string_view stream_prefix,
               absl::string_view type_prefix, uint64_t erasures,
               grpc::ByteBuffer* message, uint64_t* to);
  // Keeps `message` (sharing its bytes) for `key`, dropping the oldest
  // beyond the bound.
  void Put(const Key& key, const grpc::ByteBuffer& message);

 private:
  struct Kept {
    uint64_t from;
    uint64_t to;
    std::string stream_prefix;
    std::string type_prefix;
    grpc::ByteBuffer message;

    // Whether it holds the events from `at` for that filter.
    bool Starts(uint64_t at, absl::string_view stream,
                absl::string_view type) const;
  };
  static constexpr size_t kMaxKept = 8;

  // As EncodedEvents::Current, for the messages kept.
  bool Current(uint64_t erasures) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  absl::Mutex mu_;
  std::deque<Kept> kept_ ABSL_GUARDED_BY(mu_);  // newest last
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t erasures_ ABSL_GUARDED_BY(mu_) = 0;  // kept_ was read after these
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ENCODED_EVENTS_H_
