#include "services/read_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/conversions.h"
#include "services/wire_encoding.h"

namespace missionlog {

ReadReactor::ReadReactor(EventLog* store, WorkerPool* workers,
                         const ServiceOptions& options,
                         const grpc::ByteBuffer& raw_request)
    : store_(store), workers_(workers), options_(options) {
  if (!ParseByteBuffer(raw_request, &request_)) {
    Finish(UnparsableRequest("missionlog.v1.ReadRequest"));
    return;
  }
  Start();
}

ReadReactor::ReadReactor(EventLog* store, WorkerPool* workers,
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
    case v1::ReadRequest::kAll: {
      next_ = request.all().from_position();
      const uint64_t head = store_->GetHead().next_position;
      if (next_ > head) {
        Finish(grpc::Status(
            grpc::StatusCode::OUT_OF_RANGE,
            absl::StrCat("position ", next_, " is past the log's head (", head,
                         " events): a position this server never "
                         "gave")));
        return;
      }
      break;
    }
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
  Next next;
  {
    absl::MutexLock lock(&mu_);
    fetching_ = true;
    next.fetch = true;
  }
  Carry(std::move(next));
}

void ReadReactor::Fetch() {
  absl::Status status = absl::CancelledError();
  if (!cancelled_) {
    bytes_.clear();
    status = request_.source_case() == v1::ReadRequest::kAll ? FetchAll()
                                                             : FetchStream();
  }
  grpc::ByteBuffer message;
  if (status.ok()) {
    if (done_) {
      AppendVarintField(2, 1, &bytes_);  // done
      if (next_ != 0) AppendVarintField(3, next_, &bytes_);
      if (end_) AppendVarintField(4, 1, &bytes_);
    }
    // A copy: bytes_ keeps its warm buffer for the next batch (handing it
    // over and growing a new one each time was slower).
    message = ToByteBuffer(bytes_);
  }
  Next next;
  {
    absl::MutexLock lock(&mu_);
    fetching_ = false;
    if (end_status_) {
      // A write failed meanwhile: the batch has nowhere to go.
    } else if (!status.ok()) {
      EndWith(status.code() == absl::StatusCode::kCancelled
                  ? grpc::Status::CANCELLED
                  : ToGrpcStatus(status));
    } else {
      const int slot = writing_ == 0 ? 1 : 0;
      messages_[slot] = std::move(message);
      if (writing_ == -1) {
        StartWriting(slot, done_, &next);
      } else {
        ready_ = slot;
        ready_last_ = done_;
      }
    }
    FinishIfIdle(&next);
  }
  Carry(std::move(next));
}

void ReadReactor::EndWith(grpc::Status status) {
  if (!end_status_) end_status_ = std::move(status);
}

void ReadReactor::StartWriting(int slot, bool last, Next* next) {
  writing_ = slot;
  writing_last_ = last;
  next->write = &messages_[slot];
  if (!last) {
    fetching_ = true;
    next->fetch = true;
  }
}

void ReadReactor::FinishIfIdle(Next* next) {
  if (end_status_ && writing_ == -1 && !fetching_ && !finished_) {
    finished_ = true;
    next->finish = *end_status_;
  }
}

void ReadReactor::Carry(Next next) {
  // Nothing here touches the reactor after a StartWrite unless a fetch is
  // still due (fetching_ keeps the call from finishing until it has run).
  if (next.write != nullptr) StartWrite(next.write);
  if (next.fetch && !workers_->Schedule([this] { Fetch(); })) {
    Next after;
    {
      absl::MutexLock lock(&mu_);
      fetching_ = false;
      EndWith(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "the server's read queue is full; retry later"));
      FinishIfIdle(&after);
    }
    Carry(std::move(after));
  }
  if (next.finish) Finish(*next.finish);
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
  // Backward, the end is version 0 (or a stream with no events): nothing is
  // left to read, and `next` says 0, not where this read began.
  if (end && read.direction == Direction::kBackward) next_ = 0;
  done_ = end || remaining_ == 0;
  end_ = end;
  return absl::OkStatus();
}

void ReadReactor::AppendEvents(const std::vector<RecordedEvent>& events) {
  for (const RecordedEvent& event : events) AppendEvent(event);
}

void ReadReactor::AppendEvent(const RecordedEvent& event) {
  // ReadResponse.events
  if (leaves_only_) {
    AppendLogEntryField(1, event, &bytes_);
  } else {
    AppendRecordedEventField(1, event, &bytes_);
  }
}

void ReadReactor::OnWriteDone(bool ok) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    writing_ = -1;
    if (!ok) {
      ready_ = -1;
      EndWith(grpc::Status::CANCELLED);
    } else if (writing_last_) {
      EndWith(grpc::Status::OK);
    } else if (ready_ != -1) {
      const int slot = ready_;
      ready_ = -1;
      StartWriting(slot, ready_last_, &next);
    }
    FinishIfIdle(&next);
  }
  Carry(std::move(next));
}

}  // namespace missionlog
