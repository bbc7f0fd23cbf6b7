// The actions of the mission accountability domain, one line each:
// X(Rpc, EventMessage, "event type"). The single list the Accountability
// service (one RPC per action, commands.proto), its clients and the CLI's
// event decoding are generated from, so they cannot drift apart.
#ifndef MISSIONLOG_PROTO_MISSIONLOG_V1_DOMAIN_ACTIONS_H_
#define MISSIONLOG_PROTO_MISSIONLOG_V1_DOMAIN_ACTIONS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/missions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

#define MISSIONLOG_DOMAIN_ACTIONS(X)                                           \
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

namespace missionlog {

// The message of a domain event type (its default instance), or nullptr
// for a type that is not one of the actions above.
inline const google::protobuf::Message* DomainEventPrototype(
    absl::string_view type) {
  static const auto* const prototypes = [] {
    auto* map = new absl::flat_hash_map<std::string,
                                        const google::protobuf::Message*>();
#define MISSIONLOG_DOMAIN_PROTOTYPE(Rpc, Message, type) \
  (*map)[type] = &v1::Message::default_instance();
    MISSIONLOG_DOMAIN_ACTIONS(MISSIONLOG_DOMAIN_PROTOTYPE)
#undef MISSIONLOG_DOMAIN_PROTOTYPE
    return map;
  }();
  auto it = prototypes->find(type);
  return it == prototypes->end() ? nullptr : it->second;
}

}  // namespace missionlog

#endif  // MISSIONLOG_PROTO_MISSIONLOG_V1_DOMAIN_ACTIONS_H_
