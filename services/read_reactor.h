// One Read call: batches of events fetched on the worker pool and written
// one message at a time, until the limit or the end of the stream or log.
#ifndef MISSIONLOG_SERVICES_READ_REACTOR_H_
#define MISSIONLOG_SERVICES_READ_REACTOR_H_

#include <atomic>
#include <cstdint>

#include "eventstore/event_store.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/event_store_service.h"
#include "services/worker_pool.h"

namespace missionlog {

// Owned by gRPC; deletes itself in OnDone.
class ReadReactor : public grpc::ServerWriteReactor<v1::ReadResponse> {
 public:
  ReadReactor(EventStore* store, WorkerPool* workers,
              const ServiceOptions& options, const v1::ReadRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override { cancelled_ = true; }
  void OnDone() override { delete this; }

 private:
  void ScheduleFetch();
  // On a worker: reads the next batch into response_ and writes it, or
  // finishes.
  void Fetch();
  absl::Status FetchAll();
  absl::Status FetchStream();

  EventStore* const store_;
  WorkerPool* const workers_;
  const ServiceOptions options_;
  const v1::ReadRequest request_;

  // Touched by one thread at a time: the fetch, then the write it starts.
  v1::ReadResponse response_;
  uint64_t next_ = 0;       // position ($all) or version (stream)
  uint64_t remaining_ = 0;  // events still allowed by the limit
  bool done_ = false;       // response_ is the last message
  std::atomic<bool> cancelled_{false};
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_READ_REACTOR_H_
