// Load generator: drives a running missionlogd over gRPC. One parseable line
// per workload:
//
//   workload=append_single clients=64 events=... seconds=... events_per_s=...
//     p50_ms=... p99_ms=...
//
//   noop              GetHead (no work): the RPC ceiling of the same run
//   append_single     unary Append, one event each
//   append_batch      unary Append, --batch events each
//   noop_stream       AppendStream of empty appends (refused by validation):
//                     the stream ceiling of the same run
//   append_stream     AppendStream, one event per message, pipelined
//   read_all          Read of the whole log by one client
//   subscribe_fanout  --subscribers subscriptions from now while one client
//                     appends --fanout_rate events/s; latency is append to
//                     delivery
//   inclusion_proof   Audit.GetInclusionProof of a random position in the
//                     current tree (--proof_clients calls in flight)
//   consistency_proof Audit.GetConsistencyProof from a random size to the
//                     current tree
//   query_who_owned, query_government_on, query_spending
//                     Inquiry queries, one call at a time, --queries calls,
//                     over the subjects projections_bench writes (serve
//                     its store with missionlogd --data_dir to measure them)
//
// Unary workloads use gRPC's callback client API: --clients concurrent
// calls, each starting the next when it completes.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bench/workloads.h"
#include "clients/client.h"
#include "domain/values.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "missionlog/v1/store.grpc.pb.h"

ABSL_FLAG(int, queries, 2000, "Calls per query_* workload.");
ABSL_FLAG(std::string, server, "127.0.0.1:7600", "missionlogd address.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA of the server's certificate: speak TLS (else plaintext).");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (mTLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM key of --tls_cert.");
ABSL_FLAG(std::string, token, "", "Bearer token sent with every call.");
ABSL_FLAG(std::string, workloads,
          "noop,append_single,noop_stream,append_stream,append_batch,read_all,"
          "subscribe_fanout",
          "Comma-separated workloads, run in order.");
ABSL_FLAG(int, clients, 64, "Concurrent calls (unary workloads).");
ABSL_FLAG(int, channels, 1,
          "Connections the unary workloads spread their calls over (call i "
          "uses connection i % channels), as that many client processes "
          "would.");
ABSL_FLAG(int, batch_clients, 16, "Concurrent calls for append_batch.");
ABSL_FLAG(int, stream_clients, 4, "AppendStream calls for append_stream.");
ABSL_FLAG(int, stream_window, 64,
          "Appends in flight per AppendStream call (latency is measured "
          "against this window, not an unbounded flood).");
ABSL_FLAG(int, ops, 100000, "Calls per unary workload (events for stream).");
ABSL_FLAG(int, batch, 100, "Events per append in append_batch.");
ABSL_FLAG(int, batch_events, 1000000, "Events written by append_batch.");
ABSL_FLAG(int, payload_bytes, 300, "Payload size of each event.");
ABSL_FLAG(int, proof_clients, 4, "Concurrent calls for the proof workloads.");
ABSL_FLAG(int, proof_ops, 20000, "Calls per proof workload.");
ABSL_FLAG(int, subscribers, 100, "Subscribers for subscribe_fanout.");
ABSL_FLAG(int, fanout_rate, 10000, "Events/s appended in subscribe_fanout.");
ABSL_FLAG(int, fanout_seconds, 5, "Duration of subscribe_fanout.");

namespace missionlog {
namespace {

// The channel credentials from the TLS and token flags.
std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca);
  if (ca_file.empty()) return grpc::InsecureChannelCredentials();
  ClientOptions options;
  absl::Status loaded = LoadTlsFiles(ca_file, absl::GetFlag(FLAGS_tls_cert),
                                     absl::GetFlag(FLAGS_tls_key), &options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.ToString().c_str());
    std::exit(2);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certs;
  ssl.pem_cert_chain = options.tls_cert_chain;
  ssl.pem_private_key = options.tls_private_key;
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(ssl);
  const std::string token = absl::GetFlag(FLAGS_token);
  if (!token.empty()) {
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::AccessTokenCredentials(token));
  }
  return credentials;
}

using SteadyClock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

struct Samples {
  absl::Mutex mu;
  std::vector<double> millis;
  void Add(double ms) {
    absl::MutexLock lock(&mu);
    millis.push_back(ms);
  }
  double Percentile(double p) {
    absl::MutexLock lock(&mu);
    if (millis.empty()) return 0;
    std::sort(millis.begin(), millis.end());
    return millis[static_cast<size_t>(p * (millis.size() - 1))];
  }
};

