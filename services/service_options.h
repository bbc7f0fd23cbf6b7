// How the gRPC services stream and pace their responses (missionlogd's
// flags set them).
//
// A value: copied into each service.
#ifndef MISSIONLOG_SERVICES_SERVICE_OPTIONS_H_
#define MISSIONLOG_SERVICES_SERVICE_OPTIONS_H_

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace missionlog {

struct ServiceOptions {
  // Events per streamed message (Read and Subscribe).
  size_t batch_events = 1000;
  // Positions a filtered subscription may pass over without a message
  // before it sends a checkpoint.
  uint64_t checkpoint_every = 10000;
  // ... and at the head, at least this often while a filter skips events.
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // Recent events kept encoded for subscribers (see EncodedEvents).
  size_t encoded_events = 100000;
  size_t encoded_event_bytes = 64 << 20;
  // Recent whole messages shared by subscribers (see SharedMessages).
  size_t shared_message_bytes = 16 << 20;
  // Appends in flight on one AppendStream call.
  size_t max_stream_inflight = 256;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_SERVICE_OPTIONS_H_
