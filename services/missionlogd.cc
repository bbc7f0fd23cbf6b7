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

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/json_string.h"
#include "base/rate_limit.h"
#include "google/protobuf/stubs/logging.h"
#include "grpc/grpc.h"
#include "services/server.h"

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
ABSL_FLAG(std::string, http_listen, "127.0.0.1:7680",
          "The console and JSON API (HTTP; HTTPS with --tls_cert): "
          "host:port, port 0 picks one; empty: none. A non-loopback "
          "address needs --tls_cert and --policy, like --listen.");
ABSL_FLAG(int, http_threads, 8,
          "Threads serving HTTP requests (live views hold one each, at most "
          "half of them).");
ABSL_FLAG(std::string, unsealer_keys, "",
          "File of public role keys (missionlog keygen --role=UNSEALER) that "
          "may unseal sealed fields; without it, sealed fields are refused.");
ABSL_FLAG(std::string, cluster, "",
          "Run as one node of a cluster (README \"Running three nodes\"): "
          "the cluster configuration file (`node NAME ADDRESS KEY` lines). "
          "Needs --node and --etcd_endpoints.");
ABSL_FLAG(std::string, node, "",
          "This node's name in the cluster configuration; its signing key "
          "is named after it.");
ABSL_FLAG(std::string, etcd_endpoints, "",
          "etcd members, host:port comma-separated (a cluster's sequencer).");
ABSL_FLAG(std::string, etcd_ca, "", "PEM file of etcd's CA (TLS to etcd).");
ABSL_FLAG(std::string, etcd_cert, "",
          "PEM file of this node's client certificate for etcd.");
ABSL_FLAG(std::string, etcd_key, "", "PEM file of that certificate's key.");
ABSL_FLAG(std::string, etcd_server_name, "",
          "The name TLS checks in every etcd member's certificate (default: "
          "the first endpoint's host).");
ABSL_FLAG(std::string, etcd_prefix, "/missionlog/",
          "Prefix of every key Missionlog keeps in etcd.");
ABSL_FLAG(int64_t, etcd_max_request_bytes, 1536 * 1024,
          "etcd's --max-request-bytes: the largest append a cluster takes is "
          "a little less.");
ABSL_FLAG(int64_t, etcd_retention_interval_ms, 5000,
          "How often a node publishes how far it has applied, and compacts "
          "etcd's history below every node's.");
ABSL_FLAG(std::string, log_format, "keyvalue",
          "Log lines on stderr: keyvalue (logfmt) or json.");
ABSL_FLAG(std::string, log_level, "info",
          "Lowest level logged: debug, info, warn or error.");
ABSL_FLAG(int, log_refused_per_second, 20,
          "Refused calls logged per second at most (then one line with how "
          "many were left out).");
ABSL_FLAG(std::string, restore_from, "",
          "Restore the latest whole backup in this BackupEngine directory "
          "(missionlog backup) into --data_dir, which must hold no store, "
          "then exit. The signing key is not in a backup: copy it in.");
ABSL_FLAG(bool, testing_crash_during_backup, false,
          "For tests only: kill this process (SIGKILL) in the middle of the "
          "first backup's copy, as a crash would.");
ABSL_FLAG(std::string, peer_token_file, "",
          "File holding the bearer token this node presents to its peers "
          "when it copies the log from one.");

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

