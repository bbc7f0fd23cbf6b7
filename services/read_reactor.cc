#include "services/read_reactor.h"

#include <algorithm>
#include <utility>

#include "services/conversions.h"
#include "services/wire_encoding.h"

namespace missionlog {

ReadReactor::ReadReactor(EventStore* store, WorkerPool* workers,
                         const ServiceOptions& options,
                         const grpc::ByteBuffer& raw_request)
    : store_(store), workers_(workers), options_(options) {
  if (!ParseByteBuffer(raw_request, &request_)) {
    Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a ReadRequest"));
    return;
  }
  Start();
}

ReadReactor::ReadReactor(EventStore* store, WorkerPool* workers,
                         const ServiceOptions& options, v1::ReadRequest request,
                         bool leaves_only)
    : store_(store),
      workers_(workers),
      options_(options),
      request_(std::move(request)),
      leaves_only_(leaves_only) {
  Start();
}

void ReadReactor::Start() {
  const v1::ReadRequest& request = request_;
  remaining_ = request.limit() == 0 ? UINT64_MAX : request.limit();
  switch (request.source_case()) {
    case v1::ReadRequest::kAll:
      next_ = request.all().from_position();
      break;
    case v1::ReadRequest::kStream:
      if (request.stream().has_from_version()) {
        next_ = request.stream().from_version();
      } else {
        next_ = request.stream().backward() ? kEndOfStream : 0;
      }
      break;
    default:
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "source: name a stream or the whole log (all)"));
      return;
  }
  ScheduleFetch();
}

void ReadReactor::ScheduleFetch() {
  if (!workers_->Schedule([this] { Fetch(); })) {
    Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the server's read queue is full; retry later"));
  }
}

void ReadReactor::Fetch() {
  if (cancelled_) {
    Finish(grpc::Status::CANCELLED);
    return;
  }
  bytes_.clear();
  absl::Status status = request_.source_case() == v1::ReadRequest::kAll
                            ? FetchAll()
                            : FetchStream();
  if (!status.ok()) {
    Finish(ToGrpcStatus(status));
    return;
  }
  if (done_) {
    AppendVarintField(2, 1, &bytes_);  // done
    if (next_ != 0) AppendVarintField(3, next_, &bytes_);
    if (end_) AppendVarintField(4, 1, &bytes_);
  }
  response_ = ToByteBuffer(bytes_);
  StartWrite(&response_);
}

absl::Status ReadReactor::FetchAll() {
  ReadAllRequest read;
  read.from_position = next_;
  read.limit = static_cast<size_t>(
      std::min<uint64_t>(remaining_, options_.batch_events));
  read.stream_prefix = request_.all().filter().stream_prefix();
  read.type_prefix = request_.all().filter().type_prefix();
  // GetEntries serves the bytes as stored: its readers check every hash.
  read.verify = !leaves_only_;
  // Encoded as they are read: no copy of each event in between.
  uint64_t count = 0;
  absl::StatusOr<ReadAllResult> result =
      store_->ScanAll(read, [this, &count](const RecordedEvent& event) {
        AppendEvent(event);
        ++count;
        return absl::OkStatus();
      });
  if (!result.ok()) return result.status();
  remaining_ -= count;
  next_ = result->next_position;
  done_ = result->end_of_log || remaining_ == 0;
  end_ = result->end_of_log;
  return absl::OkStatus();
}

absl::Status ReadReactor::FetchStream() {
  ReadStreamRequest read;
  read.stream = request_.stream().stream();
  read.from_version = next_;
  read.direction =
      request_.stream().backward() ? Direction::kBackward : Direction::kForward;
  read.limit = static_cast<size_t>(
      std::min<uint64_t>(remaining_, options_.batch_events));
  absl::StatusOr<ReadStreamResult> result = store_->ReadStream(read);
  if (!result.ok()) return result.status();
  AppendEvents(result->events);
  remaining_ -= result->events.size();
  bool end = result->end_of_stream;
  if (!result->events.empty()) {
    uint64_t last = result->events.back().stream_version();
    if (read.direction == Direction::kForward) {
      next_ = last + 1;
    } else if (last == 0) {
      end = true;
    } else {
      next_ = last - 1;
    }
  }
  done_ = end || remaining_ == 0;
  end_ = end;
  return absl::OkStatus();
}

void ReadReactor::AppendEvents(const std::vector<RecordedEvent>& events) {
  for (const RecordedEvent& event : events) AppendEvent(event);
}

void ReadReactor::AppendEvent(const RecordedEvent& event) {
  event_bytes_.clear();
  if (leaves_only_) {
    AppendLogEntry(event, &event_bytes_);
  } else {
    AppendRecordedEvent(event, &event_bytes_);
  }
  AppendLengthDelimited(1, event_bytes_, &bytes_);  // ReadResponse.events
}

void ReadReactor::OnWriteDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status::CANCELLED);
  } else if (done_) {
    Finish(grpc::Status::OK);
  } else {
    ScheduleFetch();
  }
}

}  // namespace missionlog
