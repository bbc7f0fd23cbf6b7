// Who is calling and what they may do, for the gRPC services: the
// authenticator (authenticator.h: bearer tokens, client certificates), the
// access policy it checks against (access_policy.h), and the quotas
// (quotas.h: append rate, open subscriptions, streaming calls per
// connection), behind the calls the services make.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_ACCESS_CONTROL_H_
#define MISSIONLOG_SERVICES_ACCESS_CONTROL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "services/access_policy.h"
#include "services/authenticator.h"
#include "services/quotas.h"

namespace missionlog {

class AccessControl {
 public:
  // Everyone may do everything (development mode).
  static std::unique_ptr<AccessControl> Development();
  // The policy and tokens files (AccessPolicy::Load's errors).
  static absl::StatusOr<std::unique_ptr<AccessControl>> FromFiles(
      const std::string& policy_file, const std::string& tokens_file);

  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  bool development() const { return authenticator_->development(); }
  Quotas* quotas() { return &quotas_; }

  // Rereads the files (Authenticator::Reload).
  absl::Status Reload() { return authenticator_->Reload(); }

  // The caller of `context`, or UNAUTHENTICATED.
  absl::StatusOr<Caller> Authenticate(
      const grpc::ServerContextBase& context) const {
    return authenticator_->Authenticate(context);
  }
  // OK, or PERMISSION_DENIED naming the permission `caller` lacks on
  // `resource` (AccessPolicy::Check). A development caller may do all.
  static absl::Status Check(const Caller& caller, Permission permission,
                            absl::string_view resource = "");
  // Authenticate, then Check.
  absl::StatusOr<Caller> Authorize(const grpc::CallbackServerContext& context,
                                   Permission permission,
                                   absl::string_view resource = "") const;
  // Authorize for a unary call whose caller is not needed afterwards: on
  // refusal finishes `reactor` with the status and returns false.
  bool AuthorizeUnary(const grpc::CallbackServerContext& context,
                      grpc::ServerUnaryReactor* reactor, Permission permission,
                      absl::string_view resource = "") const;

  // The quotas (quotas.h).
  absl::Status ChargeAppend(const Caller& caller, size_t events) {
    return quotas_.ChargeAppend(caller, events);
  }
  absl::Status OpenSubscription(const Caller& caller) {
    return quotas_.OpenSubscription(caller);
  }
  void CloseSubscription(const Caller& caller) {
    quotas_.CloseSubscription(caller);
  }
  absl::StatusOr<StreamSlot> OpenStream(
      const grpc::CallbackServerContext& context) {
    return quotas_.OpenStream(context.peer());
  }

 private:
  explicit AccessControl(std::unique_ptr<Authenticator> authenticator)
      : authenticator_(std::move(authenticator)) {}

  const std::unique_ptr<Authenticator> authenticator_;
  Quotas quotas_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ACCESS_CONTROL_H_
