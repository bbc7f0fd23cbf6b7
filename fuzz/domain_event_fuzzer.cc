// The domain validators (domain/validation.h): a domain event type
// and a stream chosen by the first two bytes, the rest as its payload.
// Streams "exist" by a fixed rule so that reference checks run both ways.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/event_types.h"
#include "domain/validation.h"

namespace {

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
  const auto& types = missionlog::domain::AllEventTypes();
  const std::string type(
      missionlog::domain::TypeName(types[data[0] % types.size()]));
  const char* stream =
      kStreams[data[1] % (sizeof kStreams / sizeof kStreams[0])];
  const std::string payload(reinterpret_cast<const char*>(data + 2), size - 2);
  auto exists = [](absl::string_view name) -> absl::StatusOr<bool> {
    return name.size() % 3 != 0;
  };
  auto state_of = [&](absl::string_view)
      -> absl::StatusOr<missionlog::domain::SubjectState> {
    // A subject whose stream holds the same event, so that rules about
    // what came before see something.
    missionlog::domain::SubjectState state;
    state.Apply(type, payload);
    return state;
  };
  (void)missionlog::domain::ValidateEvent(stream, type, payload, exists,
                                          state_of);
  (void)missionlog::domain::ValidateEvent(stream, type, payload, exists);
  return 0;
}
