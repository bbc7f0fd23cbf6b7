// missionlog.v1.Replication (proto/missionlog/v1/replication.proto): what
// a cluster's node tells the others (and auditors) about its replica.
// Callers need Permission::kAudit.
//
// Thread safety: safe for concurrent use (gRPC calls it from many threads).
#ifndef MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_
#define MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_

#include <string>

#include "cluster/replicated_log.h"
#include "missionlog/v1/replication.grpc.pb.h"
#include "services/access_control.h"

namespace missionlog {

class ReplicationService final : public v1::Replication::CallbackService {
 public:
  // `log` and `access` must outlive the service.
  ReplicationService(std::string node, ReplicatedLog* log,
                     AccessControl* access)
      : node_(std::move(node)), log_(log), access_(access) {}

  grpc::ServerUnaryReactor* GetReplicaStatus(
      grpc::CallbackServerContext* context,
      const v1::GetReplicaStatusRequest* request,
      v1::ReplicaStatus* response) override;

 private:
  const std::string node_;
  ReplicatedLog* const log_;
  AccessControl* const access_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_REPLICATION_SERVICE_H_
