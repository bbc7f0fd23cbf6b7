// Who is calling: a bearer token or a verified TLS client certificate,
// checked against the current access policy (access_policy.h).
//
// Two modes:
// - Development (no policy): every caller may do everything and is known as
//   "anonymous@<peer host>" (or by its verified client certificate, if it
//   presented one). missionlogd allows this on loopback only.
// - Policy: every call must authenticate. A bearer token, when sent, names
//   the principal and must be in the tokens file (which holds only SHA-256
//   hashes of tokens); otherwise a verified client certificate names it
//   (subject common name, else its first subject alternative name).
//   Neither, or an unknown token: UNAUTHENTICATED.
//
// Thread safety: safe for concurrent use. Reload swaps the policy
// atomically; a call keeps the policy it authenticated against.
#ifndef MISSIONLOG_SERVICES_AUTHENTICATOR_H_
#define MISSIONLOG_SERVICES_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "services/access_policy.h"

namespace missionlog {

// An authenticated caller.
struct Caller {
  std::string principal;
  // The policy it was authenticated against; nullptr in development mode.
  std::shared_ptr<const AccessPolicy> policy;
};

class Authenticator {
 public:
  // Everyone may do everything.
  static std::unique_ptr<Authenticator> Development();
  // AccessPolicy::Load's errors.
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromFiles(
      const std::string& policy_file, const std::string& tokens_file);

  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  bool development() const { return development_; }

  // Rereads the files. On any error the current policy stays in force and
  // the error is returned. A no-op in development mode.
  absl::Status Reload();

  // The caller of `context`, or UNAUTHENTICATED.
  absl::StatusOr<Caller> Authenticate(
      const grpc::ServerContextBase& context) const;
  // The same from what a call presents: its "authorization" header
  // (nullptr if it sent none), the principal its verified client
  // certificate names ("" if none), and its peer address.
  absl::StatusOr<Caller> Authenticate(const std::string* authorization,
                                      const std::string& certificate_principal,
                                      const std::string& peer) const;

 private:
  Authenticator(bool development, std::string policy_file,
                std::string tokens_file,
                std::shared_ptr<const AccessPolicy> policy);
  std::shared_ptr<const AccessPolicy> policy() const;

  // Constant after construction.
  const bool development_;
  const std::string policy_file_;
  const std::string tokens_file_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const AccessPolicy> policy_ ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_AUTHENTICATOR_H_
