#include "services/audit_service.h"

#include <string>
#include <utility>
#include <vector>

#include "services/conversions.h"

namespace missionlog {

uint64_t AuditService::TreeSize(uint64_t requested) {
  return requested != 0 ? requested : store_->GetHead().next_position;
}

grpc::ServerUnaryReactor* AuditService::OnWorker(
    grpc::CallbackServerContext* context, std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool scheduled = workers_->Schedule([reactor, work = std::move(work)] {
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!scheduled) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's read queue is full"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::GetTreeHead(
    grpc::CallbackServerContext* context, const v1::GetTreeHeadRequest* request,
    v1::TreeHead* response) {
  const uint64_t size = TreeSize(request->tree_size());
  return OnWorker(context, [this, size, response] {
    absl::StatusOr<std::string> root = store_->GetTreeRoot(size);
    if (!root.ok()) return root.status();
    response->set_tree_size(size);
    response->set_root_hash(*root);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context,
    const v1::GetInclusionProofRequest* request, v1::InclusionProof* response) {
  const uint64_t size = TreeSize(request->tree_size());
  const uint64_t position = request->position();
  return OnWorker(context, [this, position, size, response] {
    absl::StatusOr<std::vector<std::string>> proof =
        store_->GetInclusionProof(position, size);
    if (!proof.ok()) return proof.status();
    response->set_position(position);
    response->set_tree_size(size);
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context,
    const v1::GetConsistencyProofRequest* request,
    v1::ConsistencyProof* response) {
  const uint64_t old_size = request->old_size();
  const uint64_t new_size = TreeSize(request->new_size());
  return OnWorker(context, [this, old_size, new_size, response] {
    absl::StatusOr<std::vector<std::string>> proof =
        store_->GetConsistencyProof(old_size, new_size);
    if (!proof.ok()) return proof.status();
    response->set_old_size(old_size);
    response->set_new_size(new_size);
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
    return absl::OkStatus();
  });
}

}  // namespace missionlog
