// Hand-written protobuf wire encoding of the hot messages (RecordedEvent,
// and the Read/Subscribe responses that carry batches of them), straight
// from the engine's records into one buffer. Building a v1::RecordedEvent
// per event per reader cost ~15 allocations and two copies; this writes the
// same bytes with none. wire_encoding_test checks byte-for-byte agreement
// with the generated code.
#ifndef MISSIONLOG_SERVICES_WIRE_ENCODING_H_
#define MISSIONLOG_SERVICES_WIRE_ENCODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace missionlog {

// Appends the wire form of v1::RecordedEvent for `event`.
void AppendRecordedEvent(const RecordedEvent& event, std::string* out);

// Appends the wire form of v1::LogEntry for `event`: a RecordedEvent with
// only its position, leaf hash, header and payload.
void AppendLogEntry(const RecordedEvent& event, std::string* out);

// The same as field `field` of an enclosing message (e.g. a response's
// repeated events), in one pass: the size is worked out first, so the event
// is written straight into `out` instead of being built apart and copied.
void AppendRecordedEventField(int field, const RecordedEvent& event,
                              std::string* out);
void AppendLogEntryField(int field, const RecordedEvent& event,
                         std::string* out);

// Appends field `field` as a length-delimited value (an embedded message,
// string or bytes).
void AppendLengthDelimited(int field, absl::string_view value,
                           std::string* out);
void AppendVarintField(int field, uint64_t value, std::string* out);
// The tag and length of a length-delimited field whose `size` bytes follow.
void AppendLengthDelimitedHeader(int field, size_t size, std::string* out);
// The bytes AppendLengthDelimited writes for a value of `size` bytes.
size_t LengthDelimitedSize(int field, size_t size);

// Between gRPC's raw ByteBuffers and bytes.
bool ParseByteBuffer(const grpc::ByteBuffer& buffer,
                     google::protobuf::Message* message);
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);
// Without a copy: the buffer takes the string and frees it when sent.
grpc::ByteBuffer ToByteBuffer(std::string&& bytes);

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_WIRE_ENCODING_H_
