// `missionlog query VIEW ...` and `missionlog projections status|rebuild`:
// the Inquiry and Projections services (inquiry.proto) as tables, or with
// --json the response as one JSON object. Every row shows the positions of
// the events it was derived from; `missionlog prove P` checks any of them.
//
//   query government-on DATE [--post=TEXT] [--organisation=STREAM]
//                             [--rank=SoS,MoS]
//   query post-holders POST [--from=DATE] [--to=DATE]
//   query who-owned SUBJECT DATE
//   query ownership-history SUBJECT
//   query spending [--mission=STREAM] [--organisation=SLUG]
//                  [--supplier=NAME] [--fiscal-year=2024-25]
//   query decisions [--mission=] [--organisation=] [--forum=] [--level=]
//                   [--decided-by=STREAM] [--from=DATE] [--to=DATE]
//   query decision-locus MISSION [--from=DATE] [--to=DATE]
//   query concerns [--status=open|closed] [--about=] [--raised-to=]
//                  [--overdue-on=DATE]
//   query decisions-over-open-concerns SUBJECT
//   query who-was-told PERSON [--before=DATE]
//   query mission-washing MISSION
//   query timeline SUBJECT [--limit=N] [--page-token=T]
//   every query: [--as-of=POSITION] [--min-position=POSITION]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/currency.h"
#include "clients/cli_commands.h"
#include "clients/import/fields.h"
#include "google/protobuf/util/json_util.h"

