// One Subscribe call. It catches up from storage (or the bus's ring) in
// batches fetched on the worker pool, says caught_up once at the head, then
// waits for the engine's wake-up (EventStore::NotifyWhenBeyond) and delivers
// new events as they commit. One fetch or write is in flight at a time, so
// a subscriber that stops reading holds one batch and its position: it never
// slows appends or other subscribers, and catches up from storage later.
#ifndef MISSIONLOG_SERVICES_SUBSCRIBE_REACTOR_H_
#define MISSIONLOG_SERVICES_SUBSCRIBE_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/worker_pool.h"
#include "eventstore/event_log.h"
#include "grpcpp/alarm.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/encoded_events.h"
#include "services/service_options.h"
#include "services/subscriptions.h"

namespace missionlog {

// Owned by gRPC; deletes itself in OnDone.
// Writes raw bytes (wire_encoding.h): the wire form of v1::SubscribeResponse.
// Thread safety: gRPC, the worker pool and the bus call it from their
// threads; its state is guarded by its mutex.
class SubscribeReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // The position the subscriber was last told of (every one below it was
  // sent to it or skipped): head minus this is its lag.
  uint64_t examined() const {
    return examined_.load(std::memory_order_relaxed);
  }
  // `request` has been parsed by the service.
  SubscribeReactor(Subscriptions* subscriptions, EventLog* store,
                   EncodedEvents* encoded, SharedMessages* messages,
                   WorkerPool* workers, const ServiceOptions& options,
                   const v1::SubscribeRequest& request, Caller caller,
                   StreamSlot slot);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Ends the subscription with `status` at the next opportunity.
  void End(const grpc::Status& status);

  // The engine's wake-up outlives this reactor: it reaches it through this
  // box, which OnDone empties.
  struct WakeupBox {
    absl::Mutex mu;
    SubscribeReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  };

 private:
  // kBusy: a fetch or write is in flight. kWoken: the same, and the head
  // moved meanwhile. kWaiting: nothing in flight, a wake-up registered.
  enum class State { kBusy, kWoken, kWaiting, kFinished };

  void ScheduleFetch();
  // Sends the next message or waits for the next commit. With
  // `memory_only` (on gRPC's thread) a batch that must be read from
  // storage is left to a worker.
  void Fetch(bool memory_only);
  void Wake();  // the head moved past position_
  // Finishes with `status` unless already finished. REQUIRES: not mu_.
  void FinishOnce(const grpc::Status& status);
  // Writes a SubscribeResponse whose oneof is field `field` holding the
  // message `bytes`, and notes the position reported.
  void WriteMessage(int field, const std::string& bytes);
  // Writes a whole SubscribeResponse (taking its buffer) and notes the
  // position reported.
  void Send(std::string message);
  // Writes response_, and notes the position reported.
  void WriteResponse();
  // The next batch from position_, unfiltered, if memory has it: from the
  // shared cache of encoded events, or none at the head. False if it must
  // be read.
  bool CachedEvents(std::vector<SharedEncodedEvent>* events, bool* end_of_log);
  // The next batch from position_, unfiltered, read from storage, encoded
  // and added to the shared cache.
  absl::Status ReadEvents(std::vector<SharedEncodedEvent>* events,
                          bool* end_of_log);

  Subscriptions* const subscriptions_;
  EventLog* const store_;
  EncodedEvents* const encoded_;
  SharedMessages* const messages_;
  WorkerPool* const workers_;
  const ServiceOptions options_;
  const v1::Filter filter_;
  const Caller caller_;  // its open subscription is counted until OnDone
  StreamSlot slot_;      // and its connection's streaming call
  const std::shared_ptr<WakeupBox> wakeup_;
  // At the head with positions a filter skipped and not yet reported:
  // wakes the reactor when the checkpoint interval is up, so that a quiet
  // log still gets its checkpoint. Set only by Fetch (one at a time).
  std::unique_ptr<grpc::Alarm> checkpoint_alarm_;

  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kBusy;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);

  // Touched only by the single fetch or write in flight.
  grpc::ByteBuffer response_;
  uint64_t position_ = 0;              // next position to examine
  std::atomic<uint64_t> examined_{0};  // position_, for the metrics
  uint64_t reported_ = 0;              // position of the last message sent
  uint64_t erasures_ = 0;   // the store's erasures when the batch was read
  absl::Time last_report_;  // when it was sent
  bool caught_up_sent_ = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_SUBSCRIBE_REACTOR_H_
