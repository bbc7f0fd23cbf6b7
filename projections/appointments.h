// The "appointments" projection: organisations, people, posts and
// appointments in the Popolo sense, for "who held which post on a date".
//
// Keys (values are projections/state.proto messages):
//   o/<organisation stream>   EntityState: its names over time
//   p/<person stream>         EntityState: their names over time
//   t/<post stream>           EntityState: name, organisation, rank
//   a/<appointment stream>    AppointmentState: person, post, [start, end),
//                             each later end and characteristics period
//   h/<post stream>\0<appointment stream>   "" (a post's appointments)
//   w/<person stream>\0<appointment stream> "" (a person's appointments)
//   y/<YYYY>\0<appointment stream>  a copy of the AppointmentState, for
//                                   each calendar year [start, end) touches
//   y/open\0<appointment stream>    a copy, while it has no end
// GovernmentOn reads the date's year and the open ones (as of now), or
// every appointment (as of an earlier position).
// Every fact keeps its event's position, so queries can answer as of an
// earlier position (bitemporal) and name their sources.
#ifndef MISSIONLOG_PROJECTIONS_APPOINTMENTS_H_
#define MISSIONLOG_PROJECTIONS_APPOINTMENTS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/projection_store.h"
#include "missionlog/v1/inquiry.pb.h"
#include "projections/projection.h"

namespace missionlog {
namespace projections {
class AppointmentState;
}  // namespace projections

inline constexpr char kAppointmentsProjection[] = "appointments";

std::unique_ptr<Projection> NewAppointmentsProjection();

// Queries on the appointments projection's state. `as_of` bounds the
// events considered (positions < as_of); UINT64_MAX for all.
// Thread safety: a view reads the store, which is safe for concurrent use;
// one view serves one query (it caches what it read), so use one per thread.
class AppointmentsView {
 public:
  AppointmentsView(ProjectionStore* store, uint64_t as_of)
      : store_(store), as_of_(as_of) {}

  absl::StatusOr<v1::GovernmentOnResponse> GovernmentOn(
      const v1::GovernmentOnRequest& request);
  absl::StatusOr<v1::PostHoldersResponse> PostHolders(
      const v1::PostHoldersRequest& request);
  // Who held `post` on `on`.
  absl::StatusOr<std::vector<v1::PostHolding>> HoldersOn(
      const std::string& post, const v1::Date& on);
  // The posts (stream, name) `person` held on `on`.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> PostsHeldBy(
      const std::string& person, const v1::Date& on);
  // The name of an organisation, person or post on `on` ("" if unknown).
  absl::StatusOr<std::string> NameOn(const v1::Owner& owner,
                                     const v1::Date& on);

 private:
  absl::StatusOr<std::string> EntityName(const std::string& key,
                                         const v1::Date& on);
  // The appointments an index ("h/" by post, "w/" by person) lists for
  // `of`, with their state.
  absl::StatusOr<
      std::vector<std::pair<std::string, projections::AppointmentState>>>
  Indexed(const std::string& index, const std::string& of);

  ProjectionStore* const store_;
  const uint64_t as_of_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_PROJECTIONS_APPOINTMENTS_H_
