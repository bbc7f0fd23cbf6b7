// `missionlog import FORMAT PATH...`: reads published data, builds the
// events (clients/import/importers.h) and sends them, then prints what it
// did: events appended, already present (a re-import adds nothing) and
// rejected, the events by type, and every skipped row with its file, line
// and reason (the first 50 unless --all-skipped). --dry-run reads and
// plans only. Exit status 1 if the server rejected any append.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli_commands.h"
#include "clients/cli_output.h"
#include "clients/import/import_runner.h"
#include "clients/import/importers.h"

namespace missionlog {
namespace {

constexpr size_t kSkippedShown = 50;

absl::StatusOr<ImportPlan> Plan(const Args& args) {
  const std::string& format = args.positional[1];
  std::vector<std::string> paths(args.positional.begin() + 2,
                                 args.positional.end());
  if (format == "ifg-ministers" && paths.size() == 1) {
    return PlanIfgMinisters(paths[0]);
  }
  if (format == "spend-25k" && !paths.empty()) {
    return PlanSpend25k(paths, args.Get("organisation", ""));
  }
  if (format == "ocds" && !paths.empty()) return PlanOcds(paths);
  if (format == "govuk-orgs" && paths.size() == 2) {
    return PlanGovukOrgs(paths[0], paths[1], args.Get("changed-on", ""));
  }
  return absl::InvalidArgumentError("usage");
}

std::string Where(const SkippedRow& row) {
  return row.line > 0 ? absl::StrCat(row.file, " line ", row.line) : row.file;
}

void PrintJson(const std::string& format, const ImportPlan& plan,
               size_t planned, const ImportSummary& summary, double seconds) {
  std::vector<std::string> skipped;
  for (const SkippedRow& row : plan.skipped) {
    skipped.push_back(
        absl::StrCat("{\"file\":", JsonString(row.file), ",\"line\":", row.line,
                     ",\"reason\":", JsonString(row.reason), "}"));
  }
  std::vector<std::string> types, rejections, notes;
  for (const auto& [type, count] : plan.events_by_type) {
    types.push_back(absl::StrCat(JsonString(type), ":", count));
  }
  for (const std::string& r : summary.rejections) {
    rejections.push_back(JsonString(r));
  }
  for (const std::string& n : plan.notes) notes.push_back(JsonString(n));
  std::printf(
      "{\"format\":%s,\"rows_read\":%zu,\"events_planned\":%zu,"
      "\"events_appended\":%zu,\"events_already_present\":%zu,"
      "\"events_rejected\":%zu,\"seconds\":%.3f,\"events_by_type\":{%s},"
      "\"skipped\":[%s],\"rejections\":[%s],\"notes\":[%s]}\n",
      JsonString(format).c_str(), plan.rows_read, planned,
      summary.events_appended, summary.events_already_present,
      summary.events_rejected, seconds, absl::StrJoin(types, ",").c_str(),
      absl::StrJoin(skipped, ",").c_str(),
      absl::StrJoin(rejections, ",").c_str(),
      absl::StrJoin(notes, ",").c_str());
}

void PrintText(const std::string& format, const ImportPlan& plan,
               size_t planned, const ImportSummary& summary, double seconds,
               bool dry_run, bool all_skipped) {
  std::printf(
      "import %s: %zu rows read, %zu events planned, %zu rows skipped\n",
      format.c_str(), plan.rows_read, planned, plan.skipped.size());
  if (!dry_run) {
    std::printf(
        "  %zu events appended, %zu already present, %zu rejected in %.2f s "
        "(%.0f events/s)\n",
        summary.events_appended, summary.events_already_present,
        summary.events_rejected, seconds,
        seconds > 0 ? planned / seconds : 0.0);
  }
  for (const auto& [type, count] : plan.events_by_type) {
    std::printf("  %8zu %s\n", count, type.c_str());
  }
  for (size_t i = 0; i < plan.skipped.size(); ++i) {
    if (i == kSkippedShown && !all_skipped) {
      std::printf(
          "  ... and %zu more skipped rows (--all-skipped lists them)\n",
          plan.skipped.size() - kSkippedShown);
      break;
    }
    std::printf("  skipped %s: %s\n", Where(plan.skipped[i]).c_str(),
                plan.skipped[i].reason.c_str());
  }
  for (const std::string& rejection : summary.rejections) {
    std::printf("  rejected %s\n", rejection.c_str());
  }
  for (const std::string& note : plan.notes) {
    std::printf("  note: %s\n", note.c_str());
  }
}

}  // namespace

int ImportCommand(Client* client, const Args& args, bool json) {
  if (args.positional.size() < 3) {
    return UsageError(
        "import takes FORMAT PATH... (ifg-ministers DIR | spend-25k PATH... "
        "| ocds PATH... | govuk-orgs BEFORE AFTER)");
  }
  const std::string format = args.positional[1];
  absl::StatusOr<ImportPlan> plan = Plan(args);
  if (!plan.ok() && plan.status().message() == "usage") {
    return UsageError(absl::StrCat("import ", format,
                                   ": unknown format or wrong number of "
                                   "paths"));
  }
  if (!plan.ok()) return CallError("import " + format, plan.status());
  const bool dry_run = args.Has("dry-run");
  // The summary's view of the plan, without the appends sent.
  ImportPlan report;
  report.skipped = plan->skipped;
  report.notes = plan->notes;
  report.rows_read = plan->rows_read;
  report.events_by_type = plan->events_by_type;
  const size_t planned = plan->events();
  ImportSummary summary;
  const absl::Time start = absl::Now();
  if (!dry_run) {
    ProgressBar bar(!json && isatty(STDERR_FILENO), "events");
    absl::StatusOr<ImportSummary> sent = RunImport(
        client, *std::move(plan),
        [&bar](size_t done, size_t total) { bar.Update(done, total); });
    bar.Clear();
    if (!sent.ok()) return CallError("import " + format, sent.status());
    summary = *std::move(sent);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (json) {
    PrintJson(format, report, planned, summary, seconds);
  } else {
    PrintText(format, report, planned, summary, seconds, dry_run,
              args.Has("all-skipped"));
  }
  return summary.events_rejected > 0 ? 1 : 0;
}

}  // namespace missionlog
