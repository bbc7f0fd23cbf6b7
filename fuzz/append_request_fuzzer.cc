// Request validation: any bytes as an AppendRequest, through the server's
// conversion (services/conversions.h) and the engine's checks
// (PrepareAppend), and the error details built for a refusal.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "eventstore/clock.h"
#include "eventstore/prepared_append.h"
#include "missionlog/v1/store.pb.h"
#include "services/conversions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace missionlog;
  v1::AppendRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<AppendRequest> append = FromProto(request, "fuzz@test");
  absl::Status status = append.status();
  if (append.ok()) {
    Options options;
    options.max_payload_bytes = 4096;
    options.max_events_per_append = 64;
    options.max_append_bytes = 65536;
    status =
        PrepareAppend(options, Clock::System(), *std::move(append)).status();
  }
  if (!status.ok()) {
    v1::RpcStatus details;
    ToRpcStatus(status, &request, &details);
    (void)ToGrpcStatus(status, &request);
  }
  return 0;
}
