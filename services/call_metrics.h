// gRPC calls as Prometheus counts them (README "Metrics"): calls handled
// by method and status code, and their handling time by method, gathered
// by a server interceptor on every service but the two append methods,
// which count themselves (Ended).
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_CALL_METRICS_H_
#define MISSIONLOG_SERVICES_CALL_METRICS_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/histogram.h"
#include "grpcpp/support/server_interceptor.h"

namespace missionlog {

// The unary method that counts itself (EventStoreService::Append, with
// CallMetrics::Ended): the interceptor skips it.
inline constexpr char kSelfCountedUnaryMethod[] =
    "/missionlog.v1.EventStore/Append";

// "PERMISSION_DENIED" for 7.
std::string StatusCodeName(int code);

// Whether a call or request that ended with `code` was refused (and is
// logged as such): UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED
// or INVALID_ARGUMENT.
bool IsRefusal(int code);

class CallMetrics {
 public:
  // Counts one call of `method` ("/missionlog.v1.EventStore/Append") that
  // ended with `code` after `micros`.
  void Record(const std::string& method, int code, int64_t micros);

  // A call of `method` that began at `started_ns` (absl's clock) ends with
  // `status`: Record, then Refused.
  void Ended(const std::string& method, const grpc::Status& status,
             int64_t started_ns, grpc::ServerContextBase* context,
             const std::string* principal);

  // Tells on_refused of `status` if it is a refusal (and on_refused and
  // `context` are set).
  void Refused(const std::string& method, const grpc::Status& status,
               grpc::ServerContextBase* context, const std::string* principal);

  // Counts one request of an AppendStream call answered with `code` (each
  // is answered on its own, in the stream; Record counts the call).
  void RecordStreamRequest(int code);

  // The metrics' lines: missionlog_grpc_server_handled_total,
  // missionlog_grpc_server_handling_seconds and
  // missionlog_append_stream_requests_total.
  void AppendPrometheus(std::string* out) const;

  // Told of every call that ends UNAUTHENTICATED, PERMISSION_DENIED,
  // RESOURCE_EXHAUSTED or INVALID_ARGUMENT: a refused call, to log, with
  // the caller's principal when the teller knows it (null: to be found
  // from `context`). Set before the server starts.
  std::function<void(const std::string& method, const grpc::Status& status,
                     grpc::ServerContextBase* context,
                     const std::string* principal)>
      on_refused;

  // The interceptor factory to give the server builder. It sees every call
  // but AppendStream's (the one bidi method: interceptor hooks run for each
  // of its messages, a quarter of its throughput), which its reactor
  // counts itself with Record and RecordStreamRequest, and Append's (the
  // hot unary method: the hooks cost each call a few microseconds), which
  // EventStoreService counts itself with Record.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();

 private:
  struct Method {
    std::array<std::atomic<uint64_t>, 17> by_code{};  // gRPC codes 0..16
    LatencyHistogram latency;
  };
  Method* Find(const std::string& method);

  std::array<std::atomic<uint64_t>, 17> stream_requests_{};  // by code
  mutable absl::Mutex mu_;
  // Entries are never removed: pointers stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_CALL_METRICS_H_
