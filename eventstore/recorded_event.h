// An event as stored: the stored record verbatim (record header, leaf hash,
// payload) and accessors that decode it without further copies. One
// allocation per event, so reading the log stays cheap.
#ifndef MISSIONLOG_EVENTSTORE_RECORDED_EVENT_H_
#define MISSIONLOG_EVENTSTORE_RECORDED_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace missionlog {

// A value: const methods are safe to call concurrently; not synchronized
// against a concurrent assignment.
class RecordedEvent {
 public:
  RecordedEvent() = default;

  // Global position: dense from 0, and the event's Merkle leaf index.
  uint64_t position() const { return position_; }
  uint64_t stream_version() const { return stream_version_; }
  absl::string_view stream() const { return Field(stream_); }
  // Canonical lower-case UUID text.
  std::string id() const;
  absl::string_view id_bytes() const { return Field(id_); }  // 16 raw bytes
  absl::string_view type() const { return Field(type_); }
  absl::string_view source() const { return Field(source_); }
  // Server clock, µs since the Unix epoch; never decreasing in the log.
  int64_t recorded_at_us() const { return recorded_at_us_; }
  // Sender's assertion of when it happened; absent if not given.
  std::optional<int64_t> occurred_at_us() const {
    return has_occurred_at_ ? std::optional<int64_t>(occurred_at_us_)
                            : std::nullopt;
  }
  absl::string_view recorded_by() const { return Field(recorded_by_); }
  absl::string_view correlation_id() const { return Field(correlation_id_); }
  absl::string_view causation_id() const { return Field(causation_id_); }
  absl::string_view content_type() const { return Field(content_type_); }
  // The payload digest the header commits to: SHA-256 of the payload for a
  // format-v1 record, SaltedPayloadDigest(payload_salt(), payload()) for v2.
  absl::string_view payload_sha256() const { return Field(payload_sha256_); }
  // 16 bytes for a v2 record; empty for v1 or once erased.
  absl::string_view payload_salt() const { return Field(payload_salt_); }
  // The payload (and its salt) was erased (an Erased event records why);
  // payload() is then empty.
  bool payload_erased() const { return payload_erased_; }
  // The record header's format (tlog/leaf.h).
  char format() const { return header().empty() ? 0 : header()[0]; }
  // SHA-256(0x00 || header()), as stored.
  absl::string_view leaf_hash() const { return Field(leaf_hash_); }
  // The record header: the exact bytes the Merkle leaf covers.
  absl::string_view header() const { return Field(header_); }
  absl::string_view payload() const { return Field(payload_); }
  // The whole stored value (grammar in record.cc).
  const std::string& record() const { return record_; }

 private:
  struct Span {
    uint32_t offset = 0;
    uint32_t size = 0;
  };
  absl::string_view Field(Span span) const {
    return absl::string_view(record_).substr(span.offset, span.size);
  }

  friend absl::Status DecodeStoredRecord(uint64_t position, bool verify,
                                         RecordedEvent* event);
  friend absl::Status DecodeRecord(uint64_t position, std::string record,
                                   bool verify, RecordedEvent* event);
  friend absl::Status DecodeRecordCopy(uint64_t position,
                                       absl::string_view record, bool verify,
                                       RecordedEvent* event);

  std::string record_;
  uint64_t position_ = 0;
  uint64_t stream_version_ = 0;
  int64_t recorded_at_us_ = 0;
  int64_t occurred_at_us_ = 0;
  bool has_occurred_at_ = false;
  bool payload_erased_ = false;
  Span payload_salt_;
  Span header_, leaf_hash_, payload_, id_, payload_sha256_, stream_, type_,
      source_, recorded_by_, correlation_id_, causation_id_, content_type_;
};

// Decodes the log value stored at `position` into `*event`, which takes
// ownership of `record`. With `verify`, also checks the stored leaf hash
// against the header bytes and the payload against its digest. A mismatch, a
// malformed record, and a header naming another position are all DATA_LOSS
// naming `position`. Defined in record.cc.
absl::Status DecodeRecord(uint64_t position, std::string record, bool verify,
                          RecordedEvent* event);
// Like DecodeRecord, but copies `record` into the buffer `*event` already
// has (no allocation when it is large enough).
absl::Status DecodeRecordCopy(uint64_t position, absl::string_view record,
                              bool verify, RecordedEvent* event);
// Decodes the record `*event` holds (internal to the two above).
absl::Status DecodeStoredRecord(uint64_t position, bool verify,
                                RecordedEvent* event);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_RECORDED_EVENT_H_
