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
constexpr char kErasedType[] = "missionlog.sealing.erased.v1";
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

grpc::ServerUnaryReactor* SealingService::Erase(
    grpc::CallbackServerContext* context, const v1::EraseRequest* request,
    v1::EraseResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kErase);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (request->legal_basis().empty() ||
      request->legal_basis().size() > kMaxReasonBytes) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "legal_basis: required, 1 to 1,000 bytes (it goes on the record)"));
    return reactor;
  }
  const std::string principal = caller->principal;
  bool scheduled = workers_->Schedule([this, reactor, request, response,
                                       principal] {
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
    const uint64_t position = request->position();
    const std::string event_id = found->events[0].id();
    absl::StatusOr<std::string> stored = sealed_->GetSealed(position);
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
    v1::SealedData remaining = sealed;
    remaining.clear_fields();
    std::vector<std::string> erased;
    for (const v1::SealedData::Field& field : sealed.fields()) {
      if (request->paths().empty() ||
          std::find(request->paths().begin(), request->paths().end(),
                    field.path()) != request->paths().end()) {
        erased.push_back(field.path());
      } else {
        *remaining.add_fields() = field;
      }
    }
    if (erased.empty() ||
        erased.size() < static_cast<size_t>(request->paths_size())) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::NOT_FOUND,
                       absl::StrCat("the event at position ", position,
                                    " has no such sealed field")));
      return;
    }
    // No opening left: the wrapped data key goes too.
    std::string rest;
    if (remaining.fields_size() > 0) remaining.SerializeToString(&rest);
    // On the record first, then destroyed.
    v1::Erased record;
    record.set_position(position);
    record.set_event_id(event_id);
    for (const std::string& path : erased) {
      record.add_paths(path);
      response->add_paths(path);
    }
    record.set_legal_basis(request->legal_basis());
    record.set_erased_by(principal);
    AppendRequest append;
    append.stream = absl::StrCat("missionlog/erasure/", event_id);
    append.recorded_by = principal;
    EventData data;
    data.type = kErasedType;
    data.source = "urn:missionlog:server";
    data.content_type = "application/protobuf; proto=missionlog.v1.Erased";
    record.SerializeToString(&data.payload);
    append.events.push_back(std::move(data));
    log_->AppendAsync(std::move(append), [this, reactor, response, position,
                                          rest = std::move(rest)](
                                             absl::StatusOr<AppendResult> r) {
      if (!r.ok()) {
        reactor->Finish(ToGrpcStatus(absl::Status(
            r.status().code(),
            absl::StrCat("the erasure could not be recorded, so nothing is "
                         "erased: ",
                         r.status().message()))));
        return;
      }
      response->set_erased_position(r->first_position);
      // Not on the engine's completion thread: the compaction takes time.
      const bool again = workers_->Schedule([this, reactor, position, rest] {
        absl::Status destroyed = sealed_->ReplaceSealed(position, rest);
        reactor->Finish(ToGrpcStatus(
            destroyed.ok()
                ? destroyed
                : absl::Status(destroyed.code(),
                               absl::StrCat("the erasure is recorded but the "
                                            "values are not yet destroyed "
                                            "(erase again): ",
                                            destroyed.message()))));
      });
      if (!again) {
        reactor->Finish(grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            "the erasure is recorded but the server's queue is full; erase "
            "again to destroy the values"));
      }
    });
  });
  if (!scheduled) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's queue is full"));
  }
  return reactor;
}

}  // namespace missionlog
