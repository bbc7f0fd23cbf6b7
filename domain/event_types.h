// The event types of the mission accountability domain (DESIGN §3): the one
// place each type string is written. Every line is
//   X(Action, Message, "type")
// the command that records it (an RPC of the Accountability service,
// commands.proto), its payload message (proto/missionlog/v1/domain/) and
// its type string. The command service, validation, the projections, the
// importers and the CLI all take the types from here.
//
// Every type's string is "missionlog.<family>.<what>.v<N>"; the family
// names the kind of subject (see Family), and all of a family's types
// share the prefix FamilyPrefix(family).
#ifndef MISSIONLOG_DOMAIN_EVENT_TYPES_H_
#define MISSIONLOG_DOMAIN_EVENT_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

// clang-format off
#define MISSIONLOG_DOMAIN_EVENT_TYPES(X)                                           \
  X(RegisterOrganisation, OrganisationRegistered,                              \
    "missionlog.organisation.registered.v1")                                   \
  X(RenameOrganisation, OrganisationRenamed,                                   \
    "missionlog.organisation.renamed.v1")                                      \
  X(ChangeOrganisationParent, OrganisationParentChanged,                       \
    "missionlog.organisation.parent_changed.v1")                               \
  X(MergeOrganisation, OrganisationMerged,                                     \
    "missionlog.organisation.merged.v1")                                       \
  X(DemergeOrganisation, OrganisationDemerged,                                 \
    "missionlog.organisation.demerged.v1")                                     \
  X(TransferFunctions, FunctionsTransferred,                                   \
    "missionlog.organisation.functions_transferred.v1")                        \
  X(CloseOrganisation, OrganisationClosed,                                     \
    "missionlog.organisation.closed.v1")                                       \
  X(RegisterPerson, PersonRegistered, "missionlog.person.registered.v1")       \
  X(RenamePerson, PersonRenamed, "missionlog.person.renamed.v1")               \
  X(CreatePost, PostCreated, "missionlog.post.created.v1")                     \
  X(AbolishPost, PostAbolished, "missionlog.post.abolished.v1")                \
  X(MakeAppointment, AppointmentMade, "missionlog.appointment.made.v1")        \
  X(RecordAppointmentCharacteristics, AppointmentCharacteristicsRecorded,      \
    "missionlog.appointment.characteristics_recorded.v1")                      \
  X(EndAppointment, AppointmentEnded, "missionlog.appointment.ended.v1")       \
  X(DeclareMission, MissionDeclared, "missionlog.mission.declared.v1")         \
  X(ReviseMissionTarget, MissionTargetRevised,                                 \
    "missionlog.mission.target_revised.v1")                                    \
  X(RetireMission, MissionRetired, "missionlog.mission.retired.v1")            \
  X(AssignOwner, OwnerAssigned, "missionlog.accountability.owner_assigned.v1") \
  X(RelieveOwner, OwnerRelieved,                                               \
    "missionlog.accountability.owner_relieved.v1")                             \
  X(TransferOwnership, OwnershipTransferred,                                   \
    "missionlog.accountability.ownership_transferred.v1")                      \
  X(DelegateResponsibility, ResponsibilityDelegated,                           \
    "missionlog.accountability.delegated.v1")                                  \
  X(RecordDecision, DecisionRecorded, "missionlog.decision.recorded.v1")       \
  X(ReviseDecision, DecisionRevised, "missionlog.decision.revised.v1")         \
  X(ReverseDecision, DecisionReversed, "missionlog.decision.reversed.v1")      \
  X(ObserveDecisionOutcome, DecisionOutcomeObserved,                           \
    "missionlog.decision.outcome_observed.v1")                                 \
  X(AllocateBudget, BudgetAllocated,                                           \
    "missionlog.spending.budget_allocated.v1")                                 \
  X(CommitSpend, SpendCommitted, "missionlog.spending.spend_committed.v1")     \
  X(IncurSpend, SpendIncurred, "missionlog.spending.spend_incurred.v1")        \
  X(ReallocateSpend, SpendReallocated, "missionlog.spending.reallocated.v1")   \
  X(CancelSpend, SpendCancelled, "missionlog.spending.cancelled.v1")           \
  X(RaiseConcern, ConcernRaised, "missionlog.concern.raised.v1")               \
  X(AcknowledgeConcern, ConcernAcknowledged,                                   \
    "missionlog.concern.acknowledged.v1")                                      \
  X(RespondToConcern, ConcernResponded, "missionlog.concern.responded.v1")     \
  X(EscalateConcern, ConcernEscalated, "missionlog.concern.escalated.v1")      \
  X(CloseConcern, ConcernClosed, "missionlog.concern.closed.v1")               \
  X(ClaimContribution, ContributionClaimed,                                    \
    "missionlog.contribution.claimed.v1")                                      \
  X(CreditContribution, ContributionCredited,                                  \
    "missionlog.contribution.credited.v1")                                     \
  X(WithdrawContribution, ContributionWithdrawn,                               \
    "missionlog.contribution.withdrawn.v1")
// clang-format on

namespace missionlog {
namespace domain {

// Types under this prefix are the domain's, validated on every append;
// departments' own types (anything else) stay opaque.
inline constexpr char kTypePrefix[] = "missionlog.";

enum class EventType : uint8_t {
  kUnknown = 0,
#define MISSIONLOG_EVENT_TYPE_ENUM(Action, Message, type) k##Message,
  MISSIONLOG_DOMAIN_EVENT_TYPES(MISSIONLOG_EVENT_TYPE_ENUM)
#undef MISSIONLOG_EVENT_TYPE_ENUM
};

// The kinds of subject the types are about, one per type family.
enum class Family : uint8_t {
  kOrganisation,
  kPerson,
  kPost,
  kAppointment,
  kMission,
  kAccountability,
  kDecision,
  kSpending,
  kConcern,
  kContribution,
};

// Whether `type` is under kTypePrefix (and so must be a known type).
bool IsDomainType(absl::string_view type);

// The domain type named `type`, or kUnknown. One hash lookup.
EventType TypeOf(absl::string_view type);
// "missionlog.decision.recorded.v1" for kDecisionRecorded; "" for kUnknown.
absl::string_view TypeName(EventType type);
// The command that records it: "RecordDecision".
absl::string_view ActionName(EventType type);
// Its payload message's default instance; nullptr for kUnknown.
const google::protobuf::Message* Prototype(EventType type);
Family FamilyOf(EventType type);
// "missionlog.decision.": every type of the family starts with it.
std::string FamilyPrefix(Family family);
// Every domain type, in the order of the list above.
const std::vector<EventType>& AllEventTypes();

// The records the server writes itself (sealing.proto), under a prefix no
// client may append to: an unsealing, and an erasure (which verify and
// every node of a cluster act on).
inline constexpr char kServerRecordPrefix[] = "missionlog.sealing.";
inline constexpr char kUnsealedType[] = "missionlog.sealing.unsealed.v1";
inline constexpr char kErasedType[] = "missionlog.sealing.erased.v1";

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_EVENT_TYPES_H_
