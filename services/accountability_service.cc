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
  // The command as an Append (also for the ABORTED details), its event's id
  // named after the stream and command id, so a retry is idempotent.
  auto request = std::make_shared<v1::AppendRequest>();
  request->set_stream(command.stream());
  *request->mutable_expected_version() = command.expected_version();
  v1::EventData* data = request->add_events();
  data->set_id(NameBasedUuid(
      absl::StrCat("command\n", command.stream(), "\n", command.command_id())));
  data->set_type(std::string(domain::TypeName(type)));
  data->set_source(command.source());
  data->set_correlation_id(command.correlation_id());
  data->set_causation_id(command.causation_id());
  data->set_datacontenttype("application/protobuf");
  data->set_data(DeterministicBytes(event));
  absl::StatusOr<AppendRequest> append = FromProto(*request, caller->principal);
  if (!append.ok()) {
    reactor->Finish(ToGrpcStatus(append.status()));
    return reactor;
  }
  handler_->Append(
      *std::move(append),
      [reactor, request, result, command_id = command.command_id()](
          absl::StatusOr<AppendResult> appended) {
        if (!appended.ok()) {
          if (appended.status().code() == absl::StatusCode::kAlreadyExists) {
            // The engine names the event; the client knows the command.
            reactor->Finish(ToGrpcStatus(absl::AlreadyExistsError(absl::StrCat(
                "command.command_id: \"", command_id, "\" was used on ",
                request->stream(), " for a different command (",
                appended.status().message(), ")"))));
            return;
          }
          reactor->Finish(ToGrpcStatus(appended.status(), request.get()));
          return;
        }
        result->set_event_id(request->events(0).id());
        result->set_position(appended->first_position);
        result->set_stream_version(appended->stream_version);
        result->set_deduplicated(appended->deduplicated);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
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
