// missionlog.v1.Replication (proto/missionlog/v1/replication.proto): what
// a cluster's node tells the others (and auditors) about its replica.
// Callers need Permission::kAudit.
//
// Thread safety: safe for concurrent use (gRPC calls it from many threads).
#ifndef MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_
#define MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_

#include <string>

#include "base/worker_pool.h"
#include "cluster/replicated_log.h"
#include "eventstore/sealed_store.h"
#include "missionlog/v1/replication.grpc.pb.h"
#include "services/access_control.h"

namespace missionlog {

class ReplicationService final : public v1::Replication::CallbackService {
 public:
  // `log` and `access` must outlive the service.
  ReplicationService(std::string node, ReplicatedLog* log, SealedStore* sealed,
                     WorkerPool* workers, AccessControl* access)
      : node_(std::move(node)),
        log_(log),
        sealed_(sealed),
        workers_(workers),
        access_(access) {}

  grpc::ServerUnaryReactor* GetReplicaStatus(
      grpc::CallbackServerContext* context,
      const v1::GetReplicaStatusRequest* request,
      v1::ReplicaStatus* response) override;
  grpc::ServerUnaryReactor* GetSealed(grpc::CallbackServerContext* context,
                                      const v1::GetSealedRequest* request,
                                      v1::GetSealedResponse* response) override;

 private:
  const std::string node_;
  ReplicatedLog* const log_;
  SealedStore* const sealed_;
  WorkerPool* const workers_;
  AccessControl* const access_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_
