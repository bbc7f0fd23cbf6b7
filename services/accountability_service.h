// The Accountability command service (proto/missionlog/v1/commands.proto):
// one typed RPC per domain action. Each command becomes one event with a
// name-based id (eventstore/name_uuid.h: stream and command id), is checked
// by the domain rules (domain/validation.h) and appended with optimistic
// concurrency on the subject's stream:
//   - a command whose event is already in the log goes straight to the
//     engine, which answers with the original position (an idempotent
//     retry) without checking rules the first append changed;
//   - without an expected version from the client, the rules are checked
//     against the stream version read first, and the append requires that
//     version, so a concurrent change makes the command check again (at most
//     kMaxAttempts times) instead of slipping past a rule.
// Reads and checks run on the worker pool; appends complete on the engine's
// completion thread. No gRPC callback blocks.
#ifndef MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_
#define MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_

#include <memory>

#include "domain/event_types.h"
#include "eventstore/event_log.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/commands.grpc.pb.h"
#include "services/access_control.h"
#include "services/domain_gate.h"
#include "services/worker_pool.h"

namespace missionlog {

class AccountabilityService final : public v1::Accountability::CallbackService {
 public:
  // Checks a concurrent change forces before giving up with ABORTED.
  static constexpr int kMaxAttempts = 5;

  // All must outlive the service. A command needs Permission::kAppend on
  // its stream and counts as one event against the caller's rate limit.
  AccountabilityService(EventLog* store, WorkerPool* workers, DomainGate* gate,
                        AccessControl* access)
      : store_(store), workers_(workers), gate_(gate), access_(access) {}

#define MISSIONLOG_DECLARE_COMMAND(Rpc, Message, type)                \
  grpc::ServerUnaryReactor* Rpc(grpc::CallbackServerContext* context, \
                                const v1::Rpc##Request* request,      \
                                v1::CommandResult* result) override;
  MISSIONLOG_DOMAIN_EVENT_TYPES(MISSIONLOG_DECLARE_COMMAND)
#undef MISSIONLOG_DECLARE_COMMAND

 private:
  struct Call;
  // Shared by every RPC: `event` is the typed event of the request.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                const v1::Command& command, bool has_event,
                                const google::protobuf::Message& event,
                                domain::EventType type,
                                v1::CommandResult* result);
  // One attempt, on a worker.
  void Attempt(std::shared_ptr<Call> call);
  // Completes an attempt, on the engine's completion thread.
  void Done(std::shared_ptr<Call> call, absl::StatusOr<AppendResult> result);

  EventLog* const store_;
  WorkerPool* const workers_;
  DomainGate* const gate_;
  AccessControl* const access_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ACCOUNTABILITY_SERVICE_H_
