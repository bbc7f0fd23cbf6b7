// The "ownership" projection: who owns each subject (mission, milestone,
// programme, budget line), bitemporally. Every assignment, relief,
// transfer and delegation is kept with its position and valid time, and
// the owners on a date are folded at query time: in valid-time order (ties
// in record order), considering only events recorded before `as_of`. So a
// correction recorded later (e.g. a transfer back-dated to when it really
// happened) changes answers as of now, and answers as of before it stay
// what they were.
//
// Keys: s/<subject stream>\0<position, 8 bytes big-endian> ->
// OwnershipChange (projections/state.proto), one per event.
#ifndef MISSIONLOG_PROJECTIONS_OWNERSHIP_H_
#define MISSIONLOG_PROJECTIONS_OWNERSHIP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/appointments.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kOwnershipProjection[] = "ownership";

std::unique_ptr<Projection> NewOwnershipProjection();

class OwnershipView {
 public:
  // `appointments` resolves post owners to their holders and names owners.
  OwnershipView(ProjectionStore* store, AppointmentsView* appointments,
                uint64_t as_of)
      : store_(store), appointments_(appointments), as_of_(as_of) {}

  absl::StatusOr<v1::WhoOwnedResponse> WhoOwned(
      const v1::WhoOwnedRequest& request);
  absl::StatusOr<v1::OwnershipHistoryResponse> History(
      const v1::OwnershipHistoryRequest& request);

 private:
  ProjectionStore* const store_;
  AppointmentsView* const appointments_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_OWNERSHIP_H_
