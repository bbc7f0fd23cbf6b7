// missionlogd's HTTP listener (README "The console"): the read side as
// JSON, a live tail as Server-Sent Events, and the console's static files.
//
// Every API call is made, in process, as the gRPC call it mirrors
// (grpc::Server::InProcessChannel), with the caller's "Authorization:
// Bearer" header passed on: the same identities, roles, limits and errors
// as the gRPC listener, by construction. Request and response bodies use
// protobuf's JSON mapping, so field names are the .proto's.
//
//   POST /api/v1/<Service>/<Method>    the request message as JSON; the
//        response message as JSON. Services and methods: Inquiry (every
//        query), Projections/Status, EventStore/Read, GetStreamInfo,
//        GetHead, Audit (every RPC). Read and Audit/GetEntries stream: the
//        answer is {"responses": [...]} (at most max_stream_bytes, then
//        "truncated": true).
//   GET  /api/v1/live?from=N&stream_prefix=P&type_prefix=T
//        Server-Sent Events: one `event` per recorded event (data: its
//        JSON), `caught_up` and `checkpoint` as the subscription says.
//   GET  /   and  /console/...   the console (console/; built into the
//        binary).
//
// Errors: {"code": "<gRPC code name>", "message": "..."} with the HTTP
// status that matches the code (400, 401, 403, 404, 409, 429, 503, 504,
// 500). Every response carries a strict Content-Security-Policy (no
// inline script, nothing from another site), X-Content-Type-Options:
// nosniff, Referrer-Policy: no-referrer; no cookies are set.
//
// Thread safety: Start and Stop from the owner's thread; requests are
// served on a bounded pool of threads.
#ifndef MISSIONLOG_SERVICES_HTTP_GATEWAY_H_
#define MISSIONLOG_SERVICES_HTTP_GATEWAY_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace httplib {
class Server;
}

namespace missionlog {

struct HttpGatewayOptions {
  // host:port (port 0 picks a free one).
  std::string listen = "127.0.0.1:7680";
  // TLS: the same certificate and key files as the gRPC listener.
  std::string tls_cert;
  std::string tls_key;
  // Threads serving requests; connections beyond them wait in the kernel's
  // backlog. Live tails hold a thread each: at most half of them are tails.
  int threads = 8;
  // Accepted connections waiting for a thread; beyond, the listener stops
  // accepting until one is taken.
  size_t max_queued_connections = 64;
  size_t max_request_bytes = 1 << 20;
  // GET /metrics: the Prometheus text exposition (version 0.0.4) this
  // returns; unset: no such page.
  std::function<std::string()> metrics;
  // GET /health: the HTTP status and JSON body this returns (services/
  // health.h); unset: no such page.
  std::function<std::pair<int, std::string>()> health;
  size_t max_stream_bytes = 16 << 20;
};

class HttpGateway {
 public:
  // Binds (exclusively: no SO_REUSEPORT) and starts serving. `channel`
  // reaches the gRPC services (the server's in-process channel).
  // UNAVAILABLE "cannot listen on ..." if the address is taken.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(
      const HttpGatewayOptions& options,
      std::shared_ptr<grpc::Channel> channel);
  ~HttpGateway();

  // host:port bound.
  const std::string& address() const { return address_; }
  // Ends live tails, stops accepting and waits for requests in flight.
  void Stop();

 private:
  struct Handlers;
  HttpGateway() = default;

  std::string address_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_HTTP_GATEWAY_H_
