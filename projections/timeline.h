// The "timeline" projection: everything about a subject in record order:
// the domain events on its stream, and every domain event that names it
// (any Ref or Owner field, found by reflection over the event's message,
// e.g. a decision's missions, a concern's about, a transfer's to).
//
// Keys: t/<subject stream>\0<position, 8 bytes big-endian> ->
//       TimelineEntryState (the event's stream, type, and the naming field).
#ifndef MISSIONLOG_PROJECTIONS_TIMELINE_H_
#define MISSIONLOG_PROJECTIONS_TIMELINE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/projection.h"

namespace missionlog {

inline constexpr char kTimelineProjection[] = "timeline";
// Entries a TimelineRequest without a limit returns (a page of them).
inline constexpr uint32_t kTimelineDefaultLimit = 1000;

std::unique_ptr<Projection> NewTimelineProjection();

class TimelineView {
 public:
  TimelineView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::TimelineResponse> Timeline(
      const v1::TimelineRequest& request);

 private:
  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_TIMELINE_H_
