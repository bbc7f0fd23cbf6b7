#include "projections/projection_set.h"

#include "projections/appointments.h"
#include "projections/concerns.h"
#include "projections/contributions.h"
#include "projections/decisions.h"
#include "projections/ownership.h"
#include "projections/spending.h"
#include "projections/timeline.h"

namespace missionlog {

ProjectionSet::ProjectionSet(EventLog* log, ProjectionStore* store) {
  runners_.push_back(std::make_unique<ProjectionRunner>(
      log, store, NewAppointmentsProjection()));
  runners_.push_back(
      std::make_unique<ProjectionRunner>(log, store, NewOwnershipProjection()));
  runners_.push_back(
      std::make_unique<ProjectionRunner>(log, store, NewSpendingProjection()));
  runners_.push_back(
      std::make_unique<ProjectionRunner>(log, store, NewDecisionsProjection()));
  runners_.push_back(
      std::make_unique<ProjectionRunner>(log, store, NewConcernsProjection()));
  runners_.push_back(std::make_unique<ProjectionRunner>(
      log, store, NewContributionsProjection()));
  runners_.push_back(
      std::make_unique<ProjectionRunner>(log, store, NewTimelineProjection()));
}

ProjectionRunner* ProjectionSet::Find(const std::string& name) const {
  for (const auto& runner : runners_) {
    if (runner->name() == name) return runner.get();
  }
  return nullptr;
}

std::vector<RunnerStatus> ProjectionSet::Status() const {
  std::vector<RunnerStatus> statuses;
  for (const auto& runner : runners_) statuses.push_back(runner->Status());
  return statuses;
}

void ProjectionSet::RebuildAll() {
  for (const auto& runner : runners_) runner->Rebuild();
}

void ProjectionSet::Stop() {
  for (const auto& runner : runners_) runner->Stop();
}

}  // namespace missionlog
