#include "services/append_stream_reactor.h"

#include <utility>

#include "services/conversions.h"

namespace missionlog {

AppendStreamReactor::AppendStreamReactor(domain::CommandHandler* handler,
                                         AccessControl* access,
                                         const ServiceOptions& options,
                                         absl::StatusOr<Caller> caller,
                                         StreamSlot slot)
    : appends_(handler->NewSequence()),
      access_(access),
      options_(options),
      caller_(caller.ok() ? *caller : Caller{}),
      slot_(std::move(slot)) {
  if (!caller.ok()) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    Finish(ToGrpcStatus(caller.status()));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    reading_ = true;
  }
  StartRead(&request_);
}

void AppendStreamReactor::OnReadDone(bool ok) {
  uint64_t sequence = 0;
  {
    absl::MutexLock lock(&mu_);
    if (ok) {
      sequence = next_sequence_++;
      slots_.emplace_back();
      slots_.back().response.set_request_id(request_.request_id());
    }
  }
  // Unlocked (a validation error completes inline, which locks), and with
  // reading_ still set so that no new StartRead overwrites request_ yet.
  if (ok) Submit(sequence, request_);
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) reads_done_ = true;  // the client half-closed, or the call broke
    actions = Next();
  }
  Run(actions);
}

void AppendStreamReactor::Submit(uint64_t sequence,
                                 const v1::AppendStreamRequest& request) {
  absl::Status allowed = AccessControl::Check(caller_, Permission::kAppend,
                                              request.append().stream());
  if (allowed.ok()) {
    allowed = access_->ChargeAppend(caller_, request.append().events_size());
  }
  if (!allowed.ok()) {
    Complete(sequence, allowed, request.append());
    return;
  }
  absl::StatusOr<AppendRequest> append =
      FromProto(request.append(), caller_.principal);
  if (!append.ok()) {
    Complete(sequence, append.status(), request.append());
    return;
  }
  // The wire request is kept for error details; the engine gets the copy.
  auto wire = std::make_shared<v1::AppendRequest>(request.append());
  appends_->Append(std::move(append).value(),
                   [this, sequence, wire](absl::StatusOr<AppendResult> r) {
                     Complete(sequence, std::move(r), *wire);
                   });
}

void AppendStreamReactor::Complete(uint64_t sequence,
                                   absl::StatusOr<AppendResult> result,
                                   const v1::AppendRequest& append) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[sequence - first_sequence_];
    if (result.ok()) {
      ToProto(*result, slot.response.mutable_result());
    } else {
      ToRpcStatus(result.status(), &append, slot.response.mutable_error());
    }
    slot.done = true;
    actions = Next();
  }
  Run(actions);
}

void AppendStreamReactor::OnWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) cancelled_ = true;
    actions = Next();
  }
  Run(actions);
}

void AppendStreamReactor::OnCancel() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    actions = Next();
  }
  Run(actions);
}

AppendStreamReactor::Actions AppendStreamReactor::Next() {
  Actions actions;
  if (finished_) return actions;
  const bool idle = !writing_ && !reading_;
  if (cancelled_) {
    // Finish only once no engine callback can still reach this reactor.
    bool pending = false;
    for (const Slot& slot : slots_) pending |= !slot.done;
    if (!pending && idle) {
      finished_ = true;
      actions.finish = true;
      actions.status = grpc::Status::CANCELLED;
    }
    return actions;
  }
  if (!writing_ && !slots_.empty() && slots_.front().done) {
    writing_response_ = std::move(slots_.front().response);
    slots_.pop_front();
    ++first_sequence_;
    writing_ = true;
    actions.write = true;
    actions.more_ready = !slots_.empty() && slots_.front().done;
  }
  if (!reading_ && !reads_done_ &&
      slots_.size() < options_.max_stream_inflight) {
    reading_ = true;
    actions.read = true;
  }
  if (reads_done_ && slots_.empty() && !writing_ && !reading_) {
    finished_ = true;
    actions.finish = true;
    actions.status = grpc::Status::OK;
  }
  return actions;
}

void AppendStreamReactor::Run(const Actions& actions) {
  // writing_response_ is only touched again after OnWriteDone.
  if (actions.write) {
    StartWrite(&writing_response_, actions.more_ready
                                       ? grpc::WriteOptions().set_buffer_hint()
                                       : grpc::WriteOptions());
  }
  if (actions.read) StartRead(&request_);
  if (actions.finish) Finish(actions.status);
}

}  // namespace missionlog
