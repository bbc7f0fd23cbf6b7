#include "services/server.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/pem_file.h"
#include "base/worker_pool.h"
#include "cluster/catch_up.h"
#include "cluster/cluster_config.h"
#include "cluster/cosigner.h"
#include "domain/command_handler.h"
#include "domain/event_types.h"
#include "eventstore/checkpointer.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "projections/projection_set.h"
#include "services/access_control.h"
#include "services/accountability_service.h"
#include "services/admin_service.h"
#include "services/audit_service.h"
#include "services/call_metrics.h"
#include "services/event_store_service.h"
#include "services/health.h"
#include "services/http_gateway.h"
#include "services/inquiry_service.h"
#include "services/listen_address.h"
#include "services/replication_service.h"
#include "services/sealing_service.h"
#include "tlog/signed_note.h"

namespace missionlog {
namespace {

constexpr char kDefaultOrigin[] = "localhost/missionlog";

// A configuration that cannot work: INVALID_ARGUMENT with `message`.
absl::Status Misconfigured(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

bool IsLoopback(const std::string& address) {
  return absl::StartsWith(address, "127.") ||
         absl::StartsWith(address, "localhost:") ||
         absl::StartsWith(address, "[::1]:") ||
         absl::StartsWith(address, "unix:");
}

// A PEM file of the listener's TLS configuration; a file that cannot be
// read is a configuration that cannot work.
absl::StatusOr<std::string> ReadPem(const std::string& path) {
  absl::StatusOr<std::string> text = ReadPemFile(path);
  if (!text.ok()) return Misconfigured(text.status().message());
  return text;
}

// The listener's credentials, and how it describes them; insecure
// credentials without a certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const ServerConfig& config, std::string* described) {
  const bool require = config.require_client_cert;
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Misconfigured("--tls_cert and --tls_key go together");
  }
  if (config.tls_cert.empty()) {
    if (!config.tls_client_ca.empty() || require) {
      return Misconfigured(
          "--tls_client_ca and --require_client_cert need --tls_cert");
    }
    *described = "plaintext";
    return grpc::InsecureServerCredentials();
  }
  if (require && config.tls_client_ca.empty()) {
    return Misconfigured("--require_client_cert needs --tls_client_ca");
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  absl::StatusOr<std::string> cert = ReadPem(config.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(config.tls_key);
  if (!key.ok()) return key.status();
  pair.cert_chain = *std::move(cert);
  pair.private_key = *std::move(key);
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (config.tls_client_ca.empty()) {
    options.client_certificate_request =
        GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    *described = "TLS, no client certificates";
  } else {
    absl::StatusOr<std::string> ca = ReadPem(config.tls_client_ca);
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

// The signer from `signing_key`, or from <data_dir>/log.key if that file
// exists; std::nullopt if it does not yet (MakeSigner makes it once the
// listener is bound: a server that cannot listen writes nothing).
absl::StatusOr<std::optional<note::Signer>> LoadSigner(
    const ServerConfig& config) {
  std::string path = config.signing_key;
  if (path.empty()) {
    path = config.data_dir + "/log.key";
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
  if (!config.origin.empty() && config.origin != signer->name()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--origin=", config.origin, " but the key in ", path,
                     " is named ", signer->name()));
  }
  return std::optional<note::Signer>(*std::move(signer));
}

// A new signer in <data_dir>/log.key, with its public half in log.pub.
absl::StatusOr<note::Signer> MakeSigner(const ServerConfig& config) {
  absl::StatusOr<note::Signer> made = note::Signer::Generate(
      config.origin.empty() ? kDefaultOrigin : config.origin);
  if (!made.ok()) return made.status();
  absl::Status written = note::WriteKeyFiles(
      *made, config.data_dir + "/log.key", config.data_dir + "/log.pub");
  if (!written.ok()) return written;
  return made;
}

// The signing key could not be read or made: FAILED_PRECONDITION (not
// the flags' fault), saying why.
absl::Status NoSigningKey(const absl::Status& status) {
  return absl::FailedPreconditionError(
      absl::StrCat("no signing key: ", status.message()));
}

}  // namespace

// Declaration order is construction order; members go in reverse: the
// listener first, the store last.
struct Server::Parts {
  ServerConfig config;
  std::string address;
  std::string mode;
  std::string origin;
  std::string created_key;
  bool stopped = false;

  std::unique_ptr<AccessControl> access;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<EtcdClient> etcd;
  // In a cluster: carries out, one at a time, the erasures this node
  // applies from the log (ReplicationOptions::on_applied).
  std::unique_ptr<WorkerPool> erasures;
  std::unique_ptr<ReplicatedLog> replicated;
  std::unique_ptr<Cosigner> cosigner;  // used by the checkpointer
  std::unique_ptr<Checkpointer> checkpointer;
  // The same once started (the server takes calls a moment before).
  std::atomic<Checkpointer*> started_checkpointer{nullptr};
  std::atomic<int64_t> last_signed_us{0};  // for the metrics
  std::unique_ptr<WorkerPool> workers;
  std::unique_ptr<domain::Sealer> sealer;
  std::unique_ptr<domain::CommandHandler> commands;
  std::unique_ptr<ProjectionSet> projections;
  // The same once started (the applier may run before).
  std::atomic<ProjectionSet*> started_projections{nullptr};
  std::unique_ptr<EventStoreService> event_store_service;
  std::unique_ptr<AuditService> audit_service;
  std::unique_ptr<AccountabilityService> accountability_service;
  std::unique_ptr<InquiryService> inquiry_service;
  std::unique_ptr<ProjectionsService> projections_service;
  std::unique_ptr<ReplicationService> replication_service;
  std::unique_ptr<SealingService> sealing_service;
  std::unique_ptr<AdminService> admin_service;
  CallMetrics call_metrics;  // gRPC calls by method and code
  std::unique_ptr<RequestLog> log;
  std::unique_ptr<grpc::Server> grpc;
  std::unique_ptr<HttpGateway> http;  // calls into grpc in process

  // Health (services/health.h): assessed at every change the server is
  // told of, and every 250 ms by health_watch (the disk's state changes by
  // itself); the gRPC health service is told each change.
  absl::Mutex health_mu;
  bool stopping ABSL_GUARDED_BY(health_mu) = false;
  bool catching_up ABSL_GUARDED_BY(health_mu) = false;
  bool stopped_applying ABSL_GUARDED_BY(health_mu) = false;
  HealthReport health ABSL_GUARDED_BY(health_mu);
  bool health_published ABSL_GUARDED_BY(health_mu) = false;
  absl::Notification health_watch_stop;
  std::thread health_watch;  // stopped by ~Parts before any member goes

  ~Parts() { StopHealthWatch(); }

  // The Prometheus text exposition of what the server counts.
  std::string Metrics();

  enum class Health {
    kUnchanged,
    kStopping,
    kCatchingUp,
    kCaughtUp,
    kStoppedApplying
  };
  void UpdateHealth(Health change) {
    absl::MutexLock lock(&health_mu);
    switch (change) {
      case Health::kUnchanged:
        break;
      case Health::kStopping:
        stopping = true;
        break;
      case Health::kCatchingUp:
        catching_up = true;
        break;
      case Health::kCaughtUp:
        catching_up = false;
        break;
      case Health::kStoppedApplying:
        stopped_applying = true;
        break;
    }
    RefreshHealth();
  }
  // Health now; from `stats` when the caller has just read them.
  HealthReport CurrentHealth(const Stats* stats = nullptr) {
    absl::MutexLock lock(&health_mu);
    RefreshHealth(stats);
    return health;
  }
  void RefreshHealth(const Stats* stats = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_mu) {
    HealthInputs inputs;
    inputs.stopping = stopping;
    inputs.catching_up = catching_up;
    inputs.stopped_applying = stopped_applying;
    if (stats != nullptr) {
      inputs.stats = *stats;
    } else if (store != nullptr) {
      inputs.stats = store->GetStats();
    }
    HealthReport now = AssessHealth(inputs);
    const bool changed = !(now == health);
    health = std::move(now);
    if (grpc == nullptr || (health_published && !changed)) return;
    for (const auto& [name, serving] : health.services) {
      grpc->GetHealthCheckService()->SetServingStatus(name, serving);
    }
    health_published = true;
  }
  void StartHealthWatch() {
    health_watch = std::thread([this] {
      while (!health_watch_stop.WaitForNotificationWithTimeout(
          absl::Milliseconds(250))) {
        UpdateHealth(Health::kUnchanged);
      }
    });
  }
  void StopHealthWatch() {
    if (!health_watch.joinable()) return;
    health_watch_stop.Notify();
    health_watch.join();
  }
};

std::string Server::Parts::Metrics() {
  std::string out;
  auto metric = [&out](absl::string_view name, absl::string_view type,
                       absl::string_view help) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                    type, "\n");
  };
  // A metric with one sample and no labels.
  auto one = [&out, &metric](absl::string_view name, absl::string_view type,
                             absl::string_view help, auto value) {
    metric(name, type, help);
    absl::StrAppend(&out, name, " ", value, "\n");
  };
  const Stats stats = store->GetStats();
  const Head head = store->GetHead();
  one("missionlog_appends_total", "counter", "Appends acknowledged (durable).",
      stats.appends_acknowledged);
  one("missionlog_events_written_total", "counter",
      "Events written (new ones; retries that deduplicate write none).",
      stats.events_written);
  one("missionlog_commit_groups_total", "counter",
      "WriteBatches committed (group commit).", stats.commit_groups);
  one("missionlog_wal_syncs_total", "counter", "WAL syncs.", stats.wal_syncs);
  one("missionlog_bytes_written_total", "counter",
      "Bytes of log records written (headers, leaf hashes, payloads).",
      stats.bytes_written);
  if (stats.append_latency != nullptr) {
    metric("missionlog_append_seconds", "histogram",
           "An append's time from the engine's queue to its acknowledgement "
           "(durable).");
    stats.append_latency->AppendPrometheus("missionlog_append_seconds", "",
                                           &out);
  }
  if (stats.wal_sync_latency != nullptr) {
    metric("missionlog_wal_sync_seconds", "histogram",
           "Each WAL sync (fdatasync) the group commit waits for.");
    stats.wal_sync_latency->AppendPrometheus("missionlog_wal_sync_seconds", "",
                                             &out);
  }
  one("missionlog_rocksdb_sst_bytes", "gauge",
      "Size of RocksDB's table files, all column families.", stats.sst_bytes);
  one("missionlog_rocksdb_pending_compaction_bytes", "gauge",
      "Bytes RocksDB estimates compaction has yet to rewrite.",
      stats.pending_compaction_bytes);
  one("missionlog_rocksdb_write_stopped", "gauge",
      "1 while RocksDB stops writes (a write stall).", stats.write_stopped);
  one("missionlog_rocksdb_delayed_write_rate_bytes", "gauge",
      "RocksDB's write rate limit while it slows writes (0: not slowed).",
      stats.delayed_write_rate);
  one("missionlog_appends_refused_for_space_total", "counter",
      "Appends refused because less than the reserve was free.",
      stats.appends_refused_for_space);
  one("missionlog_refusing_appends_for_space", "gauge",
      "1 while appends are refused for disk space (health: degraded).",
      stats.refusing_for_space);
  if (event_store_service != nullptr) {
    one("missionlog_subscriptions_open", "gauge", "Subscribe calls open now.",
        event_store_service->open_subscriptions());
    one("missionlog_subscriptions_max_lag_events", "gauge",
        "Committed events beyond the furthest-behind subscription's last "
        "message (0: none open, or all at the head).",
        event_store_service->slowest_subscription_lag());
  }
  one("missionlog_log_events", "gauge", "Events in the log.",
      head.next_position);
  one("missionlog_disk_free_bytes", "gauge",
      "Free space on the store's disk at the last reading.",
      stats.disk_free_bytes);
  {
    const HealthReport health = CurrentHealth(&stats);
    one("missionlog_accepting_appends", "gauge",
        "1 while appends are taken (health: EventStore SERVING).",
        health.accepting_appends ? 1 : 0);
    one("missionlog_disk_space_low", "gauge",
        "1 while less than twice the reserve is free (health: warning).",
        health.disk_space_low ? 1 : 0);
  }
  one("missionlog_disk_reserve_bytes", "gauge",
      "Free space kept in reserve (appends stop below it).",
      stats.disk_reserve_bytes);
  if (projections != nullptr) {
    const std::vector<RunnerStatus> runners = projections->Status();
    metric("missionlog_projection_position", "gauge",
           "Events a projection has applied.");
    for (const RunnerStatus& runner : runners) {
      absl::StrAppend(&out, "missionlog_projection_position{projection=\"",
                      runner.name, "\"} ", runner.position, "\n");
    }
    metric("missionlog_projection_lag_events", "gauge",
           "Events committed that a projection has not yet applied.");
    for (const RunnerStatus& runner : runners) {
      absl::StrAppend(&out, "missionlog_projection_lag_events{projection=\"",
                      runner.name, "\"} ",
                      head.next_position > runner.position
                          ? head.next_position - runner.position
                          : 0,
                      "\n");
    }
  }
  absl::StatusOr<CheckpointStore::StoredCheckpoint> latest =
      store->GetCheckpoint(0);
  one("missionlog_checkpoint_tree_size", "gauge",
      "Events covered by the latest signed checkpoint.",
      latest.ok() ? latest->tree_size : 0);
  metric("missionlog_checkpoint_lag_events", "gauge",
         "Committed events not yet covered by a signed checkpoint.");
  const uint64_t covered = latest.ok() ? latest->tree_size : 0;
  absl::StrAppend(
      &out, "missionlog_checkpoint_lag_events ",
      head.next_position > covered ? head.next_position - covered : 0, "\n");
  one("missionlog_checkpoint_signed_timestamp_seconds", "gauge",
      "When this process last signed a checkpoint (Unix time; 0: not "
      "yet). Its age: time() - this.",
      static_cast<double>(last_signed_us.load(std::memory_order_relaxed)) /
          1e6);
  call_metrics.AppendPrometheus(&out);
  return out;
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() {
  if (parts_ != nullptr && !parts_->stopped) Stop();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerConfig& config) {
  auto parts = std::make_unique<Parts>();
  parts->config = config;
  if (!config.http_listen.empty() && !IsLoopback(config.http_listen) &&
      (config.tls_cert.empty() || config.policy.empty())) {
    return Misconfigured(absl::StrCat(
        "refusing to serve HTTP on ", config.http_listen,
        " without TLS (--tls_cert, --tls_key) and an access policy "
        "(--policy); development mode is for loopback addresses only"));
  }
  if (!IsLoopback(config.listen) &&
      (config.tls_cert.empty() || config.policy.empty())) {
    return Misconfigured(absl::StrCat(
        "refusing to listen on ", config.listen,
        " without TLS (--tls_cert, --tls_key) and an access policy "
        "(--policy); development mode is for loopback addresses only"));
  }
  std::string transport;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ListenerCredentials(config, &transport);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<domain::Sealer> sealer;
  if (!config.unsealer_keys.empty()) {
    absl::StatusOr<domain::Sealer> loaded =
        domain::Sealer::FromFile(config.unsealer_keys);
    if (!loaded.ok()) return Misconfigured(loaded.status().message());
    sealer = std::make_unique<domain::Sealer>(*std::move(loaded));
  }
  if (config.policy.empty() && !config.tokens.empty()) {
    return Misconfigured("--tokens needs --policy");
  }
  if (config.policy.empty()) {
    parts->access = AccessControl::Development();
    parts->mode = absl::StrCat("development mode: ", transport,
                               ", no access policy, anyone on this machine "
                               "may do anything, loopback only");
  } else {
    absl::StatusOr<std::unique_ptr<AccessControl>> loaded =
        AccessControl::FromFiles(config.policy, config.tokens);
    if (!loaded.ok()) {
      return Misconfigured(absl::StrCat("access policy not loaded: ",
                                        loaded.status().message()));
    }
    parts->access = *std::move(loaded);
    parts->mode =
        absl::StrCat(transport, "; access policy ", config.policy,
                     config.tokens.empty() ? "" : "; tokens ", config.tokens);
  }
  parts->access->quotas()->set_max_streams_per_connection(
      config.max_streams_per_connection);

  // Hold the address before anything is written: a second server on an
  // address in use stops here, with its data directory untouched.
  absl::StatusOr<ListenReservation> reservation =
      ListenReservation::Reserve(config.listen);
  if (!reservation.ok()) return reservation.status();
  absl::StatusOr<ListenReservation> http_reservation =
      config.http_listen.empty()
          ? absl::StatusOr<ListenReservation>(ListenReservation())
          : ListenReservation::Reserve(config.http_listen);
  if (!http_reservation.ok()) return http_reservation.status();
  absl::StatusOr<std::optional<note::Signer>> signer = LoadSigner(config);
  if (!signer.ok()) return NoSigningKey(signer.status());
  std::optional<ClusterConfig> cluster;
  if (config.cluster_config.empty() != config.etcd.endpoints.empty() ||
      config.cluster_config.empty() != config.node.empty()) {
    return Misconfigured("--cluster, --node and --etcd_endpoints go together");
  }
  if (!config.cluster_config.empty()) {
    absl::StatusOr<ClusterConfig> read =
        ClusterConfig::Read(config.cluster_config);
    if (!read.ok()) return Misconfigured(read.status().message());
    cluster = *std::move(read);
    if (!signer->has_value()) {
      return Misconfigured(absl::StrCat(
          "a cluster's node needs its own signing key before it starts "
          "(missionlog keygen --origin=",
          cluster->origin(), " --out=PREFIX; its .pub line goes into ",
          config.cluster_config, ")"));
    }
  }

  Options store_options = config.store;
  store_options.replica = cluster.has_value();
  absl::StatusOr<std::unique_ptr<EventStore>> store =
      EventStore::Open(store_options, config.data_dir);
  if (!store.ok()) {
    if (store.status().code() == absl::StatusCode::kResourceExhausted) {
      return store.status();  // says how much room recovery needs
    }
    return absl::Status(
        store.status().code(),
        absl::StrCat("cannot open the store in ", config.data_dir, ": ",
                     store.status().ToString()));
  }
  parts->store = *std::move(store);
  EventStore* engine = parts->store.get();
  // Where appends go: the store itself, or through etcd in a cluster.
  EventLog* log = engine;
  if (cluster.has_value()) {
    absl::StatusOr<std::unique_ptr<EtcdClient>> etcd =
        EtcdClient::Connect(config.etcd);
    if (!etcd.ok()) return Misconfigured(etcd.status().message());
    parts->etcd = *std::move(etcd);
    CatchUpOptions catch_up;
    catch_up.node = config.node;
    catch_up.credentials = grpc::InsecureChannelCredentials();
    catch_up.token = config.peer_token;
    ReplicationOptions replication;
    replication.node = config.node;
    replication.prefix = config.etcd_prefix;
    replication.max_entry_bytes = config.etcd_max_entry_bytes;
    replication.retention_interval = config.etcd_retention_interval;
    Parts* raw = parts.get();
    replication.catch_up = [raw, engine, nodes = *cluster, catch_up] {
      raw->UpdateHealth(Parts::Health::kCatchingUp);
      absl::Status copied = CatchUp(engine, nodes, catch_up);
      raw->UpdateHealth(Parts::Health::kCaughtUp);
      return copied;
    };
    replication.on_stopped = [raw](const absl::Status&) {
      raw->UpdateHealth(Parts::Health::kStoppedApplying);
    };
    // Every node destroys what an erasure recorded in the log names, on
    // its own copy (the node that took the call has usually done so
    // already: then this finds nothing left to do).
    parts->erasures = std::make_unique<WorkerPool>(1, /*max_queued=*/100000);
    replication.applied_type = domain::kErasedType;
    replication.on_applied = [raw, engine](std::string payload) {
      raw->erasures->Schedule([raw, engine, payload = std::move(payload)] {
        v1::Erased erased;
        if (!erased.ParseFromString(payload)) return;
        absl::StatusOr<bool> carried = CarryOutErasure(engine, erased);
        if (!carried.ok()) {
          std::fprintf(stderr,
                       "missionlogd: carrying out the erasure of event %llu "
                       "failed (erase it again): %s\n",
                       static_cast<unsigned long long>(erased.position()),
                       std::string(carried.status().message()).c_str());
          return;
        }
        ProjectionSet* views =
            raw->started_projections.load(std::memory_order_acquire);
        if (*carried && erased.whole_payload() && views != nullptr) {
          views->RebuildAll();
        }
      });
    };
    absl::StatusOr<std::unique_ptr<ReplicatedLog>> replicated =
        ReplicatedLog::Start(engine, parts->etcd.get(), *cluster, **signer,
                             replication);
    if (!replicated.ok()) return Misconfigured(replicated.status().message());
    parts->replicated = *std::move(replicated);
    log = parts->replicated.get();
  }

  parts->workers =
      std::make_unique<WorkerPool>(config.workers, /*max_queued=*/100000);
  // The one path domain events take, typed commands and raw appends alike.
  parts->sealer = std::move(sealer);
  parts->commands = std::make_unique<domain::CommandHandler>(
      log, parts->workers.get(), parts->sealer.get());
  // Projections catch up from their stored positions, then follow the bus.
  parts->projections = std::make_unique<ProjectionSet>(engine, engine);
  parts->started_projections.store(parts->projections.get(),
                                   std::memory_order_release);
  AccessControl* access = parts->access.get();
  parts->event_store_service = std::make_unique<EventStoreService>(
      log, parts->commands.get(), parts->workers.get(), access, config.service);
  parts->event_store_service->set_call_metrics(&parts->call_metrics);
  parts->audit_service = std::make_unique<AuditService>(
      engine, engine, engine, parts->workers.get(), access, config.service);
  parts->accountability_service =
      std::make_unique<AccountabilityService>(parts->commands.get(), access);
  parts->inquiry_service = std::make_unique<InquiryService>(
      engine, engine, parts->projections.get(), parts->workers.get(), access);
  parts->projections_service =
      std::make_unique<ProjectionsService>(parts->projections.get(), access);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, *credentials, &port);
  // Exclusive: gRPC would otherwise set SO_REUSEPORT, and a second server
  // on the same port would share its connections (the log split in two).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  parts->log = std::make_unique<RequestLog>(config.log_format, config.log_level,
                                            config.log_refused_per_second);
  parts->call_metrics.on_refused =
      [log = parts->log.get(), access](
          const std::string& method, const grpc::Status& status,
          grpc::ServerContextBase* context, const std::string* known) {
        std::string principal = "-", peer = "-";
        if (context != nullptr) peer = context->peer();
        if (known != nullptr) {
          if (!known->empty()) principal = *known;
        } else if (context != nullptr) {
          absl::StatusOr<Caller> caller = access->Authenticate(*context);
          if (caller.ok()) principal = caller->principal;
        }
        log->Refused(method, StatusCodeName(status.error_code()),
                     status.error_message(), principal, peer);
      };
  {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(parts->call_metrics.InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  builder.SetMaxReceiveMessageSize(config.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config.max_concurrent_streams);
  builder.RegisterService(parts->event_store_service.get());
  builder.RegisterService(parts->audit_service.get());
  builder.RegisterService(parts->accountability_service.get());
  builder.RegisterService(parts->inquiry_service.get());
  builder.RegisterService(parts->projections_service.get());
  Parts* const started = parts.get();  // outlives the services
  // Signs a checkpoint of the head now (once the checkpointer runs).
  auto sign_checkpoint = [started] {
    Checkpointer* checkpointer =
        started->started_checkpointer.load(std::memory_order_acquire);
    if (checkpointer != nullptr) checkpointer->SignNow().IgnoreError();
  };
  {
    ErasureHooks hooks;
    Parts* const erasing = started;
    hooks.sign_checkpoint = sign_checkpoint;
    hooks.rebuild_views = [erasing] { erasing->projections->RebuildAll(); };
    parts->sealing_service = std::make_unique<SealingService>(
        log, engine, parts->workers.get(), access, std::move(hooks));
  }
  builder.RegisterService(parts->sealing_service.get());
  parts->admin_service = std::make_unique<AdminService>(
      engine, access, sign_checkpoint, config.backup_progress);
  builder.RegisterService(parts->admin_service.get());
  if (parts->replicated != nullptr) {
    parts->replication_service = std::make_unique<ReplicationService>(
        config.node, parts->replicated.get(), engine, parts->workers.get(),
        access);
    builder.RegisterService(parts->replication_service.get());
  }
  reservation->Release();
  {
    absl::MutexLock lock(&parts->health_mu);
    parts->grpc = builder.BuildAndStart();
  }
  if (parts->grpc == nullptr || port == 0) {
    parts->grpc.reset();
    return absl::UnavailableError(ListenFailure(config.listen));
  }
  parts->address = absl::StrCat(
      config.listen.substr(0, config.listen.rfind(':')), ":", port);
  if (!config.http_listen.empty()) {
    HttpGatewayOptions http;
    http.listen = config.http_listen;
    http.tls_cert = config.tls_cert;
    http.tls_key = config.tls_key;
    http.threads = config.http_threads;
    http.metrics = [raw = parts.get()] { return raw->Metrics(); };
    http.health = [raw = parts.get()] {
      HealthReport report = raw->CurrentHealth();
      return std::make_pair(report.HttpStatus(), report.Json());
    };
    http_reservation->Release();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    absl::StatusOr<std::unique_ptr<HttpGateway>> gateway =
        HttpGateway::Start(http, parts->grpc->InProcessChannel(args));
    if (!gateway.ok()) return gateway.status();
    parts->http = *std::move(gateway);
  }
  parts->UpdateHealth(Parts::Health::kUnchanged);  // NOT_SERVING if already so

  if (!signer->has_value()) {
    absl::StatusOr<note::Signer> made = MakeSigner(config);
    if (!made.ok()) return NoSigningKey(made.status());
    parts->created_key = config.data_dir + "/log.key";
    signer->emplace(*std::move(made));
  }
  parts->origin = (*signer)->name();
  CheckpointerOptions checkpoints;
  checkpoints.interval = config.checkpoint_interval;
  checkpoints.max_events = config.checkpoint_events;
  checkpoints.on_error = config.on_checkpoint_error;
  if (cluster.has_value()) {
    // One node signs at a time; every node co-signs its checkpoints.
    CosignerOptions cosigning;
    cosigning.node = config.node;
    cosigning.prefix = config.etcd_prefix;
    cosigning.interval = config.checkpoint_interval;
    Parts* raw = parts.get();
    cosigning.on_diverged = [raw](const absl::Status& status) {
      raw->replicated->Refuse(status);
      raw->UpdateHealth(Parts::Health::kStoppedApplying);
    };
    parts->cosigner = Cosigner::Start(engine, parts->etcd.get(), *cluster,
                                      **signer, cosigning);
    Cosigner* cosigner = parts->cosigner.get();
    checkpoints.may_sign = [cosigner] { return cosigner->Signing(); };
    checkpoints.on_signed = [cosigner](uint64_t size) {
      cosigner->Signed(size);
    };
  }
  {
    // The metrics' checkpoint time, then whatever else wants to know.
    Parts* raw = parts.get();
    checkpoints.on_signed =
        [raw, then = std::move(checkpoints.on_signed)](uint64_t size) {
          raw->last_signed_us.store(absl::ToUnixMicros(absl::Now()),
                                    std::memory_order_relaxed);
          if (then) then(size);
        };
  }
  parts->checkpointer =
      Checkpointer::Start(engine, **std::move(signer), checkpoints);
  parts->started_checkpointer.store(parts->checkpointer.get(),
                                    std::memory_order_release);
  parts->StartHealthWatch();
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

const std::string& Server::address() const { return parts_->address; }
const std::string& Server::mode() const { return parts_->mode; }
const std::string& Server::http_address() const {
  static const std::string kNone;
  return parts_->http != nullptr ? parts_->http->address() : kNone;
}
const std::string& Server::origin() const { return parts_->origin; }
const std::string& Server::created_key() const { return parts_->created_key; }
bool Server::signing() const { return parts_->checkpointer->status().ok(); }
bool Server::development() const { return parts_->access->development(); }
EventStore* Server::store() { return parts_->store.get(); }
ReplicatedLog* Server::replicated() { return parts_->replicated.get(); }

absl::Status Server::Reload() { return parts_->access->Reload(); }

Server::Stopped Server::Stop() {
  Parts& p = *parts_;
  p.stopped = true;
  p.UpdateHealth(Parts::Health::kStopping);
  p.StopHealthWatch();
  if (p.http != nullptr) p.http->Stop();  // live tails end first
  p.event_store_service->EndSubscriptions();
  p.projections->Stop();  // queries waiting for a position give up
  p.grpc->Shutdown(absl::ToChronoTime(absl::Now() + p.config.shutdown_grace));
  p.grpc->Wait();
  // Appends still waiting for etcd are answered UNAVAILABLE.
  if (p.replicated != nullptr) p.replicated->Stop();
  p.erasures.reset();  // runs what is queued
  p.workers.reset();
  p.started_projections.store(nullptr, std::memory_order_release);
  p.projections.reset();
  Stopped stopped;
  stopped.events = p.store->GetHead().next_position;
  // The last checkpoint covers every acknowledged append.
  stopped.last_checkpoint_signed = p.checkpointer->Stop().ok();
  p.started_checkpointer.store(nullptr, std::memory_order_release);
  p.checkpointer.reset();
  if (p.cosigner != nullptr) p.cosigner->Stop();
  p.store.reset();  // finishes in-flight appends, closes RocksDB
  return stopped;
}

}  // namespace missionlog
