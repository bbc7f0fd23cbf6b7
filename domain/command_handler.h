// The one path by which domain events reach the log, whether they arrive as
// a typed command (the Accountability service) or as a raw append of a
// domain type (the EventStore service's Append and AppendStream): the same
// event gets the same guarantee whichever way it comes.
//
// An append holding a domain event (domain/event_types.h) is checked on a
// worker, never on gRPC's threads:
//   - if its first event's id is already in the log, it goes straight to the
//     engine, which answers an idempotent retry with the original positions
//     (or ALREADY_EXISTS), without checking rules the first append changed;
//   - otherwise, unless the client pinned an exact version (NO_STREAM or a
//     number), the subject stream's version is read, the rules are checked
//     against that version (domain/validation.h), and the append requires
//     it: a concurrent change to the subject makes it check again, at most
//     kMaxAttempts times, instead of slipping past a rule (two conflicting
//     transfers of one subject cannot both succeed).
// Appends without a domain event go straight to the engine.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_DOMAIN_COMMAND_HANDLER_H_
#define MISSIONLOG_DOMAIN_COMMAND_HANDLER_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/worker_pool.h"
#include "domain/sealer.h"
#include "eventstore/event_log.h"

namespace missionlog {
namespace domain {

class CommandHandler {
 public:
  // Checks a concurrent change forces before giving up with ABORTED.
  static constexpr int kMaxAttempts = 5;

  // `log`, `workers` and `sealer` must outlive the handler and its
  // sequences. Without a sealer, an event with a value in a sealed field
  // is refused (FAILED_PRECONDITION): it is never stored in clear.
  CommandHandler(EventLog* log, WorkerPool* workers,
                 const Sealer* sealer = nullptr)
      : log_(log), workers_(workers), sealer_(sealer) {}
  CommandHandler(const CommandHandler&) = delete;
  CommandHandler& operator=(const CommandHandler&) = delete;

  // One append; `done` runs once, as for EventLog::AppendAsync (on a
  // worker or the engine's completion thread; it must not block).
  // RESOURCE_EXHAUSTED if the worker queue is full.
  void Append(AppendRequest append, EventLog::AppendCallback done);

  // Appends submitted through one Sequence (one AppendStream call) reach
  // the engine in the order submitted; an append waits for the sequence's
  // earlier appends to its own stream to be answered before its rules are
  // checked, so it sees them.
  class Sequence : public std::enable_shared_from_this<Sequence> {
   public:
    explicit Sequence(CommandHandler* handler) : handler_(handler) {}
    void Append(AppendRequest append, EventLog::AppendCallback done);

   private:
    struct Item {
      AppendRequest append;
      EventLog::AppendCallback done;
    };
    // On a worker: checks and submits queued appends in order, until the
    // queue is empty or its front waits for its stream.
    void Drain();
    // Schedules Drain (draining_ set); a full pool fails what is queued.
    void ScheduleDrain();
    // An append of the sequence to `stream` was answered.
    void Answered(const std::string& stream);

    CommandHandler* const handler_;
    absl::Mutex mu_;
    std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
    bool draining_ ABSL_GUARDED_BY(mu_) = false;
    // Once a domain event has been queued, everything after it queues too.
    bool ordered_ ABSL_GUARDED_BY(mu_) = false;
    // Submitted and not yet answered, per stream.
    absl::flat_hash_map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);
  };
  std::shared_ptr<Sequence> NewSequence() {
    return std::make_shared<Sequence>(this);
  }

  static bool HasDomainEvents(const AppendRequest& append);

 private:
  struct Call;
  // One attempt, on a worker.
  void Attempt(std::shared_ptr<Call> call);
  // Completes an attempt, on the engine's completion thread.
  void Done(std::shared_ptr<Call> call, absl::StatusOr<AppendResult> result);
  // The original positions of a retried append with sealed fields.
  absl::StatusOr<AppendResult> SealedRetry(const AppendRequest& append);
  // Checks every domain event of `append` against the store.
  absl::Status Validate(const AppendRequest& append);

  EventLog* const log_;
  WorkerPool* const workers_;
  const Sealer* const sealer_;
};

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_COMMAND_HANDLER_H_
