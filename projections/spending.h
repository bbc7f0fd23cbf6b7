// The "spending" projection: money allocated, committed and incurred, in
// exact minor units, by mission, organisation and supplier, per fiscal year
// and month.
//
// Keys (values are projections/state.proto messages):
//   a/<dim>/<value>\0<fiscal year>\0<month>\0<currency>   SpendTotals
//   l/<fiscal year>\0<position, 8 bytes big-endian>       SpendLine
// where <dim> is "m" (a mission's stream), "o" (the recording organisation:
// the stream's first segment) or "s" (the supplier, as recorded). A query
// with one dimension reads its totals (a few rows: fast at any size); one
// with several dimensions, or as of an earlier position, reads the lines
// (of its fiscal year, if it names one) and filters: its cost grows with
// the spending recorded. Reallocations move money out of a budget
// (negative allocated); cancellations reduce what was allocated or
// committed. The fiscal year is the budget's own ("2025-26") for
// allocations, else the UK fiscal year (April-March) of the event's date.
#ifndef MISSIONLOG_PROJECTIONS_SPENDING_H_
#define MISSIONLOG_PROJECTIONS_SPENDING_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kSpendingProjection[] = "spending";

std::unique_ptr<Projection> NewSpendingProjection();

class SpendingView {
 public:
  SpendingView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::SpendingResponse> Spending(
      const v1::SpendingRequest& request);

 private:
  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_SPENDING_H_
