// projections_bench: the projections over a large log, in process.
//
//   projections_bench --db=/tmp/missionlog-projections-bench --events=1000000
//
// Builds (unless --use_existing) a log of --events domain events:
// appointments at a real government's scale (200 posts held in turn in
// two-year terms since 1979, with characteristics: ~9,000 events), then
// HM Treasury-like payments with missions and suppliers (90%), ownership
// assignments over 500 subjects (5%) and departments' own opaque events
// (5%). Then, per workload, one line a script can parse:
//   rebuild      every projection dropped and replayed from position 0, all
//                at once as the server runs them: events/s of log
//   rebuild_one  each projection alone
//   query_*      WhoOwned, GovernmentOn, Spending by mission: p50/p99 over
//                --queries calls on the rebuilt state
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/workloads.h"
#include "domain/event_types.h"
#include "domain/values.h"
#include "eventstore/event_store.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/appointments.h"
#include "projections/ownership.h"
#include "projections/projection_set.h"
#include "projections/spending.h"

ABSL_FLAG(std::string, db, "/tmp/missionlog-projections-bench",
          "Store directory (wiped first unless --use_existing).");
ABSL_FLAG(bool, use_existing, false, "Keep the log already in --db.");
ABSL_FLAG(int, events, 1000000, "Events in the log.");
ABSL_FLAG(int, queries, 2000, "Calls per query workload.");
ABSL_FLAG(bool, rebuild_one, true, "Also rebuild each projection alone.");
ABSL_FLAG(int, rounds, 1, "Rebuilds of all projections at once.");
ABSL_FLAG(std::vector<std::string>, only, {},
          "Projections rebuilt alone (default: each).");

