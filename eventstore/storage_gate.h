// Lets calls use the storage while it is open, and a reopen wait until none
// does. Calls may nest (a projection's scan reads its state from inside the
// scan): a call that starts while a reopen waits is refused instead of
// blocking, so nesting never deadlocks.
#ifndef MISSIONLOG_EVENTSTORE_STORAGE_GATE_H_
#define MISSIONLOG_EVENTSTORE_STORAGE_GATE_H_

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace missionlog {

// Safe for concurrent use.
class StorageGate {
 public:
  // OK and counted as a user until Exit, or UNAVAILABLE while closed.
  absl::Status Enter() {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      return absl::UnavailableError(
          "the event store is reopening after a write failure; retry shortly");
    }
    ++users_;
    return absl::OkStatus();
  }
  void Exit() {
    absl::MutexLock lock(&mu_);
    --users_;
  }
  // Refuses new users, then waits for the current ones to exit.
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    auto idle = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return users_ == 0; };
    mu_.Await(absl::Condition(&idle));
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    closed_ = false;
  }

 private:
  absl::Mutex mu_;
  int users_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Enter()s `gate` for a scope; ok() says whether it did.
class StorageUse {
 public:
  explicit StorageUse(StorageGate* gate)
      : gate_(gate), status_(gate->Enter()) {}
  ~StorageUse() {
    if (status_.ok()) gate_->Exit();
  }
  StorageUse(const StorageUse&) = delete;
  StorageUse& operator=(const StorageUse&) = delete;
  const absl::Status& status() const { return status_; }

 private:
  StorageGate* const gate_;
  const absl::Status status_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_STORAGE_GATE_H_
