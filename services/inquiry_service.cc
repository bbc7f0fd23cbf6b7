#include "services/inquiry_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "domain/values.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "projections/appointments.h"
#include "projections/concerns.h"
#include "projections/contributions.h"
#include "projections/decisions.h"
#include "projections/ownership.h"
#include "projections/spending.h"
#include "projections/timeline.h"
#include "services/conversions.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

constexpr absl::Duration kDefaultWait = absl::Seconds(10);
constexpr uint32_t kMaxPageRows = 10000;
// A page stops before its rows pass this: under gRPC's default 4 MiB
// receive limit with room for the rest of the response.
constexpr size_t kMaxPageBytes = 3 << 20;

// What `request` asks, bar what a later page may change: SHA-256 (its first
// 8 bytes, in hex) of its deterministic serialization with options holding
// only as_of_position, and without a limit field (Timeline's page size).
std::string QueryFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const google::protobuf::Descriptor* descriptor = copy->GetDescriptor();
  const google::protobuf::Reflection* reflection = copy->GetReflection();
  if (const auto* limit = descriptor->FindFieldByName("limit")) {
    reflection->ClearField(copy.get(), limit);
  }
  if (const auto* field = descriptor->FindFieldByName("options")) {
    auto* options = static_cast<v1::QueryOptions*>(
        reflection->MutableMessage(copy.get(), field));
    const uint64_t as_of = options->as_of_position();
    options->Clear();
    options->set_as_of_position(as_of);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&out);
  }
  return absl::BytesToHexString(DigestView(Sha256(bytes)).substr(0, 8));
}

// A page token: "<as_of>.<offset>.<query fingerprint>", base64url. Opaque
// to clients; the fingerprint ties it to the query it continues.
std::string PageToken(uint64_t as_of, uint64_t offset,
                      const std::string& query) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(as_of, ".", offset, ".", query));
}

absl::Status ReadPageToken(const std::string& token, uint64_t head,
                           uint64_t* as_of, uint64_t* offset,
                           const std::string& query) {
  std::string text;
  std::vector<absl::string_view> parts;
  if (absl::WebSafeBase64Unescape(token, &text)) {
    parts = absl::StrSplit(text, '.');
  }
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], as_of) ||
      !absl::SimpleAtoi(parts[1], offset) || *as_of > head) {
    return absl::InvalidArgumentError(
        "options.page_token: not one this server gave (pass "
        "AnswerInfo.next_page_token as it came)");
  }
  if (parts[2] != query) {
    return absl::InvalidArgumentError(
        "options.page_token: from another query (send the request of the "
        "page it came with; only page_size and min_position may change)");
  }
  return absl::OkStatus();
}

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

// A required field naming a stream: given, and a name an append could use
// (a longer one or one with control characters could name nothing).
absl::Status RequiredStream(const std::string& value,
                            const std::string& field) {
  if (value.empty()) return absl::InvalidArgumentError(field + ": required");
  return CheckStreamName(value, field);
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

template <typename Row>
void InquiryService::TakePage(const Page& page,
                              google::protobuf::RepeatedPtrField<Row>* rows,
                              v1::AnswerInfo* info) {
  const int total = rows->size();
  const int first = static_cast<int>(
      std::min<uint64_t>(page.offset, static_cast<uint64_t>(total)));
  int end = first;
  size_t bytes = 0;
  while (end < total &&
         (page.rows == 0 || static_cast<uint32_t>(end - first) < page.rows)) {
    const size_t row = rows->Get(end).ByteSizeLong();
    if (end > first && bytes + row > kMaxPageBytes) break;
    bytes += row;
    ++end;
  }
  rows->DeleteSubrange(end, total - end);
  rows->DeleteSubrange(0, first);
  if (end < total) {
    info->set_next_page_token(
        PageToken(page.as_of, static_cast<uint64_t>(end), page.query));
  }
}

grpc::ServerUnaryReactor* InquiryService::Query(
    grpc::CallbackServerContext* context,
    const google::protobuf::Message& request, const v1::QueryOptions& options,
    std::vector<std::string> names, std::function<absl::Status()> check,
    std::function<absl::Status(const Page&, v1::AnswerInfo*)> run) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!access_->AuthorizeUnary(*context, reactor, Permission::kQuery)) {
    return reactor;
  }
  absl::Time deadline = absl::FromChrono(context->deadline());
  deadline = std::min(deadline, absl::Now() + kDefaultWait);
  // gRPC keeps the request until the call is finished, after the task.
  auto task = [this, reactor, &request, options, names = std::move(names),
               check = std::move(check), run = std::move(run), deadline] {
    absl::Status status = check();
    // Every event committed before the query began.
    const uint64_t head = log_->GetHead().next_position;
    Page page;
    page.rows = options.page_size();
    if (status.ok() && options.page_size() > kMaxPageRows) {
      status = absl::InvalidArgumentError(
          absl::StrCat("options.page_size: at most ", kMaxPageRows));
    }
    if (status.ok()) {
      page.query = QueryFingerprint(request);
      if (!options.page_token().empty()) {
        status = ReadPageToken(options.page_token(), head, &page.as_of,
                               &page.offset, page.query);
      }
    }
    // An answer as of a position needs the events before it applied;
    // otherwise it covers `head` (live runners fold the bus's commits a
    // few milliseconds late).
    const uint64_t wait_for = std::max(
        {options.min_position(), options.as_of_position(), page.as_of});
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
      // The record as it stood at `position` (or as asked): what every page
      // of the answer shows.
      if (options.page_token().empty()) {
        page.as_of =
            options.as_of_position() == 0 ? position : options.as_of_position();
      }
      status = run(page, &info);
    }
    reactor->Finish(ToGrpcStatus(status));
  };
  if (!workers_->Schedule(std::move(task))) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the server's query queue is full"));
  }
  return reactor;
}

