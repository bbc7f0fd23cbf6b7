#include "services/event_store_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "google/protobuf/arena.h"
#include "services/append_stream_reactor.h"
#include "services/conversions.h"
#include "services/read_reactor.h"
#include "services/subscribe_reactor.h"
#include "services/wire_encoding.h"

namespace missionlog {

EventStoreService::EventStoreService(EventLog* store,
                                     domain::CommandHandler* handler,
                                     WorkerPool* workers, AccessControl* access,
                                     const ServiceOptions& options)
    : store_(store),
      workers_(workers),
      access_(access),
      options_(options),
      handler_(handler),
      encoded_(options.encoded_events, options.encoded_event_bytes),
      messages_(options.shared_message_bytes),
      subscriptions_(access->quotas()) {}

namespace {

google::protobuf::ArenaOptions AppendArenaOptions() {
  google::protobuf::ArenaOptions options;
  // A one-event request fits the first block; a batch of 100 takes a few
  // of the largest.
  options.start_block_size = 2048;
  options.max_block_size = 64 << 10;
  return options;
}

}  // namespace

// One unary Append's request and response on a protobuf arena of its own:
// the parse of a request's events (a string or more per field) takes a few
// arena blocks instead of a heap allocation per string, freed at once when
// the call is answered.
struct EventStoreService::AppendCall {
  AppendCall(grpc::CallbackServerContext* context, grpc::ByteBuffer* response)
      : context(context),
        reactor(context->DefaultReactor()),
        response_buffer(response) {}