void Report(const std::string& workload, int clients, uint64_t events,
            double seconds, Samples* samples, const std::string& extra = "") {
  std::printf(
      "workload=%s clients=%d events=%llu seconds=%.3f events_per_s=%.0f "
      "p50_ms=%.3f p99_ms=%.3f%s\n",
      workload.c_str(), clients, static_cast<unsigned long long>(events),
      seconds, events / seconds, samples->Percentile(0.5),
      samples->Percentile(0.99), extra.c_str());
  std::fflush(stdout);
}

v1::AppendRequest MakeAppend(const std::string& stream, int events) {
  static const std::string payload(absl::GetFlag(FLAGS_payload_bytes), 'x');
  v1::AppendRequest request;
  request.set_stream(stream);
  for (int i = 0; i < events; ++i) {
    v1::EventData* event = request.add_events();
    event->set_type("bench.event.v1");
    event->set_source("urn:missionlog:loadgen");
    event->set_datacontenttype("application/octet-stream");
    event->set_data(payload);
  }
  return request;
}

// Runs `total` calls with `concurrency` in flight. `start(i, done)` begins
// call i and runs done(ok) when it completes. The loop's state is shared
// with the completion callbacks, which may still be returning when the
// last one has signalled the end.
double RunClosedLoop(
    int concurrency, int total,
    const std::function<void(int, std::function<void(bool)>)>& start,
    Samples* samples) {
  struct Loop {
    std::atomic<int> next{0};
    std::atomic<int> finished{0};
    absl::Notification all_done;
    std::function<void()> launch;
  };
  auto loop = std::make_shared<Loop>();
  std::weak_ptr<Loop> weak = loop;
  loop->launch = [weak, total, start, samples]() {
    std::shared_ptr<Loop> state = weak.lock();
    if (!state) return;
    int i = state->next.fetch_add(1);
    if (i >= total) return;
    int64_t begin = NowNanos();
    start(i, [state, begin, total, samples](bool ok) {
      if (!ok) {
        std::fprintf(stderr, "call failed\n");
        std::exit(1);
      }
      samples->Add((NowNanos() - begin) / 1e6);
      state->launch();
      if (state->finished.fetch_add(1) + 1 == total) state->all_done.Notify();
    });
  };
  auto begin = SteadyClock::now();
  for (int c = 0; c < std::min(concurrency, total); ++c) loop->launch();
  loop->all_done.WaitForNotification();
  return std::chrono::duration<double>(SteadyClock::now() - begin).count();
}

// Starts one callback-API unary call: `start(context, request, response,
// on_done)` is the stub's async method; `done(ok)` runs when it completes.
template <typename Response, typename Request, typename Start>
void StartUnary(Request request, const Start& start,
                std::function<void(bool)> done) {
  auto* context = new grpc::ClientContext();
  auto* owned = new Request(std::move(request));
  auto* response = new Response();
  start(context, owned, response,
        [context, owned, response, done](grpc::Status status) {
          if (!status.ok()) {
            std::fprintf(stderr, "call failed: %s\n",
                         status.error_message().c_str());
          }
          delete context;
          delete owned;
          delete response;
          done(status.ok());
        });
}

using Stubs = std::vector<std::unique_ptr<v1::EventStore::Stub>>;

void Noop(const Stubs& stubs) {
  const int clients = absl::GetFlag(FLAGS_clients);
  const int ops = absl::GetFlag(FLAGS_ops);
  Samples samples;
  double seconds = RunClosedLoop(
      clients, ops,
      [&stubs](int i, std::function<void(bool)> done) {
        v1::EventStore::Stub* stub = stubs[i % stubs.size()].get();
        StartUnary<v1::GetHeadResponse>(
            v1::GetHeadRequest(),
            [stub](auto... args) { stub->async()->GetHead(args...); },
            std::move(done));
      },
      &samples);
  Report("noop", clients, ops, seconds, &samples);
}

