// The published head of the log: the first position not yet committed, and
// the recorded_at of the last committed event. The writer publishes it after
// each durable commit; readers never look past it, so they never see an
// uncommitted or partially committed append. Subscribers that have caught up
// register a one-shot callback for the next publish (the bus's wake-up).
#ifndef MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_
#define MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"

namespace missionlog {

// Safe for concurrent use.
class CommittedHead {
 public:
  explicit CommittedHead(Head initial)
      : next_position_(initial.next_position), head_(initial) {}

  CommittedHead(const CommittedHead&) = delete;
  CommittedHead& operator=(const CommittedHead&) = delete;

  // REQUIRES: head.next_position >= the previously published one.
  // Runs the callbacks of the waiters it satisfies, on this thread.
  void Publish(Head head) {
    std::vector<std::function<void()>> ready;
    {
      absl::MutexLock lock(&mu_);
      head_ = head;
      next_position_.store(head.next_position, std::memory_order_release);
      auto satisfied = std::partition(
          waiters_.begin(), waiters_.end(), [&head](const Waiter& waiter) {
            return waiter.position >= head.next_position;
          });
      for (auto it = satisfied; it != waiters_.end(); ++it) {
        ready.push_back(std::move(it->callback));
      }
      waiters_.erase(satisfied, waiters_.end());
    }
    for (auto& callback : ready) callback();
  }

  // See EventStore::NotifyWhenBeyond.
  bool NotifyWhenBeyond(uint64_t position, std::function<void()> callback) {
    absl::MutexLock lock(&mu_);
    if (head_.next_position > position) return false;
    waiters_.push_back(Waiter{position, std::move(callback)});
    return true;
  }

  // Lock-free: the first uncommitted position.
  uint64_t next_position() const {
    return next_position_.load(std::memory_order_acquire);
  }

  Head Get() const {
    absl::MutexLock lock(&mu_);
    return head_;
  }

 private:
  struct Waiter {
    uint64_t position;
    std::function<void()> callback;
  };

  std::atomic<uint64_t> next_position_;
  mutable absl::Mutex mu_;
  Head head_ ABSL_GUARDED_BY(mu_);
  // One per waiting subscriber at most, so bounded by their number.
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_
