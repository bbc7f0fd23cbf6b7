// Appends through the engine, validating domain events first
// (domain/validation.h). Validation reads the store (do referenced streams
// exist?), so it runs on the worker pool, never on gRPC's threads; appends
// with no domain event go straight to the engine.
#ifndef MISSIONLOG_SERVICES_DOMAIN_GATE_H_
#define MISSIONLOG_SERVICES_DOMAIN_GATE_H_

#include <deque>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_log.h"
#include "services/worker_pool.h"

namespace missionlog {

// Thread safety: safe for concurrent use.
class DomainGate {
 public:
  // `store` and `workers` must outlive the gate and its sequences.
  DomainGate(EventLog* store, WorkerPool* workers)
      : store_(store), workers_(workers) {}

  // One append; `done` runs once, as for EventStore::AppendAsync.
  void Append(AppendRequest append, EventLog::AppendCallback done);

  // Appends submitted through one Sequence reach the engine in the order
  // they were submitted (one AppendStream call).
  class Sequence : public std::enable_shared_from_this<Sequence> {
   public:
    explicit Sequence(DomainGate* gate) : gate_(gate) {}
    void Append(AppendRequest append, EventLog::AppendCallback done);

   private:
    struct Item {
      AppendRequest append;
      EventLog::AppendCallback done;
    };
    // On a worker: validates and submits queued appends in order.
    void Drain();

    DomainGate* const gate_;
    absl::Mutex mu_;
    std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
    bool draining_ ABSL_GUARDED_BY(mu_) = false;
    // Once a domain event has been queued, everything after it queues too.
    bool ordered_ ABSL_GUARDED_BY(mu_) = false;
  };
  static std::shared_ptr<Sequence> NewSequence(DomainGate* gate) {
    return std::make_shared<Sequence>(gate);
  }

  // Validates every domain event of `append` (reads the store).
  absl::Status Validate(const AppendRequest& append);

  static bool HasDomainEvents(const AppendRequest& append);

 private:
  EventLog* const store_;
  WorkerPool* const workers_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_DOMAIN_GATE_H_
