#include "services/replication_service.h"

#include <string>

namespace missionlog {

grpc::ServerUnaryReactor* ReplicationService::GetReplicaStatus(
    grpc::CallbackServerContext* context,
    const v1::GetReplicaStatusRequest* /*request*/,
    v1::ReplicaStatus* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kAudit)) {
    return reactor;
  }
  // Quick and without I/O: the head is kept in memory.
  ReplicaState state = log_->state();
  response->set_node(node_);
  response->set_applied_revision(state.head.applied.revision);
  response->set_applied_index(state.head.applied.index);
  response->set_head(state.head.next_position);
  response->set_root_hash(state.head.root_hash);
  if (!state.stopped.ok()) {
    response->set_stopped(std::string(state.stopped.message()));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace missionlog
