// SHA-256 through OpenSSL 3, and the RFC 6962 leaf hash built on it.
#ifndef MISSIONLOG_TLOG_SHA256_H_
#define MISSIONLOG_TLOG_SHA256_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace missionlog {

using Digest = std::array<uint8_t, 32>;

// SHA-256(data).
Digest Sha256(absl::string_view data);

// RFC 6962 leaf hash: SHA-256(0x00 || leaf).
Digest LeafHash(absl::string_view leaf);

// The salted payload digest a format-v2 record header commits to (leaf.h):
// SHA-256("missionlog/payload/v2" || 0x00 || salt || payload). Without the
// salt, which is stored beside the payload and erased with it, a guessed
// payload cannot be confirmed against the header.
Digest SaltedPayloadDigest(absl::string_view salt, absl::string_view payload);

// The digest in `bytes`; false unless they are exactly 32 bytes.
inline bool DigestFromBytes(absl::string_view bytes, Digest* digest) {
  if (bytes.size() != digest->size()) return false;
  std::copy(bytes.begin(), bytes.end(), digest->begin());
  return true;
}

inline absl::string_view DigestView(const Digest& digest) {
  return absl::string_view(reinterpret_cast<const char*>(digest.data()),
                           digest.size());
}

}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_SHA256_H_
