// Signs checkpoints of the log (checkpoint.h) as it grows: at most
// `interval` after an event is committed, sooner once `max_events` events
// are unsigned, and once more when stopped. Before signing it proves, from
// the stored tree, that the new tree is consistent with the previous
// checkpoint, and refuses for good if it is not (c2sp.org/tlog-checkpoint:
// a log must never sign two inconsistent checkpoints). Checkpoints go to the
// store (EventStore::PutCheckpoint) and are kept forever.
#ifndef MISSIONLOG_EVENTSTORE_CHECKPOINTER_H_
#define MISSIONLOG_EVENTSTORE_CHECKPOINTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/clock.h"
#include "eventstore/event_store.h"
#include "tlog/sha256.h"
#include "tlog/signed_note.h"

namespace missionlog {

struct CheckpointerOptions {
  // Longest a committed event waits for a checkpoint covering it.
  absl::Duration interval = absl::Seconds(1);
  // Sign as soon as this many events are not covered by a checkpoint.
  uint64_t max_events = 10000;
  // Stamps the "time" extension line. nullptr: the system clock.
  Clock* clock = nullptr;
  // Called (on the signing thread) when signing fails, with the reason.
  std::function<void(const absl::Status&)> on_error;
  // Called after each checkpoint is stored, with its tree size.
  std::function<void(uint64_t)> on_signed;
  // In a cluster, whether this node is the one that signs now (the others
  // co-sign its checkpoints: cluster/cosigner.h). Unset: always.
  std::function<bool()> may_sign;
};

// Thread safety: safe for concurrent use.
class Checkpointer {
 public:
  // Checks the latest stored checkpoint against `store`'s tree, then starts
  // the signing thread. If the check fails (the log was truncated or its
  // tree rewritten), the Checkpointer never signs and status() says why.
  // The origin of every checkpoint is `signer.name()`. `store` must
  // outlive the Checkpointer.
  static std::unique_ptr<Checkpointer> Start(
      EventStore* store, note::Signer signer,
      const CheckpointerOptions& options);

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  // Stop().
  ~Checkpointer();

  // Signs a checkpoint of the committed head unless the latest one already
  // covers it. Returns the size of the latest checkpoint, or why it cannot
  // sign (FAILED_PRECONDITION once inconsistent: never signs again).
  absl::StatusOr<uint64_t> SignNow();

  // Stops the thread and signs a last checkpoint of the head. Idempotent.
  absl::Status Stop();

  // OK, or why signing stopped for good.
  absl::Status status() const;

 private:
  struct Wakeup;

  Checkpointer(EventStore* store, note::Signer signer,
               const CheckpointerOptions& options);
  // Checks the latest stored checkpoint against the tree.
  absl::Status Recover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sign_mu_);
  absl::StatusOr<uint64_t> SignLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sign_mu_);
  void Run();

  EventStore* const store_;
  const note::Signer signer_;
  const CheckpointerOptions options_;
  Clock* const clock_;
  const std::shared_ptr<Wakeup> wakeup_;

  mutable absl::Mutex sign_mu_;
  uint64_t signed_size_ ABSL_GUARDED_BY(sign_mu_) = 0;
  Digest signed_root_ ABSL_GUARDED_BY(sign_mu_){};
  absl::Status status_ ABSL_GUARDED_BY(sign_mu_);
  bool stopped_ ABSL_GUARDED_BY(sign_mu_) = false;

  std::thread thread_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_CHECKPOINTER_H_
