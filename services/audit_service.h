// The Audit gRPC service (proto/missionlog/v1/audit.proto): tree heads,
// Merkle proofs, stored tree nodes and signed checkpoints from the engine,
// computed on the worker pool (callbacks never block). GetEntries is a raw
// method served by the Read path (its responses are ReadResponses on the
// wire).
#ifndef MISSIONLOG_SERVICES_AUDIT_SERVICE_H_
#define MISSIONLOG_SERVICES_AUDIT_SERVICE_H_

#include <functional>

#include "base/worker_pool.h"
#include "eventstore/checkpoint_store.h"
#include "eventstore/event_log.h"
#include "eventstore/tree_reader.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "services/access_control.h"
#include "services/service_options.h"

namespace missionlog {

// Safe for concurrent use: gRPC calls it from many threads.
class AuditService final : public v1::Audit::WithRawCallbackMethod_GetEntries<
                               v1::Audit::CallbackService> {
 public:
  // `store`, `workers` and `access` must outlive the service. Every call
  // needs the caller to hold Permission::kAudit.
  AuditService(EventLog* log, TreeReader* tree, CheckpointStore* checkpoints,
               WorkerPool* workers, AccessControl* access,
               const ServiceOptions& options)
      : log_(log),
        tree_(tree),
        checkpoints_(checkpoints),
        workers_(workers),
        access_(access),
        options_(options) {}

  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::TreeHead* response) override;
  grpc::ServerUnaryReactor* GetInclusionProof(
      grpc::CallbackServerContext* context,
      const v1::GetInclusionProofRequest* request,
      v1::InclusionProof* response) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(
      grpc::CallbackServerContext* context,
      const v1::GetConsistencyProofRequest* request,
      v1::ConsistencyProof* response) override;
  grpc::ServerUnaryReactor* GetCheckpoint(
      grpc::CallbackServerContext* context,
      const v1::GetCheckpointRequest* request,
      v1::SignedCheckpoint* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* GetEntries(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetTreeNodes(grpc::CallbackServerContext* context,
                                         const v1::GetTreeNodesRequest* request,
                                         v1::TreeNodes* response) override;

  // Most nodes per GetTreeNodes call.
  static constexpr uint32_t kMaxTreeNodes = 65536;

 private:
  // Runs `work` on a worker and finishes the call with its status.
  grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context,
                                     std::function<absl::Status()> work);
  // `requested`, or the committed head's size for 0.
  uint64_t TreeSize(uint64_t requested);

  EventLog* const log_;
  TreeReader* const tree_;
  CheckpointStore* const checkpoints_;
  WorkerPool* const workers_;
  AccessControl* const access_;
  const ServiceOptions options_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_AUDIT_SERVICE_H_
