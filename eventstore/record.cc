// Log record layout (the value stored under a position in the "log" column
// family; the key is in keys.h):
//
//   value  := header_length: varint32
//             header: byte[header_length]   -- the Merkle leaf, verbatim
//             leaf_hash: byte[32]           -- SHA-256(0x00 || header)
//             body
//           | 0x00                          -- the payload was erased
//             header_length: varint32
//             header: byte[header_length]
//             leaf_hash: byte[32]
//
//   body   := payload: byte[rest]           -- format v1
//           | salt: byte[16]                -- format v2
//             payload: byte[rest]
//
//   header := format: byte                  -- 0x01 (v1) or 0x02 (v2)
//             position: fixed64             -- global position = leaf index
//             stream_version: fixed64
//             recorded_at_us: fixed64       -- int64, µs since epoch, UTC
//             flags: byte                   -- bit 0: occurred_at present
//             occurred_at_us: fixed64       -- int64; 0 when absent
//             event_id: byte[16]            -- UUID, raw
//             payload_size: fixed32
//             payload_digest: byte[32]      -- v1: SHA-256(payload)
//                                           -- v2: SHA-256("missionlog/
//                                           --   payload/v2" 0x00 || salt
//                                           --   || payload)
//             stream: string
//             type: string
//             source: string
//             recorded_by: string
//             correlation_id: string
//             causation_id: string
//             content_type: string
//
//   string := length: varint32, bytes: byte[length]
//   fixedN := N-bit unsigned integer, big-endian
//
// The header is written once and then only ever read back as bytes: its leaf
// hash is recomputed from exactly these bytes, never from a re-encoding.
// Because the header commits to the payload's digest rather than the payload,
// a payload can later be erased without breaking any proof: its value is
// rewritten in the erased form, header and leaf hash unchanged, and an
// Erased event in the log says so. A v2 header's digest is salted, so once
// the salt is erased with the payload nothing confirms a guess of it.
// Records of both formats live side by side; new ones are v2
// (Options::record_format).
// No header_length is 0 (a header has at least kLeafFixedSize bytes), so
// the erased form's leading 0x00 is unambiguous.
#include "eventstore/record.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/uuid.h"
#include "tlog/leaf.h"

namespace missionlog {
namespace {

constexpr char kErasedMarker = 0x00;
constexpr uint8_t kFlagOccurredAt = 0x01;
constexpr size_t kDigestSize = 32;

absl::Status Corrupt(uint64_t position, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("event at position ", position, " is corrupt: ", what));
}

// The header's fixed-size prefix, up to and including payload_sha256.
constexpr size_t kFixedHeaderSize = 1 + 8 + 8 + 8 + 1 + 8 + 16 + 4 + 32;
constexpr size_t kStreamOffset = kFixedHeaderSize;
static_assert(kFixedHeaderSize == kLeafFixedSize,
              "leaf.h must describe this grammar");

bool KnownFormat(absl::string_view header) {
  return !header.empty() &&
         (header[0] == kLeafFormatV1 || header[0] == kLeafFormatV2);
}

}  // namespace

void EncodeRecordHeader(const RecordHeader& h, std::string* out) {
  out->push_back(h.format);
  PutFixed64(out, h.position);
  PutFixed64(out, h.stream_version);
  PutFixed64(out, static_cast<uint64_t>(h.recorded_at_us));
  out->push_back(static_cast<char>(h.occurred_at_us ? kFlagOccurredAt : 0));
  PutFixed64(out, static_cast<uint64_t>(h.occurred_at_us.value_or(0)));
  out->append(h.event_id.data(), h.event_id.size());
  PutFixed32(out, h.payload_size);
  out->append(reinterpret_cast<const char*>(h.payload_sha256->data()),
              kDigestSize);
  PutLengthPrefixed(out, h.stream);
  PutLengthPrefixed(out, h.type);
  PutLengthPrefixed(out, h.source);
  PutLengthPrefixed(out, h.recorded_by);
  PutLengthPrefixed(out, h.correlation_id);
  PutLengthPrefixed(out, h.causation_id);
  PutLengthPrefixed(out, h.content_type);
}

void EncodeRecordValue(absl::string_view header, const Digest& leaf_hash,
                       absl::string_view salt, absl::string_view payload,
                       std::string* out) {
  PutVarint32(out, static_cast<uint32_t>(header.size()));
  out->append(header.data(), header.size());
  out->append(DigestView(leaf_hash).data(), kDigestSize);
  out->append(salt.data(), salt.size());
  out->append(payload.data(), payload.size());
}

void EncodeErasedRecordValue(absl::string_view header,
                             absl::string_view leaf_hash, std::string* out) {
  out->push_back(kErasedMarker);
  PutVarint32(out, static_cast<uint32_t>(header.size()));
  out->append(header.data(), header.size());
  out->append(leaf_hash.data(), leaf_hash.size());
}

