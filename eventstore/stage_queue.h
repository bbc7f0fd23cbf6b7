// A hand-off queue between two pipeline threads: the producer pushes items,
// the consumer takes everything queued at once. Unbounded by itself; the
// writer bounds what enters the pipeline (Options::max_inflight_bytes).
#ifndef MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_
#define MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_

#include <deque>
#include <utility>

#include "absl/synchronization/mutex.h"

namespace missionlog {

// Safe for concurrent use.
template <typename T>
class StageQueue {
 public:
  void Push(T item) {
    absl::MutexLock lock(&mu_);
    items_.push_back(std::move(item));
  }

  // After Close, TakeAll returns what is left, then empty forever.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // Waits until something is queued or the queue is closed; returns all
  // queued items in push order (empty only once closed and drained).
  std::deque<T> TakeAll() {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !items_.empty() || closed_;
    };
    mu_.Await(absl::Condition(&ready));
    std::deque<T> taken;
    taken.swap(items_);
    return taken;
  }

 private:
  absl::Mutex mu_;
  std::deque<T> items_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STAGE_QUEUE_H_
