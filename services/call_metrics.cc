#include "services/call_metrics.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/status.h"
#include "services/conversions.h"

namespace missionlog {
namespace {}  // namespace

std::string StatusCodeName(int code) {
  // gRPC's and Abseil's codes are the same numbers, with the same names.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

namespace {

// "missionlog.v1.AppendRequest" for "/missionlog.v1.EventStore/Append";
// "" for a method no service here declares.
std::string InputTypeOf(absl::string_view method) {
  if (!absl::ConsumePrefix(&method, "/")) return "";
  const size_t slash = method.find('/');
  if (slash == absl::string_view::npos) return "";
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(method.substr(0, slash)));
  if (service == nullptr) return "";
  const google::protobuf::MethodDescriptor* found =
      service->FindMethodByName(std::string(method.substr(slash + 1)));
  return found == nullptr ? "" : found->input_type()->full_name();
}

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
      grpc::Status status = methods->GetSendStatus();
      // gRPC answers a unary request that does not deserialize with an
      // empty UNIMPLEMENTED, which tells a client the method does not
      // exist. None of ours answers that way, so on a method we serve it
      // means exactly this: say so, and name the message expected.
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        if (const std::string expected = InputTypeOf(method_);
            !expected.empty()) {
          status = UnparsableRequest(expected);
          methods->ModifySendStatus(status);
        }
      }
      metrics_->Ended(method_, status, started_ns_, info_->server_context(),
                      nullptr);
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
    // Not on AppendStream (the only bidi method): the hooks run for every
    // message of a call, which cost its throughput a quarter; its calls
    // are long-lived and its requests answered one by one in the stream.
    // Nor on Append, the hot unary method: a few microseconds of gRPC's
    // threads per call. Both count themselves (EventStoreService).
    if (info->type() ==
            grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING ||
        absl::string_view(info->method()) == kSelfCountedUnaryMethod) {
      return nullptr;
    }
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

void CallMetrics::Ended(const std::string& method, const grpc::Status& status,
                        int64_t started_ns, grpc::ServerContextBase* context,
                        const std::string* principal) {
  Record(method, status.error_code(),
         (absl::GetCurrentTimeNanos() - started_ns) / 1000);
  Refused(method, status, context, principal);
}

void CallMetrics::Refused(const std::string& method, const grpc::Status& status,
                          grpc::ServerContextBase* context,
                          const std::string* principal) {
  if (IsRefusal(status.error_code()) && on_refused && context != nullptr) {
    on_refused(method, status, context, principal);
  }
}

bool IsRefusal(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::INVALID_ARGUMENT:
      return true;
    default:
      return false;
  }
}

void CallMetrics::RecordStreamRequest(int code) {
  if (code < 0 || code > 16) code = 2;  // UNKNOWN
  stream_requests_[static_cast<size_t>(code)].fetch_add(
      1, std::memory_order_relaxed);
}

void CallMetrics::AppendPrometheus(std::string* out) const {
  absl::StrAppend(out,
                  "# HELP missionlog_append_stream_requests_total Requests "
                  "of AppendStream calls, by the status each was answered "
                  "with.\n"
                  "# TYPE missionlog_append_stream_requests_total counter\n");
  for (int code = 0; code <= 16; ++code) {
    const uint64_t count = stream_requests_[static_cast<size_t>(code)].load(
        std::memory_order_relaxed);
    if (count == 0) continue;
    absl::StrAppend(out, "missionlog_append_stream_requests_total{code=\"",
                    StatusCodeName(code), "\"} ", count, "\n");
  }
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
