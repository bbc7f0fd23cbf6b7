#include "services/read_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/conversions.h"
#include "services/wire_encoding.h"

namespace missionlog {
namespace {

// Batches an unfiltered read of the log keeps fetched or fetching beside
// the one being sent. Three, not two, keep both workers busy while a
// message is sent (fetch times vary with the page cache): 1.02-1.08M
// events/s against 0.93-1.03M with two (alternating servers, six reads
// each), at most four 2 MiB messages held per read.
constexpr int kAheadBatches = 3;

}  // namespace

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
  uint64_t from = 0;
  bool predictable = false;
  switch (request.source_case()) {
    case v1::ReadRequest::kAll: {
      from = request.all().from_position();
      const uint64_t head = store_->GetHead().next_position;
      if (from > head) {
        Finish(grpc::Status(
            grpc::StatusCode::OUT_OF_RANGE,
            absl::StrCat("position ", from, " is past the log's head (", head,
                         " events): a position this server never "
                         "gave")));
        return;
      }
      predictable = request.all().filter().stream_prefix().empty() &&
                    request.all().filter().type_prefix().empty();
      break;
    }
    case v1::ReadRequest::kStream:
      if (request.stream().has_from_version()) {
        from = request.stream().from_version();
      } else {
        from = request.stream().backward() ? kEndOfStream : 0;
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
    depth_ = predictable ? kAheadBatches : 1;
    limit_ = request.limit() == 0 ? UINT64_MAX : request.limit();
    issue_from_ = from;
    issue_remaining_ = limit_;
    issue_known_ = true;
    IssueFetches(&next);
  }
  Carry(std::move(next));
}

void ReadReactor::Fetch(const std::shared_ptr<Batch>& batch) {
  batch->next = batch->from;
  if (cancelled_) {
    batch->status = absl::CancelledError();
  } else {
    batch->status = request_.source_case() == v1::ReadRequest::kAll
                        ? FetchAll(batch.get())
                        : FetchStream(batch.get());
  }
  Next next;
  {
    absl::MutexLock lock(&mu_);
    --fetching_;
    batch->fetched = true;
    Advance(&next);
  }
  Carry(std::move(next));
}

void ReadReactor::Advance(Next* next) {
  TakeFetched();
  StartWriteIfIdle(next);
  IssueFetches(next);
  FinishIfIdle(next);
}

void ReadReactor::TakeFetched() {
  // In order: a batch is taken only once every batch before it is.
  while (!end_status_ && !fetches_.empty() && fetches_.front()->fetched) {
    std::shared_ptr<Batch> batch = std::move(fetches_.front());
    fetches_.pop_front();
    if (!batch->status.ok()) {
      EndWith(batch->status.code() == absl::StatusCode::kCancelled
                  ? grpc::Status::CANCELLED
                  : ToGrpcStatus(batch->status));
      break;
    }
    // Every batch still in fetches_ starts where the one before it
    // stopped: one that stops short or last clears those issued after it.
    taken_ += batch->count;
    const bool last = batch->end || taken_ == limit_;
    if (last) {
      issued_all_ = true;
      fetches_.clear();  // any issued beyond the end are let go
      // ReadResponse: done, next (where a later read would go on) and end.
      AppendVarintField(2, 1, &batch->bytes);
      if (batch->next != 0) AppendVarintField(3, batch->next, &batch->bytes);
      if (batch->end) AppendVarintField(4, 1, &batch->bytes);
    } else if (depth_ == 1 || batch->count < batch->limit) {
      // One at a time, the next starts here; ahead, a batch that stopped
      // short (its bytes reached the message bound) leaves those issued
      // after it starting at the wrong place: they are let go.
      if (depth_ > 1) fetches_.clear();
      issue_from_ = batch->next;
      issue_remaining_ = limit_ - taken_;
      issue_known_ = true;
    }
    ready_.push_back(Ready{ToByteBuffer(std::move(batch->bytes)), last});
  }
}

void ReadReactor::IssueFetches(Next* next) {
  while (!end_status_ && !issued_all_ && issue_known_ &&
         static_cast<int>(fetches_.size() + ready_.size()) < depth_) {
    auto batch = std::make_shared<Batch>();
    batch->from = issue_from_;
    batch->limit = std::min<uint64_t>(issue_remaining_, options_.batch_events);
    if (depth_ > 1) {
      // The next starts where this one will stop if it is full.
      issue_from_ += batch->limit;
      issue_remaining_ -= batch->limit;
      if (issue_remaining_ == 0) issue_known_ = false;  // unless one is short
    } else {
      issue_known_ = false;  // until this one says where it stopped
    }
    ++fetching_;
    fetches_.push_back(batch);
    next->fetches.push_back(std::move(batch));
  }
}

void ReadReactor::StartWriteIfIdle(Next* next) {
  if (writing_ || end_status_ || ready_.empty()) return;
  writing_message_ = std::move(ready_.front().message);
  writing_last_ = ready_.front().last;
  ready_.pop_front();
  writing_ = true;
  next->write = &writing_message_;
}

void ReadReactor::EndWith(grpc::Status status) {
  if (!end_status_) end_status_ = std::move(status);
  fetches_.clear();  // those running finish and are let go
  ready_.clear();
}

void ReadReactor::FinishIfIdle(Next* next) {
  if (end_status_ && !writing_ && fetching_ == 0 && !finished_) {
    finished_ = true;
    next->finish = *end_status_;
  }
}

void ReadReactor::Carry(Next next) {
  // Nothing here touches the reactor after a StartWrite unless a fetch is
  // still due (fetching_ keeps the call from finishing until each has run).
  if (next.write != nullptr) StartWrite(next.write);
  for (std::shared_ptr<Batch>& batch : next.fetches) {
    if (workers_->Schedule([this, batch] { Fetch(batch); })) continue;
    Next after;
    {
      absl::MutexLock lock(&mu_);
      --fetching_;
      EndWith(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "the server's read queue is full; retry later"));
      FinishIfIdle(&after);
    }
    Carry(std::move(after));
  }
  if (next.finish) Finish(*next.finish);
}

