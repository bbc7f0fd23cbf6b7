// What an importer produces: the appends to send, in phases, and the rows
// it could not turn into events (with the reason and line). Importers only
// read files and build the plan; import_runner.h sends it.
//
// Event ids are name-based (eventstore/name_uuid.h) on the importer's
// name for the row ("<format>\n<stable key>"), so importing the same data
// again carries the same ids and the server adds nothing.
#ifndef MISSIONLOG_CLIENTS_IMPORT_IMPORT_PLAN_H_
#define MISSIONLOG_CLIENTS_IMPORT_IMPORT_PLAN_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "domain/event_types.h"
#include "google/protobuf/message.h"
#include "missionlog/v1/store.pb.h"

namespace missionlog {

struct SkippedRow {
  std::string file;
  int line = 0;  // 0: not tied to a line
  std::string reason;
};

struct ImportPlan {
  // Each phase's appends are sent pipelined; a phase starts only once the
  // one before it is answered, so events may reference streams started in
  // earlier phases (the server checks that referenced streams exist).
  std::vector<std::vector<v1::AppendRequest>> phases;
  std::vector<SkippedRow> skipped;
  // Things the user should know that are not rejections, e.g. "512
  // amounts had U+FFFD where '£' was".
  std::vector<std::string> notes;
  size_t rows_read = 0;
  // Events planned per type, for the summary.
  std::map<std::string, size_t> events_by_type;

  size_t events() const;
};

// Builds the plan's appends. One append per stream per phase, events in
// the order added; an append longer than the server's per-append limit is
// split.
// Not thread-safe: one per import.
class PlanBuilder {
 public:
  // `format` names the importer (the event source and id scheme).
  PlanBuilder(ImportPlan* plan, std::string format);

  // Appends to phase `phase` (0-based) an event of `type` with payload
  // `message` to `stream`. `key` identifies the source row stably.
  void Add(size_t phase, const std::string& stream, domain::EventType type,
           const google::protobuf::Message& message, absl::string_view key);

  // Ends the plan: turns the per-stream groups into appends.
  void Finish();

 private:
  static constexpr size_t kMaxEventsPerAppend = 1000;
  ImportPlan* const plan_;
  const std::string format_;
  // Per phase: stream -> its events, streams in first-seen order.
  struct Phase {
    std::vector<std::string> order;
    std::map<std::string, std::vector<v1::EventData>> events;
  };
  std::vector<Phase> phases_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_IMPORT_IMPORT_PLAN_H_
