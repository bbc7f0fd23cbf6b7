#include "services/subscribe_reactor.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/conversions.h"
#include "services/wire_encoding.h"

namespace missionlog {

SubscribeReactor::SubscribeReactor(Subscriptions* subscriptions,
                                   EventLog* store, EncodedEvents* encoded,
                                   SharedMessages* messages,
                                   WorkerPool* workers,
                                   const ServiceOptions& options,
                                   const v1::SubscribeRequest& request,
                                   Caller caller, StreamSlot slot)
    : subscriptions_(subscriptions),
      store_(store),
      encoded_(encoded),
      messages_(messages),
      workers_(workers),
      options_(options),
      filter_(request.filter()),
      caller_(std::move(caller)),
      slot_(std::move(slot)),
      wakeup_(std::make_shared<WakeupBox>()) {
  {
    absl::MutexLock lock(&wakeup_->mu);
    wakeup_->reactor = this;
  }
  position_ = request.start_case() == v1::SubscribeRequest::kFromNow
                  ? store->GetHead().next_position
                  : request.from_position();
  reported_ = position_;
  examined_.store(position_, std::memory_order_relaxed);
  last_report_ = absl::Now();
  if (const uint64_t head = store->GetHead().next_position; position_ > head) {
    FinishOnce(grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("from_position ", position_, " is past the log's head (",
                     head, " events): a position this server never gave")));
    return;
  }
  if (!subscriptions_->Register(this)) {
    FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the server is shutting down"));
    return;
  }
  ScheduleFetch();
}

void SubscribeReactor::ScheduleFetch() {
  if (!workers_->Schedule([this] { Fetch(/*memory_only=*/false); })) {
    FinishOnce(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "the server's read queue is full; retry later"));
  }
}

void SubscribeReactor::Fetch(bool memory_only) {
  bool end = false;
  grpc::Status end_status;
  {
    absl::MutexLock lock(&mu_);
    if (ending_) {
      end = true;
      end_status = end_status_;
    }
  }
  if (end) {
    FinishOnce(end_status);
    return;
  }
  // At the head, every subscriber with this filter woken by a commit would
  // build the same message: the first does, the others send its bytes
  // without touching an event (copying and releasing a shared pointer per
  // event per subscriber was a quarter of the workers' CPU in a fan-out).
  erasures_ = store_->Erasures();
  uint64_t to = 0;
  if (messages_->GetFrom(position_, filter_.stream_prefix(),
                         filter_.type_prefix(), erasures_, &response_, &to)) {
    position_ = to;
    WriteResponse();
    return;
  }
  std::vector<SharedEncodedEvent> events;
  bool end_of_log = false;
  if (!CachedEvents(&events, &end_of_log)) {
    if (memory_only) {  // a storage read: not on gRPC's thread
      ScheduleFetch();
      return;
    }
    absl::Status read = ReadEvents(&events, &end_of_log);
    if (!read.ok()) {
      FinishOnce(ToGrpcStatus(read));
      return;
    }
  }
  const SharedMessages::Key key{position_, position_ + events.size(),
                                filter_.stream_prefix(), filter_.type_prefix(),
                                erasures_};
  position_ += events.size();
  if (!events.empty() && messages_->Get(key, &response_)) {
    WriteResponse();  // another subscriber's message, the same bytes
    return;
  }
  // The message (SubscribeResponse.events, each event in it) is built in
  // one buffer of the exact size, which the write then takes without a
  // copy, and is kept for the subscribers that would build it again.
  size_t batch_size = 0;
  size_t matched = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const EncodedEvent& event = *events[i];
    if (absl::StartsWith(event.stream, filter_.stream_prefix()) &&
        absl::StartsWith(event.type, filter_.type_prefix())) {
      batch_size += LengthDelimitedSize(1, event.bytes.size());
      if (i != matched) events[matched] = std::move(events[i]);
      ++matched;
    }
  }
  if (matched > 0) {
    std::string message;
    message.reserve(LengthDelimitedSize(1, batch_size));
    AppendLengthDelimitedHeader(1, batch_size, &message);  // events
    for (size_t i = 0; i < matched; ++i) {
      AppendLengthDelimited(1, events[i]->bytes, &message);
    }
    response_ = ToByteBuffer(std::move(message));
    messages_->Put(key, response_);
    WriteResponse();
    return;
  }
  std::string position;
  if (position_ != 0) AppendVarintField(1, position_, &position);
  if (!end_of_log) {
    // A filter passed over a stretch without a match.
    if (position_ - reported_ >= options_.checkpoint_every) {
      WriteMessage(3, position);  // checkpoint
    } else {
      ScheduleFetch();
    }
    return;
  }
  if (!caught_up_sent_) {
    caught_up_sent_ = true;
    WriteMessage(2, position);  // caught_up
    return;
  }
  // At the head, a filter may have passed over new events: say so now and
  // then, so the subscriber's resume point keeps up.
  if (position_ != reported_ &&
      (position_ - reported_ >= options_.checkpoint_every ||
       absl::Now() - last_report_ >= options_.checkpoint_interval)) {
    WriteMessage(3, position);  // checkpoint
    return;
  }
  // At the head with nothing to say: wait for the next commit past it,
  // or, if skipped positions are unreported, at most until the interval
  // is up (the log may stay quiet).
  std::shared_ptr<WakeupBox> box = wakeup_;
  if (position_ != reported_) {
    checkpoint_alarm_ = std::make_unique<grpc::Alarm>();
    checkpoint_alarm_->Set(
        absl::ToChronoTime(last_report_ + options_.checkpoint_interval),
        [box](bool fired) {
          if (!fired) return;  // cancelled: the reactor moved on
          absl::MutexLock lock(&box->mu);
          if (box->reactor != nullptr) box->reactor->Wake();
        });
  }
  bool registered = store_->NotifyWhenBeyond(position_, [box] {
    absl::MutexLock lock(&box->mu);
    if (box->reactor != nullptr) box->reactor->Wake();
  });
  if (!registered) {  // something committed meanwhile
    ScheduleFetch();
    return;
  }
  bool fetch_again = false;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kWoken || ending_) {
      // Woken before we got here, or ending: look again rather than wait.
      state_ = State::kBusy;
      fetch_again = true;
    } else {
      state_ = State::kWaiting;
    }
  }
  if (fetch_again) ScheduleFetch();
}

