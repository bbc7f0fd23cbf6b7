// The "concerns" projection: every concern and what happened to it
// (acknowledged, responded to, escalated, closed), for "which concerns are
// open or overdue", "what was decided while a concern was open" and "who
// was told".
//
// Keys (values are projections/state.proto messages):
//   c/<concern stream>                    ConcernState
//   a/<subject stream>\0<concern stream>  "" (the subject it is about)
#ifndef MISSIONLOG_PROJECTIONS_CONCERNS_H_
#define MISSIONLOG_PROJECTIONS_CONCERNS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/appointments.h"
#include "projections/decisions.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kConcernsProjection[] = "concerns";

std::unique_ptr<Projection> NewConcernsProjection();

class ConcernsView {
 public:
  ConcernsView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::ConcernsResponse> Concerns(
      const v1::ConcernsRequest& request);
  // Needs the decisions view (same as_of).
  absl::StatusOr<v1::DecisionsOverOpenConcernsResponse> OverOpenConcerns(
      const v1::DecisionsOverOpenConcernsRequest& request,
      DecisionsView* decisions);
  // Needs the appointments view, to see the posts the person held.
  absl::StatusOr<v1::WhoWasToldResponse> WhoWasTold(
      const v1::WhoWasToldRequest& request, AppointmentsView* appointments);

 private:
  // Every concern (or those about `about`), as rows, by date raised.
  absl::StatusOr<std::vector<v1::ConcernRow>> Rows(const std::string& about);

  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_CONCERNS_H_
