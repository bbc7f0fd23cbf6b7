#include "services/conversions.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"

namespace missionlog {
namespace {

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp range.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

absl::StatusOr<int64_t> MicrosFromTimestamp(
    const google::protobuf::Timestamp& time, const std::string& field) {
  if (time.seconds() < kMinSeconds || time.seconds() > kMaxSeconds ||
      time.nanos() < 0 || time.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a valid timestamp"));
  }
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

void TimestampFromMicros(int64_t micros, google::protobuf::Timestamp* time) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  time->set_seconds(seconds);
  time->set_nanos(static_cast<int32_t>(rest * 1000));
}

absl::StatusOr<ExpectedVersion> FromProto(const v1::ExpectedVersion& version) {
  switch (version.kind()) {
    case v1::ExpectedVersion::KIND_UNSPECIFIED:
    case v1::ExpectedVersion::ANY:
      return ExpectedVersion::Any();
    case v1::ExpectedVersion::NO_STREAM:
      return ExpectedVersion::NoStream();
    case v1::ExpectedVersion::STREAM_EXISTS:
      return ExpectedVersion::StreamExists();
    case v1::ExpectedVersion::EXACT:
      return ExpectedVersion::Exact(version.version());
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("expected_version.kind: unknown value ",
                       static_cast<int>(version.kind())));
  }
}

}  // namespace

namespace {

// An event's string fields, wire and engine side.
struct StringField {
  const std::string& (v1::EventData::*get)() const;
  std::string* (v1::EventData::*take)();
  std::string EventData::*to;
};
constexpr StringField kStringFields[] = {
    {&v1::EventData::id, &v1::EventData::mutable_id, &EventData::id},
    {&v1::EventData::type, &v1::EventData::mutable_type, &EventData::type},
    {&v1::EventData::source, &v1::EventData::mutable_source,
     &EventData::source},
    {&v1::EventData::correlation_id, &v1::EventData::mutable_correlation_id,
     &EventData::correlation_id},
    {&v1::EventData::causation_id, &v1::EventData::mutable_causation_id,
     &EventData::causation_id},
    {&v1::EventData::datacontenttype, &v1::EventData::mutable_datacontenttype,
     &EventData::content_type},
    {&v1::EventData::data, &v1::EventData::mutable_data, &EventData::payload},
};

// Converts `request`; with `take` (a mutable request), each event's strings
// are moved out rather than copied.
absl::StatusOr<AppendRequest> ConvertAppend(const v1::AppendRequest& request,
                                            v1::AppendRequest* take,
                                            const std::string& recorded_by) {
  AppendRequest append;
  append.stream = request.stream();
  absl::StatusOr<ExpectedVersion> expected =
      FromProto(request.expected_version());
  if (!expected.ok()) return expected.status();
  append.expected_version = *expected;
  append.recorded_by = recorded_by;
  append.events.reserve(request.events_size());
  for (int i = 0; i < request.events_size(); ++i) {
    const v1::EventData& in = request.events(i);
    EventData event;
    if (in.has_time()) {
      absl::StatusOr<int64_t> micros =
          MicrosFromTimestamp(in.time(), absl::StrCat("events[", i, "].time"));
      if (!micros.ok()) return micros.status();
      event.occurred_at_us = *micros;
    }
    for (const StringField& field : kStringFields) {
      event.*field.to =
          take != nullptr ? std::move(*(take->mutable_events(i)->*field.take)())
                          : (in.*field.get)();
    }
    append.events.push_back(std::move(event));
  }
  return append;
}

}  // namespace

absl::StatusOr<AppendRequest> FromProto(const v1::AppendRequest& request,
                                        const std::string& recorded_by) {
  return ConvertAppend(request, nullptr, recorded_by);
}

absl::StatusOr<AppendRequest> TakeFromProto(v1::AppendRequest* request,
                                            const std::string& recorded_by) {
  return ConvertAppend(*request, request, recorded_by);
}

void ToProto(const AppendResult& result, v1::AppendResponse* response) {
  response->set_first_position(result.first_position);
  response->set_last_position(result.last_position);
  response->set_stream_version(result.stream_version);
  response->set_deduplicated(result.deduplicated);
}

void ToProto(const RecordedEvent& event, v1::RecordedEvent* out) {
  out->set_position(event.position());
  out->set_subject(std::string(event.stream()));
  out->set_stream_version(event.stream_version());
  out->set_id(event.id());
  out->set_type(std::string(event.type()));
  out->set_source(std::string(event.source()));
  if (std::optional<int64_t> occurred = event.occurred_at_us()) {
    TimestampFromMicros(*occurred, out->mutable_time());
  }
  TimestampFromMicros(event.recorded_at_us(), out->mutable_recorded_time());
  out->set_recorded_by(std::string(event.recorded_by()));
  out->set_correlation_id(std::string(event.correlation_id()));
  out->set_causation_id(std::string(event.causation_id()));
  out->set_datacontenttype(std::string(event.content_type()));
  out->set_data_sha256(std::string(event.payload_sha256()));
  out->set_leaf_hash(std::string(event.leaf_hash()));
  out->set_header(std::string(event.header()));
  out->set_data(std::string(event.payload()));
  out->set_data_salt(std::string(event.payload_salt()));
  out->set_data_erased(event.payload_erased());
}

void ToRpcStatus(const absl::Status& status, const v1::AppendRequest* append,
                 v1::RpcStatus* out) {
  out->set_code(static_cast<int32_t>(status.code()));
  out->set_message(std::string(status.message()));
  std::optional<ActualVersion> actual = ActualVersionFromStatus(status);
  if (status.code() == absl::StatusCode::kAborted && actual &&
      append != nullptr) {
    v1::WrongExpectedVersion details;
    details.set_stream(append->stream());
    *details.mutable_expected() = append->expected_version();
    details.set_stream_exists(actual->stream_exists);
    details.set_actual_version(actual->version);
    out->add_details()->PackFrom(details);
  }
}

grpc::Status UnparsableRequest(absl::string_view full_name) {
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("not a ", full_name,
                   ": the request does not parse (bytes that are not that "
                   "message, or a string field with invalid UTF-8)"));
}

grpc::Status ToGrpcStatus(const absl::Status& status,
                          const v1::AppendRequest* append) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kAborted && append != nullptr) {
    v1::RpcStatus details;
    ToRpcStatus(status, append, &details);
    if (details.details_size() > 0) {
      return grpc::Status(code, message, details.SerializeAsString());
    }
  }
  return grpc::Status(code, message);
}

std::string AnonymousPrincipal(const std::string& peer) {
  // "ipv4:127.0.0.1:5123", "ipv6:[::1]:5123", "unix:/path".
  std::string host = peer;
  size_t scheme = host.find(':');
  if (scheme != std::string::npos) host = host.substr(scheme + 1);
  if (peer.rfind("unix:", 0) != 0) {
    size_t port = host.rfind(':');
    if (port != std::string::npos) host = host.substr(0, port);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return absl::StrCat("anonymous@", host);
}

}  // namespace missionlog
