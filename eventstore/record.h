// The stored form of one event: its record header (the exact bytes its Merkle
// leaf covers), its leaf hash and its payload. The grammar is in record.cc.
//
// Thread safety: pure functions over the caller's buffers.
#ifndef MISSIONLOG_EVENTSTORE_RECORD_H_
#define MISSIONLOG_EVENTSTORE_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "tlog/leaf.h"
#include "tlog/sha256.h"

namespace missionlog {

// The fields of a record header, borrowed from their owners while encoding.
struct RecordHeader {
  char format = kLeafFormatV2;  // or kLeafFormatV1 (tlog/leaf.h)
  uint64_t position = 0;
  uint64_t stream_version = 0;
  int64_t recorded_at_us = 0;
  std::optional<int64_t> occurred_at_us;
  absl::string_view event_id;  // 16 raw bytes
  uint32_t payload_size = 0;
  const Digest* payload_sha256 = nullptr;  // v1: SHA-256; v2: salted
  absl::string_view stream;
  absl::string_view type;
  absl::string_view source;
  absl::string_view recorded_by;
  absl::string_view correlation_id;
  absl::string_view causation_id;
  absl::string_view content_type;
};

// Appends the encoded header to `*out`.
void EncodeRecordHeader(const RecordHeader& header, std::string* out);

// Appends a whole log value (header, its leaf hash, the payload's salt --
// empty for v1 -- and payload) to `*out`.
void EncodeRecordValue(absl::string_view header, const Digest& leaf_hash,
                       absl::string_view salt, absl::string_view payload,
                       std::string* out);

// Appends the erased form of a log value: its header and leaf hash only.
void EncodeErasedRecordValue(absl::string_view header,
                             absl::string_view leaf_hash, std::string* out);

// Splits a stored log value into its parts without copying.
struct RecordParts {
  absl::string_view header;
  absl::string_view leaf_hash;
  absl::string_view salt;  // 16 bytes for v2, empty for v1 or erased
  absl::string_view payload;
  bool erased = false;
};

// DATA_LOSS naming `position` if the value is malformed.
absl::Status SplitRecordValue(uint64_t position, absl::string_view value,
                              RecordParts* parts);

// Reads only the stream and type of a header, for filtering without a full
// decode. DATA_LOSS if malformed.
absl::Status PeekStreamAndType(uint64_t position, absl::string_view header,
                               absl::string_view* stream,
                               absl::string_view* type);

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_RECORD_H_
