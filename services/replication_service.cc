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

grpc::ServerUnaryReactor* ReplicationService::GetSealed(
    grpc::CallbackServerContext* context, const v1::GetSealedRequest* request,
    v1::GetSealedResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kAudit)) {
    return reactor;
  }
  if (request->count() > 100000) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "count: at most 100,000"));
    return reactor;
  }
  const uint64_t from = request->from();
  const uint64_t to = from + request->count();
  if (!workers_->Schedule([this, reactor, response, from, to] {
        absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> found =
            sealed_->ScanSealed(from, to);
        if (!found.ok()) {
          reactor->Finish(
              grpc::Status(static_cast<grpc::StatusCode>(found.status().code()),
                           std::string(found.status().message())));
          return;
        }
        for (auto& [position, sealed] : *found) {
          v1::GetSealedResponse::Item* item = response->add_items();
          item->set_position(position);
          item->set_sealed(std::move(sealed));
        }
        reactor->Finish(grpc::Status::OK);
      })) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's queue is full"));
  }
  return reactor;
}

}  // namespace missionlog
