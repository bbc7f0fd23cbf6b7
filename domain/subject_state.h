// What later events do to their subject, and the fold of a subject's state
// that the domain's rules depend on. Validation folds a subject's stream
// into a SubjectState before checking a later event about it; the
// ownership, decisions and concerns projections record the same effects
// (projections/ownership.h, decisions.h, concerns.h), so the meaning of
// each event is written once.
#ifndef MISSIONLOG_DOMAIN_SUBJECT_STATE_H_
#define MISSIONLOG_DOMAIN_SUBJECT_STATE_H_

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "domain/event_types.h"
#include "google/protobuf/message.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {
namespace domain {

// What an accountability event does to its subject's owners.
struct OwnershipEffect {
  enum class Kind { kAssigned, kRelieved, kTransferred, kDelegated };
  Kind kind = Kind::kAssigned;
  // v1::OwnershipRole; 0 for a delegation (it names no role).
  int role = 0;
  // Assigned, relieved, transferred to, or delegated to.
  v1::Owner owner;
  // Transferred from, or delegated by.
  v1::Owner from;
  v1::Date valid_from;
  bool has_valid_until = false;  // a delegation's end
  v1::Date valid_until;
  // A relief's or transfer's reason, a delegation's scope.
  std::string reason;
};

// The effect of an accountability event (`payload` is its message, of
// Prototype(type)'s class); std::nullopt for any other type.
std::optional<OwnershipEffect> OwnershipEffectOf(
    EventType type, const google::protobuf::Message& payload);

// What a later event about a recorded decision does to it: a decision is
// never edited, it is revised, reversed, or its observed outcome recorded.
struct DecisionChange {
  std::string kind;  // "revised", "reversed" or "outcome"
  v1::Date on;
  std::string text;  // the revised decision (and reason), reason, outcome
};
std::optional<DecisionChange> DecisionChangeOf(
    EventType type, const google::protobuf::Message& payload);

// What a later event about a raised concern does to it.
struct ConcernStep {
  std::string kind;  // "acknowledged", "responded", "escalated", "closed"
  std::vector<v1::Owner> parties;  // by whom (escalated: to whom)
  v1::Date on;
  std::string text;  // response, escalation reason, resolution
};
std::optional<ConcernStep> ConcernStepOf(
    EventType type, const google::protobuf::Message& payload);

// A subject's state, folded from its stream in record order.
// Not thread-safe.
class SubjectState {
 public:
  // Folds the subject's next event. A payload that does not parse is
  // skipped (every domain payload was validated when it was appended).
  void Apply(absl::string_view type, absl::string_view payload);

  // The stream starts with a DecisionRecorded.
  bool decision_recorded() const { return decision_recorded_; }
  // A ConcernClosed has been recorded on it.
  bool concern_closed() const { return concern_closed_; }
  // `owner_stream` holds `role` on it now (assigned or transferred to,
  // and not relieved or transferred away since).
  bool IsCurrentOwner(int role, absl::string_view owner_stream) const;

 private:
  bool first_ = true;
  bool decision_recorded_ = false;
  bool concern_closed_ = false;
  std::set<std::pair<int, std::string>, std::less<>> owners_;
};

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_SUBJECT_STATE_H_
