#include "base/uuid.h"

#include <cstring>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"

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
  // The 74 bits after the version and variant: 12 of rand_a, 62 of rand_b.
  constexpr uint64_t kLowBits = (uint64_t{1} << 62) - 1;
  constexpr uint64_t kHighBits = (uint64_t{1} << 12) - 1;
  static absl::Mutex mu(absl::kConstInit);
  static uint64_t last_millis ABSL_GUARDED_BY(mu) = 0;
  static uint64_t last_high ABSL_GUARDED_BY(mu) = 0;
  static uint64_t last_low ABSL_GUARDED_BY(mu) = 0;
  thread_local absl::BitGen gen;
  const uint64_t millis = static_cast<uint64_t>(unix_millis);
  uint64_t high, low;
  {
    absl::MutexLock lock(&mu);
    // Within one millisecond, the previous id plus a random step (RFC 9562
    // §6.2, monotonic random): ids this process makes sort in the order it
    // makes them, so the id index's inserts land where the last one did
    // (one insert hint) instead of anywhere in the memtable.
    const uint64_t step = 1 + absl::Uniform<uint32_t>(gen);
    if (millis == last_millis && last_low + step <= kLowBits) {
      high = last_high;
      low = last_low + step;
    } else if (millis == last_millis && last_high < kHighBits) {
      high = last_high + 1;
      low = absl::Uniform<uint64_t>(gen) & (kLowBits >> 1);
    } else {
      // A new millisecond (or the clock went back, or 2^74 ids in one
      // millisecond): fresh random bits, with room left to count up.
      high = absl::Uniform<uint64_t>(gen) & (kHighBits >> 1);
      low = absl::Uniform<uint64_t>(gen) & (kLowBits >> 1);
    }
    last_millis = millis;
    last_high = high;
    last_low = low;
  }
  Uuid uuid;
  for (int i = 0; i < 6; ++i) {
    uuid.bytes_[i] = static_cast<uint8_t>(millis >> (40 - 8 * i));
  }
  uuid.bytes_[6] = static_cast<uint8_t>(0x70 | (high >> 8));
  uuid.bytes_[7] = static_cast<uint8_t>(high);
  uuid.bytes_[8] = static_cast<uint8_t>(0x80 | (low >> 56));
  for (int i = 9; i < 16; ++i) {
    uuid.bytes_[i] = static_cast<uint8_t>(low >> (8 * (15 - i)));
  }
  return uuid;
}

char* Uuid::WriteText(char* out) const {
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < kSize; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *out++ = '-';
    *out++ = kHex[bytes_[i] >> 4];
    *out++ = kHex[bytes_[i] & 0x0f];
  }
  return out;
}

std::string Uuid::ToString() const {
  std::string text(kTextSize, '\0');
  WriteText(&text[0]);
  return text;
}

}  // namespace missionlog
