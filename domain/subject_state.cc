#include "domain/subject_state.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "domain/values.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"

namespace missionlog {
namespace domain {

std::optional<OwnershipEffect> OwnershipEffectOf(
    EventType type, const google::protobuf::Message& payload) {
  OwnershipEffect effect;
  switch (type) {
    case EventType::kOwnerAssigned: {
      const auto& m = static_cast<const v1::OwnerAssigned&>(payload);
      effect.kind = OwnershipEffect::Kind::kAssigned;
      effect.role = m.role();
      effect.owner = m.owner();
      effect.valid_from = m.valid_from();
      return effect;
    }
    case EventType::kOwnerRelieved: {
      const auto& m = static_cast<const v1::OwnerRelieved&>(payload);
      effect.kind = OwnershipEffect::Kind::kRelieved;
      effect.role = m.role();
      effect.owner = m.owner();
      effect.valid_from = m.valid_from();
      effect.reason = m.reason();
      return effect;
    }
    case EventType::kOwnershipTransferred: {
      const auto& m = static_cast<const v1::OwnershipTransferred&>(payload);
      effect.kind = OwnershipEffect::Kind::kTransferred;
      effect.role = m.role();
      effect.owner = m.to();
      effect.from = m.from();
      effect.valid_from = m.valid_from();
      effect.reason = m.reason();
      return effect;
    }
    case EventType::kResponsibilityDelegated: {
      const auto& m = static_cast<const v1::ResponsibilityDelegated&>(payload);
      effect.kind = OwnershipEffect::Kind::kDelegated;
      effect.owner = m.to();
      effect.from = m.by();
      effect.valid_from = m.valid_from();
      effect.has_valid_until = m.has_valid_until();
      effect.valid_until = m.valid_until();
      effect.reason = m.scope();
      return effect;
    }
    default:
      return std::nullopt;
  }
}

std::optional<DecisionChange> DecisionChangeOf(
    EventType type, const google::protobuf::Message& payload) {
  DecisionChange change;
  switch (type) {
    case EventType::kDecisionRevised: {
      const auto& m = static_cast<const v1::DecisionRevised&>(payload);
      change.kind = "revised";
      change.on = m.valid_from();
      change.text = absl::StrCat(m.decision(), " (", m.reason(), ")");
      return change;
    }
    case EventType::kDecisionReversed: {
      const auto& m = static_cast<const v1::DecisionReversed&>(payload);
      change.kind = "reversed";
      change.on = m.valid_from();
      change.text = m.reason();
      return change;
    }
    case EventType::kDecisionOutcomeObserved: {
      const auto& m = static_cast<const v1::DecisionOutcomeObserved&>(payload);
      change.kind = "outcome";
      change.on = m.observed_on();
      change.text = m.outcome();
      return change;
    }
    default:
      return std::nullopt;
  }
}

std::optional<ConcernStep> ConcernStepOf(
    EventType type, const google::protobuf::Message& payload) {
  ConcernStep step;
  switch (type) {
    case EventType::kConcernAcknowledged: {
      const auto& m = static_cast<const v1::ConcernAcknowledged&>(payload);
      step.kind = "acknowledged";
      step.parties.push_back(m.by());
      step.on = m.on();
      return step;
    }
    case EventType::kConcernResponded: {
      const auto& m = static_cast<const v1::ConcernResponded&>(payload);
      step.kind = "responded";
      step.parties.push_back(m.by());
      step.on = m.on();
      step.text = m.response();
      return step;
    }
    case EventType::kConcernEscalated: {
      const auto& m = static_cast<const v1::ConcernEscalated&>(payload);
      step.kind = "escalated";
      step.parties.assign(m.to().begin(), m.to().end());
      step.on = m.on();
      step.text = m.reason();
      return step;
    }
    case EventType::kConcernClosed: {
      const auto& m = static_cast<const v1::ConcernClosed&>(payload);
      step.kind = "closed";
      step.parties.push_back(m.by());
      step.on = m.on();
      step.text = m.resolution();
      return step;
    }
    default:
      return std::nullopt;
  }
}

void SubjectState::Apply(absl::string_view type_name,
                         absl::string_view payload) {
  const EventType type = TypeOf(type_name);
  if (first_) decision_recorded_ = type == EventType::kDecisionRecorded;
  first_ = false;
  if (type == EventType::kConcernClosed) concern_closed_ = true;
  if (FamilyOf(type) != Family::kAccountability) return;
  std::unique_ptr<google::protobuf::Message> message(Prototype(type)->New());
  if (!message->ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return;
  }
  std::optional<OwnershipEffect> effect = OwnershipEffectOf(type, *message);
  if (!effect) return;
  switch (effect->kind) {
    case OwnershipEffect::Kind::kAssigned:
      owners_.insert({effect->role, OwnerStream(effect->owner)});
      break;
    case OwnershipEffect::Kind::kRelieved:
      owners_.erase({effect->role, OwnerStream(effect->owner)});
      break;
    case OwnershipEffect::Kind::kTransferred:
      owners_.erase({effect->role, OwnerStream(effect->from)});
      owners_.insert({effect->role, OwnerStream(effect->owner)});
      break;
    case OwnershipEffect::Kind::kDelegated:
      break;  // a delegation lends responsibility; the owner stays
  }
}

bool SubjectState::IsCurrentOwner(int role,
                                  absl::string_view owner_stream) const {
  return owners_.count(std::make_pair(role, std::string(owner_stream))) > 0;
}

}  // namespace domain
}  // namespace missionlog
