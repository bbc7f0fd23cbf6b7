// The access policy (proto/missionlog/v1/policy.proto) compiled for
// checking, with the bearer tokens file: who may do what, and the limits
// each principal gets. An AccessPolicy never changes once loaded; a reload
// loads a new one (authenticator.h swaps them).
//
// Thread safety: immutable, safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_ACCESS_POLICY_H_
#define MISSIONLOG_SERVICES_ACCESS_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  kUnseal,              // UNSEALER
  kErase,               // ADMIN
  kBackup,              // ADMIN
};

// "append", "read", "audit", "query", "projections.status", ...
const char* PermissionName(Permission permission);

class AccessPolicy {
 public:
  // Reads the text-format AccessPolicy in `policy_file` and the tokens in
  // `tokens_file` (may be empty: certificates only). NOT_FOUND for a file
  // that cannot be opened; INVALID_ARGUMENT naming the file, line and
  // problem if either is malformed.
  //
  // Tokens file grammar, one entry per line:
  //   line    := digest ws principal | "#" comment | blank
  //   digest  := 64 hex digits, SHA-256 of the token
  static absl::StatusOr<std::shared_ptr<const AccessPolicy>> Load(
      const std::string& policy_file, const std::string& tokens_file);

  // OK, or PERMISSION_DENIED naming the permission `principal` lacks on
  // `resource` (a stream or stream prefix for append and read) and the
  // roles it has.
  absl::Status Check(const std::string& principal, Permission permission,
                     absl::string_view resource = "") const;

  // The principal whose token has SHA-256 `token_digest` (32 raw bytes), or
  // nullptr.
  const std::string* PrincipalOfToken(absl::string_view token_digest) const;

  const v1::Limits& LimitsOf(const std::string& principal) const;

 private:
  struct Roles {
    std::vector<std::string> stream_prefixes;  // WRITER
    bool auditor = false;
    bool inquiry = false;
    bool admin = false;
    bool unsealer = false;
  };

  AccessPolicy() = default;
  static absl::Status Compile(const v1::AccessPolicy& policy,
                              AccessPolicy* out);
  static absl::Status ParseTokens(const std::string& path,
                                  const std::string& text, AccessPolicy* out);

  absl::flat_hash_map<std::string, Roles> roles_;
  absl::flat_hash_map<std::string, std::string> principal_by_token_digest_;
  v1::Limits default_limits_;
  absl::flat_hash_map<std::string, v1::Limits> limits_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_ACCESS_POLICY_H_
