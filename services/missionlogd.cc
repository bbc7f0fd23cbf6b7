// missionlogd: the Missionlog server. Opens the embedded RocksDB event store
// in --data_dir and serves the EventStore gRPC service on --listen, with the
// standard health service and server reflection.
//
// Trust (README "Deployment"): TLS from --tls_cert/--tls_key, client
// certificates checked against --tls_client_ca, an access policy
// (--policy) and bearer tokens (--tokens). Without a policy it runs in
// development mode, on loopback only.
//
// SIGINT/SIGTERM: stop accepting calls, end subscriptions (UNAVAILABLE),
// finish in-flight appends, close the store, exit 0. SIGHUP: reread the
// policy and tokens files (a bad file keeps the old ones in force).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/worker_pool.h"
#include "domain/command_handler.h"
#include "eventstore/checkpointer.h"
#include "eventstore/event_store.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "projections/projection_set.h"
#include "services/access_control.h"
#include "services/accountability_service.h"
#include "services/audit_service.h"
#include "services/event_store_service.h"
#include "services/inquiry_service.h"
#include "services/listen_address.h"
#include "tlog/signed_note.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7600",
          "Address to serve on (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, data_dir, "./missionlog-data",
          "Directory of the event store (created if missing).");
ABSL_FLAG(bool, sync, true,
          "Sync the WAL before acknowledging appends. Off only for tests and "
          "benchmarks: an acknowledged append may then be lost on power "
          "failure.");
ABSL_FLAG(int64_t, disk_reserve_mb, 256,
          "Free space (MB) kept on the disk holding --data_dir: appends are "
          "refused (RESOURCE_EXHAUSTED) while less is free, and resume by "
          "themselves once there is more, so that the store can always shut "
          "down, restart and recover. The write-ahead log stays below a "
          "quarter of it. 0 turns the reserve off (not for production).");
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
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file of the server's certificate chain. With --tls_key, the "
          "listener speaks TLS only.");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the server's private key.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CA(s) that sign client certificates. Clients that "
          "present a certificate are verified against it and known by its "
          "subject CN (else first SAN).");
ABSL_FLAG(bool, require_client_cert, false,
          "Refuse TLS connections without a client certificate signed by "
          "--tls_client_ca (mTLS); otherwise bearer tokens may be used "
          "instead.");
ABSL_FLAG(std::string, policy, "",
          "Text-format AccessPolicy (proto/missionlog/v1/policy.proto): who "
          "may write, read, audit, query and administer. Empty: development "
          "mode (everyone may do everything; loopback only).");
ABSL_FLAG(std::string, tokens, "",
          "File of bearer tokens: lines '<sha256 of token, hex> <principal>' "
          "(`missionlog token PRINCIPAL` makes one). Reread on SIGHUP.");
ABSL_FLAG(int, max_concurrent_streams, 200,
          "Most calls in flight on one client connection (HTTP/2 "
          "MAX_CONCURRENT_STREAMS); further calls wait in the client.");
ABSL_FLAG(int, max_streams_per_connection, 100,
          "Most long-lived streaming calls (AppendStream, Subscribe) open "
          "on one client connection; more get RESOURCE_EXHAUSTED. 0: no "
          "limit.");
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
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

// The signer from --signing_key, or from <data_dir>/log.key if that file
// exists; std::nullopt if it does not yet (MakeSigner makes it, once the
// listener is bound: a server that cannot listen writes nothing).
absl::StatusOr<std::optional<note::Signer>> LoadSigner(
    const std::string& data_dir) {
  std::string path = absl::GetFlag(FLAGS_signing_key);
  const std::string origin = absl::GetFlag(FLAGS_origin);
  if (path.empty()) {
    path = data_dir + "/log.key";
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
      return std::nullopt;
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
  return std::optional<note::Signer>(*std::move(signer));
}

// A new signer in <data_dir>/log.key, with its public half in log.pub.
absl::StatusOr<note::Signer> MakeSigner(const std::string& data_dir) {
  const std::string origin = absl::GetFlag(FLAGS_origin);
  absl::StatusOr<note::Signer> made =
      note::Signer::Generate(origin.empty() ? "localhost/missionlog" : origin);
  if (!made.ok()) return made.status();
  const std::string path = data_dir + "/log.key";
  absl::Status written =
      note::WriteKeyFiles(*made, path, data_dir + "/log.pub");
  if (!written.ok()) return written;
  std::printf(
      "missionlogd: created the log's signing key %s (public key %s/log.pub)\n",
      path.c_str(), data_dir.c_str());
  return made;
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  }
  std::string text;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, file)) > 0) {
    text.append(chunk, n);
    if (text.size() > (1 << 20)) break;
  }
  std::fclose(file);
  if (!absl::StrContains(text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not PEM"));
  }
  return text;
}