absl::Status ReadReactor::FetchAll(Batch* batch) {
  ReadAllRequest read;
  read.from_position = batch->from;
  read.limit = static_cast<size_t>(batch->limit);
  read.stream_prefix = request_.all().filter().stream_prefix();
  read.type_prefix = request_.all().filter().type_prefix();
  // GetEntries serves the bytes as stored: its readers check every hash.
  read.verify = !leaves_only_;
  // Encoded as they are read: no copy of each event in between.
  uint64_t count = 0;
  std::string* out = &batch->bytes;
  absl::StatusOr<ReadAllResult> result =
      store_->ScanAll(read, [this, &count, out](const RecordedEvent& event) {
        AppendEvent(event, out);
        ++count;
        return absl::OkStatus();
      });
  if (!result.ok()) return result.status();
  batch->count = count;
  batch->next = result->next_position;
  batch->end = result->end_of_log;
  return absl::OkStatus();
}

absl::Status ReadReactor::FetchStream(Batch* batch) {
  ReadStreamRequest read;
  read.stream = request_.stream().stream();
  read.from_version = batch->from;
  read.direction =
      request_.stream().backward() ? Direction::kBackward : Direction::kForward;
  read.limit = static_cast<size_t>(batch->limit);
  absl::StatusOr<ReadStreamResult> result = store_->ReadStream(read);
  if (!result.ok()) return result.status();
  for (const RecordedEvent& event : result->events) {
    AppendEvent(event, &batch->bytes);
  }
  batch->count = result->events.size();
  bool end = result->end_of_stream;
  if (!result->events.empty()) {
    uint64_t last = result->events.back().stream_version();
    if (read.direction == Direction::kForward) {
      batch->next = last + 1;
    } else if (last == 0) {
      end = true;
    } else {
      batch->next = last - 1;
    }
  }
  // Backward, the end is version 0 (or a stream with no events): nothing is
  // left to read, and `next` says 0, not where this read began.
  if (end && read.direction == Direction::kBackward) batch->next = 0;
  batch->end = end;
  return absl::OkStatus();
}

void ReadReactor::AppendEvent(const RecordedEvent& event, std::string* out) {
  // ReadResponse.events
  if (leaves_only_) {
    AppendLogEntryField(1, event, out);
  } else {
    AppendRecordedEventField(1, event, out);
  }
}

void ReadReactor::OnWriteDone(bool ok) {
  Next next;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      EndWith(grpc::Status::CANCELLED);
    } else if (writing_last_) {
      EndWith(grpc::Status::OK);
    }
    Advance(&next);
  }
  Carry(std::move(next));
}

}  // namespace missionlog
