// The published head of the log: the first position not yet committed, and
// the recorded_at of the last committed event. The writer publishes it after
// each durable commit; readers never look past it, so they never see an
// uncommitted or partially committed append.
#ifndef MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_
#define MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_

#include <atomic>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
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
  void Publish(Head head) {
    absl::MutexLock lock(&mu_);
    head_ = head;
    next_position_.store(head.next_position, std::memory_order_release);
  }

  // Lock-free: the first uncommitted position.
  uint64_t next_position() const {
    return next_position_.load(std::memory_order_acquire);
  }

  Head Get() const {
    absl::MutexLock lock(&mu_);
    return head_;
  }

  // Waits until next_position() > `position` or `timeout` passes; returns
  // the next position then.
  uint64_t WaitBeyond(uint64_t position, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto beyond = [this, position]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return head_.next_position > position;
    };
    mu_.AwaitWithTimeout(absl::Condition(&beyond), timeout);
    return head_.next_position;
  }

 private:
  std::atomic<uint64_t> next_position_;
  mutable absl::Mutex mu_;
  Head head_ ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_COMMITTED_HEAD_H_
