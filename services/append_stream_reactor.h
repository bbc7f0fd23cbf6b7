// One AppendStream call: appends read one after another, each handed to the
// engine at once (so many are in flight and share group commits), answered
// strictly in request order. At most ServiceOptions::max_stream_inflight
// appends are in flight; beyond that the reactor stops reading, which is
// backpressure on the client through gRPC flow control.
#ifndef MISSIONLOG_SERVICES_APPEND_STREAM_REACTOR_H_
#define MISSIONLOG_SERVICES_APPEND_STREAM_REACTOR_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "domain/command_handler.h"
#include "eventstore/event_store.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/access_control.h"
#include "services/call_metrics.h"
#include "services/service_options.h"

namespace missionlog {

// Owned by gRPC; deletes itself in OnDone.
// Thread safety: gRPC and the engine call it from their threads; its
// state is guarded by mu_.
// Raw (ByteBuffer) messages: each request is parsed here, so that one that
// does not parse is answered, in its turn, with INVALID_ARGUMENT naming it
// (its request_id is unknown: the answer's is empty), and the call goes on.
class AppendStreamReactor
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // Each append is authorized for `caller` by `access` (which must outlive
  // the call); a caller that failed to authenticate ends the call with
  // that status at once.
  // `metrics` (may be null) counts the call and each request's answer, and
  // is told of each refused one with `context`.
  AppendStreamReactor(domain::CommandHandler* handler, AccessControl* access,
                      const ServiceOptions& options,
                      absl::StatusOr<Caller> caller, StreamSlot slot,
                      CallMetrics* metrics = nullptr,
                      grpc::CallbackServerContext* context = nullptr);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override { delete this; }

 private:
  struct Slot {
    bool done = false;
    v1::AppendStreamResponse response;
  };
  // What to do once the lock is released.
  struct Actions {
    bool read = false;
    bool write = false;
    bool finish = false;
    grpc::Status status;
  };

  // Moves the request's events into the engine's append.
  void Submit(uint64_t sequence, v1::AppendStreamRequest* request);
  void Complete(uint64_t sequence, absl::StatusOr<AppendResult> result,
                const v1::AppendRequest& append);
  // Decides the next write, read or finish. REQUIRES: mu_ held.
  Actions Next() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(const Actions& actions);
  // Counts the call, then finishes it.
  void FinishCall(const grpc::Status& status);
  // Counts one request's answer; a refusal is told to metrics_->on_refused.
  void CountAnswer(const absl::Status& status);

  // Keeps this call's appends in order through validation.
  const std::shared_ptr<domain::CommandHandler::Sequence> appends_;
  AccessControl* const access_;
  const ServiceOptions options_;
  const Caller caller_;
  StreamSlot slot_;  // this call counted against its connection's limit
  CallMetrics* const metrics_;
  grpc::CallbackServerContext* const context_;
  const int64_t started_ns_;

  // Filled by StartRead; read only while reading_ is still set.
  grpc::ByteBuffer read_buffer_;
  v1::AppendStreamRequest request_;

  absl::Mutex mu_;
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);       // in request order
  uint64_t first_sequence_ ABSL_GUARDED_BY(mu_) = 0;  // of slots_.front()
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Set under mu_ when a write is decided; read by gRPC until OnWriteDone.
  v1::AppendStreamResponse writing_response_;
  grpc::ByteBuffer writing_buffer_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_APPEND_STREAM_REACTOR_H_
