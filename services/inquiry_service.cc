#include "services/inquiry_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "domain/values.h"
#include "projections/appointments.h"
#include "projections/concerns.h"
#include "projections/contributions.h"
#include "projections/decisions.h"
#include "projections/ownership.h"
#include "projections/spending.h"
#include "projections/timeline.h"
#include "services/conversions.h"

namespace missionlog {
namespace {

constexpr absl::Duration kDefaultWait = absl::Seconds(10);

absl::Status CheckDate(bool present, const v1::Date& date,
                       const std::string& field, bool required) {
  if (!present) {
    return required ? absl::InvalidArgumentError(field + ": required")
                    : absl::OkStatus();
  }
  if (!domain::IsRealDate(date.year(), date.month(), date.day())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", date.year(), "-", date.month(), "-",
                     date.day(), " is not a real date"));
  }
  return absl::OkStatus();
}

absl::Status Required(const std::string& value, const std::string& field) {
  return value.empty() ? absl::InvalidArgumentError(field + ": required")
                       : absl::OkStatus();
}

void ToProto(const RunnerStatus& status, v1::ProjectionStatus* out) {
  out->set_name(status.name);
  out->set_position(status.position);
  out->set_head(status.head);
  out->set_lag(status.head > status.position ? status.head - status.position
                                             : 0);
  out->set_state(status.state);
  out->set_events_per_second(status.events_per_second);
  out->set_error(status.error);
}

}  // namespace

