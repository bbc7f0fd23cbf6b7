// Who is calling and what they may do: authentication (bearer token or TLS
// client certificate), the access policy (proto/missionlog/v1/policy.proto)
// and the per-principal limits (append rate, open subscriptions).
//
// Two modes:
// - Development (no policy): every caller may do everything and is known as
//   "anonymous@<peer host>" (or by its verified client certificate, if it
//   presented one). missionlogd allows this on loopback only.
// - Policy: every call must authenticate. A bearer token, when sent, names
//   the principal and must be in the tokens file (which holds only SHA-256
//   hashes of tokens); otherwise a verified client certificate names it
//   (subject common name, else its first subject alternative name). Neither,
//   or an unknown token: UNAUTHENTICATED. What the principal may do comes
//   from its grants; anything else: PERMISSION_DENIED naming the missing
//   permission.
//
// Thread safety: safe for concurrent use. Reload swaps the policy and tokens
// atomically; a call keeps the snapshot it authenticated against.
#ifndef MISSIONLOG_SERVICES_ACCESS_CONTROL_H_
#define MISSIONLOG_SERVICES_ACCESS_CONTROL_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/policy.pb.h"

namespace missionlog {

// What a call asks to do. Append and read apply to a stream, or (read) to a
// stream prefix of the whole log ("" for all of it).
enum class Permission {
  kAppend,              // WRITER of a prefix of the stream
  kRead,                // WRITER of a prefix of it, or AUDITOR
  kAudit,               // AUDITOR: tree heads, proofs, checkpoints, entries
  kQuery,               // INQUIRY
  kProjectionsStatus,   // ADMIN
  kProjectionsRebuild,  // ADMIN
};

// "append", "read", "audit", "query", "projections.status", ...
const char* PermissionName(Permission permission);

// The compiled policy and tokens (internal to access_control.cc).
struct AccessSnapshot;

// An authenticated caller.
struct Caller {
  std::string principal;
  // The policy it was authenticated against; nullptr in development mode.
  std::shared_ptr<const AccessSnapshot> policy;
};

class AccessControl;

// A long-lived streaming call (AppendStream, Subscribe) counted against
// its connection's limit until the slot is destroyed. Move-only.
class StreamSlot {
 public:
  StreamSlot() = default;
  StreamSlot(StreamSlot&& other) noexcept { *this = std::move(other); }
  StreamSlot& operator=(StreamSlot&& other) noexcept;
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  ~StreamSlot() { Release(); }

 private:
  friend class AccessControl;
  void Release();
  AccessControl* access_ = nullptr;
  std::string connection_;
};

class AccessControl {
 public:
  // Everyone may do everything.
  static std::unique_ptr<AccessControl> Development();
  // Reads the text-format AccessPolicy in `policy_file` and the tokens in
  // `tokens_file` (may be empty: certificates only). INVALID_ARGUMENT
  // naming the file, line and problem if either is malformed.
  static absl::StatusOr<std::unique_ptr<AccessControl>> FromFiles(
      const std::string& policy_file, const std::string& tokens_file);

  AccessControl(const AccessControl&) = delete;
  AccessControl& operator=(const AccessControl&) = delete;

  bool development() const { return development_; }

  // Streaming calls one client connection may have open at once (0: no
  // limit). Set before serving.
  void set_max_streams_per_connection(int limit) {
    max_streams_per_connection_ = limit;
  }

  // Rereads the files. On any error the current policy stays in force and
  // the error is returned. A no-op in development mode.
  absl::Status Reload();

  // The caller of `context`, or UNAUTHENTICATED.
  absl::StatusOr<Caller> Authenticate(
      const grpc::CallbackServerContext& context) const;
  // OK, or PERMISSION_DENIED naming the permission `caller` lacks on
  // `resource` (a stream or stream prefix for append and read).
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

  // Takes `events` from the caller's append allowance: RESOURCE_EXHAUSTED
  // (nothing taken) if its rate limit does not allow them now.
  absl::Status ChargeAppend(const Caller& caller, size_t events);

  // Counts an open subscription of the caller: RESOURCE_EXHAUSTED (not
  // counted) if it has its limit open already. Each OK is paired with one
  // CloseSubscription.
  absl::Status OpenSubscription(const Caller& caller);
  void CloseSubscription(const Caller& caller);

  // Counts a streaming call on the caller's connection:
  // RESOURCE_EXHAUSTED if the connection has its limit open already.
  absl::StatusOr<StreamSlot> OpenStream(
      const grpc::CallbackServerContext& context);

 private:
  friend class StreamSlot;
  void CloseStream(const std::string& connection);

  struct Bucket {
    double tokens = 0;
    double last_seconds = 0;  // steady clock
  };

  AccessControl(bool development, std::string policy_file,
                std::string tokens_file,
                std::shared_ptr<const AccessSnapshot> snapshot);
  std::shared_ptr<const AccessSnapshot> snapshot() const;

  // Constant after construction.
  const bool development_;
  const std::string policy_file_;
  const std::string tokens_file_;
  int max_streams_per_connection_ = 0;

  mutable absl::Mutex snapshot_mu_;
  std::shared_ptr<const AccessSnapshot> snapshot_ ABSL_GUARDED_BY(snapshot_mu_);

  absl::Mutex limits_mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(limits_mu_);
  absl::flat_hash_map<std::string, uint32_t> subscriptions_
      ABSL_GUARDED_BY(limits_mu_);
  // Open streaming calls by connection (gRPC peer address).
  absl::flat_hash_map<std::string, int> streams_ ABSL_GUARDED_BY(limits_mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ACCESS_CONTROL_H_
