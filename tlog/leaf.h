// The fields of a record header (the Merkle leaf; grammar in record.cc) that
// a verifier needs without decoding the rest: where it claims to sit in the
// log and which payload it commits to.
#ifndef MISSIONLOG_TLOG_LEAF_H_
#define MISSIONLOG_TLOG_LEAF_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace missionlog {

inline constexpr char kLeafFormatV1 = 0x01;
inline constexpr size_t kLeafPositionOffset = 1;
inline constexpr size_t kLeafPayloadSizeOffset = 1 + 8 + 8 + 8 + 1 + 8 + 16;
inline constexpr size_t kLeafPayloadSha256Offset = kLeafPayloadSizeOffset + 4;
// The fixed-size prefix, up to and including payload_sha256.
inline constexpr size_t kLeafFixedSize = kLeafPayloadSha256Offset + 32;

struct LeafFields {
  uint64_t position = 0;
  uint32_t payload_size = 0;
  absl::string_view payload_sha256;  // 32 bytes, borrowed from the header
};

// False if `header` is too short or not format v1.
inline bool ParseLeafFields(absl::string_view header, LeafFields* fields) {
  if (header.size() < kLeafFixedSize || header[0] != kLeafFormatV1) {
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
  fields->position = position;
  fields->payload_size = size;
  fields->payload_sha256 = header.substr(kLeafPayloadSha256Offset, 32);
  return true;
}

}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_LEAF_H_