// Proofs over the tree as it is when the workload starts; "events" in the
// report line are proofs.
void Proofs(v1::EventStore::Stub* stub, v1::Audit::Stub* audit,
            bool consistency) {
  grpc::ClientContext head_context;
  v1::GetHeadRequest head_request;
  v1::GetHeadResponse head;
  if (!stub->GetHead(&head_context, head_request, &head).ok() ||
      head.next_position() < 2) {
    std::fprintf(stderr, "proof workloads need a log of 2+ events\n");
    std::exit(1);
  }
  const uint64_t size = head.next_position();
  const int clients = absl::GetFlag(FLAGS_proof_clients);
  const int ops = absl::GetFlag(FLAGS_proof_ops);
  Samples samples;
  double seconds = RunClosedLoop(
      clients, ops,
      [audit, size, consistency](int i, std::function<void(bool)> done) {
        // A cheap deterministic spread over the whole log.
        const uint64_t pick =
            (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull) % (size - 1);
        if (consistency) {
          v1::GetConsistencyProofRequest request;
          request.set_old_size(pick + 1);
          request.set_new_size(size);
          StartUnary<v1::ConsistencyProof>(
              std::move(request),
              [audit](auto... args) {
                audit->async()->GetConsistencyProof(args...);
              },
              std::move(done));
        } else {
          v1::GetInclusionProofRequest request;
          request.set_position(pick);
          request.set_tree_size(size);
          StartUnary<v1::InclusionProof>(
              std::move(request),
              [audit](auto... args) {
                audit->async()->GetInclusionProof(args...);
              },
              std::move(done));
        }
      },
      &samples);
  Report(consistency ? "consistency_proof" : "inclusion_proof", clients, ops,
         seconds, &samples);
}

void AppendUnary(const Stubs& stubs, const std::string& name, int clients,
                 int ops, int events_per_append) {
  Samples samples;
  const v1::AppendRequest prototype = MakeAppend("", events_per_append);
  double seconds = RunClosedLoop(
      clients, ops,
      [&](int i, std::function<void(bool)> done) {
        v1::AppendRequest request = prototype;
        request.set_stream(absl::StrCat("loadgen/", name, "/", i % clients));
        v1::EventStore::Stub* stub = stubs[i % stubs.size()].get();
        StartUnary<v1::AppendResponse>(
            std::move(request),
            [stub](auto... args) { stub->async()->Append(args...); },
            std::move(done));
      },
      &samples);
  Report(name, clients, static_cast<uint64_t>(ops) * events_per_append, seconds,
         &samples);
}

// `noop` true: every message is an append with no events, refused by
// validation before the engine: the same stream machinery doing no work,
// the ceiling append_stream is judged against.
void AppendStream(v1::EventStore::Stub* stub, bool noop) {
  const int clients = absl::GetFlag(FLAGS_stream_clients);
  const int per_client = absl::GetFlag(FLAGS_ops) / clients;
  Samples samples;
  auto begin = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      grpc::ClientContext context;
      auto stream = stub->AppendStream(&context);
      std::vector<int64_t> sent(per_client);
      const int window = absl::GetFlag(FLAGS_stream_window);
      absl::Mutex mu;
      int received = 0;
      std::thread writer([&] {
        v1::AppendStreamRequest request;
        *request.mutable_append() =
            MakeAppend(absl::StrCat("loadgen/stream/", c), noop ? 0 : 1);
        for (int i = 0; i < per_client; ++i) {
          {
            absl::MutexLock lock(&mu);
            auto room = [&]() { return i - received < window; };
            mu.Await(absl::Condition(&room));
          }
          request.set_request_id(std::to_string(i));
          sent[i] = NowNanos();
          // Let gRPC coalesce a few writes into one transport write (one
          // syscall, one TLS record) while the window has room; every
          // eighth write, and the last before the window fills, flushes.
          bool more = i + 1 < per_client && i % 8 != 7;
          if (more) {
            absl::MutexLock lock(&mu);
            more = i + 1 - received < window;
          }
          grpc::WriteOptions options;
          if (more) options.set_buffer_hint();
          if (!stream->Write(request, options)) break;
        }
        stream->WritesDone();
      });
      v1::AppendStreamResponse response;
      while (stream->Read(&response)) {
        if (response.has_result() == noop) {
          std::fprintf(stderr, "append_stream: unexpected answer %s\n",
                       response.DebugString().c_str());
          std::exit(1);
        }
        absl::MutexLock lock(&mu);
        samples.Add((NowNanos() - sent[received]) / 1e6);
        ++received;
      }
      writer.join();
      stream->Finish();
    });
  }
  for (auto& thread : threads) thread.join();
  double seconds =
      std::chrono::duration<double>(SteadyClock::now() - begin).count();
  Report(noop ? "noop_stream" : "append_stream", clients,
         static_cast<uint64_t>(per_client) * clients, seconds, &samples);
}

