// At most N events a second (log lines, say), counting those refused, so
// that a caller can say how many it left out.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_BASE_RATE_LIMIT_H_
#define MISSIONLOG_BASE_RATE_LIMIT_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace missionlog {

class PerSecondLimit {
 public:
  explicit PerSecondLimit(int per_second) : per_second_(per_second) {}

  // Whether one more may pass this second. When a new second begins,
  // `*left_out` is how many the previous seconds refused since last told
  // (else 0).
  bool Admit(uint64_t* left_out) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    *left_out = 0;
    const int64_t second = absl::ToUnixSeconds(absl::Now());
    if (second != second_) {
      *left_out = refused_;
      refused_ = 0;
      second_ = second;
      passed_ = 0;
    }
    if (passed_ >= per_second_) {
      ++refused_;
      return false;
    }
    ++passed_;
    return true;
  }

 private:
  const int per_second_;
  absl::Mutex mu_;
  int64_t second_ ABSL_GUARDED_BY(mu_) = 0;
  int passed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refused_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_RATE_LIMIT_H_