// The answer of `view.Method(request)` into `response`: the page's part of
// its repeated field `rows`, with `info`.
#define MISSIONLOG_ANSWER(expr, rows)                 \
  do {                                                \
    auto answer = (expr);                             \
    if (!answer.ok()) return answer.status();         \
    *response = *std::move(answer);                   \
    TakePage(page, response->mutable_##rows(), info); \
    *response->mutable_info() = *info;                \
    return absl::OkStatus();                          \
  } while (0)

grpc::ServerUnaryReactor* InquiryService::WhoOwned(
    grpc::CallbackServerContext* context, const v1::WhoOwnedRequest* request,
    v1::WhoOwnedResponse* response) {
  return Query(
      context, *request, request->options(),
      {kOwnershipProjection, kAppointmentsProjection},
      [request] {
        absl::Status s = RequiredStream(request->subject(), "subject");
        return s.ok() ? CheckDate(request->has_on(), request->on(), "on", true)
                      : s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, page.as_of);
        OwnershipView view(views_, &appointments, page.as_of);
        MISSIONLOG_ANSWER(view.WhoOwned(*request), owners);
      });
}

grpc::ServerUnaryReactor* InquiryService::OwnershipHistory(
    grpc::CallbackServerContext* context,
    const v1::OwnershipHistoryRequest* request,
    v1::OwnershipHistoryResponse* response) {
  return Query(
      context, *request, request->options(), {kOwnershipProjection},
      [request] { return RequiredStream(request->subject(), "subject"); },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, page.as_of);
        OwnershipView view(views_, &appointments, page.as_of);
        MISSIONLOG_ANSWER(view.History(*request), intervals);
      });
}

grpc::ServerUnaryReactor* InquiryService::GovernmentOn(
    grpc::CallbackServerContext* context,
    const v1::GovernmentOnRequest* request,
    v1::GovernmentOnResponse* response) {
  return Query(
      context, *request, request->options(), {kAppointmentsProjection},
      [request] {
        return CheckDate(request->has_on(), request->on(), "on", true);
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        AppointmentsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.GovernmentOn(*request), posts);
      });
}

grpc::ServerUnaryReactor* InquiryService::PostHolders(
    grpc::CallbackServerContext* context, const v1::PostHoldersRequest* request,
    v1::PostHoldersResponse* response) {
  return Query(
      context, *request, request->options(), {kAppointmentsProjection},
      [request] {
        absl::Status s = RequiredStream(request->post(), "post");
        if (s.ok())
          s = CheckDate(request->has_from(), request->from(), "from", false);
        if (s.ok())
          s = CheckDate(request->has_to(), request->to(), "to", false);
        return s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        AppointmentsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.PostHolders(*request), holdings);
      });
}

grpc::ServerUnaryReactor* InquiryService::Spending(
    grpc::CallbackServerContext* context, const v1::SpendingRequest* request,
    v1::SpendingResponse* response) {
  return Query(
      context, *request, request->options(), {kSpendingProjection},
      [] { return absl::OkStatus(); },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        SpendingView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.Spending(*request), rows);
      });
}

grpc::ServerUnaryReactor* InquiryService::Decisions(
    grpc::CallbackServerContext* context, const v1::DecisionsRequest* request,
    v1::DecisionsResponse* response) {
  return Query(
      context, *request, request->options(), {kDecisionsProjection},
      [request] {
        absl::Status s =
            CheckDate(request->has_from(), request->from(), "from", false);
        return s.ok() ? CheckDate(request->has_to(), request->to(), "to", false)
                      : s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        DecisionsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.Decisions(*request), decisions);
      });
}

