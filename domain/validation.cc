#include "domain/validation.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/rules.h"
#include "missionlog/v1/domain/accountability.pb.h"

namespace missionlog {
namespace domain {
namespace {

// Every type's rules, indexed by EventType.
const std::vector<TypeRules>& RuleTable() {
  static const auto* const table = [] {
    auto* rules = new std::vector<TypeRules>(AllEventTypes().size() + 1);
    for (auto area :
         {OrganisationRules, MissionRules, DecisionRules, ConcernRules}) {
      for (TypeRules& entry : area()) {
        const size_t index = static_cast<size_t>(entry.type);
        (*rules)[index] = std::move(entry);
      }
    }
    return rules;
  }();
  return *table;
}

// The rules that depend on the subject's state.
absl::Status CheckState(absl::string_view stream, EventType type,
                        const google::protobuf::Message& message,
                        const SubjectState& state) {
  const std::string& name = message.GetDescriptor()->name();
  if (FamilyOf(type) == Family::kDecision &&
      type != EventType::kDecisionRecorded) {
    if (!state.decision_recorded()) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": ", stream, " holds no recorded decision"));
    }
    return absl::OkStatus();
  }
  if (FamilyOf(type) == Family::kConcern && type != EventType::kConcernRaised) {
    if (state.concern_closed()) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": the concern ", stream, " is closed"));
    }
    return absl::OkStatus();
  }
  if (type != EventType::kOwnerRelieved &&
      type != EventType::kOwnershipTransferred) {
    return absl::OkStatus();
  }
  // Relieved: the owner relieved; transferred: the owner it comes from.
  const OwnershipEffect effect = *OwnershipEffectOf(type, message);
  const bool relieved = type == EventType::kOwnerRelieved;
  const std::string owner = OwnerStream(relieved ? effect.owner : effect.from);
  if (!state.IsCurrentOwner(effect.role, owner)) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ".", relieved ? "owner" : "from", ": ", owner,
        " is not the current ",
        v1::OwnershipRole_Name(static_cast<v1::OwnershipRole>(effect.role)),
        " of ", stream));
  }
  return absl::OkStatus();
}

}  // namespace

bool AboutExistingSubject(EventType type) {
  return RuleTable()[static_cast<size_t>(type)].about_existing_subject;
}

absl::Status ValidateEvent(absl::string_view stream,
                           absl::string_view type_name,
                           absl::string_view payload,
                           const StreamExists& exists,
                           const SubjectStateOf& state_of) {
  const EventType type = TypeOf(type_name);
  if (type == EventType::kUnknown) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: ", type_name,
                     " is not a known domain event type (types under \"",
                     kTypePrefix, "\" are reserved for the domain)"));
  }
  const TypeRules& rules = RuleTable()[static_cast<size_t>(type)];
  const google::protobuf::Message* prototype = Prototype(type);
  StreamName name;
  if (!SplitStream(stream, &name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: ", type_name,
                     " belongs on a stream named <organisation>/<kind>/<id>, "
                     "not \"",
                     stream, "\""));
  }
  const auto& kinds = rules.stream_kinds;
  if (!kinds.empty() &&
      std::find(kinds.begin(), kinds.end(), name.kind) == kinds.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: ", type_name, " belongs on a ",
                     absl::StrJoin(kinds, " or "), " stream, not ", stream));
  }
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  if (!message->ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("data: does not parse as ", prototype->GetTypeName()));
  }
  if (rules.about_existing_subject) {
    absl::StatusOr<bool> found = exists(stream);
    if (!found.ok()) return found.status();
    if (!*found) {
      return absl::FailedPreconditionError(
          absl::StrCat("stream: ", type_name, " is about an existing ",
                       name.kind, " but ", stream, " has no events"));
    }
  }
  Check check(prototype->GetDescriptor()->name(), exists);
  rules.check(*message, &check);
  if (!check.ok() || !state_of || !rules.about_existing_subject) {
    return check.status();
  }
  absl::StatusOr<SubjectState> state = state_of(stream);
  if (!state.ok()) return state.status();
  return CheckState(stream, type, *message, *state);
}

}  // namespace domain
}  // namespace missionlog