// The listener's credentials from the TLS flags, and how it describes
// them; insecure credentials without --tls_cert.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    std::string* described) {
  const std::string cert_file = absl::GetFlag(FLAGS_tls_cert);
  const std::string key_file = absl::GetFlag(FLAGS_tls_key);
  const std::string ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  const bool require = absl::GetFlag(FLAGS_require_client_cert);
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (cert_file.empty()) {
    if (!ca_file.empty() || require) {
      return absl::InvalidArgumentError(
          "--tls_client_ca and --require_client_cert need --tls_cert");
    }
    *described = "plaintext";
    return grpc::InsecureServerCredentials();
  }
  if (require && ca_file.empty()) {
    return absl::InvalidArgumentError(
        "--require_client_cert needs --tls_client_ca");
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  absl::StatusOr<std::string> cert = ReadPem(cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(key_file);
  if (!key.ok()) return key.status();
  pair.cert_chain = *std::move(cert);
  pair.private_key = *std::move(key);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (ca_file.empty()) {
    options.client_certificate_request =
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    *described = "TLS, no client certificates";
  } else {
    absl::StatusOr<std::string> ca = ReadPem(ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request =
        require ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    *described = require ? "TLS, client certificates required"
                         : "TLS, client certificates verified if presented";
  }
  return grpc::SslServerCredentials(options);
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
  const std::string policy_file = absl::GetFlag(FLAGS_policy);
  const std::string tokens_file = absl::GetFlag(FLAGS_tokens);
  if (!IsLoopback(listen) &&
      (absl::GetFlag(FLAGS_tls_cert).empty() || policy_file.empty())) {
    std::fprintf(stderr,
                 "missionlogd: refusing to listen on %s without TLS "
                 "(--tls_cert, --tls_key) and an access policy (--policy); "
                 "development mode is for loopback addresses only\n",
                 listen.c_str());
    return 2;
  }
  std::string transport;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ListenerCredentials(&transport);
  if (!credentials.ok()) {
    std::fprintf(stderr, "missionlogd: %s\n",
                 std::string(credentials.status().message()).c_str());
    return 2;
  }
  if (policy_file.empty() && !tokens_file.empty()) {
    std::fprintf(stderr, "missionlogd: --tokens needs --policy\n");
    return 2;
  }
  std::unique_ptr<AccessControl> access;
  if (policy_file.empty()) {
    access = AccessControl::Development();
  } else {
    absl::StatusOr<std::unique_ptr<AccessControl>> loaded =
        AccessControl::FromFiles(policy_file, tokens_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "missionlogd: access policy not loaded: %s\n",
                   std::string(loaded.status().message()).c_str());
      return 2;
    }
    access = *std::move(loaded);
  }
  access->quotas()->set_max_streams_per_connection(
      absl::GetFlag(FLAGS_max_streams_per_connection));

  // Hold the address before anything is written: a second server on an
  // address in use stops here, with its data directory untouched.
  absl::StatusOr<ListenReservation> reservation =
      ListenReservation::Reserve(listen);
  if (!reservation.ok()) {
    std::fprintf(stderr, "missionlogd: %s\n",
                 std::string(reservation.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::optional<note::Signer>> signer = LoadSigner(data_dir);
  if (!signer.ok()) {
    std::fprintf(stderr, "missionlogd: no signing key: %s\n",
                 std::string(signer.status().message()).c_str());
    return 1;
  }

  Options options;
  options.sync = absl::GetFlag(FLAGS_sync);
  options.max_payload_bytes = absl::GetFlag(FLAGS_max_payload_bytes);
  options.max_events_per_append = absl::GetFlag(FLAGS_max_events_per_append);
  options.max_append_bytes = absl::GetFlag(FLAGS_max_append_bytes);
  // Keep every streamed message well under a client's 4 MiB default.
  options.max_read_bytes = 2 << 20;
  options.verify_reads = absl::GetFlag(FLAGS_verify_reads);
  options.disk_reserve_bytes = static_cast<uint64_t>(std::max<int64_t>(
                                   0, absl::GetFlag(FLAGS_disk_reserve_mb))) *
                               1000000;
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(options, data_dir);
  if (!store.ok()) {
    if (store.status().code() == absl::StatusCode::kResourceExhausted) {
      std::fprintf(stderr, "missionlogd: %s\n",
                   std::string(store.status().message()).c_str());
    } else {
      std::fprintf(stderr, "missionlogd: cannot open the store in %s: %s\n",
                   data_dir.c_str(), store.status().ToString().c_str());
    }
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
  auto workers = std::make_unique<WorkerPool>(absl::GetFlag(FLAGS_workers),
                                              /*max_queued=*/100000);
  ServiceOptions service_options;
  service_options.batch_events = absl::GetFlag(FLAGS_batch_events);
  // The one path domain events take, typed commands and raw appends alike.
  domain::CommandHandler commands(store->get(), workers.get());
  EventStoreService service(store->get(), &commands, workers.get(),
                            access.get(), service_options);
  AuditService audit(store->get(), store->get(), store->get(), workers.get(),
                     access.get(), service_options);
  AccountabilityService accountability(&commands, access.get());
  // Projections catch up from their stored positions, then follow the bus.
  auto projections =
      std::make_unique<ProjectionSet>(store->get(), store->get());
  InquiryService inquiry(store->get(), store->get(), projections.get(),
                         workers.get(), access.get());
  ProjectionsService projections_service(projections.get(), access.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, *credentials, &port);
  // Exclusive: gRPC would otherwise set SO_REUSEPORT, and a second server
  // on the same port would share its connections (the log split in two).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes)));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             absl::GetFlag(FLAGS_max_concurrent_streams));
  builder.RegisterService(&service);
  builder.RegisterService(&audit);
  builder.RegisterService(&accountability);
  builder.RegisterService(&inquiry);
  builder.RegisterService(&projections_service);
  reservation->Release();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "missionlogd: %s\n", ListenFailure(listen).c_str());
    return 1;
  }
  if (!signer->has_value()) {
    absl::StatusOr<note::Signer> made = MakeSigner(data_dir);
    if (!made.ok()) {
      std::fprintf(stderr, "missionlogd: no signing key: %s\n",
                   std::string(made.status().message()).c_str());
      server->Shutdown();
      return 1;
    }
    signer->emplace(*std::move(made));
  }
  const std::string origin = (*signer)->name();
  std::unique_ptr<Checkpointer> checkpointer = Checkpointer::Start(
      store->get(), **std::move(signer), checkpointer_options);
  std::string host = listen.substr(0, listen.rfind(':'));
  Head head = (*store)->GetHead();
  const std::string mode =
      access->development()
          ? absl::StrCat("development mode: ", transport,
                         ", no access policy, anyone on this machine may do "
                         "anything, loopback only")
          : absl::StrCat(transport, "; access policy ", policy_file,
                         tokens_file.empty() ? "" : "; tokens ", tokens_file);
  std::printf(
      "missionlogd: listening on %s:%d (%s); data in %s (%llu "
      "events); sync %s\n",
      host.c_str(), port, mode.c_str(), data_dir.c_str(),
      static_cast<unsigned long long>(head.next_position),
      options.sync ? "on" : "OFF");
  std::printf(
      "missionlogd: checkpoints signed as %s%s\n", origin.c_str(),
      checkpointer->status().ok() ? "" : " (SIGNING REFUSED, see above)");
  const Stats stats = (*store)->GetStats();
  if (stats.disk_free_bytes < stats.disk_reserve_bytes) {
    std::printf(
        "missionlogd: appends refused: %.1f MB free on the disk holding %s, "
        "below the reserve of %.1f MB (--disk_reserve_mb); they resume by "
        "themselves once space is freed\n",
        stats.disk_free_bytes / 1e6, data_dir.c_str(),
        stats.disk_reserve_bytes / 1e6);
  }
  std::fflush(stdout);

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    absl::Status reloaded = access->Reload();
    if (access->development()) {
      std::printf("missionlogd: SIGHUP: no access policy to reload\n");
    } else if (reloaded.ok()) {
      std::printf("missionlogd: SIGHUP: reloaded %s%s%s\n", policy_file.c_str(),
                  tokens_file.empty() ? "" : " and ", tokens_file.c_str());
    } else {
      std::printf("missionlogd: SIGHUP: kept the previous policy: %s\n",
                  std::string(reloaded.message()).c_str());
    }
    std::fflush(stdout);
  }
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
  // One gRPC library reference for the life of the process, never
  // released: the last grpc_shutdown() (when Main's credentials go) joins
  // gRPC 1.51's executor threads, which can sit out a poll of up to 10 s
  // first. Everything of ours is closed and synced before Main returns.
  grpc_init();
  return missionlog::Main();
}