ServerConfig ConfigFromFlags() {
  ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  Options& store = config.store;
  store.sync = absl::GetFlag(FLAGS_sync);
  store.max_payload_bytes = absl::GetFlag(FLAGS_max_payload_bytes);
  store.max_events_per_append = absl::GetFlag(FLAGS_max_events_per_append);
  store.max_append_bytes = absl::GetFlag(FLAGS_max_append_bytes);
  // Keep every streamed message well under a client's 4 MiB default.
  store.max_read_bytes = 2 << 20;
  store.verify_reads = absl::GetFlag(FLAGS_verify_reads);
  store.disk_reserve_bytes = static_cast<uint64_t>(std::max<int64_t>(
                                 0, absl::GetFlag(FLAGS_disk_reserve_mb))) *
                             1000000;
  config.service.batch_events = absl::GetFlag(FLAGS_batch_events);
  config.workers = absl::GetFlag(FLAGS_workers);
  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format == "json") {
    config.log_format = RequestLog::Format::kJson;
  } else if (log_format != "keyvalue") {
    std::fprintf(stderr, "missionlogd: --log_format: keyvalue or json\n");
    std::exit(2);
  }
  if (!RequestLog::ParseLevel(absl::GetFlag(FLAGS_log_level),
                              &config.log_level)) {
    std::fprintf(stderr,
                 "missionlogd: --log_level: debug, info, warn or error\n");
    std::exit(2);
  }
  config.log_refused_per_second =
      std::max(0, absl::GetFlag(FLAGS_log_refused_per_second));
  if (absl::GetFlag(FLAGS_testing_crash_during_backup)) {
    config.backup_progress = [calls = 0]() mutable {
      if (++calls == 2) raise(SIGKILL);
    };
  }
  config.max_message_bytes =
      static_cast<int>(absl::GetFlag(FLAGS_max_message_bytes));
  config.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  config.max_streams_per_connection =
      absl::GetFlag(FLAGS_max_streams_per_connection);
  config.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key = absl::GetFlag(FLAGS_tls_key);
  config.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  config.require_client_cert = absl::GetFlag(FLAGS_require_client_cert);
  config.policy = absl::GetFlag(FLAGS_policy);
  config.tokens = absl::GetFlag(FLAGS_tokens);
  config.origin = absl::GetFlag(FLAGS_origin);
  config.signing_key = absl::GetFlag(FLAGS_signing_key);
  config.checkpoint_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_checkpoint_interval_ms));
  config.checkpoint_events =
      static_cast<uint64_t>(absl::GetFlag(FLAGS_checkpoint_events));
  config.on_checkpoint_error = [](const absl::Status& status) {
    std::fprintf(stderr, "missionlogd: checkpoint not signed: %s\n",
                 status.ToString().c_str());
  };
  config.shutdown_grace =
      absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds));
  config.unsealer_keys = absl::GetFlag(FLAGS_unsealer_keys);
  config.http_listen = absl::GetFlag(FLAGS_http_listen);
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  config.cluster_config = absl::GetFlag(FLAGS_cluster);
  config.node = absl::GetFlag(FLAGS_node);
  config.etcd.endpoints = absl::GetFlag(FLAGS_etcd_endpoints);
  config.etcd.ca_file = absl::GetFlag(FLAGS_etcd_ca);
  config.etcd.cert_file = absl::GetFlag(FLAGS_etcd_cert);
  config.etcd.key_file = absl::GetFlag(FLAGS_etcd_key);
  config.etcd.server_name = absl::GetFlag(FLAGS_etcd_server_name);
  config.etcd_prefix = absl::GetFlag(FLAGS_etcd_prefix);
  config.etcd_max_entry_bytes = static_cast<size_t>(std::max<int64_t>(
      64 * 1024, absl::GetFlag(FLAGS_etcd_max_request_bytes) - 16 * 1024));
  config.etcd_retention_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_etcd_retention_interval_ms));
  const std::string token_file = absl::GetFlag(FLAGS_peer_token_file);
  if (!token_file.empty()) {
    std::ifstream in(token_file);
    std::getline(in, config.peer_token);
  }
  return config;
}

void PrintStarted(Server& server, const ServerConfig& config) {
  if (!server.created_key().empty()) {
    std::printf(
        "missionlogd: created the log's signing key %s (public key "
        "%s/log.pub)\n",
        server.created_key().c_str(), config.data_dir.c_str());
  }
  std::printf(
      "missionlogd: listening on %s (%s); data in %s (%llu events); sync "
      "%s\n",
      server.address().c_str(), server.mode().c_str(), config.data_dir.c_str(),
      static_cast<unsigned long long>(server.store()->GetHead().next_position),
      config.store.sync ? "on" : "OFF");
  if (!server.http_address().empty()) {
    std::printf("missionlogd: console and JSON API on %s://%s/\n",
                config.tls_cert.empty() ? "http" : "https",
                server.http_address().c_str());
  }
  std::printf("missionlogd: checkpoints signed as %s%s\n",
              server.origin().c_str(),
              server.signing() ? "" : " (SIGNING REFUSED, see above)");
  const Stats stats = server.store()->GetStats();
  if (stats.disk_free_bytes < stats.disk_reserve_bytes) {
    std::printf(
        "missionlogd: appends refused: %.1f MB free on the disk holding %s, "
        "below the reserve of %.1f MB (--disk_reserve_mb); they resume by "
        "themselves once space is freed\n",
        stats.disk_free_bytes / 1e6, config.data_dir.c_str(),
        stats.disk_reserve_bytes / 1e6);
  }
  std::fflush(stdout);
}

