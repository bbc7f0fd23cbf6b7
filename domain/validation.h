// The rules of the mission accountability domain (DESIGN §3), which every
// domain event meets however it arrives (a typed command or a raw append,
// command_handler.h): an event whose type is under "missionlog." must be a
// known type, parse as its message, sit on the kind of stream its type
// belongs on, and pass its message's rules; departments' own event types
// stay opaque.
//
// Errors name the message, the field and the rule, e.g.
//   INVALID_ARGUMENT "DecisionRecorded.decided_on: required"
//   INVALID_ARGUMENT "AppointmentMade.end: 2020-01-01 is not after start
//                     2020-02-01"
//   FAILED_PRECONDITION "DecisionRecorded.missions[0]: stream
//                     dhsc/mission/nhs does not exist"
//
// Thread safety: the functions are safe to call concurrently.
#ifndef MISSIONLOG_DOMAIN_VALIDATION_H_
#define MISSIONLOG_DOMAIN_VALIDATION_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "domain/check.h"
#include "domain/subject_state.h"

namespace missionlog {
namespace domain {

// The state of the subject `stream` (a storage read, folded).
using SubjectStateOf =
    std::function<absl::StatusOr<SubjectState>(absl::string_view stream)>;

// Validates one domain event appended to `stream`: `type` must be known,
// `payload` must parse as its message, the stream must be of the kind the
// type belongs on (`<organisation>/<kind>/<id>`), and the message's rules
// must hold, including that every stream it references exists. With
// `state_of`, also the rules on the subject's state (FAILED_PRECONDITION):
// a revision, reversal or outcome names a recorded decision; a relief or
// transfer names the subject's current owner in that role; a concern is
// acknowledged, responded to, escalated or closed only while open.
absl::Status ValidateEvent(absl::string_view stream, absl::string_view type,
                           absl::string_view payload,
                           const StreamExists& exists,
                           const SubjectStateOf& state_of = nullptr);

// Whether events of `type` are about an existing subject (their stream
// must already have events), so that the rules on its state apply.
bool AboutExistingSubject(EventType type);

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_VALIDATION_H_
