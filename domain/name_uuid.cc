#include "domain/name_uuid.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "tlog/sha256.h"

namespace missionlog {

std::string NameBasedUuid(absl::string_view name) {
  Digest digest = Sha256(absl::StrCat("missionlog name-based id\n", name));
  uint8_t bytes[16];
  for (int i = 0; i < 16; ++i) bytes[i] = digest[i];
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x80);  // version 8
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bytes[i] >> 4]);
    text.push_back(kHex[bytes[i] & 0x0F]);
  }
  return text;
}

}  // namespace missionlog
