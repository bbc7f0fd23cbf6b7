#include "services/audit_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/conversions.h"
#include "services/read_reactor.h"
#include "services/wire_encoding.h"

namespace missionlog {

uint64_t AuditService::TreeSize(uint64_t requested) {
  return requested != 0 ? requested : log_->GetHead().next_position;
}

grpc::ServerUnaryReactor* AuditService::OnWorker(
    grpc::CallbackServerContext* context, std::function<absl::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kAudit)) {
    return reactor;
  }
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
    absl::StatusOr<std::string> root = tree_->GetTreeRoot(size);
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
  const bool at_head = request->tree_size() == 0;
  return OnWorker(context, [this, position, size, at_head, response] {
    if (at_head && position >= size) {
      return absl::OutOfRangeError(absl::StrCat("position ", position,
                                                " is past the log's head (",
                                                size, " events)"));
    }
    absl::StatusOr<std::vector<std::string>> proof =
        tree_->GetInclusionProof(position, size);
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
        tree_->GetConsistencyProof(old_size, new_size);
    if (!proof.ok()) return proof.status();
    response->set_old_size(old_size);
    response->set_new_size(new_size);
    for (std::string& hash : *proof) response->add_hashes(std::move(hash));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AuditService::GetCheckpoint(
    grpc::CallbackServerContext* context,
    const v1::GetCheckpointRequest* request, v1::SignedCheckpoint* response) {
  const uint64_t size = request->tree_size();
  return OnWorker(context, [this, size, response] {
    absl::StatusOr<EventStore::StoredCheckpoint> stored =
        checkpoints_->GetCheckpoint(size);
    if (!stored.ok()) return stored.status();
    response->set_tree_size(stored->tree_size);
    response->set_note(std::move(stored->signed_note));
    return absl::OkStatus();
  });
}

namespace {

// Finishes a call at once with `status`.
class FailedEntries : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedEntries(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuditService::GetEntries(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kAudit);
  if (!caller.ok()) return new FailedEntries(ToGrpcStatus(caller.status()));
  v1::GetEntriesRequest request;
  if (!ParseByteBuffer(*raw, &request)) {
    return new FailedEntries(
        UnparsableRequest("missionlog.v1.GetEntriesRequest"));
  }
  v1::ReadRequest read;
  read.mutable_all()->set_from_position(request.from());
  read.set_limit(request.count());
  return new ReadReactor(log_, workers_, options_, std::move(read),
                         /*leaves_only=*/true);
}

grpc::ServerUnaryReactor* AuditService::GetTreeNodes(
    grpc::CallbackServerContext* context,
    const v1::GetTreeNodesRequest* request, v1::TreeNodes* response) {
  if (request->level() > 63 || request->count() > kMaxTreeNodes) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!access_->AuthorizeUnary(*context, reactor, Permission::kAudit)) {
      return reactor;
    }
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("level must be a multiple of 4 and count at most ",
                     kMaxTreeNodes)));
    return reactor;
  }
  const int level = static_cast<int>(request->level());
  const uint64_t from = request->from_index();
  const size_t count = request->count();
  return OnWorker(context, [this, level, from, count, response] {
    absl::StatusOr<std::vector<std::string>> nodes =
        tree_->GetTreeNodes(level, from, count);
    if (!nodes.ok()) return nodes.status();
    response->set_level(static_cast<uint32_t>(level));
    response->set_from_index(from);
    for (std::string& hash : *nodes) response->add_hashes(std::move(hash));
    return absl::OkStatus();
  });
}

}  // namespace missionlog
