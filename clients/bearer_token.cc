#include "clients/bearer_token.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tlog/sha256.h"

namespace missionlog {

namespace {
constexpr char kTokenPrefix[] = "mlt_";
constexpr size_t kTokenRandomBytes = 32;
}  // namespace

absl::StatusOr<BearerToken> MakeBearerToken(absl::string_view principal) {
  if (principal.empty() ||
      std::any_of(principal.begin(), principal.end(),
                  [](char c) { return absl::ascii_isspace(c); })) {
    return absl::InvalidArgumentError(
        "a token's principal must be non-empty and contain no whitespace");
  }
  unsigned char random[kTokenRandomBytes];
  if (RAND_bytes(random, sizeof random) != 1) {
    return absl::InternalError("no randomness from OpenSSL");
  }
  BearerToken made;
  made.token = absl::StrCat(
      kTokenPrefix, absl::WebSafeBase64Escape(absl::string_view(
                        reinterpret_cast<const char*>(random), sizeof random)));
  made.tokens_file_line = absl::StrCat(
      absl::BytesToHexString(DigestView(Sha256(made.token))), " ", principal);
  return made;
}

}  // namespace missionlog
