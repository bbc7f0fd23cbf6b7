#include "services/accountability_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/name_uuid.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/conversions.h"

namespace missionlog {
namespace {

constexpr size_t kMaxCommandIdBytes = 128;

absl::Status CheckCommandId(const std::string& id) {
  if (id.empty()) {
    return absl::InvalidArgumentError("command.command_id: required");
  }
  if (id.size() > kMaxCommandIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "command.command_id: longer than ", kMaxCommandIdBytes, " bytes"));
  }
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(
          "command.command_id: only printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

// The same message always serializes to the same bytes, so a retried
// command's event has the same payload digest as the original's.
std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return bytes;
}

}  // namespace

// One command in flight. `request` (the command as an Append, for the
// ABORTED details) and `result` live until the reactor finishes.
struct AccountabilityService::Call {
  grpc::ServerUnaryReactor* reactor = nullptr;
  v1::CommandResult* result = nullptr;
  v1::AppendRequest request;
  AppendRequest append;
  std::string command_id;
  // The client pinned no exact version: each attempt pins the version it
  // checked the rules against.
  bool pin_version = false;
  int attempts = 0;
  // This attempt's append requires the version its rules were checked on.
  bool pinned = false;

  void Finish(const absl::Status& status) {
    reactor->Finish(ToGrpcStatus(status, &request));
  }
};

grpc::ServerUnaryReactor* AccountabilityService::Run(
    grpc::CallbackServerContext* context, const v1::Command& command,
    bool has_event, const google::protobuf::Message& event,
    domain::EventType type, v1::CommandResult* result) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kAppend, command.stream());
  absl::Status charged =
      caller.ok() ? access_->ChargeAppend(*caller, 1) : caller.status();
  if (!charged.ok()) {
    reactor->Finish(ToGrpcStatus(charged));
    return reactor;
  }
  absl::Status valid = CheckCommandId(command.command_id());
  if (valid.ok() && !has_event) {
    valid = absl::InvalidArgumentError("event: required");
  }
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  auto call = std::make_shared<Call>();
  call->reactor = reactor;
  call->result = result;
  call->command_id = command.command_id();
  call->request.set_stream(command.stream());
  *call->request.mutable_expected_version() = command.expected_version();
  v1::EventData* data = call->request.add_events();
  data->set_id(NameBasedUuid(
      absl::StrCat("command\n", command.stream(), "\n", command.command_id())));
  data->set_type(std::string(domain::TypeName(type)));
  data->set_source(command.source());
  data->set_correlation_id(command.correlation_id());
  data->set_causation_id(command.causation_id());
  data->set_datacontenttype("application/protobuf");
  data->set_data(DeterministicBytes(event));
  absl::StatusOr<AppendRequest> append =
      FromProto(call->request, caller->principal);
  if (!append.ok()) {
    reactor->Finish(ToGrpcStatus(append.status()));
    return reactor;
  }
  call->append = std::move(append).value();
  const v1::ExpectedVersion::Kind kind = command.expected_version().kind();
  // NO_STREAM and EXACT pin a version already; STREAM_EXISTS does not.
  call->pin_version = kind == v1::ExpectedVersion::KIND_UNSPECIFIED ||
                      kind == v1::ExpectedVersion::ANY ||
                      kind == v1::ExpectedVersion::STREAM_EXISTS;
  if (!workers_->Schedule([this, call] { Attempt(call); })) {
    call->Finish(absl::ResourceExhaustedError(
        "the server's validation queue is full; retry later"));
  }
  return reactor;
}

void AccountabilityService::Attempt(std::shared_ptr<Call> call) {
  ++call->attempts;
  call->pinned = false;
  AppendRequest append = call->append;
  absl::StatusOr<std::optional<uint64_t>> found =
      store_->FindEvent(append.events[0].id);
  if (!found.ok()) {
    call->Finish(found.status());
    return;
  }
  if (!found->has_value()) {
    // New: check the rules against a known version of the stream.
    if (call->pin_version) {
      absl::StatusOr<StreamInfo> info = store_->GetStreamInfo(append.stream);
      if (!info.ok()) {
        call->Finish(info.status());
        return;
      }
      if (info->exists) {
        append.expected_version = ExpectedVersion::Exact(info->last_version);
        call->pinned = true;
      } else if (append.expected_version.kind() !=
                 ExpectedVersion::Kind::kStreamExists) {
        append.expected_version = ExpectedVersion::NoStream();
        call->pinned = true;
      }
    }
    absl::Status valid = gate_->Validate(append);
    if (!valid.ok()) {
      call->Finish(valid);
      return;
    }
  }
  // Already there: the engine answers with the original position, or
  // ALREADY_EXISTS if this command id was used for something else.
  store_->AppendAsync(std::move(append),
                      [this, call](absl::StatusOr<AppendResult> result) {
                        Done(call, std::move(result));
                      });
}

void AccountabilityService::Done(std::shared_ptr<Call> call,
                                 absl::StatusOr<AppendResult> result) {
  if (!result.ok()) {
    const bool raced =
        call->pinned && result.status().code() == absl::StatusCode::kAborted;
    if (raced && call->attempts < kMaxAttempts &&
        workers_->Schedule([this, call] { Attempt(call); })) {
      return;
    }
    if (result.status().code() == absl::StatusCode::kAlreadyExists) {
      // The engine names the event; the client knows the command.
      call->Finish(absl::AlreadyExistsError(absl::StrCat(
          "command.command_id: \"", call->command_id, "\" was used on ",
          call->append.stream, " for a different command (",
          result.status().message(), ")")));
      return;
    }
    call->Finish(result.status());
    return;
  }
  call->result->set_event_id(call->append.events[0].id);
  call->result->set_position(result->first_position);
  call->result->set_stream_version(result->stream_version);
  call->result->set_deduplicated(result->deduplicated);
  call->reactor->Finish(grpc::Status::OK);
}

#define MISSIONLOG_DEFINE_COMMAND(Rpc, Message, type)                        \
  grpc::ServerUnaryReactor* AccountabilityService::Rpc(                      \
      grpc::CallbackServerContext* context, const v1::Rpc##Request* request, \
      v1::CommandResult* result) {                                           \
    return Run(context, request->command(), request->has_event(),            \
               request->event(), domain::EventType::k##Message, result);     \
  }
MISSIONLOG_DOMAIN_EVENT_TYPES(MISSIONLOG_DEFINE_COMMAND)
#undef MISSIONLOG_DEFINE_COMMAND

}  // namespace missionlog
