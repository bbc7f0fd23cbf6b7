// The Missionlog event store: an append-only log of immutable events on
// RocksDB, with a global gap-free order, per-stream versions, optimistic
// concurrency and idempotent appends, a Merkle tree over it, its signed
// checkpoints, and the projections' state beside it.
//
// An EventStore is all of the engine's contracts at once; each part of the
// server is handed only the one it uses:
//   event_log.h         appends, reads, the head and the bus's wake-up
//   tree_reader.h       tree roots, inclusion and consistency proofs, nodes
//   checkpoint_store.h  signed checkpoints, kept forever
//   projection_store.h  projections' state and positions
//   replica_store.h     applying a cluster's replicated appends
//   sealed_store.h      sealed fields' encrypted openings
//   backups.h           online backups (and offline restores)
// with options.h (how it is opened), recorded_event.h (an event as stored),
// clock.h and checkpointer.h (the signer). Everything else under
// eventstore/ is internal.
//
// Thread safety: safe for concurrent use by any number of threads.
#ifndef MISSIONLOG_EVENTSTORE_EVENT_STORE_H_
#define MISSIONLOG_EVENTSTORE_EVENT_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/backups.h"
#include "eventstore/checkpoint_store.h"
#include "eventstore/event_log.h"
#include "eventstore/options.h"
#include "eventstore/projection_store.h"
#include "eventstore/replica_store.h"
#include "eventstore/sealed_store.h"
#include "eventstore/tree_reader.h"

namespace missionlog {

class EventStore : public EventLog,
                   public TreeReader,
                   public CheckpointStore,
                   public ProjectionStore,
                   public ReplicaStore,
                   public SealedStore,
                   public Backups {
 public:
  // Opens (or creates) the store in directory `path`. Stream heads, the next
  // position and the id index are recovered from disk. RESOURCE_EXHAUSTED
  // if recovering could run out of disk space (the message says how much
  // it needs).
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(
      const Options& options, const std::string& path);

  // Finishes queued appends, then closes the database.
  ~EventStore() override = default;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_EVENT_STORE_H_