void ReadAll(v1::EventStore::Stub* stub) {
  grpc::ClientContext context;
  v1::ReadRequest request;
  request.mutable_all();
  Samples samples;  // per message
  uint64_t events = 0;
  auto begin = SteadyClock::now();
  auto reader = stub->Read(&context, request);
  v1::ReadResponse response;
  int64_t last = NowNanos();
  while (reader->Read(&response)) {
    events += response.events_size();
    int64_t now = NowNanos();
    samples.Add((now - last) / 1e6);
    last = now;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    std::fprintf(stderr, "read: %s\n", status.error_message().c_str());
    std::exit(1);
  }
  double seconds =
      std::chrono::duration<double>(SteadyClock::now() - begin).count();
  Report("read_all", 1, events, seconds, &samples, " (latency per message)");
}

// The next field of a message in wire form: its number, and for a
// length-delimited field its bytes (varint fields: empty). False at the
// end, or on a field of another wire type or a malformed one.
bool NextField(absl::string_view* rest, uint64_t* number,
               absl::string_view* bytes) {
  auto varint = [rest](uint64_t* value) {
    *value = 0;
    for (int shift = 0; !rest->empty() && shift < 64; shift += 7) {
      uint8_t byte = static_cast<uint8_t>(rest->front());
      rest->remove_prefix(1);
      *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  };
  uint64_t tag, value;
  if (!varint(&tag) || !varint(&value)) return false;
  *number = tag >> 3;
  *bytes = absl::string_view();
  if ((tag & 7) == 0) return true;
  if ((tag & 7) != 2 || value > rest->size()) return false;
  *bytes = rest->substr(0, value);
  rest->remove_prefix(value);
  return true;
}

// One fanout subscriber on gRPC's callback API (100 of them need no thread
// each: with a thread per subscriber, the generator's own context switches
// cost more CPU than the server's deliveries). Receives the raw bytes of
// each SubscribeResponse and walks them in place to each event's data (a
// send time): the generator shares the server's two cores, so it parses
// nothing it does not need (a parsed message per batch cost it more CPU
// than the server spent delivering).
class FanoutSubscriber : public grpc::ClientReadReactor<grpc::ByteBuffer> {
 public:
  // `start`: when the appends began (NowNanos), set once they do.
  FanoutSubscriber(const std::shared_ptr<grpc::Channel>& channel,
                   std::atomic<int>* caught_up,
                   const std::atomic<int64_t>* start)
      : method_("/missionlog.v1.EventStore/Subscribe",
                grpc::internal::RpcMethod::SERVER_STREAMING, channel),
        caught_up_(caught_up),
        start_(start) {
    v1::SubscribeRequest request;
    request.set_from_now(true);
    request.mutable_filter()->set_stream_prefix("loadgen/fanout/");
    bool own = false;
    grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::SubscribeRequest>(
        request, &request_, &own)
        .IgnoreError();
    grpc::internal::ClientCallbackReaderFactory<grpc::ByteBuffer>::Create(
        channel.get(), method_, &context_, &request_, this);
    StartRead(&message_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call is ending; OnDone follows
    const int64_t now = NowNanos();
    flat_.clear();
    slices_.clear();
    message_.Dump(&slices_).IgnoreError();
    for (const grpc::Slice& slice : slices_) {
      flat_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    // SubscribeResponse: events (1) is an EventBatch of RecordedEvents (1),
    // each with its data in field 16; caught_up is field 2.
    absl::string_view response(flat_), batch, event, field;
    uint64_t number;
    while (NextField(&response, &number, &batch)) {
      if (number == 2) ++*caught_up_;
      if (number != 1) continue;
      while (NextField(&batch, &number, &event)) {
        if (number != 1) continue;
        while (NextField(&event, &number, &field)) {
          int64_t sent = 0;
          if (number == 16 && absl::SimpleAtoi(field, &sent)) {
            (sent - start_->load() < 1000000000 ? first_second_ : after_)
                .push_back((now - sent) / 1e6);
          }
        }
      }
    }
    StartRead(&message_);
  }

  void OnDone(const grpc::Status& /*status*/) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

  void Cancel() { context_.TryCancel(); }
  // Waits for the end of the call; then the latencies are final.
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }
  // The latencies of events appended in the run's first second, and of
  // those after it; after Wait.
  const std::vector<double>& first_second() const { return first_second_; }
  const std::vector<double>& after() const { return after_; }

 private:
  grpc::internal::RpcMethod method_;
  std::atomic<int>* const caught_up_;
  const std::atomic<int64_t>* const start_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer message_;
  std::vector<grpc::Slice> slices_;  // message_'s, reused
  std::string flat_;                 // message_'s bytes in one piece
  // Touched by one callback at a time.
  std::vector<double> first_second_;
  std::vector<double> after_;
  absl::Mutex mu_;
  bool done_ = false;
};

void SubscribeFanout(const std::string& server) {
  const int subscribers = absl::GetFlag(FLAGS_subscribers);
  const int rate = absl::GetFlag(FLAGS_fanout_rate);
  const int duration = absl::GetFlag(FLAGS_fanout_seconds);
  Samples samples;
  std::atomic<int> caught_up{0};
  std::atomic<int64_t> start{INT64_MAX};
  // A connection per subscriber, as separate subscribers would have.
  std::vector<std::unique_ptr<FanoutSubscriber>> fanout;
  for (int s = 0; s < subscribers; ++s) {
    grpc::ChannelArguments args;
    args.SetInt("missionlog.loadgen.subscriber", s);  // no shared connection
    fanout.push_back(std::make_unique<FanoutSubscriber>(
        grpc::CreateCustomChannel(server, Credentials(), args), &caught_up,
        &start));
  }
  while (caught_up < subscribers) std::this_thread::yield();
  auto stub =
      v1::EventStore::NewStub(grpc::CreateChannel(server, Credentials()));
  // 100 appends a second of rate/100 events, each stamped with its send
  // time, sent on schedule without waiting for the previous one (an open
  // loop: a slow server shows up as latency, not as a lower rate).
  const int per_append = std::max(1, rate / 100);
  std::atomic<uint64_t> events{0};
  std::atomic<int> outstanding{0};
  auto begin = SteadyClock::now();
  start = NowNanos();
  // The appends' own round trips, split at the first second as the
  // deliveries are: a delivery cannot come before its append commits.
  Samples appends_first, appends_after;
  for (int tick = 0; tick < duration * 100; ++tick) {
    const int64_t sent_ns = NowNanos();
    Samples* append_samples = tick < 100 ? &appends_first : &appends_after;
    auto* request =
        new v1::AppendRequest(MakeAppend("loadgen/fanout/1", per_append));
    std::string stamp = std::to_string(sent_ns);
    for (auto& event : *request->mutable_events()) event.set_data(stamp);
    auto* context = new grpc::ClientContext();
    auto* response = new v1::AppendResponse();
    ++outstanding;
    stub->async()->Append(context, request, response,
                          [=, &events, &outstanding](grpc::Status status) {
                            append_samples->Add((NowNanos() - sent_ns) / 1e6);
                            if (status.ok()) events += per_append;
                            delete context;
                            delete request;
                            delete response;
                            --outstanding;
                          });
    std::this_thread::sleep_until(begin +
                                  std::chrono::milliseconds(10 * (tick + 1)));
  }
  while (outstanding > 0) std::this_thread::yield();
  double seconds =
      std::chrono::duration<double>(SteadyClock::now() - begin).count();
  // Let the last deliveries land, then end the subscriptions.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (auto& subscriber : fanout) subscriber->Cancel();
  size_t deliveries = 0;
  // The first second apart: connections and caches warm up in it.
  Samples first, after;
  {
    absl::MutexLock lock(&samples.mu);
    for (auto& subscriber : fanout) {
      subscriber->Wait();
      first.millis.insert(first.millis.end(),
                          subscriber->first_second().begin(),
                          subscriber->first_second().end());
      after.millis.insert(after.millis.end(), subscriber->after().begin(),
                          subscriber->after().end());
    }
    samples.millis = first.millis;
    samples.millis.insert(samples.millis.end(), after.millis.begin(),
                          after.millis.end());
    deliveries = samples.millis.size();
  }
  Report("subscribe_fanout", subscribers, events.load(), seconds, &samples,
         absl::StrFormat(" deliveries=%zu p99_first_second_ms=%.3f "
                         "p99_after_ms=%.3f (latency append to delivery) "
                         "append_p99_first_second_ms=%.3f "
                         "append_p99_after_ms=%.3f",
                         deliveries, first.Percentile(0.99),
                         after.Percentile(0.99), appends_first.Percentile(0.99),
                         appends_after.Percentile(0.99)));
}

// One Inquiry query at a time, `calls` times; `call(i, context)` makes
// call i and returns its status.
template <typename Call>
void Queries(const std::string& name, int calls, const Call& call) {
  Samples samples;
  auto begin = SteadyClock::now();
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    const int64_t start = NowNanos();
    grpc::Status status = call(i, &context);
    if (!status.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(),
                   status.error_message().c_str());
      std::exit(1);
    }
    samples.Add((NowNanos() - start) / 1e6);
  }
  double seconds =
      std::chrono::duration<double>(SteadyClock::now() - begin).count();
  Report(name, 1, static_cast<uint64_t>(calls), seconds, &samples,
         " (events = calls)");
}