namespace missionlog {
namespace {

using domain::MakeDate;

// A deterministic mix of domain events, appended 1,000 per append.
void BuildLog(EventStore* store, int total) {
  std::vector<EventData> batch;
  std::string stream;
  const auto flush = [&] {
    if (batch.empty()) return;
    AppendRequest append;
    append.stream = stream;
    append.events = std::move(batch);
    batch.clear();
    if (!store->Append(std::move(append)).ok()) std::abort();
  };
  const auto add = [&](const std::string& s, absl::string_view type,
                       const google::protobuf::Message& m) {
    if (s != stream || batch.size() >= 1000) flush();
    stream = s;
    EventData event;
    event.type = std::string(type);
    event.content_type = "application/protobuf";
    event.payload = m.SerializeAsString();
    batch.push_back(std::move(event));
  };
  // Posts and people first.
  for (int p = 0; p < 200; ++p) {
    v1::PostCreated post;
    post.mutable_organisation()->set_stream("ifg/organisation/o" +
                                            std::to_string(p % 20));
    post.set_name(absl::StrCat("Post ", p));
    post.set_rank(p % 4 == 0 ? "SoS" : "MoS");
    post.set_rank_value(p % 4 == 0 ? 3 : 4);
    add(absl::StrCat("ifg/post/p", p),
        domain::TypeName(domain::EventType::kPostCreated), post);
  }
  for (int p = 0; p < 1000; ++p) {
    v1::PersonRegistered person;
    person.set_name(absl::StrCat("Person ", p));
    add(absl::StrCat("ifg/person/x", p),
        domain::TypeName(domain::EventType::kPersonRegistered), person);
  }
  flush();
  int written = 1200;
  // Appointments at the scale of a real government: each post held in
  // turn, two-year terms from 1979, an acting holder now and then.
  for (int p = 0; p < 200; ++p) {
    for (int year = 1979; year < 2025 && written < total; year += 2) {
      const int a = p * 100 + (year - 1979) / 2;
      v1::AppointmentMade made;
      made.mutable_person()->set_stream(absl::StrCat("ifg/person/x", a % 1000));
      made.mutable_post()->set_stream(absl::StrCat("ifg/post/p", p));
      *made.mutable_start() = MakeDate(year, 1 + p % 12, 1);
      *made.mutable_end() = MakeDate(year + 2, 1 + p % 12, 1);
      const std::string s = absl::StrCat("ifg/appointment/a", a);
      add(s, domain::TypeName(domain::EventType::kAppointmentMade), made);
      v1::AppointmentCharacteristicsRecorded c;
      c.set_cabinet_status(p % 4 == 0 ? v1::CABINET_STATUS_FULL_CABINET
                                      : v1::CABINET_STATUS_NON_CABINET);
      c.set_acting(a % 50 == 0);
      *c.mutable_start() = made.start();
      *c.mutable_end() = made.end();
      add(s,
          domain::TypeName(
              domain::EventType::kAppointmentCharacteristicsRecorded),
          c);
      written += 2;
    }
  }
  // The bulk: payments (90%), ownership changes over 500 subjects (5%),
  // departments' own opaque events (5%).
  for (int i = 0; written < total; ++i, ++written) {
    const int kind = i % 20;
    if (kind < 18) {
      v1::SpendIncurred spend;
      spend.mutable_amount()->set_minor_units(2500000 + (i * 7919) % 100000000);
      spend.mutable_amount()->set_currency("GBP");
      spend.set_supplier(absl::StrCat("Supplier ", i % 100));
      const int year = 2015 + (i / 40000) % 10;
      *spend.mutable_paid_on() = MakeDate(year, 1 + i % 12, 1 + i % 28);
      spend.add_missions()->set_stream(absl::StrCat("m/mission/m", i % 5));
      add(absl::StrFormat("hmt/spend/%04d-%02d", year, 1 + i % 12),
          domain::TypeName(domain::EventType::kSpendIncurred), spend);
    } else if (kind == 18) {
      v1::OwnerAssigned owner;
      owner.set_subject_kind(v1::SUBJECT_KIND_PROGRAMME);
      owner.mutable_owner()->mutable_post()->set_stream(
          absl::StrCat("ifg/post/p", i % 200));
      owner.set_role(v1::OWNERSHIP_ROLE_RESPONSIBLE_OWNER);
      *owner.mutable_valid_from() = MakeDate(2000 + i % 25, 1 + i % 12, 1);
      add(absl::StrCat("d/programme/s", (i / 20) % 500),
          domain::TypeName(domain::EventType::kOwnerAssigned), owner);
    } else {
      v1::Date opaque = MakeDate(2024, 1, 1);
      add(absl::StrCat("dept/case/c", i % 1000), "dept.case.updated.v1",
          opaque);
    }
  }
  flush();
}

// CPU seconds used by the process so far (all threads, user + system).
double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void WaitLive(ProjectionRunner* runner, uint64_t head) {
  if (!runner->WaitFor(head, absl::InfiniteFuture()).ok()) std::abort();
}

template <typename F>
void Latency(const std::string& name, int n, F query) {
  std::vector<double> ms;
  ms.reserve(n);
  for (int i = 0; i < n; ++i) {
    const absl::Time start = absl::Now();
    query(i);
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(ms.begin(), ms.end());
  std::printf("workload=%s calls=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
              name.c_str(), n, ms[ms.size() / 2], ms[ms.size() * 99 / 100],
              ms.back());
  std::fflush(stdout);
}

int Main() {
  const std::string db = absl::GetFlag(FLAGS_db);
  if (!absl::GetFlag(FLAGS_use_existing)) {
    std::system(absl::StrCat("rm -rf '", db, "'").c_str());
  }
  Options options;
  options.sync = false;
  std::unique_ptr<EventStore> store = EventStore::Open(options, db).value();
  if (store->GetHead().next_position == 0) {
    const absl::Time start = absl::Now();
    BuildLog(store.get(), absl::GetFlag(FLAGS_events));
    std::printf("# built a log of %llu events in %.1f s\n",
                static_cast<unsigned long long>(store->GetHead().next_position),
                absl::ToDoubleSeconds(absl::Now() - start));
  }
  const uint64_t head = store->GetHead().next_position;
  ProjectionSet set(store.get(), store.get());
  std::vector<std::string> names;
  for (const RunnerStatus& status : set.Status()) names.push_back(status.name);
  for (const std::string& name : names) WaitLive(set.Find(name), head);

  // All at once, as the server rebuilds them.
  absl::Time start;
  double seconds;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    start = absl::Now();
    const double cpu = CpuSeconds();
    for (const std::string& name : names) set.Find(name)->Rebuild();
    for (const std::string& name : names) WaitLive(set.Find(name), head);
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "workload=rebuild events=%llu seconds=%.2f events_per_s=%.0f "
        "cpu_s=%.2f\n",
        static_cast<unsigned long long>(head), seconds, head / seconds,
        CpuSeconds() - cpu);
    std::fflush(stdout);
  }
  for (const std::string& name : names) {
    if (!absl::GetFlag(FLAGS_rebuild_one)) break;
    const std::vector<std::string> only = absl::GetFlag(FLAGS_only);
    if (!only.empty() &&
        std::find(only.begin(), only.end(), name) == only.end()) {
      continue;
    }
    start = absl::Now();
    const double cpu = CpuSeconds();
    set.Find(name)->Rebuild();
    WaitLive(set.Find(name), head);
    seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "workload=rebuild_one projection=%s events=%llu seconds=%.2f "
        "events_per_s=%.0f cpu_s=%.2f\n",
        name.c_str(), static_cast<unsigned long long>(head), seconds,
        head / seconds, CpuSeconds() - cpu);
    std::fflush(stdout);
  }

  const int n = absl::GetFlag(FLAGS_queries);
  AppointmentsView appointments(store.get(), UINT64_MAX);
  OwnershipView ownership(store.get(), &appointments, UINT64_MAX);
  SpendingView spending(store.get(), UINT64_MAX);
  Latency("query_who_owned", n, [&](int i) {
    v1::WhoOwnedRequest request;
    request.set_subject(absl::StrCat("d/programme/s", i % 500));
    *request.mutable_on() = MakeDate(2024, 6, 1);
    if (!ownership.WhoOwned(request).ok()) std::abort();
  });
  Latency("query_government_on", n, [&](int i) {
    v1::GovernmentOnRequest request;
    *request.mutable_on() = MakeDate(1980 + i % 44, 1 + i % 12, 15);
    if (!appointments.GovernmentOn(request).ok()) std::abort();
  });
  Latency("query_spending_by_mission", n, [&](int i) {
    v1::SpendingRequest request;
    request.set_mission(absl::StrCat("m/mission/m", i % 5));
    if (!spending.Spending(request).ok()) std::abort();
  });
  return 0;
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  return missionlog::BenchMain(argc, argv, missionlog::Main);
}
