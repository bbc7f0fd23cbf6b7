#include "eventstore/clock.h"

#include "absl/time/clock.h"

namespace missionlog {
namespace {

class SystemClock : public Clock {
 public:
  int64_t NowMicros() override { return absl::GetCurrentTimeNanos() / 1000; }
};

}  // namespace

Clock* Clock::System() {
  static SystemClock* const clock = new SystemClock();
  return clock;
}

}  // namespace missionlog