// Protobuf's own messages (e.g. one ERROR per request with invalid UTF-8,
// which any client can send): at most 5 a second on stderr, so that a
// flood of bad requests cannot fill the disk. The refusals themselves are
// in the request log (rate-limited too).
void ProtobufLog(google::protobuf::LogLevel level, const char* filename,
                 int line, const std::string& message) {
  static PerSecondLimit limit(5);
  uint64_t left_out = 0;
  if (!limit.Admit(&left_out)) return;
  // In the request log's key=value shape.
  std::fprintf(
      stderr, "time=%s level=%s msg=%s source=libprotobuf:%s:%d\n",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())
          .c_str(),
      level >= google::protobuf::LOGLEVEL_ERROR ? "error" : "info",
      JsonString(message).c_str(), filename, line);
}

// missionlogd --restore_from=BACKUP --data_dir=DIR: offline.
int Restore() {
  const std::string from = absl::GetFlag(FLAGS_restore_from);
  const std::string to = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<RestoreResult> restored = RestoreLatestBackup(from, to);
  if (!restored.ok()) {
    std::fprintf(stderr, "missionlogd: restore failed: %s: %s\n",
                 absl::StatusCodeToString(restored.status().code()).c_str(),
                 std::string(restored.status().message()).c_str());
    return 1;
  }
  std::printf(
      "restored backup %u of %s into %s: %llu events (the backup covers "
      "every event below position %llu; latest checkpoint then: %llu "
      "events)\ncopy the signing key (log.key, log.pub) into %s before "
      "starting missionlogd on it\n",
      restored->backup_id, from.c_str(), to.c_str(),
      static_cast<unsigned long long>(restored->events),
      static_cast<unsigned long long>(restored->position),
      static_cast<unsigned long long>(restored->checkpoint_size), to.c_str());
  return 0;
}

int Main(const sigset_t& signals) {
  if (!absl::GetFlag(FLAGS_restore_from).empty()) return Restore();
  // Debian's Abseil checks every mutex for deadlock cycles, which gRPC's
  // own mutexes pay for on every call (a global graph, profiled at several
  // percent of the server). The thread-safety annotations and -Wthread-
  // safety build are our deadlock discipline; the runtime graph is off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const ServerConfig config = ConfigFromFlags();
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config);
  if (!server.ok()) {
    std::fprintf(stderr, "missionlogd: %s\n",
                 std::string(server.status().message()).c_str());
    // A configuration that cannot work is a usage error.
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  PrintStarted(**server, config);

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    absl::Status reloaded = (*server)->Reload();
    if ((*server)->development()) {
      std::printf("missionlogd: SIGHUP: no access policy to reload\n");
    } else if (reloaded.ok()) {
      std::printf("missionlogd: SIGHUP: reloaded %s%s%s\n",
                  config.policy.c_str(), config.tokens.empty() ? "" : " and ",
                  config.tokens.c_str());
    } else {
      std::printf("missionlogd: SIGHUP: kept the previous policy: %s\n",
                  std::string(reloaded.message()).c_str());
    }
    std::fflush(stdout);
  }
  std::printf("missionlogd: %s received; shutting down\n",
              received == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  const Server::Stopped stopped = (*server)->Stop();
  std::printf("missionlogd: stopped; data in %s (%llu events)%s\n",
              config.data_dir.c_str(),
              static_cast<unsigned long long>(stopped.events),
              stopped.last_checkpoint_signed ? "; last checkpoint signed" : "");
  return 0;
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "missionlogd --listen=127.0.0.1:7600 --data_dir=./missionlog-data");
  absl::ParseCommandLine(argc, argv);
  google::protobuf::SetLogHandler(&missionlog::ProtobufLog);
  // Before any thread starts (grpc_init starts gRPC's): a thread that does
  // not block SIGTERM could take it, and its default action would end the
  // process with no shutdown (exit 143, seen in CI's verify_test).
  const sigset_t signals = missionlog::BlockShutdownSignals();
  // One gRPC library reference for the life of the process, never
  // released: the last grpc_shutdown() (when Main's credentials go) joins
  // gRPC 1.51's executor threads, which can sit out a poll of up to 10 s
  // first. Everything of ours is closed and synced before Main returns.
  grpc_init();
  return missionlog::Main(signals);
}
