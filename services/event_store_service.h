// The EventStore gRPC service (proto/missionlog/v1/store.proto) over the
// engine, on gRPC's callback API. No callback blocks: appends complete on
// the engine's completion thread, storage reads run on the worker pool, and
// each streaming call is a reactor that lives until OnDone.
#ifndef MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_
#define MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_

#include <cstddef>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/worker_pool.h"
#include "domain/command_handler.h"
#include "eventstore/event_log.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/access_control.h"
#include "services/encoded_events.h"

namespace missionlog {

class SubscribeReactor;

struct ServiceOptions {
  // Events per streamed message (Read and Subscribe).
  size_t batch_events = 1000;
  // Positions a filtered subscription may pass over without a message
  // before it sends a checkpoint.
  uint64_t checkpoint_every = 10000;
  // ... and at the head, at least this often while a filter skips events.
  absl::Duration checkpoint_interval = absl::Seconds(1);
  // Recent events kept encoded for subscribers (see EncodedEvents).
  size_t encoded_events = 100000;
  size_t encoded_event_bytes = 64 << 20;
  // Appends in flight on one AppendStream call.
  size_t max_stream_inflight = 256;
};

// Read and Subscribe are raw methods: their responses are encoded by hand
// from the engine's records (wire_encoding.h), the hot path of every reader.
class EventStoreService final
    : public v1::EventStore::WithRawCallbackMethod_Read<
          v1::EventStore::WithRawCallbackMethod_Subscribe<
              v1::EventStore::CallbackService>> {
 public:
  // All must outlive the service. Every call is authorized by `access`
  // first; appends take the domain's command path (`handler`), so a raw
  // append of a domain event gets the guarantees a typed command does.
  EventStoreService(EventLog* store, domain::CommandHandler* handler,
                    WorkerPool* workers, AccessControl* access,
                    const ServiceOptions& options);

  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const v1::AppendRequest* request,
                                   v1::AppendResponse* response) override;
  grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse>*
  AppendStream(grpc::CallbackServerContext* context) override;
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
  void EndSubscriptions();

  // Subscriptions register themselves while they are open.
  // False once EndSubscriptions has run.
  bool Register(SubscribeReactor* reactor);
  // Also closes `caller`'s count of open subscriptions.
  void Unregister(SubscribeReactor* reactor, const Caller& caller);

 private:
  EventLog* const store_;
  WorkerPool* const workers_;
  AccessControl* const access_;
  const ServiceOptions options_;
  domain::CommandHandler* const handler_;
  EncodedEvents encoded_;  // shared by all subscriptions

  absl::Mutex mu_;
  absl::flat_hash_set<SubscribeReactor*> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_EVENT_STORE_SERVICE_H_
