#include "services/subscribe_reactor.h"

#include <utility>

#include "absl/time/clock.h"
#include "services/conversions.h"

namespace missionlog {

SubscribeReactor::SubscribeReactor(EventStoreService* service,
                                   EventStore* store, WorkerPool* workers,
                                   const ServiceOptions& options,
                                   const v1::SubscribeRequest& request)
    : service_(service),
      store_(store),
      workers_(workers),
      options_(options),
      filter_(request.filter()),
      wakeup_(std::make_shared<WakeupBox>()) {
  {
    absl::MutexLock lock(&wakeup_->mu);
    wakeup_->reactor = this;
  }
  position_ = request.start_case() == v1::SubscribeRequest::kFromNow
                  ? store->GetHead().next_position
                  : request.from_position();
  reported_ = position_;
  last_report_ = absl::Now();
  if (!service_->Register(this)) {
    FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the server is shutting down"));
    return;
  }
  ScheduleFetch();
}

void SubscribeReactor::ScheduleFetch() {
  if (!workers_->Schedule([this] { Fetch(); })) {
    FinishOnce(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            "the server's read queue is full; retry later"));
  }
}

void SubscribeReactor::Fetch() {
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
  ReadAllRequest read;
  read.from_position = position_;
  read.limit = options_.batch_events;
  read.stream_prefix = filter_.stream_prefix();
  read.type_prefix = filter_.type_prefix();
  absl::StatusOr<ReadAllResult> result = store_->ReadAll(read);
  if (!result.ok()) {
    FinishOnce(ToGrpcStatus(result.status()));
    return;
  }
  response_.Clear();
  position_ = result->next_position;
  if (!result->events.empty()) {
    v1::EventBatch* batch = response_.mutable_events();
    for (const RecordedEvent& event : result->events) {
      ToProto(event, batch->add_events());
    }
    reported_ = position_;
    last_report_ = absl::Now();
    StartWrite(&response_);
    return;
  }
  if (!result->end_of_log) {
    // A filter passed over a stretch without a match.
    if (position_ - reported_ >= options_.checkpoint_every) {
      response_.mutable_checkpoint()->set_position(position_);
      reported_ = position_;
      StartWrite(&response_);
    } else {
      ScheduleFetch();
    }
    return;
  }
  if (!caught_up_sent_) {
    caught_up_sent_ = true;
    response_.mutable_caught_up()->set_position(position_);
    reported_ = position_;
    last_report_ = absl::Now();
    StartWrite(&response_);
    return;
  }
  // At the head, a filter may have passed over new events: say so now and
  // then, so the subscriber's resume point keeps up.
  if (position_ != reported_ &&
      (position_ - reported_ >= options_.checkpoint_every ||
       absl::Now() - last_report_ >= options_.checkpoint_interval)) {
    response_.mutable_checkpoint()->set_position(position_);
    reported_ = position_;
    last_report_ = absl::Now();
    StartWrite(&response_);
    return;
  }
  // At the head with nothing to say: wait for the next commit past it.
  std::shared_ptr<WakeupBox> box = wakeup_;
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
  ScheduleFetch();  // Fetch looks at ending_ first
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
  service_->Unregister(this);
  delete this;
}

}  // namespace missionlog
