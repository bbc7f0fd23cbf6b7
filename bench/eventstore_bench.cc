// Engine benchmark (leveldb's db_bench is the model): named workloads over a
// real RocksDB store on disk, one parseable line per workload:
//
//   workload=append_single threads=64 ... events_per_s=... p50_us=...
//   p99_us=...
//
// Latencies are per operation: one append, or one read call.
//
//   append_single  --threads appenders, one event per append
//   append_batch   --batch_threads appenders, --batch events per append
//   read_all       the whole log in reads of --read_limit events
//   read_stream    every stream written above, in reads of --read_limit
//   proofs         inclusion and consistency proofs over the whole log
//   disk_sync      the disk itself: 512-byte appends to a plain file, each
//                  followed by fdatasync (no RocksDB), for reading the
//                  append figures against what the disk can do today; for
//                  --disk_sync_seconds, as some virtual disks stall a sync
//                  for hundreds of milliseconds once in thousands (its max,
//                  stalls= the syncs over 10 ms, and wait_p99_ms= what the
//                  stalls alone impose: DiskWaitP99)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "bench/workloads.h"
#include "eventstore/event_store.h"

ABSL_FLAG(std::string, db, "/tmp/missionlog-bench",
          "Store directory; wiped at start unless --use_existing.");
ABSL_FLAG(bool, use_existing, false, "Keep what is already in --db.");
ABSL_FLAG(std::string, workloads,
          "disk_sync,append_single,append_async,append_batch,read_all,"
          "read_stream",
          "Comma-separated workloads, run in order.");
ABSL_FLAG(bool, sync, true, "Sync the WAL before acknowledging appends.");
ABSL_FLAG(int, threads, 64, "Appender threads for append_single.");
ABSL_FLAG(int, single_events, 200000, "Events written by append_single.");
ABSL_FLAG(int, batch_threads, 8, "Appender threads for append_batch.");
ABSL_FLAG(int, batch, 100, "Events per append in append_batch.");
ABSL_FLAG(int, batch_events, 1000000, "Events written by append_batch.");
ABSL_FLAG(int, payload_bytes, 300, "Payload size of each event.");
ABSL_FLAG(bool, client_ids, false,
          "Appenders supply random (v4) event ids, as systems that retry "
          "safely do; otherwise the store generates time-ordered v7 ids.");
ABSL_FLAG(int, read_limit, 1000, "Events per read call.");
ABSL_FLAG(bool, verify_reads, true, "Check leaf hashes and digests on read.");
ABSL_FLAG(bool, merkle_tree, true,
          "Maintain the Merkle tree (false measures what it costs).");
ABSL_FLAG(int, record_format, 2,
          "header format of new records: 2 (salted payload digest) or 1, to "
          "measure what the salt costs");
ABSL_FLAG(double, disk_sync_seconds, 5, "How long disk_sync runs.");
ABSL_FLAG(int, group_commit_delay_us, 200,
          "Options::max_group_commit_delay, in microseconds.");