namespace missionlog {
namespace {

std::string Date(const v1::Date& date) {
  return date.year() == 0 ? "" : FormatDate(date);
}

std::string Positions(const google::protobuf::RepeatedField<uint64_t>& p) {
  std::vector<std::string> out;
  for (int i = 0; i < p.size() && i < 6; ++i) out.push_back(absl::StrCat(p[i]));
  if (p.size() > 6) out.push_back(absl::StrCat("+", p.size() - 6));
  return absl::StrJoin(out, ",");
}

std::string OwnerText(const v1::Owner& owner) {
  switch (owner.owner_case()) {
    case v1::Owner::kOrganisation:
      return "organisation " + owner.organisation().stream();
    case v1::Owner::kPost:
      return "post " + owner.post().stream();
    case v1::Owner::kPerson:
      return "person " + owner.person().stream();
    default:
      return "?";
  }
}

std::string Flags(const v1::PostHolding& h) {
  std::vector<std::string> flags;
  if (h.acting()) flags.push_back("acting");
  if (h.on_leave()) {
    flags.push_back(h.leave_reason().empty()
                        ? "on leave"
                        : absl::StrCat("on leave (", h.leave_reason(), ")"));
  }
  return absl::StrJoin(flags, ", ");
}

int PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s\n", json.c_str());
  return 0;
}

bool DateArg(const std::string& text, const std::string& what, v1::Date* out) {
  absl::StatusOr<v1::Date> date = ParseIsoDate(text);
  if (!date.ok()) {
    UsageError(absl::StrCat(what, ": ", date.status().message()));
    return false;
  }
  *out = *date;
  return true;
}

// --as-of and --min-position; false (after a usage error) if malformed.
bool Options(const Args& args, v1::QueryOptions* options) {
  uint64_t n = 0;
  for (const char* name : {"as-of", "min-position"}) {
    if (!args.Has(name)) continue;
    if (!ParseNumber(args.Get(name, ""), &n)) {
      UsageError("--as-of and --min-position take a position");
      return false;
    }
    if (std::string(name) == "as-of") {
      options->set_as_of_position(n);
    } else {
      options->set_min_position(n);
    }
  }
  return true;
}

void PrintInfo(const v1::AnswerInfo& info, const v1::QueryOptions& options) {
  std::printf("(from projection %s at position %llu%s)\n",
              info.projection().c_str(),
              static_cast<unsigned long long>(info.position()),
              options.as_of_position() == 0
                  ? ""
                  : absl::StrCat("; as the record stood before position ",
                                 options.as_of_position())
                        .c_str());
}

int GovernmentOn(Client* client, const Args& args, bool json) {
  v1::GovernmentOnRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query government-on takes DATE");
  }
  if (!DateArg(args.positional[2], "DATE", request.mutable_on())) return 2;
  request.set_post_name_contains(args.Get("post", ""));
  request.set_organisation(args.Get("organisation", ""));
  for (absl::string_view rank :
       absl::StrSplit(args.Get("rank", ""), ',', absl::SkipEmpty())) {
    request.add_ranks(std::string(rank));
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::GovernmentOnResponse> response =
      client->GovernmentOn(request);
  if (!response.ok()) return CallError("government-on", response.status());
  if (json) return PrintJson(*response);
  std::printf("%-6s %-44s %-26s %-24s %-10s %-10s %s\n", "RANK", "POST",
              "ORGANISATION", "HOLDER", "FROM", "TO", "POSITIONS");
  int holders = 0;
  for (const v1::PostOn& post : response->posts()) {
    for (const v1::PostHolding& h : post.holders()) {
      ++holders;
      const std::string flags = Flags(h);
      std::printf("%-6s %-44s %-26s %-24s %-10s %-10s %s%s\n",
                  post.rank().c_str(), post.post_name().substr(0, 44).c_str(),
                  post.organisation_name().substr(0, 26).c_str(),
                  h.person_name().substr(0, 24).c_str(),
                  Date(h.start()).c_str(), Date(h.end()).c_str(),
                  Positions(h.positions()).c_str(),
                  flags.empty() ? "" : ("  " + flags).c_str());
    }
  }
  std::printf("(%d posts, %d holders on %s) ", response->posts_size(), holders,
              Date(request.on()).c_str());
  PrintInfo(response->info(), request.options());
  return 0;
}

int PostHolders(Client* client, const Args& args, bool json) {
  v1::PostHoldersRequest request;
  if (args.positional.size() != 3)
    return UsageError("query post-holders takes POST");
  request.set_post(args.positional[2]);
  if (args.Has("from") &&
      !DateArg(args.Get("from", ""), "--from", request.mutable_from())) {
    return 2;
  }
  if (args.Has("to") &&
      !DateArg(args.Get("to", ""), "--to", request.mutable_to())) {
    return 2;
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::PostHoldersResponse> response =
      client->PostHolders(request);
  if (!response.ok()) return CallError("post-holders", response.status());
  if (json) return PrintJson(*response);
  std::printf("%s (%s)\n", response->post_name().c_str(),
              request.post().c_str());
  std::printf("%-28s %-10s %-10s %-8s %s\n", "HOLDER", "FROM", "TO", "",
              "POSITIONS");
  for (const v1::PostHolding& h : response->holdings()) {
    std::printf("%-28s %-10s %-10s %-8s %s\n",
                h.person_name().substr(0, 28).c_str(), Date(h.start()).c_str(),
                Date(h.end()).c_str(), h.acting() ? "acting" : "",
                Positions(h.positions()).c_str());
  }
  std::printf("(%d holdings) ", response->holdings_size());
  PrintInfo(response->info(), request.options());
  return 0;
}

int WhoOwned(Client* client, const Args& args, bool json) {
  v1::WhoOwnedRequest request;
  if (args.positional.size() != 4) {
    return UsageError("query who-owned takes SUBJECT DATE");
  }
  request.set_subject(args.positional[2]);
  if (!DateArg(args.positional[3], "DATE", request.mutable_on())) return 2;
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::WhoOwnedResponse> response = client->WhoOwned(request);
  if (!response.ok()) return CallError("who-owned", response.status());
  if (json) return PrintJson(*response);
  std::printf("%s on %s:\n", request.subject().c_str(),
              Date(request.on()).c_str());
  if (response->owners().empty()) std::printf("  no owner recorded\n");
  for (const v1::OwnerOn& owner : response->owners()) {
    std::printf("  %s: %s%s since %s (%s)  [positions %s]\n",
                v1::OwnershipRole_Name(owner.role()).c_str(),
                owner.owner_name().empty()
                    ? ""
                    : absl::StrCat(owner.owner_name(), ", ").c_str(),
                OwnerText(owner.owner()).c_str(), Date(owner.since()).c_str(),
                owner.via().c_str(), Positions(owner.positions()).c_str());
    if (owner.owner().has_post() && owner.holders().empty()) {
      std::printf("    held by nobody that day (vacant)\n");
    }
    for (const v1::PostHolding& h : owner.holders()) {
      const std::string flags = Flags(h);
      std::printf("    held by %s (%s) from %s%s  [positions %s]\n",
                  h.person_name().c_str(), h.person().c_str(),
                  Date(h.start()).c_str(),
                  flags.empty() ? "" : (", " + flags).c_str(),
                  Positions(h.positions()).c_str());
    }
  }
  PrintInfo(response->info(), request.options());
  return 0;
}

int OwnershipHistory(Client* client, const Args& args, bool json) {
  v1::OwnershipHistoryRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query ownership-history takes SUBJECT");
  }
  request.set_subject(args.positional[2]);
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::OwnershipHistoryResponse> response =
      client->OwnershipHistory(request);
  if (!response.ok()) return CallError("ownership-history", response.status());
  if (json) return PrintJson(*response);
  std::printf("%-34s %-60s %-10s %-10s %-12s %s\n", "ROLE", "OWNER", "FROM",
              "TO", "HOW", "POSITIONS");
  for (const v1::OwnershipInterval& i : response->intervals()) {
    std::printf(
        "%-34s %-60s %-10s %-10s %-12s %s\n",
        v1::OwnershipRole_Name(i.role()).c_str(),
        OwnerText(i.owner()).substr(0, 60).c_str(), Date(i.from()).c_str(),
        Date(i.to()).c_str(),
        (i.via() + (i.ended_by().empty() ? "" : "/" + i.ended_by())).c_str(),
        Positions(i.positions()).c_str());
  }
  PrintInfo(response->info(), request.options());
  return 0;
}

int Spending(Client* client, const Args& args, bool json) {
  v1::SpendingRequest request;
  request.set_mission(args.Get("mission", ""));
  request.set_organisation(args.Get("organisation", ""));
  request.set_supplier(args.Get("supplier", ""));
  request.set_fiscal_year(args.Get("fiscal-year", ""));
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::SpendingResponse> response = client->Spending(request);
  if (!response.ok()) return CallError("spending", response.status());
  if (json) return PrintJson(*response);
  std::printf("%-8s %-8s %-4s %20s %20s %20s %7s %s\n", "FY", "MONTH", "CCY",
              "ALLOCATED", "COMMITTED", "INCURRED", "EVENTS", "POSITIONS");
  for (const v1::SpendingRow& row : response->rows()) {
    std::printf("%-8s %-8s %-4s %20s %20s %20s %7llu %s\n",
                row.fiscal_year().c_str(),
                row.month().empty() ? "total" : row.month().c_str(),
                row.currency().c_str(),
                FormatMinorUnits(row.allocated(), row.currency()).c_str(),
                FormatMinorUnits(row.committed(), row.currency()).c_str(),
                FormatMinorUnits(row.incurred(), row.currency()).c_str(),
                static_cast<unsigned long long>(row.events()),
                Positions(row.positions()).c_str());
    if (row.not_proceeding() != 0) {
      std::printf(
          "%-22s %20s not proceeding (tenders unsuccessful or "
          "cancelled: not in ALLOCATED)\n",
          "", FormatMinorUnits(row.not_proceeding(), row.currency()).c_str());
    }
  }
  PrintInfo(response->info(), request.options());
  return 0;
}

void PrintDecision(const v1::DecisionRow& d, const std::string& indent) {
  std::printf("%s%-10s %-10s %-28s %-18s %-26s %s  [positions %s]\n",
              indent.c_str(), Date(d.decided_on()).c_str(), d.status().c_str(),
              v1::DecisionLevel_Name(d.level()).substr(15).c_str(),
              d.organisation().c_str(), d.forum().substr(0, 26).c_str(),
              d.title().c_str(), Positions(d.positions()).c_str());
  for (const v1::DecisionChange& c : d.changes()) {
    std::printf("%s    %s %s: %s [position %llu]\n", indent.c_str(),
                c.kind().c_str(), Date(c.on()).c_str(), c.text().c_str(),
                static_cast<unsigned long long>(c.position()));
  }
}

void PrintConcern(const v1::ConcernRow& c, const std::string& indent) {
  std::printf("%s%-10s %-6s %-16s %-32s %s  [positions %s]\n", indent.c_str(),
              Date(c.raised_on()).c_str(), c.status().c_str(),
              v1::Severity_Name(c.severity()).substr(9).c_str(),
              c.concern().c_str(), c.summary().c_str(),
              Positions(c.positions()).c_str());
}

// An optional --name=DATE: `date()` is called (setting the field) only
// when it is given. False (after a usage error) if malformed.
template <typename F>
bool OptionalDate(const Args& args, const std::string& name, F date) {
  return !args.Has(name) || DateArg(args.Get(name, ""), "--" + name, date());
}

int Decisions(Client* client, const Args& args, bool json) {
  v1::DecisionsRequest request;
  request.set_mission(args.Get("mission", ""));
  request.set_organisation(args.Get("organisation", ""));
  request.set_forum(args.Get("forum", ""));
  request.set_decided_by(args.Get("decided-by", ""));
  if (args.Has("level")) {
    v1::DecisionLevel level;
    if (!v1::DecisionLevel_Parse("DECISION_LEVEL_" + args.Get("level", ""),
                                 &level)) {
      return UsageError(
          "--level takes CENTRE, DEPARTMENT, ARMS_LENGTH_BODY, "
          "LOCAL or PARTNER");
    }
    request.set_level(level);
  }
  if (!OptionalDate(args, "from", [&] { return request.mutable_from(); })) {
    return 2;
  }
  if (!OptionalDate(args, "to", [&] { return request.mutable_to(); })) {
    return 2;
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::DecisionsResponse> response = client->Decisions(request);
  if (!response.ok()) return CallError("decisions", response.status());
  if (json) return PrintJson(*response);
  for (const v1::DecisionRow& d : response->decisions()) PrintDecision(d, "");
  std::printf("(%d decisions) ", response->decisions_size());
  PrintInfo(response->info(), request.options());
  return 0;
}

int DecisionLocus(Client* client, const Args& args, bool json) {
  v1::DecisionLocusRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query decision-locus takes MISSION");
  }
  request.set_mission(args.positional[2]);
  if (!OptionalDate(args, "from", [&] { return request.mutable_from(); })) {
    return 2;
  }
  if (!OptionalDate(args, "to", [&] { return request.mutable_to(); })) {
    return 2;
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::DecisionLocusResponse> response =
      client->DecisionLocus(request);
  if (!response.ok()) return CallError("decision-locus", response.status());
  if (json) return PrintJson(*response);
  std::printf("%llu decisions serving %s\n",
              static_cast<unsigned long long>(response->decisions()),
              request.mission().c_str());
  const auto table = [](const char* what, const auto& shares) {
    for (const v1::LocusShare& share : shares) {
      std::printf("  %-13s %-40s %5llu %5.1f%%  [positions %s]\n", what,
                  share.key().c_str(),
                  static_cast<unsigned long long>(share.decisions()),
                  share.share() * 100, Positions(share.positions()).c_str());
    }
  };
  table("level", response->by_level());
  table("forum", response->by_forum());
  table("organisation", response->by_organisation());
  PrintInfo(response->info(), request.options());
  return 0;
}

int Concerns(Client* client, const Args& args, bool json) {
  v1::ConcernsRequest request;
  request.set_status(args.Get("status", ""));
  request.set_about(args.Get("about", ""));
  request.set_raised_to(args.Get("raised-to", ""));
  if (!OptionalDate(args, "overdue-on",
                    [&] { return request.mutable_overdue_on(); })) {
    return 2;
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::ConcernsResponse> response = client->Concerns(request);
  if (!response.ok()) return CallError("concerns", response.status());
  if (json) return PrintJson(*response);
  for (const v1::ConcernRow& c : response->concerns()) {
    PrintConcern(c, "");
    for (const v1::ConcernStep& step : c.steps()) {
      std::printf("    %s %s %s [position %llu]\n", step.kind().c_str(),
                  Date(step.on()).c_str(), step.text().c_str(),
                  static_cast<unsigned long long>(step.position()));
    }
  }
  std::printf("(%d concerns) ", response->concerns_size());
  PrintInfo(response->info(), request.options());
  return 0;
}

int OverOpenConcerns(Client* client, const Args& args, bool json) {
  v1::DecisionsOverOpenConcernsRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query decisions-over-open-concerns takes SUBJECT");
  }
  request.set_subject(args.positional[2]);
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::DecisionsOverOpenConcernsResponse> response =
      client->DecisionsOverOpenConcerns(request);
  if (!response.ok()) {
    return CallError("decisions-over-open-concerns", response.status());
  }
  if (json) return PrintJson(*response);
  for (const v1::DecisionOverConcern& d : response->decisions()) {
    PrintDecision(d.decision(), "");
    for (const v1::ConcernRow& c : d.open_concerns()) {
      PrintConcern(c, "    open: ");
    }
  }
  std::printf("(%d decisions taken while a concern was open) ",
              response->decisions_size());
  PrintInfo(response->info(), request.options());
  return 0;
}

int WhoWasTold(Client* client, const Args& args, bool json) {
  v1::WhoWasToldRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query who-was-told takes PERSON");
  }
  request.set_person(args.positional[2]);
  if (!OptionalDate(args, "before", [&] { return request.mutable_before(); })) {
    return 2;
  }
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::WhoWasToldResponse> response = client->WhoWasTold(request);
  if (!response.ok()) return CallError("who-was-told", response.status());
  if (json) return PrintJson(*response);
  for (const v1::ToldRow& t : response->told()) {
    std::printf("%s, %s:\n", Date(t.on()).c_str(), t.how().c_str());
    PrintConcern(t.concern(), "    ");
  }
  std::printf("(%d concerns) ", response->told_size());
  PrintInfo(response->info(), request.options());
  return 0;
}

int MissionWashing(Client* client, const Args& args, bool json) {
  v1::MissionWashingRequest request;
  if (args.positional.size() != 3) {
    return UsageError("query mission-washing takes MISSION");
  }
  request.set_mission(args.positional[2]);
  if (!Options(args, request.mutable_options())) return 2;
  absl::StatusOr<v1::MissionWashingResponse> response =
      client->MissionWashing(request);
  if (!response.ok()) return CallError("mission-washing", response.status());
  if (json) return PrintJson(*response);
  for (const v1::ClaimRow& c : response->unbacked()) {
    std::printf("%-10s %-40s %s  [positions %s]\n",
                Date(c.valid_from()).c_str(), c.by().c_str(), c.claim().c_str(),
                Positions(c.positions()).c_str());
  }
  std::printf(
      "(%d of %u claims have no decision, spending or evidence behind "
      "them) ",
      response->unbacked_size(), response->claims());
  PrintInfo(response->info(), request.options());
  return 0;
}

int Timeline(Client* client, const Args& args, bool json) {
  v1::TimelineRequest request;
  if (args.positional.size() != 3)
    return UsageError("query timeline takes SUBJECT");
  request.set_subject(args.positional[2]);
  uint64_t limit = 0;
  if (args.Has("limit") && !ParseNumber(args.Get("limit", ""), &limit)) {
    return UsageError("--limit takes a number");
  }
  request.set_limit(static_cast<uint32_t>(limit));
  if (!Options(args, request.mutable_options())) return 2;
  request.mutable_options()->set_page_token(args.Get("page-token", ""));
  absl::StatusOr<v1::TimelineResponse> response = client->Timeline(request);
  if (!response.ok()) return CallError("timeline", response.status());
  if (json) return PrintJson(*response);
  std::printf("%-9s %-48s %-40s %s\n", "POSITION", "TYPE", "STREAM", "VIA");
  for (const v1::TimelineEntry& e : response->entries()) {
    std::printf("%-9llu %-48s %-40s %s\n",
                static_cast<unsigned long long>(e.position()), e.type().c_str(),
                e.stream().c_str(), e.via().c_str());
  }
  std::printf("(%d events) ", response->entries_size());
  PrintInfo(response->info(), request.options());
  if (!response->info().next_page_token().empty()) {
    std::printf("(more: the same command with --page-token=%s)\n",
                response->info().next_page_token().c_str());
  }
  return 0;
}

void PrintStatus(const v1::ProjectionStatus& s) {
  std::printf("%-14s %-12s %10llu %10llu %8llu %12.0f %s\n", s.name().c_str(),
              s.state().c_str(), static_cast<unsigned long long>(s.position()),
              static_cast<unsigned long long>(s.head()),
              static_cast<unsigned long long>(s.lag()), s.events_per_second(),
              s.error().c_str());
}

}  // namespace

