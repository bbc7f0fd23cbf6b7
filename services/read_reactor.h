// One Read call: batches of events fetched on the worker pool and written
// one message at a time, until the limit or the end of the stream or log.
// The next batch is fetched while the previous one is written; an
// unfiltered read of the whole log fetches the next two at once, on two
// workers (reading, checking hashes and encoding are most of its cost).
// At most three messages are held: one being written and two more.
#ifndef MISSIONLOG_SERVICES_READ_REACTOR_H_
#define MISSIONLOG_SERVICES_READ_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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
  // One message's worth of the read, fetched on a worker. Shared with the
  // worker fetching it, so that a batch dropped meanwhile (fetched from a
  // position that turned out wrong) is simply let go.
  struct Batch {
    uint64_t from = 0;   // position ($all) or version (stream)
    uint64_t limit = 0;  // events at most
    // Set by the fetch.
    std::string bytes;  // ReadResponse.events, encoded
    uint64_t count = 0;
    uint64_t next = 0;  // where the read goes on after it
    bool end = false;   // it reached the end of the stream or log
    absl::Status status;
    bool fetched = false;  // guarded by the reactor's mu_
  };
  // What a step decided, carried out once mu_ is released.
  struct Next {
    grpc::ByteBuffer* write = nullptr;            // StartWrite this
    std::vector<std::shared_ptr<Batch>> fetches;  // schedule these
    std::optional<grpc::Status> finish;
  };

  // Checks the request and issues the first fetches, or finishes.
  void Start();
  // On a worker: fills `batch`, then moves the read on.
  void Fetch(const std::shared_ptr<Batch>& batch);
  absl::Status FetchAll(Batch* batch);
  absl::Status FetchStream(Batch* batch);
  void AppendEvent(const RecordedEvent& event, std::string* out);
  // The call ends with `status` (the first one given) once no write or
  // fetch is in flight.
  void EndWith(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the fetched batches at the front, in order, into ready_; drops
  // and reissues those fetched from a position that proved wrong.
  void TakeFetched() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Issues fetches while fewer than the read's depth are held.
  void IssueFetches(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartWriteIfIdle(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishIfIdle(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The step after a fetch or a write: all of the above.
  void Advance(Next* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Carry(Next next);

  EventLog* const store_;
  WorkerPool* const workers_;
  const ServiceOptions options_;
  v1::ReadRequest request_;
  const bool leaves_only_ = false;
  std::atomic<bool> cancelled_{false};

  absl::Mutex mu_;
  // An unfiltered read of the whole log knows where each batch starts
  // before the one ahead of it is read (it is `limit` further on, unless
  // that one stops short): several batches are fetched ahead, on the
  // workers. Any other read learns where to go on only from the batch
  // before, and fetches one at a time (while the previous one is written).
  int depth_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t limit_ ABSL_GUARDED_BY(mu_) = 0;  // events the request allows
  // Where the next fetch issued starts, and what it may still take.
  uint64_t issue_from_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t issue_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  bool issue_known_ ABSL_GUARDED_BY(mu_) = false;  // issue_from_ is known
  bool issued_all_ ABSL_GUARDED_BY(mu_) = false;   // the last is taken
  // The events taken so far.
  uint64_t taken_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::shared_ptr<Batch>> fetches_ ABSL_GUARDED_BY(mu_);
  int fetching_ ABSL_GUARDED_BY(mu_) = 0;  // fetches running, kept or not
  struct Ready {
    grpc::ByteBuffer message;
    bool last = false;
  };
  std::deque<Ready> ready_ ABSL_GUARDED_BY(mu_);  // taken, not yet written
  grpc::ByteBuffer writing_message_;              // in flight while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_last_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_READ_REACTOR_H_
