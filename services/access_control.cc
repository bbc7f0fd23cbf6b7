#include "services/access_control.h"

#include <utility>

#include "services/conversions.h"

namespace missionlog {

std::unique_ptr<AccessControl> AccessControl::Development() {
  return std::unique_ptr<AccessControl>(
      new AccessControl(Authenticator::Development()));
}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::FromFiles(
    const std::string& policy_file, const std::string& tokens_file) {
  absl::StatusOr<std::unique_ptr<Authenticator>> authenticator =
      Authenticator::FromFiles(policy_file, tokens_file);
  if (!authenticator.ok()) return authenticator.status();
  return std::unique_ptr<AccessControl>(
      new AccessControl(*std::move(authenticator)));
}

absl::Status AccessControl::Check(const Caller& caller, Permission permission,
                                  absl::string_view resource) {
  if (caller.policy == nullptr) return absl::OkStatus();  // development
  return caller.policy->Check(caller.principal, permission, resource);
}

absl::StatusOr<Caller> AccessControl::Authorize(
    const grpc::CallbackServerContext& context, Permission permission,
    absl::string_view resource) const {
  absl::StatusOr<Caller> caller = Authenticate(context);
  if (!caller.ok()) return caller;
  absl::Status allowed = Check(*caller, permission, resource);
  if (!allowed.ok()) return allowed;
  return caller;
}

bool AccessControl::AuthorizeUnary(const grpc::CallbackServerContext& context,
                                   grpc::ServerUnaryReactor* reactor,
                                   Permission permission,
                                   absl::string_view resource) const {
  absl::StatusOr<Caller> caller = Authorize(context, permission, resource);
  if (caller.ok()) return true;
  reactor->Finish(ToGrpcStatus(caller.status()));
  return false;
}

}  // namespace missionlog
