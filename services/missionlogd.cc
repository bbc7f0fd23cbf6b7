// missionlogd: the Missionlog server. Opens the embedded RocksDB event store
// in --data_dir and serves the EventStore gRPC service on --listen, with the
// standard health service and server reflection.
//
// SIGINT/SIGTERM: stop accepting calls, end subscriptions (UNAVAILABLE),
// finish in-flight appends, close the store, exit 0.
#include <signal.h>
#include <unistd.h>

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
#include "eventstore/checkpointer.h"
#include "eventstore/event_store.h"
#include "eventstore/signed_note.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "projections/projection_set.h"
#include "services/accountability_service.h"
#include "services/audit_service.h"
#include "services/domain_gate.h"
#include "services/event_store_service.h"
#include "services/inquiry_service.h"
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
ABSL_FLAG(std::string, origin, "",
          "The log's name: the origin line of its checkpoints and its key's "
          "name, a schema-less URL such as example.gov.uk/missionlog. Empty: "
          "the signing key's name (localhost/missionlog for a new key).");
ABSL_FLAG(std::string, signing_key, "",
          "File holding the log's Ed25519 signer key (signed-note text "
          "form, as written by `missionlog keygen`). Empty: <data_dir>/"
          "log.key, created with <data_dir>/log.pub on first start.");
ABSL_FLAG(int64_t, checkpoint_interval_ms, 1000,
          "Longest a committed event waits for a signed checkpoint.");
ABSL_FLAG(int64_t, checkpoint_events, 10000,
          "Sign a checkpoint as soon as this many events are unsigned.");
ABSL_FLAG(bool, verify_reads, true,
          "Recompute every read event's leaf hash and payload digest and "
          "answer DATA_LOSS on a mismatch. Off only to test auditors' "
          "independent checks.");
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

// The signer from --signing_key, or from <data_dir>/log.key, made on first
// start (with its public half in log.pub beside it).
absl::StatusOr<note::Signer> LoadSigner(const std::string& data_dir) {
  std::string path = absl::GetFlag(FLAGS_signing_key);
  const std::string origin = absl::GetFlag(FLAGS_origin);
  if (path.empty()) {
    path = data_dir + "/log.key";
    if (access(path.c_str(), F_OK) != 0) {
      absl::StatusOr<note::Signer> made = note::Signer::Generate(
          origin.empty() ? "localhost/missionlog" : origin);
      if (!made.ok()) return made.status();
      absl::Status written =
          note::WriteKeyFiles(*made, path, data_dir + "/log.pub");
      if (!written.ok()) return written;
      std::printf(
          "missionlogd: created the log's signing key %s (public key "
          "%s/log.pub)\n",
          path.c_str(), data_dir.c_str());
    }
  }
  absl::StatusOr<std::string> key = note::ReadKeyFile(path);
  if (!key.ok()) return key.status();
  absl::StatusOr<note::Signer> signer = note::Signer::FromKey(*key);
  if (!signer.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", signer.status().message()));
  }
  if (!origin.empty() && origin != signer->name()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--origin=", origin, " but the key in ", path,
                     " is named ", signer->name()));
  }
  return signer;
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
  options.verify_reads = absl::GetFlag(FLAGS_verify_reads);
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(options, data_dir);
  if (!store.ok()) {
    std::fprintf(stderr, "missionlogd: cannot open the store in %s: %s\n",
                 data_dir.c_str(), store.status().ToString().c_str());
    return 1;
  }

  absl::StatusOr<note::Signer> signer = LoadSigner(data_dir);
  if (!signer.ok()) {
    std::fprintf(stderr, "missionlogd: no signing key: %s\n",
                 signer.status().ToString().c_str());
    return 1;
  }
  CheckpointerOptions checkpointer_options;
  checkpointer_options.interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_checkpoint_interval_ms));
  checkpointer_options.max_events =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_checkpoint_events));
  checkpointer_options.on_error = [](const absl::Status& status) {
    std::fprintf(stderr, "missionlogd: checkpoint not signed: %s\n",
                 status.ToString().c_str());
  };
  const std::string origin = signer->name();
  std::unique_ptr<Checkpointer> checkpointer = Checkpointer::Start(
      store->get(), *std::move(signer), checkpointer_options);

  auto workers = std::make_unique<WorkerPool>(absl::GetFlag(FLAGS_workers),
                                              /*max_queued=*/100000);
  ServiceOptions service_options;
  service_options.batch_events = absl::GetFlag(FLAGS_batch_events);
  EventStoreService service(store->get(), workers.get(), service_options);
  AuditService audit(store->get(), workers.get(), service_options);
  DomainGate gate(store->get(), workers.get());
  AccountabilityService accountability(store->get(), workers.get(), &gate);
  // Projections catch up from their stored positions, then follow the bus.
  auto projections = std::make_unique<ProjectionSet>(store->get());
  InquiryService inquiry(store->get(), projections.get(), workers.get());
  ProjectionsService projections_service(projections.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes)));
  builder.RegisterService(&service);
  builder.RegisterService(&audit);
  builder.RegisterService(&accountability);
  builder.RegisterService(&inquiry);
  builder.RegisterService(&projections_service);
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
  std::printf(
      "missionlogd: checkpoints signed as %s%s\n", origin.c_str(),
      checkpointer->status().ok() ? "" : " (SIGNING REFUSED, see above)");
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("missionlogd: %s received; shutting down\n",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server->GetHealthCheckService()->SetServingStatus(false);
  service.EndSubscriptions();
  projections->Stop();  // queries waiting for a position give up
  server->Shutdown(absl::ToChronoTime(
      absl::Now() +
      absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds))));
  server->Wait();
  workers.reset();
  projections.reset();
  head = (*store)->GetHead();
  // The last checkpoint covers every acknowledged append.
  absl::Status last = checkpointer->Stop();
  checkpointer.reset();
  store->reset();  // finishes in-flight appends, closes RocksDB
  std::printf("missionlogd: stopped; data in %s (%llu events)%s\n",
              data_dir.c_str(),
              static_cast<unsigned long long>(head.next_position),
              last.ok() ? "; last checkpoint signed" : "");
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
