// Builders the domain's tests share: dates, references, owners, and domain
// events ready to append.
#ifndef MISSIONLOG_TESTS_DOMAIN_BUILDERS_H_
#define MISSIONLOG_TESTS_DOMAIN_BUILDERS_H_

#include <cstdint>
#include <string>

#include "domain/event_types.h"
#include "eventstore/event_log.h"
#include "google/protobuf/message.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {
namespace testing {

v1::Date Day(int year, int month, int day);
v1::Ref RefTo(const std::string& stream);
v1::Owner OrganisationOwner(const std::string& stream);
v1::Owner PostOwner(const std::string& stream);

// An event of domain type `type` with `message` as its payload, and id
// TestUuid(n) when n > 0.
EventData DomainEvent(domain::EventType type,
                      const google::protobuf::Message& message, uint64_t n = 0);

}  // namespace testing
}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_DOMAIN_BUILDERS_H_
