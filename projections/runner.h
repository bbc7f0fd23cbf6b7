// Runs one projection in-process: a thread that reads the log from the
// projection's position (EventLog::ScanAll), folds the events it wants,
// and commits each batch's state changes with the position reached in one
// write; when it reaches the head it sleeps until the bus says there is
// more (EventLog::NotifyWhenBeyond).
//
// Rebuild() drops the state and replays from 0 while the server keeps
// serving. Queries on a rebuilding projection get UNAVAILABLE (with how
// far it has got) until it has caught up: an answer is never computed from
// half-rebuilt state.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_PROJECTIONS_RUNNER_H_
#define MISSIONLOG_PROJECTIONS_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_log.h"
#include "eventstore/projection_store.h"
#include "projections/projection.h"

namespace missionlog {

struct RunnerStatus {
  std::string name;
  uint64_t position = 0;  // events before it are applied
  uint64_t head = 0;
  // "catching_up", "live", "rebuilding" or "failed".
  std::string state;
  double events_per_second = 0;  // over the last batch, while behind
  std::string error;
};

class ProjectionRunner {
 public:
  // Events read per batch (and committed per write).
  static constexpr size_t kBatch = 16384;
  static constexpr uint64_t kMaxUnstored = 4 * kBatch;
  // Once live, a runner folds what the bus committed at most this long
  // after it was committed, or at once for a WaitFor: one step per
  // interval instead of one per commit group (seven runners woken by every
  // WAL sync cost the sync thread and the appends their CPU).
  static constexpr absl::Duration kFollowInterval = absl::Milliseconds(10);

  // Starts the thread. `store` must outlive the runner.
  ProjectionRunner(EventLog* log, ProjectionStore* store,
                   std::unique_ptr<Projection> projection);
  // Stops the thread (a batch in progress is committed first).
  ~ProjectionRunner();

  // Stops following the log and wakes every WaitFor (UNAVAILABLE); the
  // state stays readable until the runner is destroyed.
  void Stop();

  const std::string& name() const { return projection_->name(); }
  RunnerStatus Status();

  // Drops the state and replays from position 0.
  void Rebuild();

  // Waits until events before `position` are applied, or `deadline`.
  // OK, DEADLINE_EXCEEDED, UNAVAILABLE (rebuilding, or stopped), or the
  // projection's failure.
  absl::Status WaitFor(uint64_t position, absl::Time deadline);

  // For queries: OK if the projection may be read now (not rebuilding or
  // failed); its position then.
  absl::StatusOr<uint64_t> Readable();

 private:
  void Run();
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Urgent() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  struct Target {
    ProjectionRunner* runner;
    uint64_t position;
    static bool Reached(Target* target) ABSL_NO_THREAD_SAFETY_ANALYSIS;
  };
  // One batch; false when there was nothing to read.
  absl::StatusOr<bool> Step();
  // Writes `state`'s changes, the layout version and `position` at once.
  absl::Status Store(State* state, uint64_t position);

  EventLog* const log_;
  ProjectionStore* const store_;
  const std::unique_ptr<Projection> projection_;
  const std::vector<std::string> type_prefixes_;

  mutable absl::Mutex mu_;
  uint64_t position_ ABSL_GUARDED_BY(mu_) = 0;
  // The position stored with the state (runner thread only). A batch that
  // changes nothing advances position_ alone, until kMaxUnstored events
  // have passed: following appends the projection ignores then costs no
  // write per commit group; a restart rescans at most that many events.
  uint64_t stored_position_ = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool rebuild_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool rebuilding_ ABSL_GUARDED_BY(mu_) = false;
  // The stored position is read: until then WaitFor waits, whatever the
  // target, as the open may start a replay from 0.
  bool opened_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;  // the bus passed position_
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;     // in WaitFor
  bool live_ ABSL_GUARDED_BY(mu_) = false;   // reached the head once
  double rate_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;  // last: starts once the rest is constructed
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_RUNNER_H_
