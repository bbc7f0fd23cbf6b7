#include "services/sealing_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/event_types.h"
#include "google/protobuf/message.h"
#include "services/conversions.h"

namespace missionlog {
namespace {

using domain::kErasedType;
using domain::kServerRecordPrefix;
using domain::kUnsealedType;
constexpr size_t kMaxStatedBytes = 1000;

// The event at `position`. NOT_FOUND if there is none.
absl::StatusOr<ReadAllResult> LoadEvent(EventLog* log, uint64_t position) {
  ReadAllRequest read;
  read.from_position = position;
  read.limit = 1;
  absl::StatusOr<ReadAllResult> found = log->ReadAll(read);
  if (!found.ok()) return found.status();
  if (found->events.empty() || found->events[0].position() != position) {
    return absl::NotFoundError(absl::StrCat("no event at position ", position));
  }
  return found;
}

// An event and its sealed data, with the fields asked for.
struct SealedEvent {
  ReadAllResult read;  // holds the event
  v1::SealedData data;
  std::vector<std::string> chosen;  // paths asked for (all when none were)
  const RecordedEvent& event() const { return read.events[0]; }
  bool Chosen(const v1::SealedData::Field& field) const {
    return std::find(chosen.begin(), chosen.end(), field.path()) !=
           chosen.end();
  }
};

// The event at `position`, its sealed data and the fields `paths` names.
// NOT_FOUND for no such event, no sealed data (none, or erased) or a path
// it does not have.
absl::StatusOr<SealedEvent> LoadSealed(
    EventLog* log, SealedStore* store, uint64_t position,
    const google::protobuf::RepeatedPtrField<std::string>& paths) {
  SealedEvent out;
  absl::StatusOr<ReadAllResult> found = LoadEvent(log, position);
  if (!found.ok()) return found.status();
  out.read = *std::move(found);
  absl::StatusOr<std::string> stored = store->GetSealed(position);
  if (!stored.ok()) return stored.status();
  if (!out.data.ParseFromString(*stored)) {
    return absl::DataLossError("the stored sealed data does not parse");
  }
  for (const v1::SealedData::Field& field : out.data.fields()) {
    if (paths.empty() ||
        std::find(paths.begin(), paths.end(), field.path()) != paths.end()) {
      out.chosen.push_back(field.path());
    }
  }
  if (out.chosen.empty() ||
      out.chosen.size() < static_cast<size_t>(paths.size())) {
    return absl::NotFoundError(absl::StrCat("the event at position ", position,
                                            " has no such sealed field"));
  }
  return out;
}

// A reason or a legal basis: required, and bounded (it goes on the record).
absl::Status CheckStated(const std::string& text, absl::string_view field) {
  if (text.empty() || text.size() > kMaxStatedBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": required, 1 to 1,000 bytes (it goes on the record)"));
  }
  return absl::OkStatus();
}

// The server's own record of an unsealing or an erasure, on stream
// "missionlog/<kind>/<event id>". Appended to the log directly: the
// domain's prefix is reserved, so no client can append one.
AppendRequest ServerRecord(absl::string_view kind, const char* type,
                           const RecordedEvent& about,
                           const google::protobuf::Message& record,
                           const std::string& principal) {
  AppendRequest append;
  append.stream = absl::StrCat("missionlog/", kind, "/", about.id());
  append.recorded_by = principal;
  EventData data;
  data.type = type;
  data.source = "urn:missionlog:server";
  data.content_type = absl::StrCat("application/protobuf; proto=",
                                   record.GetDescriptor()->full_name());
  record.SerializeToString(&data.payload);
  append.events.push_back(std::move(data));
  return append;
}

// `what` failed to be recorded, so it was not done.
absl::Status NotRecorded(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(),
                      absl::StrCat(what,
                                   " could not be recorded, so nothing "
                                   "was done: ",
                                   status.message()));
}

}  // namespace

