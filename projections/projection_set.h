// The projections the server keeps (appointments, ownership, spending,
// decisions, concerns, contributions, timeline),
// each run by its own ProjectionRunner from the moment the set is built:
// they catch up from their stored positions and then follow the bus.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_PROJECTIONS_PROJECTION_SET_H_
#define MISSIONLOG_PROJECTIONS_PROJECTION_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "eventstore/event_log.h"
#include "eventstore/projection_store.h"
#include "projections/runner.h"

namespace missionlog {

class ProjectionSet {
 public:
  // Starts every projection: each follows `log` and keeps its state in
  // `store`. Both must outlive the set.
  ProjectionSet(EventLog* log, ProjectionStore* store);

  // nullptr if there is no projection `name`.
  ProjectionRunner* Find(const std::string& name) const;
  std::vector<RunnerStatus> Status() const;
  // Rebuilds every projection from the log (ProjectionRunner::Rebuild):
  // after a payload's erasure, so that no view keeps what it derived.
  void RebuildAll();
  // Stops every runner (see ProjectionRunner::Stop).
  void Stop();

 private:
  std::vector<std::unique_ptr<ProjectionRunner>> runners_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_PROJECTION_SET_H_
