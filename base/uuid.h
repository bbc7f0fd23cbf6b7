// 128-bit event ids: parsing and formatting the canonical text form, and
// generating time-ordered version 7 UUIDs (RFC 9562) for events sent
// without an id. v7 ids sort by time, which keeps the id index's inserts
// near the end of its key space.
#ifndef MISSIONLOG_BASE_UUID_H_
#define MISSIONLOG_BASE_UUID_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace missionlog {

class Uuid {
 public:
  static constexpr size_t kSize = 16;
  static constexpr size_t kTextSize = 36;

  // Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits in either
  // case). Anything else, including braces or a missing dash, is rejected.
  static std::optional<Uuid> Parse(absl::string_view text);
  // Reads 16 raw bytes. REQUIRES: bytes.size() == kSize.
  static Uuid FromBytes(absl::string_view bytes);
  // A new v7 UUID: 48-bit Unix milliseconds then random bits. Within a
  // millisecond, each id this process makes sorts after the one before it
  // (the random bits count up by a random step). Safe for concurrent use.
  static Uuid NewV7(int64_t unix_millis);

  // Lower-case canonical text form.
  std::string ToString() const;
  // The same kTextSize characters written at `out`; returns their end.
  char* WriteText(char* out) const;
  absl::string_view bytes() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()),
                             kSize);
  }

  bool operator==(const Uuid& other) const { return bytes_ == other.bytes_; }
  template <typename H>
  friend H AbslHashValue(H hash, const Uuid& id) {
    return H::combine(std::move(hash), id.bytes_);
  }

  // The nil UUID (all zero bytes).
  Uuid() = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_UUID_H_
