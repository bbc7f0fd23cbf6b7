// missionlogd: the Missionlog server. Opens the embedded RocksDB event store
// in --data_dir and serves the EventStore gRPC service on --listen, with the
// standard health service and server reflection.
//
// SIGINT/SIGTERM: stop accepting calls, end subscriptions (UNAVAILABLE),
// finish in-flight appends, close the store, exit 0.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/audit_service.h"
#include "services/event_store_service.h"
#include "services/worker_pool.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7600",
          "Address to serve on (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, data_dir, "./missionlog-data",
          "Directory of the event store (created if missing).");
ABSL_FLAG(bool, sync, true,
          "Sync the WAL before acknowledging appends. Off only for tests and "
          "benchmarks: an acknowledged append may then be lost on power "
          "failure.");
ABSL_FLAG(int64_t, max_payload_bytes, 1 << 20, "Largest event payload.");
ABSL_FLAG(int64_t, max_events_per_append, 10000, "Most events per append.");
ABSL_FLAG(int64_t, max_append_bytes, 16 << 20, "Most bytes per append.");
ABSL_FLAG(int64_t, max_message_bytes, 20 << 20,
          "Largest gRPC message the server accepts.");
ABSL_FLAG(int, workers, 2, "Threads for storage reads.");
ABSL_FLAG(int64_t, batch_events, 1000,
          "Events per message in Read and Subscribe responses.");
ABSL_FLAG(int, shutdown_grace_seconds, 2,
          "How long a shutdown waits for in-flight calls before cancelling "
          "them. (gRPC waits this long whenever a client is still connected, "
          "even with no call in flight.) Appends already queued are "
          "committed regardless; a client whose call was cancelled retries "
          "with the same ids and gets the original positions.");

namespace missionlog {
namespace {

// Blocks SIGINT and SIGTERM in this thread and every thread it starts
// afterwards, so that only the sigwait in Main sees them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

bool IsLoopback(const std::string& address) {
  return absl::StartsWith(address, "127.") ||
         absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:") ||
         absl::StartsWith(address, "unix:");
}

int Main() {
  // Debian's Abseil checks every mutex for deadlock cycles, which gRPC's
  // own mutexes pay for on every call (a global graph, profiled at several
  // percent of the server). The thread-safety annotations and -Wthread-
  // safety build are our deadlock discipline; the runtime graph is off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const sigset_t signals = BlockShutdownSignals();
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (!IsLoopback(listen)) {
    // Issue 7 brings TLS and an access policy; until then, refuse.
    std::fprintf(stderr,
                 "missionlogd: refusing to listen on %s: only loopback is "
                 "allowed until TLS and access policies are configured\n",
                 listen.c_str());
    return 2;
  }

  Options options;
  options.sync = absl::GetFlag(FLAGS_sync);
  options.max_payload_bytes = absl::GetFlag(FLAGS_max_payload_bytes);
  options.max_events_per_append = absl::GetFlag(FLAGS_max_events_per_append);
  options.max_append_bytes = absl::GetFlag(FLAGS_max_append_bytes);
  // Keep every streamed message well under a client's 4 MiB default.
  options.max_read_bytes = 2 << 20;
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(options, data_dir);
  if (!store.ok()) {
    std::fprintf(stderr, "missionlogd: cannot open the store in %s: %s\n",
                 data_dir.c_str(), store.status().ToString().c_str());
    return 1;
  }

  auto workers = std::make_unique<WorkerPool>(absl::GetFlag(FLAGS_workers),
                                              /*max_queued=*/100000);
  ServiceOptions service_options;
  service_options.batch_events = absl::GetFlag(FLAGS_batch_events);
  EventStoreService service(store->get(), workers.get(), service_options);
  AuditService audit(store->get(), workers.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes)));
  builder.RegisterService(&service);
  builder.RegisterService(&audit);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "missionlogd: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::string host = listen.substr(0, listen.rfind(':'));
  Head head = (*store)->GetHead();
  std::printf(
      "missionlogd: listening on %s:%d (development mode: plaintext, no "
      "authentication, loopback only); data in %s (%llu events); sync %s\n",
      host.c_str(), port, data_dir.c_str(),
      static_cast<unsigned long long>(head.next_position),
      options.sync ? "on" : "OFF");
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("missionlogd: %s received; shutting down\n",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server->GetHealthCheckService()->SetServingStatus(false);
  service.EndSubscriptions();
  server->Shutdown(absl::ToChronoTime(
      absl::Now() +
      absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds))));
  server->Wait();
  workers.reset();
  head = (*store)->GetHead();
  store->reset();  // finishes in-flight appends, closes RocksDB
  std::printf("missionlogd: stopped; data in %s (%llu events)\n",
              data_dir.c_str(),
              static_cast<unsigned long long>(head.next_position));
  return 0;
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "missionlogd --listen=127.0.0.1:7600 --data_dir=./missionlog-data");
  absl::ParseCommandLine(argc, argv);
  return missionlog::Main();
}