absl::Status SplitRecordValue(uint64_t position, absl::string_view value,
                              RecordParts* parts) {
  parts->erased = !value.empty() && value[0] == kErasedMarker;
  if (parts->erased) value.remove_prefix(1);
  uint32_t header_length;
  if (!GetVarint32(&value, &header_length) ||
      !GetBytes(&value, header_length, &parts->header) ||
      !GetBytes(&value, kDigestSize, &parts->leaf_hash)) {
    return Corrupt(position, "truncated record");
  }
  if (!KnownFormat(parts->header)) return Corrupt(position, "bad header");
  parts->salt = absl::string_view();
  if (parts->erased) {
    if (!value.empty()) return Corrupt(position, "an erased record has a body");
  } else if (parts->header[0] == kLeafFormatV2 &&
             !GetBytes(&value, kPayloadSaltSize, &parts->salt)) {
    return Corrupt(position, "truncated payload salt");
  }
  parts->payload = value;
  return absl::OkStatus();
}

absl::Status PeekStreamAndType(uint64_t position, absl::string_view header,
                               absl::string_view* stream,
                               absl::string_view* type) {
  if (header.size() < kStreamOffset || !KnownFormat(header)) {
    return Corrupt(position, "bad header");
  }
  header.remove_prefix(kStreamOffset);
  if (!GetLengthPrefixed(&header, stream) ||
      !GetLengthPrefixed(&header, type)) {
    return Corrupt(position, "truncated header");
  }
  return absl::OkStatus();
}

std::string RecordedEvent::id() const {
  return Uuid::FromBytes(id_bytes()).ToString();
}

absl::Status DecodeRecord(uint64_t position, std::string record, bool verify,
                          RecordedEvent* event) {
  // Moving a heap string keeps its buffer; a short record lives inline. The
  // spans are offsets into record_, so they hold either way.
  event->record_ = std::move(record);
  return DecodeStoredRecord(position, verify, event);
}

absl::Status DecodeRecordCopy(uint64_t position, absl::string_view record,
                              bool verify, RecordedEvent* event) {
  // Reuses the buffer the event already has: no allocation per event for
  // a reader that decodes one event after another into the same one.
  event->record_.assign(record.data(), record.size());
  return DecodeStoredRecord(position, verify, event);
}

absl::Status DecodeStoredRecord(uint64_t position, bool verify,
                                RecordedEvent* event) {
  const std::string& record = event->record_;
  RecordParts parts;
  absl::Status status = SplitRecordValue(position, record, &parts);
  if (!status.ok()) return status;

  absl::string_view in = parts.header;
  if (in.size() < kFixedHeaderSize) return Corrupt(position, "bad header");
  const char format = in[0];
  in.remove_prefix(1);
  uint64_t stored_position, recorded_at, occurred_at;
  uint32_t payload_size;
  absl::string_view flags, id, payload_sha;
  GetFixed64(&in, &stored_position);
  GetFixed64(&in, &event->stream_version_);
  GetFixed64(&in, &recorded_at);
  GetBytes(&in, 1, &flags);
  GetFixed64(&in, &occurred_at);
  GetBytes(&in, Uuid::kSize, &id);
  GetFixed32(&in, &payload_size);
  GetBytes(&in, kDigestSize, &payload_sha);
  absl::string_view stream, type, source, recorded_by, correlation, causation,
      content_type;
  if (!GetLengthPrefixed(&in, &stream) || !GetLengthPrefixed(&in, &type) ||
      !GetLengthPrefixed(&in, &source) ||
      !GetLengthPrefixed(&in, &recorded_by) ||
      !GetLengthPrefixed(&in, &correlation) ||
      !GetLengthPrefixed(&in, &causation) ||
      !GetLengthPrefixed(&in, &content_type) || !in.empty()) {
    return Corrupt(position, "malformed header");
  }
  if (stored_position != position) {
    return Corrupt(position,
                   absl::StrCat("header names position ", stored_position));
  }
  if (verify) {
    if (DigestView(LeafHash(parts.header)) != parts.leaf_hash) {
      return Corrupt(position, "leaf hash does not match header");
    }
    // An erased payload has nothing left to check; the Erased event that
    // covers it is the auditor's to find (clients/auditor.h).
    const bool matches =
        parts.erased ||
        (parts.payload.size() == payload_size &&
         DigestView(format == kLeafFormatV1
                        ? Sha256(parts.payload)
                        : SaltedPayloadDigest(parts.salt, parts.payload)) ==
             payload_sha);
    if (!matches) return Corrupt(position, "payload does not match its digest");
  }

  const char* base = record.data();
  auto span = [base](absl::string_view field) {
    // An empty field may point anywhere (or nowhere).
    if (field.empty()) return RecordedEvent::Span{};
    return RecordedEvent::Span{static_cast<uint32_t>(field.data() - base),
                               static_cast<uint32_t>(field.size())};
  };
  event->position_ = position;
  event->recorded_at_us_ = static_cast<int64_t>(recorded_at);
  event->has_occurred_at_ = (static_cast<uint8_t>(flags[0]) & kFlagOccurredAt);
  event->occurred_at_us_ = static_cast<int64_t>(occurred_at);
  event->header_ = span(parts.header);
  event->leaf_hash_ = span(parts.leaf_hash);
  event->payload_ = span(parts.payload);
  event->payload_salt_ = span(parts.salt);
  event->payload_erased_ = parts.erased;
  event->id_ = span(id);
  event->payload_sha256_ = span(payload_sha);
  event->stream_ = span(stream);
  event->type_ = span(type);
  event->source_ = span(source);
  event->recorded_by_ = span(recorded_by);
  event->correlation_id_ = span(correlation);
  event->causation_id_ = span(causation);
  event->content_type_ = span(content_type);
  return absl::OkStatus();
}

}  // namespace missionlog
