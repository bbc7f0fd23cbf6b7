// What missionlogd tells health checks (README "Health"): the standard gRPC
// health service (grpc.health.v1.Health) per service name and for "", and
// GET /health on the HTTP listener, both from one assessment of the server.
//
//   ""                                SERVING only while every service is
//   missionlog.v1.EventStore,         NOT_SERVING while appends are refused
//   missionlog.v1.Accountability,     (less than the disk reserve free, or a
//   missionlog.v1.Sealing             write failed and the store has not yet
//                                     reopened): they exist to write
//   missionlog.v1.Audit, Inquiry,     SERVING while reads are answered
//   Projections, Admin, Replication
//
// Every name is NOT_SERVING while the server stops, while a cluster's node
// copies the log from a peer, and for good once it stops applying the
// cluster's log. gRPC's health protocol has no warning state, so a disk
// nearing its reserve (less than twice the reserve free) shows only on
// GET /health ("warning", HTTP 200) and in the metrics: monitoring warns
// before appends are refused.
//
// AssessHealth is a pure function of what the server knows; the server
// calls it at every change it is told of and every 250 ms (the disk's
// state is read every 100 ms).
#ifndef MISSIONLOG_SERVICES_HEALTH_H_
#define MISSIONLOG_SERVICES_HEALTH_H_

#include <string>
#include <utility>
#include <vector>

#include "eventstore/event_log.h"

namespace missionlog {

struct HealthInputs {
  bool stopping = false;          // SIGTERM: the server is shutting down
  bool catching_up = false;       // a cluster's node copying from a peer
  bool stopped_applying = false;  // a cluster's node that stopped for good
  Stats stats;                    // the store's
};

struct HealthReport {
  // "ok", "warning" (all served, but look: the disk nears its reserve, or
  // RocksDB stalls writes), "degraded" (reads served, appends refused),
  // "unavailable" (nothing should be sent here).
  std::string status = "ok";
  bool accepting_appends = true;
  bool serving_reads = true;
  bool disk_space_low = false;       // less than twice the reserve free
  uint64_t disk_free_bytes = 0;      // the store's last reading
  uint64_t disk_reserve_bytes = 0;   // 0: no reserve
  std::vector<std::string> reasons;  // one sentence each; empty when ok
  // grpc.health.v1 per service name ("" included): whether SERVING.
  std::vector<std::pair<std::string, bool>> services;

  // GET /health's body: {"status":..., "accepting_appends":...,
  // "serving_reads":..., "disk_free_bytes":..., "disk_reserve_bytes":...,
  // "reasons":[...]}.
  std::string Json() const;
  // 200 for ok and warning, 503 otherwise (load balancers' convention).
  int HttpStatus() const;
  bool operator==(const HealthReport& other) const;
};

HealthReport AssessHealth(const HealthInputs& inputs);

// The gRPC service names health answers for, "" first.
const std::vector<std::string>& HealthServiceNames();

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_HEALTH_H_
