// Conversions between the wire types (proto/missionlog/v1) and the engine's
// (eventstore/event_store.h), and from absl::Status to grpc::Status. The one
// place services/ translates between the two worlds.
#ifndef MISSIONLOG_SERVICES_CONVERSIONS_H_
#define MISSIONLOG_SERVICES_CONVERSIONS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "grpcpp/support/status.h"
#include "missionlog/v1/store.pb.h"

namespace missionlog {

// Validates and converts a wire append (INVALID_ARGUMENT naming the field
// for malformed times and unknown enum values). `recorded_by` is the
// server's notion of the caller, never taken from the request.
absl::StatusOr<AppendRequest> FromProto(const v1::AppendRequest& request,
                                        const std::string& recorded_by);
// The same, moving each event's strings out of `request` instead of copying
// them (a parsed request's payloads, on an arena or not, are heap strings):
// afterwards `request` still names its stream and expected version (what
// an error's details need), but its events are emptied.
absl::StatusOr<AppendRequest> TakeFromProto(v1::AppendRequest* request,
                                            const std::string& recorded_by);

void ToProto(const AppendResult& result, v1::AppendResponse* response);
void ToProto(const RecordedEvent& event, v1::RecordedEvent* out);

// The gRPC status for an engine status. ABORTED appends carry a
// WrongExpectedVersion in the status details.
// INVALID_ARGUMENT for a request whose bytes do not parse as `full_name`
// (e.g. "missionlog.v1.ReadRequest"), in the words every method uses.
grpc::Status UnparsableRequest(absl::string_view full_name);

grpc::Status ToGrpcStatus(const absl::Status& status,
                          const v1::AppendRequest* append = nullptr);

// The RpcStatus (google.rpc.Status) form, for per-item errors in streams.
void ToRpcStatus(const absl::Status& status, const v1::AppendRequest* append,
                 v1::RpcStatus* out);

// "anonymous@<host>" from a gRPC peer string such as "ipv4:127.0.0.1:5123":
// the development-mode author. The port is dropped so that a retry from a
// new connection is still the same author.
std::string AnonymousPrincipal(const std::string& peer);

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_CONVERSIONS_H_
