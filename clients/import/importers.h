// The importers of `missionlog import`: each reads published files and
// returns an ImportPlan (import_plan.h) without talking to a server.
// Rows that cannot become valid events are listed in plan.skipped with
// their file, line and reason; nothing is guessed.
//
// Streams:
//   ifg-ministers  ifg/organisation/<uuid>, ifg/person/<uuid>,
//                  ifg/post/<uuid>, ifg/appointment/<uuid> (IfG's own ids)
//   spend-25k      <organisation>/spend/<YYYY-MM>: one stream per month of
//                  payments (<organisation> from --organisation, default
//                  the slug of the department family, "hmt" for HM
//                  Treasury)
//   ocds           <buyer>/organisation/<buyer>, <buyer>/budget/<ocid>,
//                  <buyer>/contract/<ocid>--<award id>
//   govuk-orgs     govuk/organisation/<GOV.UK slug>
// Errors (absl::Status): NOT_FOUND for a missing file, INVALID_ARGUMENT for
// a file that is not in the expected layout at all.
#ifndef MISSIONLOG_CLIENTS_IMPORT_IMPORTERS_H_
#define MISSIONLOG_CLIENTS_IMPORT_IMPORTERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "clients/import/import_plan.h"

namespace missionlog {

// The IfG Ministers Database CSVs in `directory` (organisation.csv,
// organisation_link.csv, person.csv, post.csv, appointment.csv,
// appointment_characteristics.csv).
absl::StatusOr<ImportPlan> PlanIfgMinisters(const std::string& directory);

// 'Spend over £25,000' CSVs: `paths` are files or directories (every
// *.csv in them, in name order). `organisation` may be empty (derived).
absl::StatusOr<ImportPlan> PlanSpend25k(const std::vector<std::string>& paths,
                                        const std::string& organisation);

// OCDS 1.1 JSON: release packages, record packages, single releases or
// records; files or directories of *.json.
absl::StatusOr<ImportPlan> PlanOcds(const std::vector<std::string>& paths);

// Two GOV.UK Organisations API snapshots (JSON arrays of organisations),
// the earlier first: every organisation of the earlier one registered, then
// the changes between them (new organisations, closures with their
// successors, renames, parent changes) dated `changed_on` (YYYY-MM-DD;
// empty: the later snapshot's most recent updated_at date).
absl::StatusOr<ImportPlan> PlanGovukOrgs(const std::string& before,
                                         const std::string& after,
                                         const std::string& changed_on);

// The files a path names: itself, or the files in it ending in `suffix`,
// sorted by name.
absl::StatusOr<std::vector<std::string>> ExpandPaths(
    const std::vector<std::string>& paths, const std::string& suffix);
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_IMPORT_IMPORTERS_H_