// Authorizes, checks the stated reason, then runs `work` on a worker.
grpc::ServerUnaryReactor* SealingService::Begin(
    grpc::CallbackServerContext* context, Permission permission,
    const std::string& stated, absl::string_view stated_field,
    std::function<void(grpc::ServerUnaryReactor*, std::string)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller = access_->Authorize(*context, permission);
  absl::Status ready =
      caller.ok() ? CheckStated(stated, stated_field) : caller.status();
  if (!ready.ok()) {
    reactor->Finish(ToGrpcStatus(ready));
    return reactor;
  }
  if (!workers_->Schedule(
          [reactor, principal = caller->principal, work = std::move(work)] {
            work(reactor, principal);
          })) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's queue is full"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* SealingService::Unseal(
    grpc::CallbackServerContext* context, const v1::UnsealRequest* request,
    v1::UnsealResponse* response) {
  return Begin(
      context, Permission::kUnseal, request->reason(), "reason",
      [this, request, response](grpc::ServerUnaryReactor* reactor,
                                std::string principal) {
        absl::StatusOr<SealedEvent> sealed =
            LoadSealed(log_, sealed_, request->position(), request->paths());
        if (!sealed.ok()) {
          reactor->Finish(ToGrpcStatus(sealed.status()));
          return;
        }
        for (const v1::SealedData::Field& field : sealed->data.fields()) {
          if (sealed->Chosen(field)) *response->add_fields() = field;
        }
        *response->mutable_keys() = sealed->data.keys();
        ToProto(sealed->event(), response->mutable_event());
        // On the record first.
        v1::Unsealed record;
        record.set_position(request->position());
        record.set_event_id(sealed->event().id());
        for (const std::string& path : sealed->chosen) record.add_paths(path);
        record.set_reason(request->reason());
        record.set_unsealed_by(principal);
        log_->AppendAsync(
            ServerRecord("unsealing", kUnsealedType, sealed->event(), record,
                         principal),
            [reactor, response](absl::StatusOr<AppendResult> appended) {
              if (!appended.ok()) {
                reactor->Finish(ToGrpcStatus(
                    NotRecorded(appended.status(), "the unsealing")));
                return;
              }
              response->set_unsealed_position(appended->first_position);
              reactor->Finish(grpc::Status::OK);
            });
      });
}

grpc::ServerUnaryReactor* SealingService::Erase(
    grpc::CallbackServerContext* context, const v1::EraseRequest* request,
    v1::EraseResponse* response) {
  return Begin(
      context, Permission::kErase, request->legal_basis(), "legal_basis",
      [this, request, response](grpc::ServerUnaryReactor* reactor,
                                std::string principal) {
        if (request->whole_payload()) {
          ErasePayload(reactor, request, response, principal);
          return;
        }
        absl::StatusOr<SealedEvent> sealed =
            LoadSealed(log_, sealed_, request->position(), request->paths());
        if (!sealed.ok()) {
          reactor->Finish(ToGrpcStatus(sealed.status()));
          return;
        }
        // On the record first, then destroyed.
        v1::Erased record;
        record.set_position(request->position());
        record.set_event_id(sealed->event().id());
        for (const std::string& path : sealed->chosen) {
          record.add_paths(path);
          response->add_paths(path);
        }
        record.set_legal_basis(request->legal_basis());
        record.set_erased_by(principal);
        log_->AppendAsync(
            ServerRecord("erasure", kErasedType, sealed->event(), record,
                         principal),
            [this, reactor, response,
             record](absl::StatusOr<AppendResult> appended) {
              if (!appended.ok()) {
                reactor->Finish(ToGrpcStatus(
                    NotRecorded(appended.status(), "the erasure")));
                return;
              }
              response->set_erased_position(appended->first_position);
              CarryOut(reactor, record);
            });
      });
}