  grpc::CallbackServerContext* const context;
  grpc::ServerUnaryReactor* const reactor;
  grpc::ByteBuffer* const response_buffer;  // the answer, serialized
  const int64_t started_ns = absl::GetCurrentTimeNanos();
  // The caller's principal once authenticated (for the refusal log).
  std::string principal;
  bool authenticated = false;
  // Declared before the messages it holds.
  google::protobuf::Arena arena{AppendArenaOptions()};
  v1::AppendRequest* const request =
      google::protobuf::Arena::CreateMessage<v1::AppendRequest>(&arena);
  v1::AppendResponse* const response =
      google::protobuf::Arena::CreateMessage<v1::AppendResponse>(&arena);
};

grpc::ServerUnaryReactor* EventStoreService::Append(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw,
    grpc::ByteBuffer* raw_response) {
  auto call = std::make_unique<AppendCall>(context, raw_response);
  grpc::ServerUnaryReactor* reactor = call->reactor;
  if (!ParseByteBuffer(*raw, call->request)) {
    FinishAppend(std::move(call),
                 UnparsableRequest("missionlog.v1.AppendRequest"));
    return reactor;
  }
  absl::StatusOr<Caller> caller = access_->Authorize(
      *context, Permission::kAppend, call->request->stream());
  absl::Status charged =
      caller.ok() ? access_->ChargeAppend(*caller, call->request->events_size())
                  : caller.status();
  if (caller.ok()) {
    call->principal = caller->principal;
    call->authenticated = true;
  }
  if (!charged.ok()) {
    FinishAppend(std::move(call), ToGrpcStatus(charged));
    return reactor;
  }
  // The call owns the request: its payloads move into the append rather
  // than being copied.
  absl::StatusOr<AppendRequest> append =
      TakeFromProto(call->request, caller->principal);
  if (!append.ok()) {
    FinishAppend(std::move(call), ToGrpcStatus(append.status()));
    return reactor;
  }
  // Completes on the engine's completion thread once durable: no thread
  // waits for the disk. Domain events are validated on a worker first.
  // (std::function must be copyable: the call is released into it and
  // taken back once.)
  AppendCall* pending = call.release();
  handler_->Append(std::move(append).value(),
                   [this, pending](absl::StatusOr<AppendResult> result) {
                     std::unique_ptr<AppendCall> call(pending);
                     if (!result.ok()) {
                       const grpc::Status status =
                           ToGrpcStatus(result.status(), call->request);
                       FinishAppend(std::move(call), status);
                       return;
                     }
                     ToProto(*result, call->response);
                     bool own = false;
                     grpc::SerializationTraits<v1::AppendResponse>::Serialize(
                         *call->response, call->response_buffer, &own)
                         .IgnoreError();  // a message we built serializes
                     FinishAppend(std::move(call), grpc::Status::OK);
                   });
  return reactor;
}

void EventStoreService::FinishAppend(std::unique_ptr<AppendCall> call,
                                     const grpc::Status& status) {
  if (call_metrics_ != nullptr) {
    call_metrics_->Ended(kSelfCountedUnaryMethod, status, call->started_ns,
                         call->context,
                         call->authenticated ? &call->principal : nullptr);
  }
  grpc::ServerUnaryReactor* reactor = call->reactor;
  call.reset();  // the request and response are done with
  reactor->Finish(status);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
EventStoreService::AppendStream(grpc::CallbackServerContext* context) {
  absl::StatusOr<Caller> caller = access_->Authenticate(*context);
  absl::StatusOr<StreamSlot> slot =
      caller.ok() ? access_->OpenStream(*context) : caller.status();
  if (!slot.ok()) caller = slot.status();
  return new AppendStreamReactor(handler_, access_, options_, std::move(caller),
                                 slot.ok() ? *std::move(slot) : StreamSlot(),
                                 call_metrics_, context);
}

namespace {

// Finishes a call at once with `status`.
class FailedWrite : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedWrite(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// What a read of `request` covers: its stream, or the stream prefix of its
// filter ("" for the whole log).
absl::string_view ReadResource(const v1::ReadRequest& request) {
  if (request.source_case() == v1::ReadRequest::kStream) {
    return request.stream().stream();
  }
  return request.all().filter().stream_prefix();
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventStoreService::Read(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::ReadRequest request;
  if (!ParseByteBuffer(*raw, &request)) {
    return new FailedWrite(UnparsableRequest("missionlog.v1.ReadRequest"));
  }
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kRead, ReadResource(request));
  if (!caller.ok()) return new FailedWrite(ToGrpcStatus(caller.status()));
  return new ReadReactor(store_, workers_, options_, std::move(request),
                         /*leaves_only=*/false);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventStoreService::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::SubscribeRequest request;
  if (!ParseByteBuffer(*raw, &request)) {
    return new FailedWrite(UnparsableRequest("missionlog.v1.SubscribeRequest"));
  }
  absl::StatusOr<Caller> caller = access_->Authorize(
      *context, Permission::kRead, request.filter().stream_prefix());
  absl::StatusOr<StreamSlot> slot =
      caller.ok() ? access_->OpenStream(*context) : caller.status();
  if (!slot.ok()) return new FailedWrite(ToGrpcStatus(slot.status()));
  absl::Status opened = access_->OpenSubscription(*caller);
  if (!opened.ok()) return new FailedWrite(ToGrpcStatus(opened));
  return new SubscribeReactor(&subscriptions_, store_, &encoded_, &messages_,
                              workers_, options_, request, *std::move(caller),
                              *std::move(slot));
}

grpc::ServerUnaryReactor* EventStoreService::GetStreamInfo(
    grpc::CallbackServerContext* context,
    const v1::GetStreamInfoRequest* request,
    v1::GetStreamInfoResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kRead,
                               request->stream())) {
    return reactor;
  }
  bool scheduled = workers_->Schedule([this, reactor, request, response] {
    absl::StatusOr<StreamInfo> info = store_->GetStreamInfo(request->stream());
    if (!info.ok()) {
      reactor->Finish(ToGrpcStatus(info.status()));
      return;
    }
    response->set_exists(info->exists);
    response->set_last_version(info->last_version);
    response->set_last_position(info->last_position);
    reactor->Finish(grpc::Status::OK);
  });
  if (!scheduled) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's read queue is full"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* EventStoreService::GetHead(
    grpc::CallbackServerContext* context, const v1::GetHeadRequest* /*request*/,
    v1::GetHeadResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Any authenticated principal may see how long the log is.
  absl::StatusOr<Caller> caller = access_->Authenticate(*context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  Head head = store_->GetHead();
  response->set_next_position(head.next_position);
  response->set_last_recorded_at_us(head.last_recorded_at_us);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace missionlog