void QueryWhoOwned(v1::Inquiry::Stub* inquiry) {
  Queries("query_who_owned", absl::GetFlag(FLAGS_queries),
          [&](int i, grpc::ClientContext* c) {
            v1::WhoOwnedRequest request;
            request.set_subject(absl::StrCat("d/programme/s", i % 500));
            *request.mutable_on() = domain::MakeDate(2024, 6, 1);
            v1::WhoOwnedResponse response;
            return inquiry->WhoOwned(c, request, &response);
          });
}

void QueryGovernmentOn(v1::Inquiry::Stub* inquiry) {
  Queries("query_government_on", absl::GetFlag(FLAGS_queries),
          [&](int i, grpc::ClientContext* c) {
            v1::GovernmentOnRequest request;
            *request.mutable_on() =
                domain::MakeDate(1980 + i % 44, 1 + i % 12, 15);
            v1::GovernmentOnResponse response;
            return inquiry->GovernmentOn(c, request, &response);
          });
}

void QuerySpending(v1::Inquiry::Stub* inquiry) {
  Queries("query_spending", absl::GetFlag(FLAGS_queries),
          [&](int i, grpc::ClientContext* c) {
            v1::SpendingRequest request;
            request.set_mission(absl::StrCat("m/mission/m", i % 5));
            v1::SpendingResponse response;
            return inquiry->Spending(c, request, &response);
          });
}

