// One Read call: batches of events fetched on the worker pool and written
// one message at a time, until the limit or the end of the stream or log.
#ifndef MISSIONLOG_SERVICES_READ_REACTOR_H_
#define MISSIONLOG_SERVICES_READ_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/event_store_service.h"
#include "services/worker_pool.h"

namespace missionlog {

// Owned by gRPC; deletes itself in OnDone.
// Writes raw bytes (wire_encoding.h): the wire form of v1::ReadResponse.
class ReadReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  ReadReactor(EventStore* store, WorkerPool* workers,
              const ServiceOptions& options, const grpc::ByteBuffer& request);
  // For a request already parsed. `leaves_only`: each event as a
  // v1::LogEntry (the Audit service's GetEntries, whose responses are
  // otherwise ReadResponses on the wire).
  ReadReactor(EventStore* store, WorkerPool* workers,
              const ServiceOptions& options, v1::ReadRequest request,
              bool leaves_only);

  void OnWriteDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  // Checks the request and schedules the first fetch, or finishes.
  void Start();
  void ScheduleFetch();
  // On a worker: reads the next batch into response_ and writes it, or
  // finishes.
  void Fetch();
  absl::Status FetchAll();
  absl::Status FetchStream();
  // Appends `events` to bytes_ as ReadResponse.events.
  void AppendEvents(const std::vector<RecordedEvent>& events);
  void AppendEvent(const RecordedEvent& event);

  EventStore* const store_;
  WorkerPool* const workers_;
  const ServiceOptions options_;
  v1::ReadRequest request_;
  const bool leaves_only_ = false;

  // Touched by one thread at a time: the fetch, then the write it starts.
  std::string bytes_;  // the response being built
  std::string event_bytes_;
  grpc::ByteBuffer response_;
  uint64_t next_ = 0;       // position ($all) or version (stream)
  uint64_t remaining_ = 0;  // events still allowed by the limit
  bool done_ = false;       // response_ is the last message
  bool end_ = false;        // ... and it reached the end
  std::atomic<bool> cancelled_{false};
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_READ_REACTOR_H_
