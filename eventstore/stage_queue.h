// A hand-off queue between two pipeline threads: the producer pushes items,
// the consumer takes everything queued at once. Unbounded by itself; the
// writer bounds what enters the pipeline (Options::max_inflight_bytes).
#ifndef MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_
#define MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_

#include <cstddef>
#include <deque>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace missionlog {

// Safe for concurrent use.
template <typename T>
class StageQueue {
 public:
  // `weight` is what the item counts for in TakeAllAfterMore (appends, say).
  void Push(T item, size_t weight = 1) {
    absl::MutexLock lock(&mu_);
    items_.push_back(std::move(item));
    weight_ += weight;
  }

  // After Close, TakeAll returns what is left, then empty forever.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // Waits until something is queued or the queue is closed; returns all
  // queued items in push order (empty only once closed and drained).
  std::deque<T> TakeAll() { return TakeAllAfterMore(0, absl::ZeroDuration()); }

  // Like TakeAll, but once something is queued, keeps waiting up to
  // `max_wait` for `more` weight beyond what was queued at the call.
  std::deque<T> TakeAllAfterMore(size_t more, absl::Duration max_wait) {
    absl::MutexLock lock(&mu_);
    const size_t want = weight_ + more;
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !items_.empty() || closed_;
    };
    mu_.Await(absl::Condition(&ready));
    if (more > 0 && max_wait > absl::ZeroDuration()) {
      auto enough = [this, want]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return weight_ >= want || closed_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&enough), max_wait);
    }
    std::deque<T> taken;
    taken.swap(items_);
    weight_ = 0;
    return taken;
  }

 private:
  absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  size_t weight_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_
