#include "tlog/sha256.h"

#include <openssl/sha.h>

namespace missionlog {

// OpenSSL 3 deprecates the SHA256_CTX calls as "low level", but they are the
// fast path for small inputs: the EVP and one-shot SHA256() routes fetch the
// algorithm under a global read-write lock on every call, which profiles
// showed costing more than the hashing itself. Same assembly (SHA-NI) either
// way.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

Digest Sha256(absl::string_view data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Digest digest;
  SHA256_Final(digest.data(), &ctx);
  return digest;
}

Digest LeafHash(absl::string_view leaf) {
  static const unsigned char kLeafPrefix = 0x00;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &kLeafPrefix, 1);
  SHA256_Update(&ctx, leaf.data(), leaf.size());
  Digest digest;
  SHA256_Final(digest.data(), &ctx);
  return digest;
}

Digest SaltedPayloadDigest(absl::string_view salt, absl::string_view payload) {
  // The tag with its terminating NUL: no v2 digest is a plain SHA-256 of
  // some other framing.
  static const char kTag[] = "missionlog/payload/v2";
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, kTag, sizeof(kTag));
  SHA256_Update(&ctx, salt.data(), salt.size());
  SHA256_Update(&ctx, payload.data(), payload.size());
  Digest digest;
  SHA256_Final(digest.data(), &ctx);
  return digest;
}

#pragma GCC diagnostic pop

}  // namespace missionlog
