#include "services/admin_service.h"

#include "absl/strings/str_cat.h"
#include "services/conversions.h"

namespace missionlog {

grpc::ServerUnaryReactor* AdminService::Backup(
    grpc::CallbackServerContext* context, const v1::BackupRequest* request,
    v1::BackupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kBackup)) {
    return reactor;
  }
  if (request->destination().empty() || request->destination()[0] != '/' ||
      request->destination().size() > 4096) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "destination: required, an absolute path on the server's machine"));
    return reactor;
  }
  if (!runner_.Schedule([this, reactor, request, response] {
        if (sign_checkpoint_) sign_checkpoint_();
        absl::StatusOr<BackupResult> taken =
            backups_->Backup(request->destination(), progress_);
        if (!taken.ok()) {
          reactor->Finish(ToGrpcStatus(taken.status()));
          return;
        }
        response->set_backup_id(taken->backup_id);
        response->set_position(taken->position);
        if (taken->checkpoint_size > 0) {
          response->mutable_checkpoint()->set_tree_size(taken->checkpoint_size);
          response->mutable_checkpoint()->set_note(taken->checkpoint_note);
        }
        response->set_bytes(taken->bytes);
        response->set_files(taken->files);
        response->set_backups_kept(taken->backups_kept);
        reactor->Finish(grpc::Status::OK);
      })) {
    reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                 "a backup is already running"));
  }
  return reactor;
}

}  // namespace missionlog