absl::StatusOr<bool> CarryOutErasure(SealedStore* store,
                                     const v1::Erased& erased) {
  const uint64_t position = erased.position();
  absl::Status done;
  if (erased.whole_payload()) {
    done = store->ErasePayload(position);
  } else {
    absl::StatusOr<std::string> stored = store->GetSealed(position);
    if (!stored.ok())
      return stored.status().code() == absl::StatusCode::kNotFound
                 ? absl::StatusOr<bool>(false)
                 : stored.status();
    v1::SealedData data;
    if (!data.ParseFromString(*stored)) {
      return absl::DataLossError("the stored sealed data does not parse");
    }
    // What stays: the other fields; nothing (the wrapped data key too)
    // when every field goes.
    v1::SealedData remaining = data;
    remaining.clear_fields();
    for (const v1::SealedData::Field& field : data.fields()) {
      if (std::find(erased.paths().begin(), erased.paths().end(),
                    field.path()) == erased.paths().end()) {
        *remaining.add_fields() = field;
      }
    }
    if (remaining.fields_size() == data.fields_size()) return false;
    std::string rest;
    if (remaining.fields_size() > 0) remaining.SerializeToString(&rest);
    done = store->ReplaceSealed(position, rest);
  }
  if (done.code() == absl::StatusCode::kNotFound) return false;
  if (!done.ok()) return done;
  return true;
}

void SealingService::CarryOut(grpc::ServerUnaryReactor* reactor,
                              v1::Erased record) {
  // Not on the engine's completion thread: the compaction takes time.
  if (!workers_->Schedule([this, reactor, record = std::move(record)] {
        // Every checkpoint an auditor is shown from now on covers the
        // Erased event that accounts for what goes.
        if (hooks_.sign_checkpoint) hooks_.sign_checkpoint();
        absl::StatusOr<bool> carried = CarryOutErasure(sealed_, record);
        if (carried.ok() && *carried && record.whole_payload() &&
            hooks_.rebuild_views) {
          hooks_.rebuild_views();
        }
        absl::Status destroyed = carried.status();
        reactor->Finish(ToGrpcStatus(
            destroyed.ok()
                ? destroyed
                : absl::Status(destroyed.code(),
                               absl::StrCat("the erasure is recorded but the "
                                            "values are not yet destroyed "
                                            "(erase again): ",
                                            destroyed.message()))));
      })) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "the erasure is recorded but the server's queue is full; erase again "
        "to destroy the values"));
  }
}

void SealingService::ErasePayload(grpc::ServerUnaryReactor* reactor,
                                  const v1::EraseRequest* request,
                                  v1::EraseResponse* response,
                                  const std::string& principal) {
  if (request->paths_size() > 0) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "paths: must be empty with whole_payload "
                                 "(the whole payload goes)"));
    return;
  }
  const uint64_t position = request->position();
  absl::StatusOr<ReadAllResult> found = LoadEvent(log_, position);
  if (!found.ok()) {
    reactor->Finish(ToGrpcStatus(found.status()));
    return;
  }
  const RecordedEvent& event = found->events[0];
  if (event.payload_erased()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("the payload of the event at position ",
                                  position, " is already erased")));
    return;
  }
  if (absl::StartsWith(event.type(), kServerRecordPrefix)) {
    // Unsealing and erasure records account for everything else: they
    // stay.
    reactor->Finish(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("the event at position ", position,
                     " is the server's own record of an unsealing or "
                     "erasure, which cannot be erased")));
    return;
  }
  v1::Erased record;
  record.set_position(position);
  record.set_event_id(event.id());
  record.set_legal_basis(request->legal_basis());
  record.set_erased_by(principal);
  record.set_whole_payload(true);
  log_->AppendAsync(
      ServerRecord("erasure", kErasedType, event, record, principal),
      [this, reactor, response, record](absl::StatusOr<AppendResult> appended) {
        if (!appended.ok()) {
          reactor->Finish(
              ToGrpcStatus(NotRecorded(appended.status(), "the erasure")));
          return;
        }
        response->set_erased_position(appended->first_position);
        CarryOut(reactor, record);
      });
}

}  // namespace missionlog