grpc::ServerUnaryReactor* InquiryService::DecisionLocus(
    grpc::CallbackServerContext* context,
    const v1::DecisionLocusRequest* request,
    v1::DecisionLocusResponse* response) {
  return Query(
      context, *request, request->options(), {kDecisionsProjection},
      [request] {
        absl::Status s = RequiredStream(request->mission(), "mission");
        if (s.ok()) {
          s = CheckDate(request->has_from(), request->from(), "from", false);
        }
        return s.ok() ? CheckDate(request->has_to(), request->to(), "to", false)
                      : s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        // Totals: whole, never paged.
        DecisionsView view(views_, page.as_of);
        absl::StatusOr<v1::DecisionLocusResponse> answer = view.Locus(*request);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        *response->mutable_info() = *info;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* InquiryService::Concerns(
    grpc::CallbackServerContext* context, const v1::ConcernsRequest* request,
    v1::ConcernsResponse* response) {
  return Query(
      context, *request, request->options(), {kConcernsProjection},
      [request] {
        if (!request->status().empty() && request->status() != "open" &&
            request->status() != "closed") {
          return absl::InvalidArgumentError(
              "status: \"open\", \"closed\" or empty");
        }
        return CheckDate(request->has_overdue_on(), request->overdue_on(),
                         "overdue_on", false);
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        ConcernsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.Concerns(*request), concerns);
      });
}

grpc::ServerUnaryReactor* InquiryService::DecisionsOverOpenConcerns(
    grpc::CallbackServerContext* context,
    const v1::DecisionsOverOpenConcernsRequest* request,
    v1::DecisionsOverOpenConcernsResponse* response) {
  return Query(
      context, *request, request->options(),
      {kConcernsProjection, kDecisionsProjection},
      [request] { return RequiredStream(request->subject(), "subject"); },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        DecisionsView decisions(views_, page.as_of);
        ConcernsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.OverOpenConcerns(*request, &decisions),
                          decisions);
      });
}

grpc::ServerUnaryReactor* InquiryService::WhoWasTold(
    grpc::CallbackServerContext* context, const v1::WhoWasToldRequest* request,
    v1::WhoWasToldResponse* response) {
  return Query(
      context, *request, request->options(),
      {kConcernsProjection, kAppointmentsProjection},
      [request] {
        absl::Status s = RequiredStream(request->person(), "person");
        return s.ok() ? CheckDate(request->has_before(), request->before(),
                                  "before", false)
                      : s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        AppointmentsView appointments(views_, page.as_of);
        ConcernsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.WhoWasTold(*request, &appointments), told);
      });
}

grpc::ServerUnaryReactor* InquiryService::MissionWashing(
    grpc::CallbackServerContext* context,
    const v1::MissionWashingRequest* request,
    v1::MissionWashingResponse* response) {
  return Query(
      context, *request, request->options(), {kContributionsProjection},
      [request] { return RequiredStream(request->mission(), "mission"); },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        ContributionsView view(views_, page.as_of);
        MISSIONLOG_ANSWER(view.MissionWashing(*request), unbacked);
      });
}

grpc::ServerUnaryReactor* InquiryService::Timeline(
    grpc::CallbackServerContext* context, const v1::TimelineRequest* request,
    v1::TimelineResponse* response) {
  return Query(
      context, *request, request->options(), {kTimelineProjection},
      [request] {
        absl::Status s = RequiredStream(request->subject(), "subject");
        if (s.ok() && request->limit() > 100000) {
          s = absl::InvalidArgumentError("limit: at most 100000");
        }
        return s;
      },
      [this, request, response](const Page& page, v1::AnswerInfo* info) {
        // The view stops at its request's limit: it reads to the end of
        // this page and one entry more (which says whether more follow).
        Page timeline = page;
        if (timeline.rows == 0) {
          timeline.rows =
              request->limit() == 0 ? kTimelineDefaultLimit : request->limit();
        }
        v1::TimelineRequest through = *request;
        through.set_limit(static_cast<uint32_t>(std::min<uint64_t>(
            timeline.offset + timeline.rows + 1, UINT32_MAX)));
        TimelineView view(views_, page.as_of);
        absl::StatusOr<v1::TimelineResponse> answer = view.Timeline(through);
        if (!answer.ok()) return answer.status();
        *response = *std::move(answer);
        TakePage(timeline, response->mutable_entries(), info);
        *response->mutable_info() = *info;
        return absl::OkStatus();
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
