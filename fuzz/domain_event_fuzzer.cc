// The domain validators (services/domain_validation.h): a domain event type
// and a stream chosen by the first two bytes, the rest as its payload.
// Streams "exist" by a fixed rule so that reference checks run both ways.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "missionlog/v1/domain_actions.h"
#include "services/domain_validation.h"

namespace {

#define MISSIONLOG_TYPE_NAME(Rpc, Message, type) type,
const char* const kTypes[] = {MISSIONLOG_DOMAIN_ACTIONS(MISSIONLOG_TYPE_NAME)};
#undef MISSIONLOG_TYPE_NAME

const char* const kStreams[] = {"dhsc/organisation/dhsc",
                                "dhsc/person/p-1",
                                "dhsc/post/sos",
                                "dhsc/mission/nhs",
                                "dhsc/decision/d-1",
                                "dhsc/budget/b-1",
                                "dhsc/contract/c-1",
                                "dhsc/concern/c-1",
                                "dhsc/contribution/x",
                                "dhsc/forum/cabinet",
                                "dhsc/delegation/d1",
                                "bad stream",
                                "",
                                "a/b/c/d",
                                "dhsc//x"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const char* type = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
  const char* stream =
      kStreams[data[1] % (sizeof kStreams / sizeof kStreams[0])];
  const std::string payload(reinterpret_cast<const char*>(data + 2), size - 2);
  auto exists = [](absl::string_view name) -> absl::StatusOr<bool> {
    return name.size() % 3 != 0;
  };
  auto history = [&](absl::string_view)
      -> absl::StatusOr<std::vector<missionlog::StoredEvent>> {
    // A history holding the same event, so that rules about what came
    // before see something.
    return std::vector<missionlog::StoredEvent>{{type, payload}};
  };
  (void)missionlog::ValidateDomainEvent(stream, type, payload, exists, history);
  (void)missionlog::ValidateDomainEvent(stream, type, payload, exists);
  return 0;
}
