// Fixed-width big-endian integers and varints for keys and records.
// Big-endian so that byte order is numeric order in RocksDB keys.
#ifndef MISSIONLOG_BASE_CODING_H_
#define MISSIONLOG_BASE_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace missionlog {

inline void EncodeFixed64(char* buf, uint64_t value) {
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(value >> (56 - 8 * i));
}

inline void PutFixed64(std::string* out, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  out->append(buf, 8);
}

inline void PutFixed32(std::string* out, uint32_t value) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(value >> (24 - 8 * i));
  out->append(buf, 4);
}

inline uint64_t DecodeFixed64(const char* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | static_cast<uint8_t>(p[i]);
  return value;
}

inline uint32_t DecodeFixed32(const char* p) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(p[i]);
  return value;
}

inline void PutVarint32(std::string* out, uint32_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Parses a varint32 from the front of `*in` and advances it. False if
// truncated or longer than five bytes.
inline bool GetVarint32(absl::string_view* in, uint32_t* value) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    uint32_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

// Length-prefixed string: varint32 length, then the bytes.
inline void PutLengthPrefixed(std::string* out, absl::string_view value) {
  PutVarint32(out, static_cast<uint32_t>(value.size()));
  out->append(value.data(), value.size());
}

inline bool GetLengthPrefixed(absl::string_view* in, absl::string_view* value) {
  uint32_t length;
  if (!GetVarint32(in, &length) || in->size() < length) return false;
  *value = in->substr(0, length);
  in->remove_prefix(length);
  return true;
}

inline bool GetFixed64(absl::string_view* in, uint64_t* value) {
  if (in->size() < 8) return false;
  *value = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

inline bool GetFixed32(absl::string_view* in, uint32_t* value) {
  if (in->size() < 4) return false;
  *value = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}

inline bool GetBytes(absl::string_view* in, size_t n, absl::string_view* out) {
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_CODING_H_
