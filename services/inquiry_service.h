// The Inquiry and Projections gRPC services (proto/missionlog/v1/
// inquiry.proto) over the projections (projections/). Every query runs on
// the worker pool: it waits, up to the call's deadline, for the projections
// it reads to reach the request's min_position (and as_of_position), then
// reads their state. A rebuilding projection answers UNAVAILABLE. No gRPC
// callback blocks; a waiting query holds a worker, so waits are bounded by
// the deadline (10 s when the call has none).
#ifndef MISSIONLOG_SERVICES_INQUIRY_SERVICE_H_
#define MISSIONLOG_SERVICES_INQUIRY_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/worker_pool.h"
#include "eventstore/event_log.h"
#include "eventstore/projection_store.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "projections/projection_set.h"
#include "services/access_control.h"

namespace missionlog {

// Safe for concurrent use: gRPC calls it from many threads.
class InquiryService final : public v1::Inquiry::CallbackService {
 public:
  // All must outlive the service. Every query needs Permission::kQuery.
  // Queries read the projections' state in `views`, as of positions on
  // `log`.
  InquiryService(EventLog* log, ProjectionStore* views,
                 ProjectionSet* projections, WorkerPool* workers,
                 AccessControl* access)
      : log_(log),
        views_(views),
        projections_(projections),
        workers_(workers),
        access_(access) {}

  grpc::ServerUnaryReactor* WhoOwned(grpc::CallbackServerContext* context,
                                     const v1::WhoOwnedRequest* request,
                                     v1::WhoOwnedResponse* response) override;
  grpc::ServerUnaryReactor* OwnershipHistory(
      grpc::CallbackServerContext* context,
      const v1::OwnershipHistoryRequest* request,
      v1::OwnershipHistoryResponse* response) override;
  grpc::ServerUnaryReactor* GovernmentOn(
      grpc::CallbackServerContext* context,
      const v1::GovernmentOnRequest* request,
      v1::GovernmentOnResponse* response) override;
  grpc::ServerUnaryReactor* PostHolders(
      grpc::CallbackServerContext* context,
      const v1::PostHoldersRequest* request,
      v1::PostHoldersResponse* response) override;
  grpc::ServerUnaryReactor* Spending(grpc::CallbackServerContext* context,
                                     const v1::SpendingRequest* request,
                                     v1::SpendingResponse* response) override;
  grpc::ServerUnaryReactor* Decisions(grpc::CallbackServerContext* context,
                                      const v1::DecisionsRequest* request,
                                      v1::DecisionsResponse* response) override;
  grpc::ServerUnaryReactor* DecisionLocus(
      grpc::CallbackServerContext* context,
      const v1::DecisionLocusRequest* request,
      v1::DecisionLocusResponse* response) override;
  grpc::ServerUnaryReactor* Concerns(grpc::CallbackServerContext* context,
                                     const v1::ConcernsRequest* request,
                                     v1::ConcernsResponse* response) override;
  grpc::ServerUnaryReactor* DecisionsOverOpenConcerns(
      grpc::CallbackServerContext* context,
      const v1::DecisionsOverOpenConcernsRequest* request,
      v1::DecisionsOverOpenConcernsResponse* response) override;
  grpc::ServerUnaryReactor* WhoWasTold(
      grpc::CallbackServerContext* context,
      const v1::WhoWasToldRequest* request,
      v1::WhoWasToldResponse* response) override;
  grpc::ServerUnaryReactor* MissionWashing(
      grpc::CallbackServerContext* context,
      const v1::MissionWashingRequest* request,
      v1::MissionWashingResponse* response) override;
  grpc::ServerUnaryReactor* Timeline(grpc::CallbackServerContext* context,
                                     const v1::TimelineRequest* request,
                                     v1::TimelineResponse* response) override;

 private:
  // One page of an answer (inquiry.proto, "Paging").
  struct Page {
    uint64_t as_of = 0;   // the views' as_of: the record as it stood then
    uint64_t offset = 0;  // the answer's rows before this page
    uint32_t rows = 0;    // rows at most (0: as many as fit)
    std::string query;    // what the request asks, bar the paging options
  };

  // Checks `request`'s paging options and `check`s the rest (on the worker
  // too), waits for `names`, then calls `run(page, info)`.
  grpc::ServerUnaryReactor* Query(
      grpc::CallbackServerContext* context,
      const google::protobuf::Message& request, const v1::QueryOptions& options,
      std::vector<std::string> names, std::function<absl::Status()> check,
      std::function<absl::Status(const Page& page, v1::AnswerInfo* info)> run);
  // Keeps `page`'s rows of `rows` (the whole answer's, or at least every
  // row up to the page's end and one more) and, unless it ends them, sets
  // `info`'s next_page_token.
  template <typename Row>
  static void TakePage(const Page& page,
                       google::protobuf::RepeatedPtrField<Row>* rows,
                       v1::AnswerInfo* info);

  EventLog* const log_;
  ProjectionStore* const views_;
  ProjectionSet* const projections_;
  WorkerPool* const workers_;
  AccessControl* const access_;
};

// Safe for concurrent use: gRPC calls it from many threads.
class ProjectionsService final : public v1::Projections::CallbackService {
 public:
  // Status needs Permission::kProjectionsStatus, Rebuild
  // kProjectionsRebuild.
  ProjectionsService(ProjectionSet* projections, AccessControl* access)
      : projections_(projections), access_(access) {}

  grpc::ServerUnaryReactor* Status(
      grpc::CallbackServerContext* context,
      const v1::ProjectionStatusRequest* request,
      v1::ProjectionStatusResponse* response) override;
  grpc::ServerUnaryReactor* Rebuild(grpc::CallbackServerContext* context,
                                    const v1::RebuildRequest* request,
                                    v1::RebuildResponse* response) override;

 private:
  ProjectionSet* const projections_;
  AccessControl* const access_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_INQUIRY_SERVICE_H_
