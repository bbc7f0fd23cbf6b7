// Sends an ImportPlan to the server: each phase pipelined on AppendStream
// calls, phases one after another. Appends whose events are all in the log
// already count as "already present" (a re-import adds nothing); an append
// that mixes new and old events (the source gained rows since the last
// import) is resent one event at a time, so only the new ones are added.
//
// Thread safety: RunImport uses its own client calls and plan; calls may
// run concurrently.
#ifndef MISSIONLOG_CLIENTS_IMPORT_IMPORT_RUNNER_H_
#define MISSIONLOG_CLIENTS_IMPORT_IMPORT_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "clients/client.h"
#include "clients/import/import_plan.h"

namespace missionlog {

struct ImportSummary {
  size_t events_appended = 0;
  size_t events_already_present = 0;
  size_t events_rejected = 0;
  // One line per rejected append: the stream, the gRPC code and message.
  std::vector<std::string> rejections;
};

// Progress: events answered so far, of the plan's total.
using ImportProgress = std::function<void(size_t done, size_t total)>;

// Fails only if a call itself fails (e.g. the server is unreachable);
// rejected appends are counted in the summary.
absl::StatusOr<ImportSummary> RunImport(Client* client, ImportPlan plan,
                                        const ImportProgress& progress);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_IMPORT_IMPORT_RUNNER_H_
