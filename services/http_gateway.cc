#include "services/http_gateway.h"

#include <sys/socket.h>

#include <cstdio>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/json_string.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "httplib.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "services/console_assets.h"
#include "services/listen_address.h"

namespace missionlog {
namespace {

namespace pb = google::protobuf;

// What the JSON API offers: the read side, nothing that writes.
bool Offered(absl::string_view service, absl::string_view method) {
  if (service == "Inquiry" || service == "Audit") return true;
  if (service == "Projections") return method == "Status";
  if (service == "EventStore") {
    return method == "Read" || method == "GetStreamInfo" || method == "GetHead";
  }
  return false;
}

int HttpStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::UNIMPLEMENTED:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

// gRPC's and Abseil's codes are the same numbers, with the same names.
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void SendError(httplib::Response& response, grpc::StatusCode code,
               absl::string_view message) {
  response.status = HttpStatus(code);
  response.set_content(
      absl::StrCat("{\"code\":\"", CodeName(code),
                   "\",\"message\":", JsonString(message), "}\n"),
      "application/json");
}

// The caller's bearer token, passed on to the gRPC call.
void PassCredentials(const httplib::Request& request,
                     grpc::ClientContext* context) {
  const std::string authorization = request.get_header_value("Authorization");
  if (!authorization.empty()) {
    context->AddMetadata("authorization", authorization);
  }
}

std::string ToBytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return bytes;
}

pb::util::JsonPrintOptions PrintOptions() {
  pb::util::JsonPrintOptions options;
  // The .proto's own field names (next_position), as outsiders read them
  // there; requests may use either form.
  options.preserve_proto_field_names = true;
  return options;
}

// httplib's ThreadPool queues accepted connections without bound; this one
// holds at most `max_queued` and makes the accepting thread wait beyond
// that (further connections wait in the kernel's backlog, then are
// refused): bounded threads, bounded connections.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~BoundedPool() override = default;

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    auto room = [this] {
      mu_.AssertReaderHeld();
      return shutdown_ || jobs_.size() < max_queued_;
    };
    mu_.Await(absl::Condition(&room));
    // After shutdown the job still runs (it owns the connection's socket).
    jobs_.push_back(std::move(fn));
  }

  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (std::thread& thread : threads_) thread.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this] {
          mu_.AssertReaderHeld();
          return shutdown_ || !jobs_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (jobs_.empty()) return;  // shut down, nothing left
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace

// The routes, with what they share.
struct HttpGateway::Handlers {
  HttpGatewayOptions options;
  std::unique_ptr<grpc::GenericStub> generic;
  std::unique_ptr<v1::EventStore::Stub> events;
  std::unique_ptr<v1::Audit::Stub> audit;

  absl::Mutex mu;
  std::set<grpc::ClientContext*> tails ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;

  void Call(const httplib::Request& request, httplib::Response& response);
  void Stream(const pb::MethodDescriptor& method, const pb::Message& input,
              const httplib::Request& request, httplib::Response& response);
  void Live(const httplib::Request& request, httplib::Response& response);
};

void HttpGateway::Handlers::Call(const httplib::Request& request,
                                 httplib::Response& response) {
  const std::string service = request.matches[1];
  const std::string method_name = request.matches[2];
  if (!Offered(service, method_name)) {
    SendError(response, grpc::StatusCode::NOT_FOUND,
              absl::StrCat("no such API call: ", service, "/", method_name));
    return;
  }
  const pb::ServiceDescriptor* service_descriptor =
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          absl::StrCat("missionlog.v1.", service));
  const pb::MethodDescriptor* method =
      service_descriptor == nullptr
          ? nullptr
          : service_descriptor->FindMethodByName(method_name);
  if (method == nullptr) {
    SendError(response, grpc::StatusCode::NOT_FOUND,
              absl::StrCat("no such API call: ", service, "/", method_name));
    return;
  }
  std::unique_ptr<pb::Message> input(pb::MessageFactory::generated_factory()
                                         ->GetPrototype(method->input_type())
                                         ->New());
  const std::string body = request.body.empty() ? "{}" : request.body;
  pb::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  pb::util::Status parsed =
      pb::util::JsonStringToMessage(body, input.get(), parse);
  if (!parsed.ok()) {
    SendError(response, grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("not a ", method->input_type()->full_name(),
                           " in JSON: ", parsed.message().as_string()));
    return;
  }
  if (method->server_streaming()) {
    Stream(*method, *input, request, response);
    return;
  }
  grpc::ClientContext context;
  PassCredentials(request, &context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  grpc::Slice slice(input->SerializeAsString());
  const grpc::ByteBuffer request_bytes(&slice, 1);
  grpc::ByteBuffer response_bytes;
  grpc::Status call_status;
  absl::Notification done;
  generic->UnaryCall(
      &context,
      absl::StrCat("/", method->service()->full_name(), "/", method->name()),
      grpc::StubOptions(), &request_bytes, &response_bytes,
      [&](grpc::Status status) {
        call_status = std::move(status);
        done.Notify();
      });
  done.WaitForNotification();
  if (!call_status.ok()) {
    SendError(response, call_status.error_code(), call_status.error_message());
    return;
  }
  std::unique_ptr<pb::Message> output(pb::MessageFactory::generated_factory()
                                          ->GetPrototype(method->output_type())
                                          ->New());
  std::string json;
  if (!output->ParseFromString(ToBytes(response_bytes)) ||
      !pb::util::MessageToJsonString(*output, &json, PrintOptions()).ok()) {
    SendError(response, grpc::StatusCode::INTERNAL,
              "the answer could not be turned into JSON");
    return;
  }
  response.set_content(json, "application/json");
}

void HttpGateway::Handlers::Stream(const pb::MethodDescriptor& method,
                                   const pb::Message& input,
                                   const httplib::Request& request,
                                   httplib::Response& response) {
  grpc::ClientContext context;
  PassCredentials(request, &context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(120));
  std::string json = "{\"responses\":[";
  bool truncated = false;
  bool first = true;
  auto add = [&](const pb::Message& message) {
    std::string one;
    if (!pb::util::MessageToJsonString(message, &one, PrintOptions()).ok()) {
      return false;
    }
    if (json.size() + one.size() > options.max_stream_bytes) {
      truncated = true;
      return false;
    }
    absl::StrAppend(&json, first ? "" : ",", one);
    first = false;
    return true;
  };
  grpc::Status status;
  if (method.name() == "Read") {
    v1::ReadRequest read;
    read.CopyFrom(input);
    auto reader = events->Read(&context, read);
    v1::ReadResponse message;
    while (reader->Read(&message)) {
      if (!add(message)) {
        context.TryCancel();
        break;
      }
    }
    status = reader->Finish();
  } else {
    v1::GetEntriesRequest entries;
    entries.CopyFrom(input);
    auto reader = audit->GetEntries(&context, entries);
    v1::GetEntriesResponse message;
    while (reader->Read(&message)) {
      if (!add(message)) {
        context.TryCancel();
        break;
      }
    }
    status = reader->Finish();
  }
  if (!status.ok() && !truncated) {
    SendError(response, status.error_code(), status.error_message());
    return;
  }
  absl::StrAppend(&json, "],\"truncated\":", truncated ? "true" : "false", "}");
  response.set_content(json, "application/json");
}

void HttpGateway::Handlers::Live(const httplib::Request& request,
                                 httplib::Response& response) {
  v1::SubscribeRequest subscribe;
  uint64_t from = 0;
  const std::string from_text = request.get_param_value("from");
  if (from_text == "now" || from_text.empty()) {
    subscribe.set_from_now(true);
  } else if (absl::SimpleAtoi(from_text, &from)) {
    subscribe.set_from_position(from);
  } else {
    SendError(response, grpc::StatusCode::INVALID_ARGUMENT,
              "from: a position or \"now\"");
    return;
  }
  subscribe.mutable_filter()->set_stream_prefix(
      request.get_param_value("stream_prefix"));
  subscribe.mutable_filter()->set_type_prefix(
      request.get_param_value("type_prefix"));
  auto context = std::make_shared<grpc::ClientContext>();
  PassCredentials(request, context.get());
  {
    absl::MutexLock lock(&mu);
    // Live tails hold a thread each; the others keep half the pool.
    if (stopping || static_cast<int>(tails.size()) >= options.threads / 2) {
      SendError(response, grpc::StatusCode::RESOURCE_EXHAUSTED,
                "too many live views are open on this server; try later");
      return;
    }
    tails.insert(context.get());
  }
  auto reader = std::shared_ptr<grpc::ClientReader<v1::SubscribeResponse>>(
      events->Subscribe(context.get(), subscribe));
  // The first message says whether the subscription was refused (its
  // status then becomes this response's).
  auto first = std::make_shared<v1::SubscribeResponse>();
  if (!reader->Read(first.get())) {
    grpc::Status status = reader->Finish();
    {
      absl::MutexLock lock(&mu);
      tails.erase(context.get());
    }
    SendError(response,
              status.ok() ? grpc::StatusCode::UNAVAILABLE : status.error_code(),
              status.error_message());
    return;
  }
  response.set_header("Cache-Control", "no-store");
  response.set_chunked_content_provider(
      "text/event-stream",
      [this, context, reader, first](size_t, httplib::DataSink& sink) {
        // One SSE message per recorded event; caught_up and checkpoint
        // as themselves.
        auto send = [&](const v1::SubscribeResponse& message) {
          std::string frames;
          std::string json;
          if (message.has_events()) {
            for (const v1::RecordedEvent& event : message.events().events()) {
              json.clear();
              (void)pb::util::MessageToJsonString(event, &json, PrintOptions());
              absl::StrAppend(&frames, "event: event\ndata: ", json, "\n\n");
            }
          } else {
            (void)pb::util::MessageToJsonString(message, &json, PrintOptions());
            absl::StrAppend(
                &frames,
                "event: ", message.has_caught_up() ? "caught_up" : "checkpoint",
                "\ndata: ", json, "\n\n");
          }
          return sink.write(frames.data(), frames.size());
        };
        bool open = send(*first);
        v1::SubscribeResponse message;
        while (open && reader->Read(&message)) open = send(message);
        context->TryCancel();
        reader->Finish().IgnoreError();
        {
          absl::MutexLock lock(&mu);
          tails.erase(context.get());
        }
        sink.done();
        return true;
      });
}

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(
    const HttpGatewayOptions& options, std::shared_ptr<grpc::Channel> channel) {
  std::unique_ptr<HttpGateway> gateway(new HttpGateway());
  auto handlers = std::make_unique<Handlers>();
  handlers->options = options;
  handlers->generic = std::make_unique<grpc::GenericStub>(channel);
  handlers->events = v1::EventStore::NewStub(channel);
  handlers->audit = v1::Audit::NewStub(channel);
  Handlers* h = handlers.get();

  std::unique_ptr<httplib::Server> server;
  if (options.tls_cert.empty()) {
    server = std::make_unique<httplib::Server>();
  } else {
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(),
                                                    options.tls_key.c_str());
    if (!tls->is_valid()) {
      return absl::InvalidArgumentError(
          "the HTTP listener cannot use --tls_cert and --tls_key");
    }
    server = std::move(tls);
  }
  const int threads = std::max(2, options.threads);
  const size_t max_queued = options.max_queued_connections;
  server->new_task_queue = [threads, max_queued] {
    return new BoundedPool(static_cast<size_t>(threads), max_queued);
  };
  // Exclusive, like every listener of missionlogd (listen_address.h).
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server->set_payload_max_length(options.max_request_bytes);
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  // An idle keep-alive connection holds a thread: let it go soon.
  server->set_keep_alive_max_count(100);
  server->set_keep_alive_timeout(2);
  server->set_default_headers({
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src "
       "'self' data:; font-src 'self'; connect-src 'self'; object-src "
       "'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
  });
  server->Post(
      R"(/api/v1/([A-Za-z]+)/([A-Za-z]+))",
      [h](const httplib::Request& request, httplib::Response& response) {
        h->Call(request, response);
      });
  if (options.metrics) {
    std::function<std::string()> metrics = options.metrics;
    server->Get("/metrics", [metrics](const httplib::Request&,
                                      httplib::Response& response) {
      response.set_header("Cache-Control", "no-store");
      response.set_content(metrics(), "text/plain; version=0.0.4");
    });
  }
  if (options.health) {
    std::function<std::pair<int, std::string>()> health = options.health;
    server->Get("/health",
                [health](const httplib::Request&, httplib::Response& response) {
                  auto [status, body] = health();
                  response.status = status;
                  response.set_header("Cache-Control", "no-store");
                  response.set_content(body, "application/json");
                });
  }
  server->Get("/api/v1/live",
              [h](const httplib::Request& request,
                  httplib::Response& response) { h->Live(request, response); });
  server->Get(R"(/(.*))", [](const httplib::Request& request,
                             httplib::Response& response) {
    std::string path = request.matches[1];
    if (path.empty()) path = "index.html";
    const ConsoleAsset* asset = FindConsoleAsset(path);
    if (asset == nullptr) {
      SendError(response, grpc::StatusCode::NOT_FOUND,
                absl::StrCat("no such page: /", path));
      return;
    }
    response.set_header("Cache-Control", "no-cache");
    response.set_content(std::string(asset->content), asset->content_type);
  });

  const std::string& listen = options.listen;
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen=", listen, ": expected host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (port == 0) {
    port = server->bind_to_any_port(host);
  } else if (!server->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) return absl::UnavailableError(ListenFailure(listen));
  gateway->address_ = absl::StrCat(listen.substr(0, colon), ":", port);
  gateway->handlers_ = std::move(handlers);
  gateway->server_ = std::move(server);
  httplib::Server* raw = gateway->server_.get();
  gateway->thread_ = std::thread([raw] { raw->listen_after_bind(); });
  return gateway;
}

HttpGateway::~HttpGateway() { Stop(); }

void HttpGateway::Stop() {
  if (server_ == nullptr) return;
  {
    absl::MutexLock lock(&handlers_->mu);
    handlers_->stopping = true;
    for (grpc::ClientContext* tail : handlers_->tails) tail->TryCancel();
  }
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace missionlog
