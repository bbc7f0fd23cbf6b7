// The "contributions" projection: organisations' claims that their work
// serves a mission, for "mission washing": claims with no decision,
// spending or evidence behind them.
//
// Keys: k/<contribution stream> -> ContributionState;
//       m/<mission stream>\0<contribution stream> -> "".
#ifndef MISSIONLOG_PROJECTIONS_CONTRIBUTIONS_H_
#define MISSIONLOG_PROJECTIONS_CONTRIBUTIONS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kContributionsProjection[] = "contributions";

std::unique_ptr<Projection> NewContributionsProjection();

class ContributionsView {
 public:
  ContributionsView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::MissionWashingResponse> MissionWashing(
      const v1::MissionWashingRequest& request);

 private:
  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_CONTRIBUTIONS_H_
