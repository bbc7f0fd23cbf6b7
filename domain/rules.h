// The rules of each domain event type, one table per area (rules_*.cc),
// joined by validation.cc. Internal to domain/.
//
// Thread safety: the tables are built once and then only read.
#ifndef MISSIONLOG_DOMAIN_RULES_H_
#define MISSIONLOG_DOMAIN_RULES_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "domain/check.h"
#include "domain/event_types.h"
#include "domain/values.h"
#include "google/protobuf/message.h"

namespace missionlog {
namespace domain {

struct TypeRules {
  EventType type = EventType::kUnknown;
  // The stream kinds (`<organisation>/<kind>/<id>`) it belongs on.
  std::vector<std::string> stream_kinds;
  // A later event about an existing subject: its stream must have events.
  bool about_existing_subject = false;
  std::function<void(const google::protobuf::Message&, Check*)> check;
};

template <typename M>
TypeRules Rules(EventType type, std::vector<std::string> stream_kinds,
                bool about_existing_subject,
                void (*check)(const M& message, Check* c)) {
  return TypeRules{type, std::move(stream_kinds), about_existing_subject,
                   [check](const google::protobuf::Message& message, Check* c) {
                     check(static_cast<const M&>(message), c);
                   }};
}

// Organisations, people, posts and appointments.
std::vector<TypeRules> OrganisationRules();
// Missions, accountability for subjects, and contributions.
std::vector<TypeRules> MissionRules();
// Decisions and spending.
std::vector<TypeRules> DecisionRules();
// Concerns.
std::vector<TypeRules> ConcernRules();

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_RULES_H_