grpc::ServerUnaryReactor* InquiryService::Query(
    grpc::CallbackServerContext* context, const v1::QueryOptions& options,
    std::vector<std::string> names, std::function<absl::Status()> check,
    std::function<absl::Status(uint64_t, v1::AnswerInfo*)> run) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kQuery)) {
    return reactor;
  }
  absl::Time deadline = absl::FromChrono(context->deadline());
  deadline = std::min(deadline, absl::Now() + kDefaultWait);
  auto task = [this, reactor, options, names = std::move(names),
               check = std::move(check), run = std::move(run), deadline] {
    absl::Status status = check();
    // An answer as of a position needs the events before it applied.
    const uint64_t wait_for =
        std::max(options.min_position(), options.as_of_position());
    // Otherwise it covers every event committed before the query began
    // (live runners fold the bus's commits a few milliseconds late).
    const uint64_t head = log_->GetHead().next_position;
    uint64_t position = UINT64_MAX;
    for (const std::string& name : names) {
      if (!status.ok()) break;
      ProjectionRunner* runner = projections_->Find(name);
      if (wait_for > 0) {
        status = runner->WaitFor(wait_for, deadline);
      } else if (absl::StatusOr<uint64_t> at = runner->Readable();
                 at.ok() && *at < head) {
        status = runner->WaitFor(head, deadline);
      }
      if (!status.ok()) break;
      absl::StatusOr<uint64_t> readable = runner->Readable();
      status = readable.status();
      if (readable.ok()) position = std::min(position, *readable);
    }
    if (status.ok()) {
      v1::AnswerInfo info;
      info.set_projection(absl::StrJoin(names, ","));
      info.set_position(position);
      const uint64_t as_of =
          options.as_of_position() == 0 ? UINT64_MAX : options.as_of_position();
      status = run(as_of, &info);
    }
    reactor->Finish(ToGrpcStatus(status));
  };
  if (!workers_->Schedule(std::move(task))) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's query queue is full"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* InquiryService::WhoOwned(
    grpc::CallbackServerContext* context, const v1::WhoOwnedRequest* request,
    v1::WhoOwnedResponse* response) {
  return Query(
      context, request->options(),
      {kOwnershipProjection, kAppointmentsProjection},
      [request] {
        absl::Status s = Required(request->subject(), "subject");
        return s.ok() ? CheckDate(request->has_on(), request->on(), "on", true)
                      : s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, as_of);
        OwnershipView view(views_, &appointments, as_of);
        absl::StatusOr<v1::WhoOwnedResponse> answer = view.WhoOwned(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InquiryService::OwnershipHistory(
    grpc::CallbackServerContext* context,
    const v1::OwnershipHistoryRequest* request,
    v1::OwnershipHistoryResponse* response) {
  return Query(
      context, request->options(), {kOwnershipProjection},
      [request] { return Required(request->subject(), "subject"); },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, as_of);
        OwnershipView view(views_, &appointments, as_of);
        absl::StatusOr<v1::OwnershipHistoryResponse> answer =
            view.History(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InquiryService::GovernmentOn(
    grpc::CallbackServerContext* context,
    const v1::GovernmentOnRequest* request,
    v1::GovernmentOnResponse* response) {
  return Query(
      context, request->options(), {kAppointmentsProjection},
      [request] {
        return CheckDate(request->has_on(), request->on(), "on", true);
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        AppointmentsView view(views_, as_of);
        absl::StatusOr<v1::GovernmentOnResponse> answer =
            view.GovernmentOn(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InquiryService::PostHolders(
    grpc::CallbackServerContext* context, const v1::PostHoldersRequest* request,
    v1::PostHoldersResponse* response) {
  return Query(
      context, request->options(), {kAppointmentsProjection},
      [request] {
        absl::Status s = Required(request->post(), "post");
        if (s.ok())
          s = CheckDate(request->has_from(), request->from(), "from", false);
        if (s.ok())
          s = CheckDate(request->has_to(), request->to(), "to", false);
        return s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        AppointmentsView view(views_, as_of);
        absl::StatusOr<v1::PostHoldersResponse> answer =
            view.PostHolders(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InquiryService::Spending(
    grpc::CallbackServerContext* context, const v1::SpendingRequest* request,
    v1::SpendingResponse* response) {
  return Query(
      context, request->options(), {kSpendingProjection},
      [] { return absl::OkStatus(); },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        SpendingView view(views_, as_of);
        absl::StatusOr<v1::SpendingResponse> answer = view.Spending(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

// The answer of `view.Method(request)` into `response`, with `info`.
#define MISSIONLOG_ANSWER(expr)               \
  do {                                        \
    auto answer = (expr);                     \
    if (!answer.ok()) return answer.status(); \
    *response = *std::move(answer);           \
    *response->mutable_info() = *info;        \
    return absl::OkStatus();                  \
  } while (0)

grpc::ServerUnaryReactor* InquiryService::Decisions(
    grpc::CallbackServerContext* context, const v1::DecisionsRequest* request,
    v1::DecisionsResponse* response) {
  return Query(
      context, request->options(), {kDecisionsProjection},
      [request] {
        absl::Status s =
            CheckDate(request->has_from(), request->from(), "from", false);
        return s.ok() ? CheckDate(request->has_to(), request->to(), "to", false)
                      : s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        DecisionsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.Decisions(*request));
      });
}

grpc::ServerUnaryReactor* InquiryService::DecisionLocus(
    grpc::CallbackServerContext* context,
    const v1::DecisionLocusRequest* request,
    v1::DecisionLocusResponse* response) {
  return Query(
      context, request->options(), {kDecisionsProjection},
      [request] {
        absl::Status s = Required(request->mission(), "mission");
        if (s.ok()) {
          s = CheckDate(request->has_from(), request->from(), "from", false);
        }
        return s.ok() ? CheckDate(request->has_to(), request->to(), "to", false)
                      : s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        DecisionsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.Locus(*request));
      });
}

grpc::ServerUnaryReactor* InquiryService::Concerns(
    grpc::CallbackServerContext* context, const v1::ConcernsRequest* request,
    v1::ConcernsResponse* response) {
  return Query(
      context, request->options(), {kConcernsProjection},
      [request] {
        if (!request->status().empty() && request->status() != "open" &&
            request->status() != "closed") {
          return absl::InvalidArgumentError(
              "status: \"open\", \"closed\" or empty");
        }
        return CheckDate(request->has_overdue_on(), request->overdue_on(),
                         "overdue_on", false);
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        ConcernsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.Concerns(*request));
      });
}

grpc::ServerUnaryReactor* InquiryService::DecisionsOverOpenConcerns(
    grpc::CallbackServerContext* context,
    const v1::DecisionsOverOpenConcernsRequest* request,
    v1::DecisionsOverOpenConcernsResponse* response) {
  return Query(
      context, request->options(), {kConcernsProjection, kDecisionsProjection},
      [request] { return Required(request->subject(), "subject"); },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        DecisionsView decisions(views_, as_of);
        ConcernsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.OverOpenConcerns(*request, &decisions));
      });
}

grpc::ServerUnaryReactor* InquiryService::WhoWasTold(
    grpc::CallbackServerContext* context, const v1::WhoWasToldRequest* request,
    v1::WhoWasToldResponse* response) {
  return Query(
      context, request->options(),
      {kConcernsProjection, kAppointmentsProjection},
      [request] {
        absl::Status s = Required(request->person(), "person");
        return s.ok() ? CheckDate(request->has_before(), request->before(),
                                  "before", false)
                      : s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, as_of);
        ConcernsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.WhoWasTold(*request, &appointments));
      });
}

grpc::ServerUnaryReactor* InquiryService::MissionWashing(
    grpc::CallbackServerContext* context,
    const v1::MissionWashingRequest* request,
    v1::MissionWashingResponse* response) {
  return Query(
      context, request->options(), {kContributionsProjection},
      [request] { return Required(request->mission(), "mission"); },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        ContributionsView view(views_, as_of);
        MISSIONLOG_ANSWER(view.MissionWashing(*request));
      });
}

grpc::ServerUnaryReactor* InquiryService::Timeline(
    grpc::CallbackServerContext* context, const v1::TimelineRequest* request,
    v1::TimelineResponse* response) {
  return Query(
      context, request->options(), {kTimelineProjection},
      [request] {
        absl::Status s = Required(request->subject(), "subject");
        if (s.ok() && request->limit() > 100000) {
          s = absl::InvalidArgumentError("limit: at most 100000");
        }
        return s;
      },
      [this, request, response](uint64_t as_of, v1::AnswerInfo* info) {
        TimelineView view(views_, as_of);
        MISSIONLOG_ANSWER(view.Timeline(*request));
      });
}

#undef MISSIONLOG_ANSWER

grpc::ServerUnaryReactor* ProjectionsService::Status(
    grpc::CallbackServerContext* context,
    const v1::ProjectionStatusRequest* /*request*/,
    v1::ProjectionStatusResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor,
                               Permission::kProjectionsStatus)) {
    return reactor;
  }
  for (const RunnerStatus& status : projections_->Status()) {
    ToProto(status, response->add_projections());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* ProjectionsService::Rebuild(
    grpc::CallbackServerContext* context, const v1::RebuildRequest* request,
    v1::RebuildResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor,
                               Permission::kProjectionsRebuild)) {
    return reactor;
  }
  ProjectionRunner* runner = projections_->Find(request->name());
  if (runner == nullptr) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("no projection \"", request->name(), "\"")));
    return reactor;
  }
  runner->Rebuild();
  ToProto(runner->Status(), response->mutable_status());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace missionlog