bool SubscribeReactor::CachedEvents(std::vector<SharedEncodedEvent>* events,
                                    bool* end_of_log) {
  // At the erasure count Fetch has just read.
  const uint64_t head = store_->GetHead().next_position;
  if (position_ >= head) {
    *end_of_log = true;
    return true;
  }
  encoded_->Get(position_, options_.batch_events, erasures_, events);
  *end_of_log = position_ + events->size() >= head;
  return !events->empty();
}

absl::Status SubscribeReactor::ReadEvents(
    std::vector<SharedEncodedEvent>* events, bool* end_of_log) {
  // Not cached: read unfiltered (so the cache stays contiguous for every
  // subscriber), encode, and share.
  ReadAllRequest read;
  read.from_position = position_;
  read.limit = options_.batch_events;
  erasures_ = store_->Erasures();  // before the read: see EncodedEvents::Put
  absl::StatusOr<ReadAllResult> result = store_->ReadAll(read);
  if (!result.ok()) return result.status();
  for (const RecordedEvent& event : result->events) {
    auto encoded = std::make_shared<EncodedEvent>();
    encoded->stream = std::string(event.stream());
    encoded->type = std::string(event.type());
    AppendRecordedEvent(event, &encoded->bytes);
    events->push_back(std::move(encoded));
  }
  encoded_->Put(position_, *events, erasures_);
  *end_of_log = result->end_of_log;
  return absl::OkStatus();
}

void SubscribeReactor::WriteMessage(int field, const std::string& bytes) {
  std::string message;
  AppendLengthDelimited(field, bytes, &message);
  Send(std::move(message));
}

void SubscribeReactor::Send(std::string message) {
  response_ = ToByteBuffer(std::move(message));
  WriteResponse();
}

void SubscribeReactor::WriteResponse() {
  reported_ = position_;
  examined_.store(position_, std::memory_order_relaxed);
  last_report_ = absl::Now();
  StartWrite(&response_);
}

void SubscribeReactor::Wake() {
  bool fetch = false;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kWaiting) {
      state_ = State::kBusy;
      fetch = true;
    } else if (state_ == State::kBusy) {
      state_ = State::kWoken;  // the fetch or write in flight looks again
    }
  }
  if (fetch) ScheduleFetch();
}

void SubscribeReactor::OnWriteDone(bool ok) {
  if (!ok) {
    FinishOnce(grpc::Status::CANCELLED);
    return;
  }
  // On gRPC's thread: what memory holds (the usual case at the head, where
  // the next batch is cached or nothing is new) is sent from here, without
  // a hop to a worker; a storage read is handed to one. Fetch looks at
  // ending_ first.
  Fetch(/*memory_only=*/true);
}

void SubscribeReactor::OnCancel() { End(grpc::Status::CANCELLED); }

void SubscribeReactor::End(const grpc::Status& status) {
  bool fetch = false;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kFinished || ending_) return;
    ending_ = true;
    end_status_ = status;
    if (state_ == State::kWaiting) {
      state_ = State::kBusy;
      fetch = true;  // the fetch sees ending_ and finishes
    }
  }
  if (fetch) ScheduleFetch();
}

void SubscribeReactor::FinishOnce(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kFinished) return;
    state_ = State::kFinished;
  }
  Finish(status);
}

void SubscribeReactor::OnDone() {
  {
    absl::MutexLock lock(&wakeup_->mu);
    wakeup_->reactor = nullptr;
  }
  subscriptions_->Unregister(this, caller_);
  delete this;
}

}  // namespace missionlog
