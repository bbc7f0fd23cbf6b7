#include "services/encoded_events.h"

namespace missionlog {

namespace {

// The rule both caches follow: what they hold was read after `*held`
// erasures. A read from before that is stale (false); a later count means
// what they hold may include a payload erased since, so `let_go` empties
// them and they move on to it.
template <typename LetGo>
bool FollowErasures(uint64_t erasures, uint64_t* held, LetGo let_go) {
  if (erasures < *held) return false;
  if (erasures > *held) {
    let_go();
    *held = erasures;
  }
  return true;
}

}  // namespace

bool SharedMessages::Kept::Starts(uint64_t at, absl::string_view stream,
                                  absl::string_view type) const {
  return from == at && stream_prefix == stream && type_prefix == type;
}

bool EncodedEvents::Current(uint64_t erasures) {
  return FollowErasures(erasures, &erasures_, [this] {
    mu_.AssertHeld();
    events_.clear();
    bytes_ = 0;
  });
}

void EncodedEvents::Get(uint64_t from, size_t max, uint64_t erasures,
                        std::vector<SharedEncodedEvent>* events) {
  absl::MutexLock lock(&mu_);
  if (!Current(erasures)) return;
  const uint64_t end = first_position_ + events_.size();
  for (uint64_t position = from;
       position >= first_position_ && position < end && events->size() < max;
       ++position) {
    events->push_back(events_[position - first_position_]);
  }
}

void EncodedEvents::Put(uint64_t first,
                        const std::vector<SharedEncodedEvent>& events,
                        uint64_t erasures) {
  if (max_events_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (!Current(erasures)) return;
  if (first < first_position_ || first > first_position_ + events_.size()) {
    events_.clear();
    bytes_ = 0;
    first_position_ = first;
  }
  // Skip what is already cached (first <= end here); append the rest.
  const uint64_t end = first_position_ + events_.size();
  for (uint64_t i = end - first; i < events.size(); ++i) {
    events_.push_back(events[i]);
    bytes_ += events[i]->bytes.size();
  }
  while (!events_.empty() &&
         (events_.size() > max_events_ || bytes_ > max_bytes_)) {
    bytes_ -= events_.front()->bytes.size();
    events_.pop_front();
    ++first_position_;
  }
}

bool SharedMessages::Current(uint64_t erasures) {
  return FollowErasures(erasures, &erasures_, [this] {
    mu_.AssertHeld();
    kept_.clear();
    bytes_ = 0;
  });
}

bool SharedMessages::Get(const Key& key, grpc::ByteBuffer* message) {
  absl::MutexLock lock(&mu_);
  if (!Current(key.erasures)) return false;
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
    if (it->Starts(key.from, key.stream_prefix, key.type_prefix) &&
        it->to == key.to) {
      *message = it->message;  // shares the slices
      return true;
    }
  }
  return false;
}

bool SharedMessages::GetFrom(uint64_t from, absl::string_view stream_prefix,
                             absl::string_view type_prefix, uint64_t erasures,
                             grpc::ByteBuffer* message, uint64_t* to) {
  absl::MutexLock lock(&mu_);
  if (!Current(erasures)) return false;
  const Kept* longest = nullptr;
  for (const Kept& kept : kept_) {
    if (kept.Starts(from, stream_prefix, type_prefix) &&
        (longest == nullptr || kept.to > longest->to)) {
      longest = &kept;
    }
  }
  if (longest == nullptr) return false;
  *message = longest->message;  // shares the slices
  *to = longest->to;
  return true;
}

void SharedMessages::Put(const Key& key, const grpc::ByteBuffer& message) {
  const size_t size = message.Length();
  if (size > max_bytes_) return;
  absl::MutexLock lock(&mu_);
  if (!Current(key.erasures)) return;
  kept_.push_back(Kept{key.from, key.to, std::string(key.stream_prefix),
                       std::string(key.type_prefix), message});
  bytes_ += size;
  while (kept_.size() > kMaxKept || bytes_ > max_bytes_) {
    bytes_ -= kept_.front().message.Length();
    kept_.pop_front();
  }
}

}  // namespace missionlog
