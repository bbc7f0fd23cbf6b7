#include "services/health.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json_string.h"
#include "missionlog/v1/admin.grpc.pb.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "missionlog/v1/commands.grpc.pb.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "missionlog/v1/replication.grpc.pb.h"
#include "missionlog/v1/sealing.grpc.pb.h"
#include "missionlog/v1/store.grpc.pb.h"

namespace missionlog {
namespace {

// The services that exist to write: not serving while appends are refused.
bool Writes(const std::string& name) {
  return name == v1::EventStore::service_full_name() ||
         name == v1::Accountability::service_full_name() ||
         name == v1::Sealing::service_full_name();
}

uint64_t Megabytes(uint64_t bytes) { return bytes / 1000000; }

}  // namespace

const std::vector<std::string>& HealthServiceNames() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      "",
      v1::EventStore::service_full_name(),
      v1::Accountability::service_full_name(),
      v1::Sealing::service_full_name(),
      v1::Audit::service_full_name(),
      v1::Inquiry::service_full_name(),
      v1::Projections::service_full_name(),
      v1::Admin::service_full_name(),
      v1::Replication::service_full_name(),
  };
  return *names;
}

HealthReport AssessHealth(const HealthInputs& inputs) {
  HealthReport report;
  const Stats& stats = inputs.stats;
  if (inputs.stopping) report.reasons.push_back("the server is stopping");
  if (inputs.catching_up) {
    report.reasons.push_back("this node is copying the log from a peer");
  }
  if (inputs.stopped_applying) {
    report.reasons.push_back(
        "this node has stopped applying the cluster's log (see its log)");
  }
  report.serving_reads = report.reasons.empty();
  report.accepting_appends = report.serving_reads;
  if (stats.refusing_for_space != 0) {
    report.accepting_appends = false;
    report.reasons.push_back(absl::StrCat(
        "appends are refused: about ", Megabytes(stats.disk_free_bytes),
        " MB free on the store's disk, less than the ",
        Megabytes(stats.disk_reserve_bytes), " MB reserve"));
  }
  if (stats.appends_stopped != 0) {
    report.accepting_appends = false;
    report.reasons.push_back(
        "appends are refused: a write failed and the store has not yet "
        "reopened");
  }
  report.disk_free_bytes = stats.disk_free_bytes;
  report.disk_reserve_bytes = stats.disk_reserve_bytes;
  report.disk_space_low = stats.disk_reserve_bytes != 0 &&
                          stats.disk_free_bytes < 2 * stats.disk_reserve_bytes;
  if (report.disk_space_low && stats.refusing_for_space == 0) {
    report.reasons.push_back(
        absl::StrCat("disk space low: about ", Megabytes(stats.disk_free_bytes),
                     " MB free on the store's disk; appends stop below the ",
                     Megabytes(stats.disk_reserve_bytes), " MB reserve"));
  }
  if (stats.write_stopped != 0) {
    report.reasons.push_back("RocksDB has stopped writes (a write stall)");
  }
  if (!report.serving_reads) {
    report.status = "unavailable";
  } else if (!report.accepting_appends) {
    report.status = "degraded";
  } else if (!report.reasons.empty()) {
    report.status = "warning";
  }
  for (const std::string& name : HealthServiceNames()) {
    const bool serving =
        report.serving_reads &&
        (report.accepting_appends || (!name.empty() && !Writes(name)));
    report.services.emplace_back(name, serving);
  }
  return report;
}

std::string HealthReport::Json() const {
  std::vector<std::string> quoted;
  quoted.reserve(reasons.size());
  for (const std::string& reason : reasons) {
    quoted.push_back(JsonString(reason));
  }
  return absl::StrCat(
      "{\"status\":", JsonString(status),
      ",\"accepting_appends\":", accepting_appends ? "true" : "false",
      ",\"serving_reads\":", serving_reads ? "true" : "false",
      ",\"disk_free_bytes\":", disk_free_bytes,
      ",\"disk_reserve_bytes\":", disk_reserve_bytes, ",\"reasons\":[",
      absl::StrJoin(quoted, ","), "]}\n");
}

int HealthReport::HttpStatus() const {
  return status == "ok" || status == "warning" ? 200 : 503;
}

bool HealthReport::operator==(const HealthReport& other) const {
  return status == other.status && reasons == other.reasons &&
         services == other.services;
}

}  // namespace missionlog
