#include "services/event_store_service.h"

#include <utility>
#include <vector>

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
      subscriptions_(access->quotas()) {
  SetMessageAllocatorFor_Append(&arena_messages_);
}

namespace {

// Holds one call's messages; gRPC releases it after the call's OnDone.
class ArenaHolder final
    : public grpc::MessageHolder<v1::AppendRequest, v1::AppendResponse> {
 public:
  ArenaHolder() : arena_(Options()) {
    set_request(
        google::protobuf::Arena::CreateMessage<v1::AppendRequest>(&arena_));
    set_response(
        google::protobuf::Arena::CreateMessage<v1::AppendResponse>(&arena_));
  }
  void Release() override { delete this; }
  // Only called by a handler that asks for it; Append does not.
  void FreeRequest() override {}

 private:
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions options;
    // A one-event request fits the first block; a batch of 100 takes a
    // few of the largest.
    options.start_block_size = 2048;
    options.max_block_size = 64 << 10;
    return options;
  }

  google::protobuf::Arena arena_;
};

}  // namespace

grpc::MessageHolder<v1::AppendRequest, v1::AppendResponse>*
EventStoreService::ArenaMessages::AllocateMessages() {
  return new ArenaHolder();
}

grpc::ServerUnaryReactor* EventStoreService::Append(
    grpc::CallbackServerContext* context, const v1::AppendRequest* request,
    v1::AppendResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      access_->Authorize(*context, Permission::kAppend, request->stream());
  absl::Status charged =
      caller.ok() ? access_->ChargeAppend(*caller, request->events_size())
                  : caller.status();
  if (!charged.ok()) {
    reactor->Finish(ToGrpcStatus(charged));
    return reactor;
  }
  // The request is this service's own (ArenaHolder made it, not const):
  // its payloads move into the append rather than being copied.
  absl::StatusOr<AppendRequest> append =
      TakeFromProto(const_cast<v1::AppendRequest*>(request), caller->principal);
  if (!append.ok()) {
    reactor->Finish(ToGrpcStatus(append.status()));
    return reactor;
  }
  // Completes on the engine's completion thread once durable: no thread
  // waits for the disk. Domain events are validated on a worker first.
  handler_->Append(
      std::move(append).value(),
      [reactor, request, response](absl::StatusOr<AppendResult> result) {
        if (result.ok()) {
          ToProto(*result, response);
          reactor->Finish(grpc::Status::OK);
        } else {
          reactor->Finish(ToGrpcStatus(result.status(), request));
        }
      });
  return reactor;
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
