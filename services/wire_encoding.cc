#include "services/wire_encoding.h"

#include <vector>

namespace missionlog {
namespace {

// Field numbers of v1::RecordedEvent (proto/missionlog/v1/event.proto).
enum RecordedEventField {
  kPosition = 1,
  kSubject = 2,
  kStreamVersion = 3,
  kId = 4,
  kType = 5,
  kSource = 6,
  kTime = 7,
  kRecordedTime = 8,
  kRecordedBy = 9,
  kCorrelationId = 10,
  kCausationId = 11,
  kDataContentType = 12,
  kDataSha256 = 13,
  kLeafHash = 14,
  kHeader = 15,
  kData = 16,
};

constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;

void PutVarint(uint64_t value, std::string* out) {
  char buffer[10];
  size_t size = 0;
  while (value >= 0x80) {
    buffer[size++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buffer[size++] = static_cast<char>(value);
  out->append(buffer, size);
}

// The canonical 36-character text of a 16-byte UUID, without allocating.
void PutUuidText(int field, absl::string_view id, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  char text[36];
  size_t size = 0;
  for (size_t i = 0; i < id.size() && i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[size++] = '-';
    text[size++] = kHex[static_cast<uint8_t>(id[i]) >> 4];
    text[size++] = kHex[static_cast<uint8_t>(id[i]) & 0x0f];
  }
  AppendLengthDelimited(field, absl::string_view(text, size), out);
}

void PutTag(int field, int wire_type, std::string* out) {
  PutVarint(static_cast<uint64_t>(field) << 3 | wire_type, out);
}

// proto3 omits fields holding their default value; so must we, to match.
void PutString(int field, absl::string_view value, std::string* out) {
  if (!value.empty()) AppendLengthDelimited(field, value, out);
}

void PutUint64(int field, uint64_t value, std::string* out) {
  if (value != 0) AppendVarintField(field, value, out);
}

// A google.protobuf.Timestamp (seconds = 1, nanos = 2) for µs since epoch.
void PutTimestamp(int field, int64_t micros, std::string* out) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  std::string timestamp;
  PutUint64(1, static_cast<uint64_t>(seconds), &timestamp);
  PutUint64(2, static_cast<uint64_t>(rest * 1000), &timestamp);
  AppendLengthDelimited(field, timestamp, out);
}

}  // namespace

void AppendLengthDelimited(int field, absl::string_view value,
                           std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(value.size(), out);
  out->append(value.data(), value.size());
}

void AppendVarintField(int field, uint64_t value, std::string* out) {
  PutTag(field, kVarint, out);
  PutVarint(value, out);
}

bool ParseByteBuffer(const grpc::ByteBuffer& buffer,
                     google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return message->ParseFromString(bytes);
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer ToByteBuffer(std::string&& bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(),
      [](void* string) { delete static_cast<std::string*>(string); }, owned);
  return grpc::ByteBuffer(&slice, 1);
}

void AppendLengthDelimitedHeader(int field, size_t size, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(size, out);
}

size_t LengthDelimitedSize(int field, size_t size) {
  const auto varint_size = [](uint64_t value) {
    size_t bytes = 1;
    for (; value >= 0x80; value >>= 7) ++bytes;
    return bytes;
  };
  return varint_size(static_cast<uint64_t>(field) << 3) + varint_size(size) +
         size;
}

void AppendRecordedEvent(const RecordedEvent& event, std::string* out) {
  PutUint64(kPosition, event.position(), out);
  PutString(kSubject, event.stream(), out);
  PutUint64(kStreamVersion, event.stream_version(), out);
  PutUuidText(kId, event.id_bytes(), out);
  PutString(kType, event.type(), out);
  PutString(kSource, event.source(), out);
  if (std::optional<int64_t> occurred = event.occurred_at_us()) {
    PutTimestamp(kTime, *occurred, out);
  }
  PutTimestamp(kRecordedTime, event.recorded_at_us(), out);
  PutString(kRecordedBy, event.recorded_by(), out);
  PutString(kCorrelationId, event.correlation_id(), out);
  PutString(kCausationId, event.causation_id(), out);
  PutString(kDataContentType, event.content_type(), out);
  PutString(kDataSha256, event.payload_sha256(), out);
  PutString(kLeafHash, event.leaf_hash(), out);
  PutString(kHeader, event.header(), out);
  PutString(kData, event.payload(), out);
}

void AppendLogEntry(const RecordedEvent& event, std::string* out) {
  PutUint64(kPosition, event.position(), out);
  PutString(kLeafHash, event.leaf_hash(), out);
  PutString(kHeader, event.header(), out);
  PutString(kData, event.payload(), out);
}

}  // namespace missionlog
