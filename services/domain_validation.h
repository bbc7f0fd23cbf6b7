// The rules of the mission accountability domain (DESIGN §3), shared by the
// typed command service and raw appends: an event whose type is in the
// "missionlog." namespace must parse as its declared message and pass that
// message's rules; departments' own event types stay opaque.
//
// Errors name the message, the field and the rule, e.g.
//   INVALID_ARGUMENT "DecisionRecorded.decided_on: required"
//   INVALID_ARGUMENT "AppointmentMade.end: 2020-01-01 is not after start
//                     2020-02-01"
//   FAILED_PRECONDITION "DecisionRecorded.missions[0]: stream
//                     dhsc/mission/nhs does not exist"
#ifndef MISSIONLOG_SERVICES_DOMAIN_VALIDATION_H_
#define MISSIONLOG_SERVICES_DOMAIN_VALIDATION_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {

inline constexpr char kDomainTypePrefix[] = "missionlog.";

// Whether `type` is a domain event type (and so must be validated).
bool IsDomainType(absl::string_view type);

// Whether a referenced stream exists (a storage read: call off gRPC's
// threads).
using StreamExists = std::function<absl::StatusOr<bool>(absl::string_view)>;

// The events of a stream so far (type and payload), for the rules that
// depend on a subject's state (a storage read too).
struct StoredEvent {
  std::string type;
  std::string payload;
};
using StreamHistory =
    std::function<absl::StatusOr<std::vector<StoredEvent>>(absl::string_view)>;

// Validates one domain event appended to `stream`: `type` must be known,
// `payload` must parse as its message, the stream must be of the kind the
// type belongs on (`<organisation>/<kind>/<id>`), and the message's rules
// must hold, including that every stream it references exists. With
// `history`, also the rules on the subject's state (FAILED_PRECONDITION):
// a revision, reversal or outcome names a recorded decision; a relief or
// transfer names the subject's current owner in that role; a concern is
// acknowledged, responded to, escalated or closed only while open.
absl::Status ValidateDomainEvent(absl::string_view stream,
                                 absl::string_view type,
                                 absl::string_view payload,
                                 const StreamExists& exists,
                                 const StreamHistory& history = nullptr);

// The message name (e.g. "missionlog.v1.DecisionRecorded") of a domain
// event type, or NOT_FOUND.
absl::StatusOr<std::string> DomainMessageName(absl::string_view type);

// Exposed for tests: a real calendar date, and an ISO 4217 code.
bool IsRealDate(int year, int month, int day);
bool IsCurrencyCode(absl::string_view code);

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_DOMAIN_VALIDATION_H_
