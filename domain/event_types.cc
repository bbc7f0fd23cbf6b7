#include "domain/event_types.h"

#include <array>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/missions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace domain {
namespace {

// The family names, in Family's order: the second part of a type string.
constexpr std::array<absl::string_view, 10> kFamilies = {
    "organisation",   "person",   "post",     "appointment", "mission",
    "accountability", "decision", "spending", "concern",     "contribution"};

struct Entry {
  absl::string_view name;
  absl::string_view action;
  const google::protobuf::Message* prototype;
  Family family;
};

Family ParseFamily(absl::string_view name) {
  // "missionlog.<family>.<what>.v<N>"
  absl::string_view rest = name.substr(sizeof(kTypePrefix) - 1);
  absl::string_view family = rest.substr(0, rest.find('.'));
  for (size_t i = 0; i < kFamilies.size(); ++i) {
    if (kFamilies[i] == family) return static_cast<Family>(i);
  }
  std::abort();  // a type in the list with a family not listed above
}

struct Table {
  std::vector<Entry> entries;  // indexed by EventType
  absl::flat_hash_map<absl::string_view, EventType> by_name;
  std::vector<EventType> all;
};

const Table& GetTable() {
  static const Table* const table = [] {
    auto* t = new Table;
    t->entries.push_back(Entry{"", "", nullptr, Family::kOrganisation});
#define MISSIONLOG_EVENT_TYPE_ENTRY(Action, Message, type)                    \
  t->entries.push_back(Entry{type, #Action, &v1::Message::default_instance(), \
                             ParseFamily(type)});                             \
  t->by_name[type] = EventType::k##Message;                                   \
  t->all.push_back(EventType::k##Message);
    MISSIONLOG_DOMAIN_EVENT_TYPES(MISSIONLOG_EVENT_TYPE_ENTRY)
#undef MISSIONLOG_EVENT_TYPE_ENTRY
    return t;
  }();
  return *table;
}

const Entry& At(EventType type) {
  return GetTable().entries[static_cast<size_t>(type)];
}

}  // namespace

bool IsDomainType(absl::string_view type) {
  return absl::StartsWith(type, kTypePrefix);
}

EventType TypeOf(absl::string_view type) {
  const auto& by_name = GetTable().by_name;
  auto it = by_name.find(type);
  return it == by_name.end() ? EventType::kUnknown : it->second;
}

absl::string_view TypeName(EventType type) { return At(type).name; }
absl::string_view ActionName(EventType type) { return At(type).action; }
const google::protobuf::Message* Prototype(EventType type) {
  return At(type).prototype;
}
Family FamilyOf(EventType type) { return At(type).family; }

std::string FamilyPrefix(Family family) {
  return absl::StrCat(kTypePrefix, kFamilies[static_cast<size_t>(family)], ".");
}

const std::vector<EventType>& AllEventTypes() { return GetTable().all; }

}  // namespace domain
}  // namespace missionlog
