// Bearer tokens of missionlogd's tokens file (--tokens): a token is
// "mlt_" and 32 random bytes in unpadded base64url; the server keeps only
// its SHA-256, one line per token:
//   line := hex(SHA-256(token)) " " principal
// so a leaked tokens file admits no one. The CLI (`missionlog token`) makes
// them; the server (services/authenticator) hashes what a client presents
// and looks it up.
//
// Thread safety: MakeBearerToken keeps no state; safe to call
// concurrently.
#ifndef MISSIONLOG_CLIENTS_BEARER_TOKEN_H_
#define MISSIONLOG_CLIENTS_BEARER_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {

struct BearerToken {
  std::string token;             // give to the principal, once
  std::string tokens_file_line;  // add to the server's tokens file
};

// A fresh token for `principal` (non-empty, no whitespace).
// INVALID_ARGUMENT for a bad principal; INTERNAL without randomness.
absl::StatusOr<BearerToken> MakeBearerToken(absl::string_view principal);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_BEARER_TOKEN_H_
