#include "services/append_stream_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "services/conversions.h"
#include "services/wire_encoding.h"

namespace missionlog {
namespace {

constexpr char kMethod[] = "/missionlog.v1.EventStore/AppendStream";

}  // namespace

AppendStreamReactor::AppendStreamReactor(domain::CommandHandler* handler,
                                         AccessControl* access,
                                         const ServiceOptions& options,
                                         absl::StatusOr<Caller> caller,
                                         StreamSlot slot, CallMetrics* metrics,
                                         grpc::CallbackServerContext* context)
    : appends_(handler->NewSequence()),
      access_(access),
      options_(options),
      caller_(caller.ok() ? *caller : Caller{}),
      slot_(std::move(slot)),
      metrics_(metrics),
      context_(context),
      started_ns_(absl::GetCurrentTimeNanos()) {
  if (!caller.ok()) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    FinishCall(ToGrpcStatus(caller.status()));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    reading_ = true;
  }
  StartRead(&read_buffer_);
}

void AppendStreamReactor::OnReadDone(bool ok) {
  uint64_t sequence = 0;
  const bool parsed = ok && ParseByteBuffer(read_buffer_, &request_);
  {
    absl::MutexLock lock(&mu_);
    if (ok) {
      sequence = next_sequence_++;
      slots_.emplace_back();
      if (parsed) {
        slots_.back().response.set_request_id(request_.request_id());
      } else {
        v1::RpcStatus* error = slots_.back().response.mutable_error();
        error->set_code(
            static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
        error->set_message(absl::StrCat(
            "request ", sequence,
            " of this call (counting from 0) does not parse as "
            "missionlog.v1.AppendStreamRequest (a string field with invalid "
            "UTF-8?); nothing of it was written"));
        slots_.back().done = true;
      }
    }
  }
  // Unlocked (a validation error completes inline, which locks), and with
  // reading_ still set so that no new StartRead overwrites request_ yet.
  if (parsed) {
    Submit(sequence, &request_);
  } else if (ok) {
    CountAnswer(absl::InvalidArgumentError(
        absl::StrCat("request ", sequence,
                     " does not parse as "
                     "missionlog.v1.AppendStreamRequest")));
  }
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
                                 v1::AppendStreamRequest* request) {
  absl::Status allowed = AccessControl::Check(caller_, Permission::kAppend,
                                              request->append().stream());
  if (allowed.ok()) {
    allowed = access_->ChargeAppend(caller_, request->append().events_size());
  }
  if (!allowed.ok()) {
    Complete(sequence, allowed, request->append());
    return;
  }
  absl::StatusOr<AppendRequest> append =
      TakeFromProto(request->mutable_append(), caller_.principal);
  if (!append.ok()) {
    Complete(sequence, append.status(), request->append());
    return;
  }
  // What an error's details name (WrongExpectedVersion: the stream and the
  // version expected) is kept until the answer, not the events.
  auto wire = std::make_shared<v1::AppendRequest>();
  wire->set_stream(request->append().stream());
  *wire->mutable_expected_version() = request->append().expected_version();
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
  CountAnswer(result.status());
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
    bool own_buffer = false;
    writing_buffer_.Clear();  // the serializer wants an empty buffer
    grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::AppendStreamResponse>(
        writing_response_, &writing_buffer_, &own_buffer)
        .IgnoreError();  // a message we built always serializes
    // No buffer hint: a hinted write is not done (OnWriteDone) until a
    // later write flushes it, and the next write waits for OnWriteDone.
    StartWrite(&writing_buffer_);
  }
  if (actions.read) StartRead(&read_buffer_);
  if (actions.finish) FinishCall(actions.status);
}

void AppendStreamReactor::FinishCall(const grpc::Status& status) {
  if (metrics_ != nullptr) {
    metrics_->Ended(kMethod, status, started_ns_, context_, nullptr);
  }
  Finish(status);
}

void AppendStreamReactor::CountAnswer(const absl::Status& status) {
  if (metrics_ == nullptr) return;
  metrics_->RecordStreamRequest(static_cast<int>(status.code()));
  // The call authenticated once; its principal is known here.
  metrics_->Refused(kMethod,
                    grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                                 std::string(status.message())),
                    context_, &caller_.principal);
}

}  // namespace missionlog
