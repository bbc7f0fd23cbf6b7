// missionlog.v1.Sealing (proto/missionlog/v1/sealing.proto): unsealing a
// sealed field and lawful erasure, always on the record (README "Sealed
// fields").
//
// Thread safety: safe for concurrent use (gRPC calls it from many threads).
#ifndef MISSIONLOG_SERVICES_SEALING_SERVICE_H_
#define MISSIONLOG_SERVICES_SEALING_SERVICE_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "base/worker_pool.h"
#include "eventstore/event_log.h"
#include "eventstore/sealed_store.h"
#include "missionlog/v1/sealing.grpc.pb.h"
#include "services/access_control.h"

namespace missionlog {

// What a whole-payload erasure does around the store's part.
struct ErasureHooks {
  // Signs a checkpoint covering the Erased event before anything goes,
  // so that every checkpoint an auditor is later shown covers the event
  // that accounts for what is missing. Unset: none (tests).
  std::function<void()> sign_checkpoint;
  // Rebuilds the views, so that none keeps what it derived from the
  // payload. Unset: none.
  std::function<void()> rebuild_views;
};

// Carries out on this node's store what `erased` records: destroys the
// openings of its paths (all of an event's: its data key too), or with
// whole_payload the event's payload. Idempotent: true if it destroyed
// something now, false if that was done before. Every node of a cluster
// runs it when it applies the Erased event (server.cc).
absl::StatusOr<bool> CarryOutErasure(SealedStore* store,
                                     const v1::Erased& erased);

class SealingService final : public v1::Sealing::CallbackService {
 public:
  // `log` takes the Unsealed and Erased events (a cluster's replicated log
  // too); everything must outlive the service.
  SealingService(EventLog* log, SealedStore* sealed, WorkerPool* workers,
                 AccessControl* access, ErasureHooks hooks = {})
      : log_(log),
        sealed_(sealed),
        workers_(workers),
        access_(access),
        hooks_(std::move(hooks)) {}

  grpc::ServerUnaryReactor* Unseal(grpc::CallbackServerContext* context,
                                   const v1::UnsealRequest* request,
                                   v1::UnsealResponse* response) override;
  grpc::ServerUnaryReactor* Erase(grpc::CallbackServerContext* context,
                                  const v1::EraseRequest* request,
                                  v1::EraseResponse* response) override;

 private:
  // Authorizes `permission`, checks the stated reason (`stated_field`),
  // then runs `work(reactor, principal)` on a worker.
  grpc::ServerUnaryReactor* Begin(
      grpc::CallbackServerContext* context, Permission permission,
      const std::string& stated, absl::string_view stated_field,
      std::function<void(grpc::ServerUnaryReactor*, std::string)> work);
  // Erase with whole_payload, on a worker.
  void ErasePayload(grpc::ServerUnaryReactor* reactor,
                    const v1::EraseRequest* request,
                    v1::EraseResponse* response, const std::string& principal);
  // Once `record` is in the log: on a worker, signs a checkpoint, carries
  // it out (rebuilding the views after, for a whole payload) and finishes
  // the call with the outcome.
  void CarryOut(grpc::ServerUnaryReactor* reactor, v1::Erased record);

  EventLog* const log_;
  SealedStore* const sealed_;
  WorkerPool* const workers_;
  AccessControl* const access_;
  const ErasureHooks hooks_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_SEALING_SERVICE_H_
