// A Missionlog server: the embedded event store, its checkpoint signer and
// projections, and the gRPC services over them on one listener, built from
// a ServerConfig. missionlogd's main() is flags and signals around it;
// tests start one in-process the same way.
//
// Starting, in this order, so that a server that cannot listen writes
// nothing: the configuration is checked; the address is reserved
// (listen_address.h: exclusive, no SO_REUSEPORT); an existing signing key
// is read; the store is opened (created if missing); the services are
// built and the listener bound; only then is a new signing key made (in
// <data_dir>/log.key and log.pub) and the signer started.
//
// Stopping (Stop, or the destructor): the health service says NOT_SERVING,
// subscriptions end with UNAVAILABLE, queries waiting for a position give
// up, calls in flight get the grace period, a last checkpoint is signed
// over every acknowledged append, and the store closes.
//
// Thread safety: Reload may be called from any thread while serving; Stop
// once, from the owner's thread.
#ifndef MISSIONLOG_SERVICES_SERVER_H_
#define MISSIONLOG_SERVICES_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/etcd_client.h"
#include "cluster/replicated_log.h"
#include "eventstore/event_store.h"
#include "services/request_log.h"
#include "services/service_options.h"

namespace missionlog {

struct ServerConfig {
  // host:port (port 0 picks a free one), [v6]:port, or unix:path. A
  // non-loopback address needs TLS and an access policy.
  std::string listen = "127.0.0.1:7600";
  std::string data_dir = "./missionlog-data";
  Options store;
  ServiceOptions service;
  // Threads for storage reads and domain checks.
  int workers = 2;
  int max_message_bytes = 20 << 20;
  // Calls in flight on one connection (HTTP/2 MAX_CONCURRENT_STREAMS).
  int max_concurrent_streams = 200;
  // Long-lived streaming calls open on one connection (0: no limit).
  int max_streams_per_connection = 100;

  // TLS: with tls_cert and tls_key the listener speaks TLS only; with
  // tls_client_ca it verifies client certificates (required with
  // require_client_cert).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  bool require_client_cert = false;
  // The access policy and bearer tokens files; no policy: development
  // mode (everyone may do everything; loopback only).
  std::string policy;
  std::string tokens;

  // Public keys of the roles that may unseal sealed fields (lines of
  // `missionlog keygen --role=UNSEALER` .pub files); empty: sealed fields
  // are refused (README "Sealed fields").
  std::string unsealer_keys;

  // The log's name (origin line); empty: the signing key's name.
  std::string origin;
  // The signer key file; empty: <data_dir>/log.key, made on first start.
  std::string signing_key;
  absl::Duration checkpoint_interval = absl::Seconds(1);
  uint64_t checkpoint_events = 10000;
  // Told when a checkpoint could not be signed (on the signer's thread).
  std::function<void(const absl::Status&)> on_checkpoint_error;

  // The HTTP listener (JSON API and console: http_gateway.h), host:port;
  // empty: none. The same rules as `listen`: TLS with tls_cert/tls_key,
  // a non-loopback address only with TLS and a policy.
  std::string http_listen;
  int http_threads = 8;

  // Log lines (README "Logs"): format, lowest level, and refused calls
  // logged per second at most.
  RequestLog::Format log_format = RequestLog::Format::kKeyValue;
  RequestLog::Level log_level = RequestLog::Level::kInfo;
  int log_refused_per_second = 20;

  // Called as an Admin.Backup copies files (tests: a kill -9 mid-backup).
  std::function<void()> backup_progress;

  // A cluster's node (README "Running three nodes"): with a cluster
  // configuration file, appends go through etcd and this node applies
  // every node's; the store must be one this node has only ever used in
  // the cluster. The signing key (signing_key or <data_dir>/log.key) must
  // exist and be the one the configuration lists for `node` (named after
  // the log, like every node's).
  std::string cluster_config;
  std::string node;
  EtcdOptions etcd;
  std::string etcd_prefix = "/missionlog/";
  // Largest value put into etcd (etcd's --max-request-bytes, less room
  // for the request around it).
  size_t etcd_max_entry_bytes = 1400 * 1024;
  // How often the node publishes its applied revision and compacts etcd.
  absl::Duration etcd_retention_interval = absl::Seconds(5);
  // Bearer token this node presents to its peers when copying from them.
  std::string peer_token;

  // How long Stop waits for calls in flight before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(2);
};

class Server {
 public:
  // Starts a server. Each error is one line: INVALID_ARGUMENT for a
  // configuration that cannot work (bad TLS or policy files, a public
  // address without TLS and a policy), otherwise what stopped it (the
  // address in use, the store, the signing key).
  static absl::StatusOr<std::unique_ptr<Server>> Start(
      const ServerConfig& config);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Stops the server if Stop has not run.
  ~Server();

  // host:port actually bound (the port chosen for port 0).
  const std::string& address() const;
  // The HTTP listener's host:port ("" without one).
  const std::string& http_address() const;
  // "development mode: plaintext, ..." or "TLS ...; access policy ...".
  const std::string& mode() const;
  // The checkpoints' origin.
  const std::string& origin() const;
  // The key file made by this start, if it made one ("" if not).
  const std::string& created_key() const;
  // False if the signer refused to sign (its error went to
  // on_checkpoint_error).
  bool signing() const;
  bool development() const;

  EventStore* store();
  // The replicated log of a cluster's node; nullptr when alone.
  ReplicatedLog* replicated();

  // Rereads the policy and tokens files (a bad file keeps the old ones).
  absl::Status Reload();

  struct Stopped {
    uint64_t events = 0;  // in the log when it closed
    bool last_checkpoint_signed = false;
  };
  Stopped Stop();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);

  std::unique_ptr<Parts> parts_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_SERVER_H_