int Main() {
  const std::string server = absl::GetFlag(FLAGS_server);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(server, Credentials(), args);
  auto audit = v1::Audit::NewStub(channel);
  auto inquiry = v1::Inquiry::NewStub(channel);
  // One stub per connection; the first serves the other workloads too.
  Stubs stubs;
  stubs.push_back(v1::EventStore::NewStub(channel));
  v1::EventStore::Stub* const stub = stubs.front().get();
  for (int c = 1; c < absl::GetFlag(FLAGS_channels); ++c) {
    grpc::ChannelArguments own = args;
    own.SetInt("missionlog.loadgen.channel", c);  // a connection of its own
    stubs.push_back(v1::EventStore::NewStub(
        grpc::CreateCustomChannel(server, Credentials(), own)));
  }
  v1::Inquiry::Stub* const queries = inquiry.get();
  const std::vector<Workload> workloads = {
      {"noop", [&] { Noop(stubs); }},
      {"append_single",
       [&] {
         AppendUnary(stubs, "append_single", absl::GetFlag(FLAGS_clients),
                     absl::GetFlag(FLAGS_ops), 1);
       }},
      {"append_batch",
       [&] {
         int batch = absl::GetFlag(FLAGS_batch);
         AppendUnary(stubs, "append_batch", absl::GetFlag(FLAGS_batch_clients),
                     absl::GetFlag(FLAGS_batch_events) / batch, batch);
       }},
      {"append_stream", [&] { AppendStream(stub, /*noop=*/false); }},
      {"noop_stream", [&] { AppendStream(stub, /*noop=*/true); }},
      {"read_all", [&] { ReadAll(stub); }},
      {"inclusion_proof",
       [&] { Proofs(stub, audit.get(), /*consistency=*/false); }},
      {"consistency_proof",
       [&] { Proofs(stub, audit.get(), /*consistency=*/true); }},
      {"subscribe_fanout", [&] { SubscribeFanout(server); }},
      {"query_who_owned", [&] { QueryWhoOwned(queries); }},
      {"query_government_on", [&] { QueryGovernmentOn(queries); }},
      {"query_spending", [&] { QuerySpending(queries); }},
  };
  return RunWorkloads(absl::GetFlag(FLAGS_workloads), workloads);
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  // Keep freed memory mapped: glibc otherwise gives the heap's top back
  // after each large read message and faults it in again for the next,
  // and page faults are dear on this VM. read_all's client spent 1.5-4.5 s
  // of CPU (mostly in the kernel) per 1.2M events this way, 0.5 s without,
  // and measured 240-290k events/s instead of 550-600k.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  absl::ParseCommandLine(argc, argv);
  return missionlog::Main();
}
