// The "decisions" projection: every decision with its revisions, reversal
// and observed outcomes chained to it, for "where were a mission's
// decisions made" and "what was decided while a concern was open".
//
// Keys (values are projections/state.proto messages):
//   d/<decision stream>                    DecisionState
//   m/<mission stream>\0<decision stream>  "" (the missions it serves)
//   a/<subject stream>\0<decision stream>  "" (the subject it is about)
#ifndef MISSIONLOG_PROJECTIONS_DECISIONS_H_
#define MISSIONLOG_PROJECTIONS_DECISIONS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kDecisionsProjection[] = "decisions";

std::unique_ptr<Projection> NewDecisionsProjection();

class DecisionsView {
 public:
  DecisionsView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::DecisionsResponse> Decisions(
      const v1::DecisionsRequest& request);
  absl::StatusOr<v1::DecisionLocusResponse> Locus(
      const v1::DecisionLocusRequest& request);
  // The decisions about `subject` (or serving it, for a mission), as rows.
  absl::StatusOr<std::vector<v1::DecisionRow>> OnSubject(
      const std::string& subject);

 private:
  // The rows of the decisions `streams` (missing ones skipped).
  absl::StatusOr<std::vector<v1::DecisionRow>> Rows(
      const std::vector<std::string>& streams);
  absl::StatusOr<std::vector<std::string>> Index(const std::string& prefix);

  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_DECISIONS_H_
