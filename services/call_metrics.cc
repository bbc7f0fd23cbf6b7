#include "services/call_metrics.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/support/status.h"

namespace missionlog {
namespace {}  // namespace

const char* StatusCodeName(int code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

namespace {

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(CallMetrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        info_(info),
        method_(info->method()),
        started_ns_(absl::GetCurrentTimeNanos()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      metrics_->Record(method_, status.error_code(),
                       (absl::GetCurrentTimeNanos() - started_ns_) / 1000);
      switch (status.error_code()) {
        case grpc::StatusCode::UNAUTHENTICATED:
        case grpc::StatusCode::PERMISSION_DENIED:
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
        case grpc::StatusCode::INVALID_ARGUMENT:
          if (metrics_->on_refused) {
            metrics_->on_refused(method_, status, info_->server_context());
          }
          break;
        default:
          break;
      }
    }
    methods->Proceed();
  }

 private:
  CallMetrics* const metrics_;
  grpc::experimental::ServerRpcInfo* const info_;
  const std::string method_;
  const int64_t started_ns_;
};

class Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(CallMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Interceptor(metrics_, info);
  }

 private:
  CallMetrics* const metrics_;
};

}  // namespace

CallMetrics::Method* CallMetrics::Find(const std::string& method) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = methods_.find(method);
    if (it != methods_.end()) return it->second.get();
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Method>& entry = methods_[method];
  if (entry == nullptr) entry = std::make_unique<Method>();
  return entry.get();
}

void CallMetrics::Record(const std::string& method, int code, int64_t micros) {
  Method* counts = Find(method);
  counts->by_code[static_cast<size_t>(std::clamp(code, 0, 16))].fetch_add(
      1, std::memory_order_relaxed);
  counts->latency.ObserveMicros(micros);
}

void CallMetrics::AppendPrometheus(std::string* out) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, unused] : methods_) names.push_back(name);
  std::sort(names.begin(), names.end());
  absl::StrAppend(out,
                  "# HELP missionlog_grpc_server_handled_total gRPC calls "
                  "completed, by method and status code.\n"
                  "# TYPE missionlog_grpc_server_handled_total counter\n");
  for (const std::string& name : names) {
    const Method& method = *methods_.at(name);
    for (int code = 0; code <= 16; ++code) {
      const uint64_t count = method.by_code[static_cast<size_t>(code)].load(
          std::memory_order_relaxed);
      if (count == 0) continue;
      absl::StrAppend(out, "missionlog_grpc_server_handled_total{method=\"",
                      name, "\",code=\"", StatusCodeName(code), "\"} ", count,
                      "\n");
    }
  }
  absl::StrAppend(out,
                  "# HELP missionlog_grpc_server_handling_seconds Time from "
                  "a call's arrival to its status, by method.\n"
                  "# TYPE missionlog_grpc_server_handling_seconds histogram\n");
  for (const std::string& name : names) {
    methods_.at(name)->latency.AppendPrometheus(
        "missionlog_grpc_server_handling_seconds",
        absl::StrCat("method=\"", name, "\""), out);
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallMetrics::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

}  // namespace missionlog
