// Time source for recorded_at. Injected so tests control time.
#ifndef MISSIONLOG_EVENTSTORE_CLOCK_H_
#define MISSIONLOG_EVENTSTORE_CLOCK_H_

#include <cstdint>

namespace missionlog {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC. Safe for concurrent use.
  virtual int64_t NowMicros() = 0;

  // The wall clock. Never null; not owned by the caller.
  static Clock* System();
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_CLOCK_H_
