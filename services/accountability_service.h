// The Accountability command service (proto/missionlog/v1/commands.proto):
// one typed RPC per domain action. Each command becomes one event with a
// name-based id (domain/name_uuid.h: stream and command id), and takes the
// domain's one command path (domain/command_handler.h): the rules checked
// against a pinned version of the subject, re-checked on a concurrent
// change, an idempotent retry answered with the original position. No gRPC
// callback blocks.
#ifndef MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_
#define MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_

#include <memory>

#include "domain/command_handler.h"
#include "domain/event_types.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/commands.grpc.pb.h"
#include "services/access_control.h"

namespace missionlog {

// Safe for concurrent use: gRPC calls it from many threads.
class AccountabilityService final : public v1::Accountability::CallbackService {
 public:
  // All must outlive the service. A command needs Permission::kAppend on
  // its stream and counts as one event against the caller's rate limit.
  AccountabilityService(domain::CommandHandler* handler, AccessControl* access)
      : handler_(handler), access_(access) {}

#define MISSIONLOG_DECLARE_COMMAND(Rpc, Message, type)                \
  grpc::ServerUnaryReactor* Rpc(grpc::CallbackServerContext* context, \
                                const v1::Rpc##Request* request,      \
                                v1::CommandResult* result) override;
  MISSIONLOG_DOMAIN_EVENT_TYPES(MISSIONLOG_DECLARE_COMMAND)
#undef MISSIONLOG_DECLARE_COMMAND

 private:
  // Shared by every RPC: `event` is the typed event of the request.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                const v1::Command& command, bool has_event,
                                const google::protobuf::Message& event,
                                domain::EventType type,
                                v1::CommandResult* result);

  domain::CommandHandler* const handler_;
  AccessControl* const access_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_
