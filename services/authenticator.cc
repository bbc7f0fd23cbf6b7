#include "services/authenticator.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "services/conversions.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

// The principal a verified client certificate names, or "".
std::string CertificatePrincipal(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const char* property :
       {"x509_common_name", "x509_subject_alternative_name"}) {
    std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
    if (!values.empty() && !values[0].empty()) {
      return std::string(values[0].data(), values[0].size());
    }
  }
  return "";
}

}  // namespace

Authenticator::Authenticator(bool development, std::string policy_file,
                             std::string tokens_file,
                             std::shared_ptr<const AccessPolicy> policy)
    : development_(development),
      policy_file_(std::move(policy_file)),
      tokens_file_(std::move(tokens_file)),
      policy_(std::move(policy)) {}

std::unique_ptr<Authenticator> Authenticator::Development() {
  return std::unique_ptr<Authenticator>(
      new Authenticator(/*development=*/true, "", "", nullptr));
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromFiles(
    const std::string& policy_file, const std::string& tokens_file) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Load(policy_file, tokens_file);
  if (!policy.ok()) return policy.status();
  return std::unique_ptr<Authenticator>(new Authenticator(
      /*development=*/false, policy_file, tokens_file, *std::move(policy)));
}

absl::Status Authenticator::Reload() {
  if (development_) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Load(policy_file_, tokens_file_);
  if (!policy.ok()) return policy.status();
  absl::MutexLock lock(&mu_);
  policy_ = *std::move(policy);
  return absl::OkStatus();
}

std::shared_ptr<const AccessPolicy> Authenticator::policy() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  std::string authorization;
  if (header != metadata.end()) {
    authorization.assign(header->second.data(), header->second.size());
  }
  return Authenticate(header != metadata.end() ? &authorization : nullptr,
                      CertificatePrincipal(context), context.peer());
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const std::string* authorization, const std::string& certificate_principal,
    const std::string& peer) const {
  Caller caller;
  if (development_) {
    caller.principal = certificate_principal.empty() ? AnonymousPrincipal(peer)
                                                     : certificate_principal;
    return caller;
  }
  caller.policy = policy();
  if (authorization != nullptr) {
    absl::string_view value(*authorization);
    if (!absl::ConsumePrefix(&value, "Bearer ")) {
      return absl::UnauthenticatedError(
          "authorization: expected \"Bearer <token>\"");
    }
    const std::string* principal = caller.policy->PrincipalOfToken(
        DigestView(Sha256(absl::StripAsciiWhitespace(value))));
    if (principal == nullptr) {
      return absl::UnauthenticatedError(
          "the bearer token is not one this server knows (wrong, or removed "
          "from its tokens file)");
    }
    caller.principal = *principal;
    return caller;
  }
  caller.principal = certificate_principal;
  if (caller.principal.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send a bearer token (authorization: Bearer ...) or "
        "a client certificate signed by the server's client CA");
  }
  return caller;
}

}  // namespace missionlog
