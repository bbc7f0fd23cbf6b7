// The Audit gRPC service (proto/missionlog/v1/audit.proto): tree heads and
// Merkle proofs from the engine, computed on the worker pool (they read
// O(log n) stored nodes; callbacks never block).
#ifndef MISSIONLOG_SERVICES_AUDIT_SERVICE_H_
#define MISSIONLOG_SERVICES_AUDIT_SERVICE_H_

#include <functional>

#include "eventstore/event_store.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "services/worker_pool.h"

namespace missionlog {

class AuditService final : public v1::Audit::CallbackService {
 public:
  // `store` and `workers` must outlive the service.
  AuditService(EventStore* store, WorkerPool* workers)
      : store_(store), workers_(workers) {}

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

 private:
  // Runs `work` on a worker and finishes the call with its status.
  grpc::ServerUnaryReactor* OnWorker(grpc::CallbackServerContext* context,
                                     std::function<absl::Status()> work);
  // `requested`, or the committed head's size for 0.
  uint64_t TreeSize(uint64_t requested);

  EventStore* const store_;
  WorkerPool* const workers_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_AUDIT_SERVICE_H_
