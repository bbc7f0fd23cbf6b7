#include "eventstore/sha256.h"

#include <openssl/sha.h>

namespace missionlog {

// The one-shot SHA256 functions are deprecated in OpenSSL 3 only as "low
// level"; the streaming SHA256_CTX calls are the fastest path for small
// inputs (no EVP_MD_CTX allocation per hash), so silence that warning here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

Digest Sha256(absl::string_view data) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest.data());
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

#pragma GCC diagnostic pop

}  // namespace missionlog
