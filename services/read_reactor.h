// One Read call: batches of events fetched on the worker pool and written
// one message at a time, until the limit or the end of the stream or log.
// The next batch is fetched while the previous one is written, so reading
// and sending run on two threads; at most two messages are held.
#ifndef MISSIONLOG_SERVICES_READ_REACTOR_H_
#define MISSIONLOG_SERVICES_READ_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/worker_pool.h"
#include "eventstore/event_log.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/service_options.h"

namespace missionlog {

// Owned by gRPC; deletes itself in OnDone.
// Writes raw bytes (wire_encoding.h): the wire form of v1::ReadResponse.
// Thread safety: gRPC and the worker pool call it from their threads;
// its state is guarded by its mutex.
class ReadReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  ReadReactor(EventLog* store, WorkerPool* workers,
              const ServiceOptions& options, const grpc::ByteBuffer& request);
  // For a request already parsed. `leaves_only`: each event as a
  // v1::LogEntry (the Audit service's GetEntries, whose responses are
  // otherwise ReadResponses on the wire).
  ReadReactor(EventLog* store, WorkerPool* workers,
              const ServiceOptions& options, v1::ReadRequest request,
              bool leaves_only);

  void OnWriteDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  // What a step decided, carried out once mu_ is released.
  struct Next {
    grpc::ByteBuffer* write = nullptr;  // StartWrite this
    bool fetch = false;                 // schedule the next fetch
    std::optional<grpc::Status> finish;
  };

  // Checks the request and schedules the first fetch, or finishes.
  void Start();
  // On a worker: reads the next batch and hands it to the writer.
  void Fetch();
  absl::Status FetchAll();
  absl::Status FetchStream();
  // Appends `events` to bytes_ as ReadResponse.events.
  void AppendEvents(const std::vector<RecordedEvent>& events);
  void AppendEvent(const RecordedEvent& event);
  // The call ends with `status` (the first one given) once no write or
  // fetch is in flight.
  void EndWith(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts writing `slot`, and fetching the batch after it unless it is the
  // last message.
  void StartWriting(int slot, bool last, Next* next)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishIfIdle(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Carry(Next next);

  EventLog* const store_;
  WorkerPool* const workers_;
  const ServiceOptions options_;
  v1::ReadRequest request_;
  const bool leaves_only_ = false;

  // The fetch's own state: one fetch runs at a time.
  std::string bytes_;       // the response being built
  uint64_t next_ = 0;       // position ($all) or version (stream)
  uint64_t remaining_ = 0;  // events still allowed by the limit
  bool done_ = false;       // the batch just built is the last message
  bool end_ = false;        // ... and it reached the end
  std::atomic<bool> cancelled_{false};

  absl::Mutex mu_;
  grpc::ByteBuffer messages_[2];           // one being written, one fetched
  int writing_ ABSL_GUARDED_BY(mu_) = -1;  // slot in flight, or -1
  bool writing_last_ ABSL_GUARDED_BY(mu_) = false;
  int ready_ ABSL_GUARDED_BY(mu_) = -1;  // slot waiting for the write
  bool ready_last_ ABSL_GUARDED_BY(mu_) = false;
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_READ_REACTOR_H_
