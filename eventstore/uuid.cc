#include "eventstore/uuid.h"

#include <cstring>

#include "absl/random/random.h"

namespace missionlog {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsDashPosition(size_t i) {
  return i == 8 || i == 13 || i == 18 || i == 23;
}

}  // namespace

std::optional<Uuid> Uuid::Parse(absl::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid uuid;
  size_t out = 0;
  for (size_t i = 0; i < text.size();) {
    if (IsDashPosition(i)) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int high = HexValue(text[i]);
    int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0 || IsDashPosition(i + 1)) return std::nullopt;
    uuid.bytes_[out++] = static_cast<uint8_t>(high << 4 | low);
    i += 2;
  }
  return uuid;
}

Uuid Uuid::FromBytes(absl::string_view bytes) {
  Uuid uuid;
  std::memcpy(uuid.bytes_.data(), bytes.data(), kSize);
  return uuid;
}

Uuid Uuid::NewV7(int64_t unix_millis) {
  thread_local absl::BitGen gen;
  uint64_t random_high = absl::Uniform<uint64_t>(gen);
  uint64_t random_low = absl::Uniform<uint64_t>(gen);
  Uuid uuid;
  uint64_t millis = static_cast<uint64_t>(unix_millis);
  for (int i = 0; i < 6; ++i) {
    uuid.bytes_[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  }
  for (int i = 6; i < 8; ++i) {
    uuid.bytes_[i] = static_cast<uint8_t>(random_high >> (8 * i));
  }
  for (int i = 8; i < 16; ++i) {
    uuid.bytes_[i] = static_cast<uint8_t>(random_low >> (8 * (i - 8)));
  }
  uuid.bytes_[6] = static_cast<uint8_t>(0x70 | (uuid.bytes_[6] & 0x0f));
  uuid.bytes_[8] = static_cast<uint8_t>(0x80 | (uuid.bytes_[8] & 0x3f));
  return uuid;
}

std::string Uuid::ToString() const {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < kSize; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bytes_[i] >> 4]);
    text.push_back(kHex[bytes_[i] & 0x0f]);
  }
  return text;
}

}  // namespace missionlog
