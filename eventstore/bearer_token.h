// Bearer tokens of missionlogd's tokens file (--tokens): a token is
// "mlt_" and 32 random bytes in unpadded base64url; the server keeps only
// its SHA-256, one line per token:
//   line := hex(SHA-256(token)) " " principal
// so a leaked tokens file admits no one. Shared by the server (which checks
// tokens) and the CLI (`missionlog token`, which makes them).
#ifndef MISSIONLOG_EVENTSTORE_BEARER_TOKEN_H_
#define MISSIONLOG_EVENTSTORE_BEARER_TOKEN_H_

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

// SHA-256 of `token`, 32 raw bytes: the key the server looks tokens up by.
std::string BearerTokenDigest(absl::string_view token);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_BEARER_TOKEN_H_
