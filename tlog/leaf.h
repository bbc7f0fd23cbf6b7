// The fields of a record header (the Merkle leaf; grammar in
// eventstore/record.cc and proto/missionlog/v1/audit.proto) that a verifier
// needs without decoding the rest: its format, where it claims to sit in
// the log, which payload it commits to, and its stream and type.
//
// Format v1 commits to SHA-256(payload); format v2 (every record written
// since sealed fields) to SaltedPayloadDigest(salt, payload), the 16-byte
// salt stored beside the payload. The two share one layout.
#ifndef MISSIONLOG_TLOG_LEAF_H_
#define MISSIONLOG_TLOG_LEAF_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "base/coding.h"
#include "tlog/sha256.h"

namespace missionlog {

inline constexpr char kLeafFormatV1 = 0x01;
inline constexpr char kLeafFormatV2 = 0x02;
inline constexpr size_t kPayloadSaltSize = 16;
inline constexpr size_t kLeafPositionOffset = 1;
inline constexpr size_t kLeafPayloadSizeOffset = 1 + 8 + 8 + 8 + 1 + 8 + 16;
inline constexpr size_t kLeafPayloadSha256Offset = kLeafPayloadSizeOffset + 4;
// The fixed-size prefix, up to and including the payload digest.
inline constexpr size_t kLeafFixedSize = kLeafPayloadSha256Offset + 32;

struct LeafFields {
  char format = 0;  // kLeafFormatV1 or kLeafFormatV2
  uint64_t position = 0;
  uint32_t payload_size = 0;
  // 32 bytes, borrowed from the header: SHA-256 of the payload (v1) or its
  // salted digest (v2).
  absl::string_view payload_sha256;
  absl::string_view stream;  // borrowed from the header
  absl::string_view type;    // borrowed from the header
};

// False if `header` is malformed up to its type, or of another format.
inline bool ParseLeafFields(absl::string_view header, LeafFields* fields) {
  if (header.size() < kLeafFixedSize ||
      (header[0] != kLeafFormatV1 && header[0] != kLeafFormatV2)) {
    return false;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(header.data());
  uint64_t position = 0;
  for (size_t i = 0; i < 8; ++i) {
    position = position << 8 | p[kLeafPositionOffset + i];
  }
  uint32_t size = 0;
  for (size_t i = 0; i < 4; ++i) {
    size = size << 8 | p[kLeafPayloadSizeOffset + i];
  }
  absl::string_view rest = header.substr(kLeafFixedSize);
  if (!GetLengthPrefixed(&rest, &fields->stream) ||
      !GetLengthPrefixed(&rest, &fields->type)) {
    return false;
  }
  fields->format = header[0];
  fields->position = position;
  fields->payload_size = size;
  fields->payload_sha256 = header.substr(kLeafPayloadSha256Offset, 32);
  return true;
}

// Whether `payload` (with `salt`, for v2) is the one `fields` commits to.
inline bool PayloadMatches(const LeafFields& fields, absl::string_view salt,
                           absl::string_view payload) {
  if (payload.size() != fields.payload_size) return false;
  if (fields.format == kLeafFormatV1) {
    return salt.empty() && DigestView(Sha256(payload)) == fields.payload_sha256;
  }
  return salt.size() == kPayloadSaltSize &&
         DigestView(SaltedPayloadDigest(salt, payload)) ==
             fields.payload_sha256;
}

}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_LEAF_H_
