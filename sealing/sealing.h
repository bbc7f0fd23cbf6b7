// Sealed values (README "Sealed fields"): what stands in the log for a
// value only a few roles may read, and what lets them read it.
//
//   commitment := SHA-256("missionlog sealed value v1" 0x00
//                         || u32be(len salt) || salt
//                         || u32be(len path) || path
//                         || u32be(len value) || value)
//
// with a fresh random salt of 32 bytes per value, so that nobody can
// confirm a guessed value from the commitment. The log (and the Merkle
// leaf) holds only the commitment. The opening (salt and value) is kept
// outside the log, encrypted with XChaCha20-Poly1305 under the subject's
// data key, with the event id, the field path and the commitment as
// associated data (an opening cannot be moved to another event or field).
// The data key is wrapped for each role that may unseal with an X25519
// sealed box to the role's public key; only the holder of the role's
// private key can unwrap it.
//
// Everything here is libsodium (Debian libsodium-dev). Thread safety:
// stateless functions; Init() once before use (idempotent, thread-safe).
#ifndef MISSIONLOG_SEALING_SEALING_H_
#define MISSIONLOG_SEALING_SEALING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {
namespace sealing {

inline constexpr size_t kSaltBytes = 32;
inline constexpr size_t kCommitmentBytes = 32;
inline constexpr size_t kDataKeyBytes = 32;

// libsodium's initialisation. INTERNAL if it cannot start.
absl::Status Init();

struct Opening {
  std::string salt;   // kSaltBytes
  std::string value;  // the sealed value itself
};

// A new opening of `value` with a fresh salt.
Opening NewOpening(absl::string_view value);

std::string Commitment(absl::string_view path, const Opening& opening);

// Whether `opening` opens `commitment` for `path` (constant time).
bool Opens(absl::string_view commitment, absl::string_view path,
           const Opening& opening);

// A fresh random data key.
std::string NewDataKey();

// The opening encrypted under `data_key`, bound to the event, the path and
// the commitment: nonce (24 bytes) || ciphertext || tag (16 bytes).
std::string EncryptOpening(absl::string_view data_key,
                           absl::string_view event_id, absl::string_view path,
                           absl::string_view commitment,
                           const Opening& opening);
// DATA_LOSS if the ciphertext, the key or any associated datum differs
// from what it was encrypted with.
absl::StatusOr<Opening> DecryptOpening(absl::string_view data_key,
                                       absl::string_view event_id,
                                       absl::string_view path,
                                       absl::string_view commitment,
                                       absl::string_view encrypted);

// A role's X25519 key pair, as text: "MISSIONLOG-ROLE-PUBLIC+<role>+
// <base64 key>" and "MISSIONLOG-ROLE-SECRET+<role>+<base64 key>".
struct RoleKeys {
  std::string role;
  std::string public_key;  // 32 raw bytes
  std::string secret_key;  // 32 raw bytes
  std::string PublicText() const;
  std::string SecretText() const;
};
RoleKeys NewRoleKeys(absl::string_view role);
// INVALID_ARGUMENT for text that is not a role key of that kind.
absl::StatusOr<RoleKeys> ParsePublicRoleKey(absl::string_view text);
absl::StatusOr<RoleKeys> ParseSecretRoleKey(absl::string_view text);

// `data_key` in a sealed box to `role_public_key`; and back with the key
// pair (DATA_LOSS if the box is not for this key or was altered).
std::string WrapDataKey(absl::string_view data_key,
                        absl::string_view role_public_key);
absl::StatusOr<std::string> UnwrapDataKey(absl::string_view wrapped,
                                          const RoleKeys& role);

}  // namespace sealing
}  // namespace missionlog

#endif  // MISSIONLOG_SEALING_SEALING_H_