namespace missionlog {
namespace {

using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

struct Latencies {
  std::vector<double> micros;
  double Percentile(double p) {
    if (micros.empty()) return 0;
    std::sort(micros.begin(), micros.end());
    size_t index = static_cast<size_t>(p * (micros.size() - 1));
    return micros[index];
  }
};

// The store's counters when the current workload started (see Main).
Stats g_stats_at_start;

// For append workloads, `store`'s commit counters since the workload began.
std::string CommitFigures(EventStore* store) {
  Stats now = store->GetStats();
  uint64_t syncs = now.wal_syncs - g_stats_at_start.wal_syncs;
  uint64_t groups = now.commit_groups - g_stats_at_start.commit_groups;
  uint64_t appends =
      now.appends_acknowledged - g_stats_at_start.appends_acknowledged;
  return absl::StrFormat(" groups=%d syncs=%d appends_per_sync=%.1f", groups,
                         syncs, syncs > 0 ? double(appends) / syncs : 0.0);
}

void Report(const std::string& workload, const std::string& params,
            uint64_t events, double seconds, Latencies* latencies,
            const std::string& extra = "") {
  std::printf(
      "workload=%s %s events=%llu seconds=%.3f events_per_s=%.0f p50_us=%.0f "
      "p99_us=%.0f%s\n",
      workload.c_str(), params.c_str(), static_cast<unsigned long long>(events),
      seconds, events / seconds, latencies->Percentile(0.50),
      latencies->Percentile(0.99), extra.c_str());
  std::fflush(stdout);
}

// CPU time of the calling thread so far, in microseconds.
double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 +
         static_cast<double>(now.tv_nsec) / 1e3;
}

std::string StreamName(const std::string& workload, int thread) {
  return absl::StrCat("bench/", workload, "/", thread);
}

// An append of `events` events to `stream`, ids left to the store.
// A random version 4 UUID in canonical text.
std::string RandomUuid() {
  thread_local absl::BitGen gen;
  const uint64_t high = absl::Uniform<uint64_t>(gen);
  const uint64_t low = absl::Uniform<uint64_t>(gen);
  return absl::StrFormat(
      "%08x-%04x-4%03x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
      high & 0xfff, 0x8000 | ((low >> 48) & 0x3fff), low & 0xffffffffffffULL);
}

AppendRequest BenchAppend(const std::string& stream, int events,
                          const std::string& payload) {
  static const bool client_ids = absl::GetFlag(FLAGS_client_ids);
  AppendRequest request;
  request.stream = stream;
  request.recorded_by = "bench";
  for (int e = 0; e < events; ++e) {
    EventData event;
    event.type = "bench.event.v1";
    event.source = "urn:missionlog:bench";
    event.content_type = "application/octet-stream";
    event.payload = payload;
    if (client_ids) event.id = RandomUuid();
    request.events.push_back(std::move(event));
  }
  return request;
}

// `threads` appenders each write `appends` appends of `per_append` events.
void RunAppends(EventStore* store, const std::string& workload, int threads,
                int appends, int per_append) {
  const std::string payload(absl::GetFlag(FLAGS_payload_bytes), 'x');
  std::vector<Latencies> per_thread(threads);
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < appends; ++i) {
        AppendRequest request =
            BenchAppend(StreamName(workload, t), per_append, payload);
        auto op_start = Clock::now();
        absl::StatusOr<AppendResult> result = store->Append(std::move(request));
        per_thread[t].micros.push_back(MicrosSince(op_start));
        if (!result.ok()) {
          std::fprintf(stderr, "append failed: %s\n",
                       result.status().ToString().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  double seconds = MicrosSince(start) / 1e6;
  Latencies all;
  for (auto& latencies : per_thread) {
    all.micros.insert(all.micros.end(), latencies.micros.begin(),
                      latencies.micros.end());
  }
  uint64_t events = static_cast<uint64_t>(threads) * appends * per_append;
  Report(workload,
         absl::StrCat("threads=", threads, " per_append=", per_append,
                      " sync=", absl::GetFlag(FLAGS_sync) ? 1 : 0),
         events, seconds, &all, CommitFigures(store));
}

// One thread keeps --threads single-event appends in flight through
// AppendAsync, each callback submitting the next: the shape of the gRPC
// server's append path, without an OS thread blocked per append.
void RunAppendAsync(EventStore* store) {
  const int in_flight = absl::GetFlag(FLAGS_threads);
  const int total = absl::GetFlag(FLAGS_single_events);
  const std::string payload(absl::GetFlag(FLAGS_payload_bytes), 'x');
  absl::Mutex mu;
  int submitted = 0;
  int completed = 0;
  Latencies latencies;
  std::function<void(int)> submit = [&](int client) {
    AppendRequest request =
        BenchAppend(StreamName("append_async", client), 1, payload);
    auto op_start = Clock::now();
    store->AppendAsync(std::move(request),
                       [&, client, op_start](absl::StatusOr<AppendResult> r) {
                         if (!r.ok()) std::exit(1);
                         bool again = false;
                         {
                           absl::MutexLock lock(&mu);
                           latencies.micros.push_back(MicrosSince(op_start));
                           ++completed;
                           if (submitted < total) {
                             ++submitted;
                             again = true;
                           }
                         }
                         if (again) submit(client);
                       });
  };
  auto start = Clock::now();
  {
    absl::MutexLock lock(&mu);
    submitted = in_flight;
  }
  for (int c = 0; c < in_flight; ++c) submit(c);
  {
    absl::MutexLock lock(&mu);
    auto all_done = [&]() { return completed == total; };
    mu.Await(absl::Condition(&all_done));
  }
  Report("append_async",
         absl::StrCat("in_flight=", in_flight,
                      " sync=", absl::GetFlag(FLAGS_sync) ? 1 : 0),
         total, MicrosSince(start) / 1e6, &latencies, CommitFigures(store));
}

void RunReadAll(EventStore* store) {
  Latencies latencies;
  uint64_t events = 0;
  ReadAllRequest request;
  request.limit = absl::GetFlag(FLAGS_read_limit);
  auto start = Clock::now();
  // The reads run on this thread alone: its CPU is theirs, without the
  // store's opening (a WAL replay) or its background threads.
  const double cpu_start = ThreadCpuMicros();
  while (true) {
    auto op_start = Clock::now();
    absl::StatusOr<ReadAllResult> result = store->ReadAll(request);
    latencies.micros.push_back(MicrosSince(op_start));
    if (!result.ok()) {
      std::fprintf(stderr, "read failed: %s\n",
                   result.status().ToString().c_str());
      std::exit(1);
    }
    events += result->events.size();
    request.from_position = result->next_position;
    if (result->end_of_log) break;
  }
  const double cpu = ThreadCpuMicros() - cpu_start;
  Report("read_all", absl::StrCat("read_limit=", request.limit), events,
         MicrosSince(start) / 1e6, &latencies,
         events > 0 ? absl::StrFormat(" read_cpu_us_per_event=%.2f",
                                      cpu / static_cast<double>(events))
                    : std::string());
}

// Inclusion and consistency proofs at spread positions of the whole log,
// one thread; "events" are proofs.
void RunProofs(EventStore* store) {
  const uint64_t size = store->GetHead().next_position;
  if (size < 2) return;
  for (bool consistency : {false, true}) {
    Latencies latencies;
    const int proofs = 20000;
    auto start = Clock::now();
    for (int i = 0; i < proofs; ++i) {
      const uint64_t pick =
          (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull) % (size - 1);
      auto op_start = Clock::now();
      absl::Status status =
          consistency ? store->GetConsistencyProof(pick + 1, size).status()
                      : store->GetInclusionProof(pick, size).status();
      latencies.micros.push_back(MicrosSince(op_start));
      if (!status.ok()) {
        std::fprintf(stderr, "proof failed: %s\n", status.ToString().c_str());
        std::exit(1);
      }
    }
    Report(consistency ? "consistency_proof" : "inclusion_proof",
           absl::StrCat("tree_size=", size), proofs, MicrosSince(start) / 1e6,
           &latencies);
  }
}

void RunReadStream(EventStore* store) {
  Latencies latencies;
  uint64_t events = 0;
  auto start = Clock::now();
  for (const char* workload : {"append_single", "append_batch"}) {
    for (int t = 0;; ++t) {
      ReadStreamRequest request;
      request.stream = StreamName(workload, t);
      request.limit = absl::GetFlag(FLAGS_read_limit);
      bool empty = true;
      while (true) {
        auto op_start = Clock::now();
        absl::StatusOr<ReadStreamResult> result = store->ReadStream(request);
        latencies.micros.push_back(MicrosSince(op_start));
        if (!result.ok()) {
          std::fprintf(stderr, "read failed: %s\n",
                       result.status().ToString().c_str());
          std::exit(1);
        }
        if (!result->events.empty()) empty = false;
        events += result->events.size();
        if (result->end_of_stream) break;
        request.from_version = result->events.back().stream_version() + 1;
      }
      if (empty) break;
    }
  }
  Report("read_stream",
         absl::StrCat("read_limit=", absl::GetFlag(FLAGS_read_limit)), events,
         MicrosSince(start) / 1e6, &latencies);
}

// The p99 of the wait the syncs `micros` (back to back, over `seconds`)
// alone impose on events arriving evenly meanwhile, each waiting at least
// for the sync under way to end: the least L such that no more than 1% of
// the time lies more than L before the end of a sync. A durable store on
// this disk delivers no event sooner, so no p99 can be lower (in ms).
double DiskWaitP99(const std::vector<double>& micros, double seconds) {
  auto over = [&](double wait_us) {
    double sum = 0;
    for (double sync : micros) sum += std::max(0.0, sync - wait_us);
    return sum / (seconds * 1e6);
  };
  double low = 0;
  double high = *std::max_element(micros.begin(), micros.end());
  for (int i = 0; i < 50; ++i) {
    const double mid = (low + high) / 2;
    (over(mid) > 0.01 ? low : high) = mid;
  }
  return high / 1000;
}

void RunDiskSync(const std::string& dir) {
  const std::string path = dir + "/disk_sync.probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  const std::string block(512, 'x');
  const auto until =
      Clock::now() +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          absl::GetFlag(FLAGS_disk_sync_seconds)));
  Latencies latencies;
  auto start = Clock::now();
  while (latencies.micros.empty() || Clock::now() < until) {
    auto op_start = Clock::now();
    if (write(fd, block.data(), block.size()) !=
            static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    latencies.micros.push_back(MicrosSince(op_start));
  }
  double seconds = MicrosSince(start) / 1e6;
  close(fd);
  unlink(path.c_str());
  const size_t syncs = latencies.micros.size();
  const double wait_p99_ms = DiskWaitP99(latencies.micros, seconds);
  const auto stalls =
      std::count_if(latencies.micros.begin(), latencies.micros.end(),
                    [](double micros) { return micros > 1e4; });
  std::printf(
      "workload=disk_sync syncs=%zu seconds=%.3f syncs_per_s=%.0f "
      "p50_us=%.0f p99_us=%.0f p999_us=%.0f max_ms=%.1f stalls=%td "
      "wait_p99_ms=%.2f\n",
      syncs, seconds, syncs / seconds, latencies.Percentile(0.50),
      latencies.Percentile(0.99), latencies.Percentile(0.999),
      latencies.Percentile(1.0) / 1000, stalls, wait_p99_ms);
  std::fflush(stdout);
}

int Main() {
  const std::string path = absl::GetFlag(FLAGS_db);
  if (!absl::GetFlag(FLAGS_use_existing)) {
    std::filesystem::remove_all(path);
  }
  std::filesystem::create_directories(path);
  Options options;
  options.sync = absl::GetFlag(FLAGS_sync);
  options.verify_reads = absl::GetFlag(FLAGS_verify_reads);
  options.benchmark_without_tree = !absl::GetFlag(FLAGS_merkle_tree);
  options.record_format = absl::GetFlag(FLAGS_record_format);
  options.max_group_commit_delay =
      absl::Microseconds(absl::GetFlag(FLAGS_group_commit_delay_us));
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(options, path);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(),
                 store.status().ToString().c_str());
    return 1;
  }
  EventStore* const opened = store->get();
  const std::vector<Workload> workloads = {
      {"append_single",
       [&] {
         int threads = absl::GetFlag(FLAGS_threads);
         RunAppends(opened, "append_single", threads,
                    absl::GetFlag(FLAGS_single_events) / threads, 1);
       }},
      {"append_batch",
       [&] {
         int threads = absl::GetFlag(FLAGS_batch_threads);
         int batch = absl::GetFlag(FLAGS_batch);
         RunAppends(opened, "append_batch", threads,
                    absl::GetFlag(FLAGS_batch_events) / (threads * batch),
                    batch);
       }},
      {"append_async", [&] { RunAppendAsync(opened); }},
      {"disk_sync", [&] { RunDiskSync(path); }},
      {"read_all", [&] { RunReadAll(opened); }},
      {"proofs", [&] { RunProofs(opened); }},
      {"read_stream", [&] { RunReadStream(opened); }},
  };
  return RunWorkloads(absl::GetFlag(FLAGS_workloads), workloads,
                      [&] { g_stats_at_start = opened->GetStats(); });
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  return missionlog::BenchMain(argc, argv, missionlog::Main);
}
