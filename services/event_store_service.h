// The EventStore gRPC service (proto/missionlog/v1/store.proto) over the
// engine, on gRPC's callback API. No callback blocks: appends complete on
// the engine's completion thread, storage reads run on the worker pool, and
// each streaming call is a reactor that lives until OnDone.
#ifndef MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_
#define MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_

#include <cstddef>
#include <memory>

#include "absl/time/time.h"
#include "base/worker_pool.h"
#include "domain/command_handler.h"
#include "eventstore/event_log.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/access_control.h"
#include "services/call_metrics.h"
#include "services/encoded_events.h"
#include "services/service_options.h"
#include "services/subscriptions.h"

namespace missionlog {

// Read and Subscribe are raw methods: their responses are encoded by hand
// from the engine's records (wire_encoding.h), the hot path of every reader.
// AppendStream is raw too, so that a request that does not parse (a string
// with invalid UTF-8) is answered with its own error instead of looking
// like the end of the stream to gRPC's generated code. So is Append, the
// hot unary method: it parses its own request (INVALID_ARGUMENT when that
// fails, where gRPC would answer an empty UNIMPLEMENTED) and counts itself
// in the call metrics, so the metrics' interceptor skips it (its hooks
// cost each append a few microseconds of gRPC's threads).
// Safe for concurrent use: gRPC calls it from many threads.
class EventStoreService final
    : public v1::EventStore::WithRawCallbackMethod_Append<
          v1::EventStore::WithRawCallbackMethod_AppendStream<
              v1::EventStore::WithRawCallbackMethod_Read<
                  v1::EventStore::WithRawCallbackMethod_Subscribe<
                      v1::EventStore::WithCallbackMethod_GetStreamInfo<
                          v1::EventStore::WithCallbackMethod_GetHead<
                              v1::EventStore::Service>>>>>> {
 public:
  // All must outlive the service. Every call is authorized by `access`
  // first; appends take the domain's command path (`handler`), so a raw
  // append of a domain event gets the guarantees a typed command does.
  EventStoreService(EventLog* store, domain::CommandHandler* handler,
                    WorkerPool* workers, AccessControl* access,
                    const ServiceOptions& options);

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AppendStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Read(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetStreamInfo(
      grpc::CallbackServerContext* context,
      const v1::GetStreamInfoRequest* request,
      v1::GetStreamInfoResponse* response) override;
  grpc::ServerUnaryReactor* GetHead(grpc::CallbackServerContext* context,
                                    const v1::GetHeadRequest* request,
                                    v1::GetHeadResponse* response) override;

  // Ends every open subscription with UNAVAILABLE ("shutting down") and
  // refuses new ones; called before the server shuts down.
  void EndSubscriptions() { subscriptions_.EndAll(); }
  // Subscribe calls open now.
  size_t open_subscriptions() { return subscriptions_.open(); }
  // Events committed beyond the furthest-behind subscription's last
  // message (0 with none open).
  uint64_t slowest_subscription_lag() {
    const uint64_t head = store_->GetHead().next_position;
    const uint64_t slowest = subscriptions_.SlowestPosition(head);
    return head > slowest ? head - slowest : 0;
  }
  // Where Append and AppendStream calls and AppendStream's requests are
  // counted (and refused ones told, CallMetrics::on_refused); set before
  // the server starts.
  void set_call_metrics(CallMetrics* metrics) { call_metrics_ = metrics; }

 private:
  struct AppendCall;
  // Counts the Append call `call` in the call metrics, tells a refusal, and
  // finishes it with `status`.
  void FinishAppend(std::unique_ptr<AppendCall> call,
                    const grpc::Status& status);

  CallMetrics* call_metrics_ = nullptr;
  EventLog* const store_;
  WorkerPool* const workers_;
  AccessControl* const access_;
  const ServiceOptions options_;
  domain::CommandHandler* const handler_;
  EncodedEvents encoded_;    // shared by all subscriptions
  SharedMessages messages_;  // and so are these
  Subscriptions subscriptions_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_
