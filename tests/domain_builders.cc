#include "tests/domain_builders.h"

#include "domain/values.h"
#include "tests/test_util.h"

namespace missionlog {
namespace testing {

v1::Date Day(int year, int month, int day) {
  return domain::MakeDate(year, month, day);
}

v1::Ref RefTo(const std::string& stream) {
  v1::Ref ref;
  ref.set_stream(stream);
  return ref;
}

v1::Owner OrganisationOwner(const std::string& stream) {
  v1::Owner owner;
  *owner.mutable_organisation() = RefTo(stream);
  return owner;
}

v1::Owner PostOwner(const std::string& stream) {
  v1::Owner owner;
  *owner.mutable_post() = RefTo(stream);
  return owner;
}

EventData DomainEvent(domain::EventType type,
                      const google::protobuf::Message& message, uint64_t n) {
  EventData event = MakeEvent(std::string(domain::TypeName(type)),
                              message.SerializeAsString(), n);
  event.content_type = "application/protobuf";
  return event;
}

}  // namespace testing
}  // namespace missionlog
