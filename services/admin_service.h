// missionlog.v1.Admin (proto/missionlog/v1/admin.proto): online backups.
//
// Thread safety: safe for concurrent use (gRPC calls it from many threads).
#ifndef MISSIONLOG_SERVICES_ADMIN_SERVICE_H_
#define MISSIONLOG_SERVICES_ADMIN_SERVICE_H_

#include <functional>
#include <utility>

#include "base/worker_pool.h"
#include "eventstore/backups.h"
#include "missionlog/v1/admin.grpc.pb.h"
#include "services/access_control.h"

namespace missionlog {

class AdminService final : public v1::Admin::CallbackService {
 public:
  // `sign_checkpoint` (may be empty) signs a checkpoint of the head before
  // a backup, so that the backup holds one covering all it holds;
  // `progress` (may be empty) is called as a backup copies its files.
  // Everything must outlive the service.
  AdminService(Backups* backups, AccessControl* access,
               std::function<void()> sign_checkpoint,
               std::function<void()> progress)
      : backups_(backups),
        access_(access),
        sign_checkpoint_(std::move(sign_checkpoint)),
        progress_(std::move(progress)) {}

  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* context,
                                   const v1::BackupRequest* request,
                                   v1::BackupResponse* response) override;

 private:
  Backups* const backups_;
  AccessControl* const access_;
  const std::function<void()> sign_checkpoint_;
  const std::function<void()> progress_;
  // Backups take minutes: a thread of their own, not a reader's, and one
  // at a time (the store refuses a second meanwhile).
  WorkerPool runner_{1, /*max_queued=*/1};
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ADMIN_SERVICE_H_
