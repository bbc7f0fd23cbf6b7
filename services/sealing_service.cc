#include "services/sealing_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/conversions.h"

namespace missionlog {
namespace {

constexpr char kUnsealedType[] = "missionlog.sealing.unsealed.v1";
constexpr size_t kMaxReasonBytes = 1000;

}  // namespace

grpc::ServerUnaryReactor* SealingService::Unseal(
    grpc::CallbackServerContext* context, const v1::UnsealRequest* request,
    v1::UnsealResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kUnseal);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (request->reason().empty() || request->reason().size() > kMaxReasonBytes) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "reason: required, 1 to 1,000 bytes (it goes on the record)"));
    return reactor;
  }
  const std::string principal = caller->principal;
  bool scheduled = workers_->Schedule([this, reactor, request, response,
                                       principal] {
    // The event and its sealed data, before anything is appended.
    ReadAllRequest read;
    read.from_position = request->position();
    read.limit = 1;
    absl::StatusOr<ReadAllResult> found = log_->ReadAll(read);
    if (!found.ok()) {
      reactor->Finish(ToGrpcStatus(found.status()));
      return;
    }
    if (found->events.empty() ||
        found->events[0].position() != request->position()) {
      reactor->Finish(grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("no event at position ", request->position())));
      return;
    }
    const RecordedEvent& event = found->events[0];
    absl::StatusOr<std::string> stored = sealed_->GetSealed(event.position());
    if (!stored.ok()) {
      reactor->Finish(ToGrpcStatus(stored.status()));
      return;
    }
    v1::SealedData sealed;
    if (!sealed.ParseFromString(*stored)) {
      reactor->Finish(grpc::Status(grpc::StatusCode::DATA_LOSS,
                                   "the stored sealed data does not parse"));
      return;
    }
    std::vector<std::string> paths;
    for (const v1::SealedData::Field& field : sealed.fields()) {
      if (request->paths().empty() ||
          std::find(request->paths().begin(), request->paths().end(),
                    field.path()) != request->paths().end()) {
        *response->add_fields() = field;
        paths.push_back(field.path());
      }
    }
    if (paths.size() <
        static_cast<size_t>(std::max(1, request->paths_size()))) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::NOT_FOUND,
                       absl::StrCat("the event at position ", event.position(),
                                    " has no such sealed field")));
      return;
    }
    *response->mutable_keys() = sealed.keys();
    ToProto(event, response->mutable_event());
    // On the record first.
    v1::Unsealed unsealed;
    unsealed.set_position(event.position());
    unsealed.set_event_id(std::string(event.id()));
    for (const std::string& path : paths) unsealed.add_paths(path);
    unsealed.set_reason(request->reason());
    unsealed.set_unsealed_by(principal);
    AppendRequest append;
    append.stream = absl::StrCat("missionlog/unsealing/", event.id());
    append.recorded_by = principal;
    EventData data;
    data.type = kUnsealedType;
    data.source = "urn:missionlog:server";
    data.content_type = "application/protobuf; proto=missionlog.v1.Unsealed";
    unsealed.SerializeToString(&data.payload);
    append.events.push_back(std::move(data));
    log_->AppendAsync(std::move(append), [reactor, response](
                                             absl::StatusOr<AppendResult> r) {
      if (!r.ok()) {
        reactor->Finish(ToGrpcStatus(absl::Status(
            r.status().code(),
            absl::StrCat("the unsealing could not be recorded, so nothing is "
                         "unsealed: ",
                         r.status().message()))));
        return;
      }
      response->set_unsealed_position(r->first_position);
      reactor->Finish(grpc::Status::OK);
    });
  });
  if (!scheduled) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's queue is full"));
  }
  return reactor;
}

}  // namespace missionlog
