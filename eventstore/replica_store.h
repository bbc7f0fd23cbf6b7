// What a replica of a replicated log needs of its engine beyond the log
// itself (README "Running three nodes"): applying appends that etcd has
// already ordered and checked, in etcd's revision order, so that every
// replica assigns the same positions and versions and stores the same
// records; and knowing, across restarts, how far it got (the committed
// head's applied position, event_log.h).
//
// Thread safety: safe for concurrent use; ApplyAsync's calls must come in
// revision order (one applier).
#ifndef MISSIONLOG_EVENTSTORE_REPLICA_STORE_H_
#define MISSIONLOG_EVENTSTORE_REPLICA_STORE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "eventstore/event_log.h"

namespace missionlog {

class ReplicaStore {
 public:
  virtual ~ReplicaStore() = default;

  // On the node accepting `request`, before it is replicated: checks it as
  // AppendAsync would (this store's limits; RESOURCE_EXHAUSTED below the
  // disk reserve), gives every event without an id a new one, and returns
  // the recorded_at (µs) the replicas are to record: everything a replica
  // needs is then fixed in the request.
  virtual absl::StatusOr<int64_t> PrepareReplicated(AppendRequest* request) = 0;

  // Appends `request` as the replicated append at `position` (after every
  // one submitted before): its events carry their ids and recorded_by is
  // the accepting node's principal; each event's recorded_at is
  // max(`recorded_at_us`, the previous event's). The expected version and
  // the ids are checked as for any append: every replica holds the same
  // log before it, so every replica reaches the same result (a wrong
  // expected version is ABORTED everywhere; a retry deduplicates
  // everywhere). Limits are the accepting node's business and are not
  // checked again. The position is stored in the same write as the
  // events, and is the committed head's `applied` once durable. `done` as
  // for EventLog::AppendAsync.
  virtual void ApplyAsync(ReplicaPosition position, AppendRequest request,
                          int64_t recorded_at_us,
                          EventLog::AppendCallback done) = 0;

  // Once a replicated append fails for a cause other than the log's
  // content (the store stopped, a write failed), every later one is
  // refused (UNAVAILABLE) until ResumeApplying, so that no replica applies
  // past a gap. The applier waits for its appends in flight, then resumes
  // after the committed head's `applied` (EventLog::GetHead).
  virtual bool ApplyingFenced() = 0;
  virtual void ResumeApplying() = 0;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_REPLICA_STORE_H_