int QueryCommand(Client* client, const Args& args, bool json) {
  const std::string view = args.positional.size() > 1 ? args.positional[1] : "";
  if (view == "government-on") return GovernmentOn(client, args, json);
  if (view == "post-holders") return PostHolders(client, args, json);
  if (view == "who-owned") return WhoOwned(client, args, json);
  if (view == "ownership-history") return OwnershipHistory(client, args, json);
  if (view == "spending") return Spending(client, args, json);
  if (view == "decisions") return Decisions(client, args, json);
  if (view == "decision-locus") return DecisionLocus(client, args, json);
  if (view == "concerns") return Concerns(client, args, json);
  if (view == "decisions-over-open-concerns") {
    return OverOpenConcerns(client, args, json);
  }
  if (view == "who-was-told") return WhoWasTold(client, args, json);
  if (view == "mission-washing") return MissionWashing(client, args, json);
  if (view == "timeline") return Timeline(client, args, json);
  return UsageError(
      "query takes government-on, post-holders, who-owned, "
      "ownership-history, spending, decisions, decision-locus, concerns, "
      "decisions-over-open-concerns, who-was-told, mission-washing or "
      "timeline");
}

int ProjectionsCommand(Client* client, const Args& args, bool json) {
  const std::string what = args.positional.size() > 1 ? args.positional[1] : "";
  if (what == "status" && args.positional.size() == 2) {
    absl::StatusOr<v1::ProjectionStatusResponse> status =
        client->ProjectionStatus();
    if (!status.ok()) return CallError("projections status", status.status());
    if (json) return PrintJson(*status);
    std::printf("%-14s %-12s %10s %10s %8s %12s\n", "PROJECTION", "STATE",
                "POSITION", "HEAD", "LAG", "EVENTS/S");
    for (const v1::ProjectionStatus& s : status->projections()) PrintStatus(s);
    return 0;
  }
  if (what == "rebuild" && args.positional.size() == 3) {
    const std::string name = args.positional[2];
    absl::StatusOr<v1::RebuildResponse> started =
        client->RebuildProjection(name);
    if (!started.ok())
      return CallError("projections rebuild", started.status());
    // Follow it until it has caught up (a progress bar on a terminal).
    ProgressBar bar(!json && isatty(STDERR_FILENO), "events");
    v1::ProjectionStatus last = started->status();
    while (!args.Has("no-wait")) {
      absl::StatusOr<v1::ProjectionStatusResponse> status =
          client->ProjectionStatus();
      if (!status.ok()) return CallError("projections status", status.status());
      for (const v1::ProjectionStatus& s : status->projections()) {
        if (s.name() == name) last = s;
      }
      bar.Update(last.position(), last.head());
      if (last.state() == "live" || last.state() == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    bar.Clear();
    if (json) return PrintJson(last);
    PrintStatus(last);
    return last.state() == "failed" ? 1 : 0;
  }
  return UsageError("projections takes status, or rebuild NAME [--no-wait]");
}

}  // namespace missionlog
