#include "services/wire_encoding.h"

#include <cstring>
#include <optional>
#include <vector>

#include "base/uuid.h"

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
  kDataSalt = 17,
  kDataErased = 18,
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

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  for (; value >= 0x80; value >>= 7) ++size;
  return size;
}

void PutTag(int field, int wire_type, std::string* out) {
  PutVarint(static_cast<uint64_t>(field) << 3 | wire_type, out);
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
  return VarintSize(static_cast<uint64_t>(field) << 3) + VarintSize(size) +
         size;
}

namespace {

// A google.protobuf.Timestamp (seconds = 1, nanos = 2) for µs since epoch.
struct Timestamp {
  explicit Timestamp(int64_t micros) {
    int64_t whole = micros / 1000000;
    int64_t rest = micros % 1000000;
    if (rest < 0) {
      rest += 1000000;
      --whole;
    }
    seconds = static_cast<uint64_t>(whole);
    nanos = static_cast<uint64_t>(rest * 1000);
  }
  uint64_t seconds;
  uint64_t nanos;
};

// The two passes over a message's fields: Measure adds up the encoded
// size, Write writes the same bytes into room made for them. proto3 omits
// fields holding their default value; so must these, to match.
class Measure {
 public:
  void Uint64(int field, uint64_t value) {
    if (value != 0)
      size_ += VarintSize(Tag(field, kVarint)) + VarintSize(value);
  }
  void String(int field, absl::string_view value) {
    if (!value.empty()) Bytes(field, value.size());
  }
  void Uuid(int field) { Bytes(field, ::missionlog::Uuid::kTextSize); }
  void Time(int field, const Timestamp& time) {
    Measure inner;
    inner.Uint64(1, time.seconds);
    inner.Uint64(2, time.nanos);
    Bytes(field, inner.size());
  }
  size_t size() const { return size_; }

 private:
  static uint64_t Tag(int field, int type) {
    return static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(type);
  }
  void Bytes(int field, size_t size) {
    size_ += LengthDelimitedSize(field, size);
  }
  size_t size_ = 0;
};

class Write {
 public:
  explicit Write(char* at) : at_(at) {}
  void Uint64(int field, uint64_t value) {
    if (value == 0) return;
    Varint(static_cast<uint64_t>(field) << 3 | kVarint);
    Varint(value);
  }
  void String(int field, absl::string_view value) {
    if (value.empty()) return;
    Header(field, value.size());
    std::memcpy(at_, value.data(), value.size());
    at_ += value.size();
  }
  // The canonical text of a 16-byte UUID.
  // REQUIRES: id.size() == Uuid::kSize (as decoded records guarantee).
  void Uuid(int field, absl::string_view id) {
    Header(field, ::missionlog::Uuid::kTextSize);
    at_ = ::missionlog::Uuid::FromBytes(id).WriteText(at_);
  }
  void Time(int field, const Timestamp& time) {
    Measure inner;
    inner.Uint64(1, time.seconds);
    inner.Uint64(2, time.nanos);
    Header(field, inner.size());
    Uint64(1, time.seconds);
    Uint64(2, time.nanos);
  }
  void Header(int field, size_t size) {
    Varint(static_cast<uint64_t>(field) << 3 | kLengthDelimited);
    Varint(size);
  }

 private:
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      *at_++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *at_++ = static_cast<char>(value);
  }
  char* at_;
};

// Measure has no use for the id's bytes: it is always 36 characters.
void Id(Measure* measure, int field, absl::string_view /*id*/) {
  measure->Uuid(field);
}
void Id(Write* write, int field, absl::string_view id) {
  write->Uuid(field, id);
}

template <typename Pass>
void RecordedEventFields(const RecordedEvent& event, Pass* pass) {
  pass->Uint64(kPosition, event.position());
  pass->String(kSubject, event.stream());
  pass->Uint64(kStreamVersion, event.stream_version());
  Id(pass, kId, event.id_bytes());
  pass->String(kType, event.type());
  pass->String(kSource, event.source());
  if (std::optional<int64_t> occurred = event.occurred_at_us()) {
    pass->Time(kTime, Timestamp(*occurred));
  }
  pass->Time(kRecordedTime, Timestamp(event.recorded_at_us()));
  pass->String(kRecordedBy, event.recorded_by());
  pass->String(kCorrelationId, event.correlation_id());
  pass->String(kCausationId, event.causation_id());
  pass->String(kDataContentType, event.content_type());
  pass->String(kDataSha256, event.payload_sha256());
  pass->String(kLeafHash, event.leaf_hash());
  pass->String(kHeader, event.header());
  pass->String(kData, event.payload());
  pass->String(kDataSalt, event.payload_salt());
  pass->Uint64(kDataErased, event.payload_erased() ? 1 : 0);
}

template <typename Pass>
void LogEntryFields(const RecordedEvent& event, Pass* pass) {
  pass->Uint64(kPosition, event.position());
  pass->String(kLeafHash, event.leaf_hash());
  pass->String(kHeader, event.header());
  pass->String(kData, event.payload());
  pass->String(kDataSalt, event.payload_salt());
  pass->Uint64(kDataErased, event.payload_erased() ? 1 : 0);
}

// Measures the message, makes room for it once at the end of `out`, and
// writes it there: as field `field` of the enclosing message, or bare when
// `field` is 0.
template <typename Fields>
void AppendMessage(int field, const Fields& fields, std::string* out) {
  Measure measure;
  fields(&measure);
  const size_t size = measure.size();
  const size_t envelope =
      field == 0 ? 0 : LengthDelimitedSize(field, size) - size;
  const size_t start = out->size();
  out->resize(start + envelope + size);
  Write write(&(*out)[start]);
  if (field != 0) write.Header(field, size);
  fields(&write);
}

}  // namespace

void AppendRecordedEvent(const RecordedEvent& event, std::string* out) {
  AppendRecordedEventField(0, event, out);
}

void AppendRecordedEventField(int field, const RecordedEvent& event,
                              std::string* out) {
  AppendMessage(
      field, [&event](auto* pass) { RecordedEventFields(event, pass); }, out);
}

void AppendLogEntry(const RecordedEvent& event, std::string* out) {
  AppendLogEntryField(0, event, out);
}

void AppendLogEntryField(int field, const RecordedEvent& event,
                         std::string* out) {
  AppendMessage(
      field, [&event](auto* pass) { LogEntryFields(event, pass); }, out);
}

}  // namespace missionlog
