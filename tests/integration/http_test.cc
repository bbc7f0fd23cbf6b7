// missionlogd's HTTP listener as a browser or a script meets it: the real
// binary, the JSON API of the read side (field names as in the .proto),
// errors as JSON with the HTTP status of their gRPC code, bearer tokens
// and roles as on the gRPC port, the live tail as Server-Sent Events, the
// console's files with their security headers, and HTTPS.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clients/bearer_token.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

constexpr char kJson[] = "application/json";

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

v1::AppendRequest Note(const std::string& stream, const std::string& title) {
  v1::AppendRequest request;
  request.set_stream(stream);
  v1::EventData* event = request.add_events();
  event->set_type("test.note.v1");
  event->set_datacontenttype("application/json");
  event->set_data(absl::StrCat("{\"title\":\"", title, "\"}"));
  return request;
}

class HttpTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    flags.push_back("--http_listen=127.0.0.1:0");
    server_ = testing::ServerProcess::Start(dir_.Sub("data"), flags);
    ASSERT_NE(server_, nullptr);
    const std::string line = server_->WaitForLine("console and JSON API on");
    const size_t start = line.find("://") + 3;
    http_address_ = line.substr(start, line.rfind('/') - start);
    ASSERT_FALSE(http_address_.empty()) << line;
    grpc_ = Client::Connect(server_->address());
  }

  std::unique_ptr<httplib::Client> Http() {
    auto client = std::make_unique<httplib::Client>(
        absl::StrCat("http://", http_address_));
    client->set_read_timeout(30, 0);
    return client;
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return Http()->Post(path.c_str(), headers, body, kJson);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> grpc_;
  std::string http_address_;
};

TEST_F(HttpTest, TheReadSideAsJsonWithTheProtosFieldNames) {
  Start();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(grpc_->Append(Note("dept/notes/1", absl::StrCat("n", i))).ok());
  }
  ASSERT_TRUE(grpc_->Append(Note("other/notes/1", "x")).ok());

  auto head = Post("/api/v1/EventStore/GetHead", "{}");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Type"), kJson);
  EXPECT_TRUE(absl::StrContains(head->body, "\"next_position\":\"4\""))
      << head->body;

  auto info =
      Post("/api/v1/EventStore/GetStreamInfo", R"({"stream":"dept/notes/1"})");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200) << info->body;
  EXPECT_TRUE(absl::StrContains(info->body, "\"last_version\":\"2\""))
      << info->body;

  // Reads by stream, and of the whole log by prefix: {"responses": [...]}.
  auto stream =
      Post("/api/v1/EventStore/Read",
           R"({"stream":{"stream":"dept/notes/1","from_version":"1"}})");
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->status, 200) << stream->body;
  EXPECT_TRUE(absl::StrContains(stream->body, "\"stream_version\":\"1\""));
  EXPECT_TRUE(absl::StrContains(stream->body, "\"stream_version\":\"2\""));
  EXPECT_FALSE(absl::StrContains(stream->body, "\"stream_version\":\"0\""));
  auto prefix = Post("/api/v1/EventStore/Read",
                     R"({"all":{"filter":{"stream_prefix":"other/"}}})");
  ASSERT_TRUE(prefix);
  EXPECT_TRUE(absl::StrContains(prefix->body, "\"subject\":\"other/notes/1\""));
  EXPECT_FALSE(absl::StrContains(prefix->body, "dept/notes/1"));
  EXPECT_TRUE(absl::StrContains(prefix->body, "\"truncated\":false"));

  // The Audit RPCs (once the signer has covered the four events).
  for (int tries = 0; tries < 300; ++tries) {
    auto signed_size = grpc_->GetCheckpoint(0);
    if (signed_size.ok() && signed_size->tree_size() == 4) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  auto checkpoint = Post("/api/v1/Audit/GetCheckpoint", "{}");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->status, 200) << checkpoint->body;
  EXPECT_TRUE(absl::StrContains(checkpoint->body, "\"note\":\"localhost/"));
  auto inclusion = Post("/api/v1/Audit/GetInclusionProof",
                        R"({"position":"1","tree_size":"4"})");
  ASSERT_TRUE(inclusion);
  EXPECT_EQ(inclusion->status, 200) << inclusion->body;
  EXPECT_TRUE(absl::StrContains(inclusion->body, "\"hashes\":["));
  auto consistency = Post("/api/v1/Audit/GetConsistencyProof",
                          R"({"old_size":"2","new_size":"4"})");
  ASSERT_TRUE(consistency);
  EXPECT_EQ(consistency->status, 200) << consistency->body;
  auto entries =
      Post("/api/v1/Audit/GetEntries", R"({"from":"0","count":"2"})");
  ASSERT_TRUE(entries);
  EXPECT_EQ(entries->status, 200) << entries->body;
  EXPECT_TRUE(absl::StrContains(entries->body, "\"responses\":[{"));

  // Projections.Status and a query.
  auto status = Post("/api/v1/Projections/Status", "{}");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->status, 200) << status->body;
  EXPECT_TRUE(absl::StrContains(status->body, "ownership")) << status->body;
  auto timeline =
      Post("/api/v1/Inquiry/Timeline",
           R"({"subject":"dept/notes/1","options":{"min_position":"4"}})");
  ASSERT_TRUE(timeline);
  EXPECT_EQ(timeline->status, 200) << timeline->body;
}

TEST_F(HttpTest, ErrorsAreJsonWithTheStatusOfTheirCode) {
  Start();
  ASSERT_TRUE(grpc_->Append(Note("dept/notes/1", "a")).ok());
  auto malformed = Post("/api/v1/EventStore/GetStreamInfo", "{not json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_TRUE(
      absl::StrContains(malformed->body, "\"code\":\"INVALID_ARGUMENT\""))
      << malformed->body;
  EXPECT_TRUE(absl::StrContains(malformed->body, "GetStreamInfoRequest"));
  auto unknown_field = Post("/api/v1/Inquiry/GovernmentOn", R"({"bogus":1})");
  ASSERT_TRUE(unknown_field);
  EXPECT_EQ(unknown_field->status, 400);
  // The server's own refusal, with its code: a proof past the head.
  auto past = Post("/api/v1/Audit/GetInclusionProof",
                   R"({"position":"5","tree_size":"9"})");
  ASSERT_TRUE(past);
  EXPECT_EQ(past->status, 400) << past->body;
  // Writes are not offered here.
  auto append = Post("/api/v1/EventStore/Append", "{}");
  ASSERT_TRUE(append);
  EXPECT_EQ(append->status, 404);
  EXPECT_TRUE(absl::StrContains(append->body, "\"code\":\"NOT_FOUND\""));
  auto page = Http()->Get("/no/such/page");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  // Nothing was written by any of it.
  auto head = grpc_->GetHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->next_position(), 1u);
}

TEST_F(HttpTest, TokensAndRolesAsOnTheGrpcPort) {
  std::string lines;
  std::map<std::string, std::string> tokens;
  for (const char* principal : {"inquiry", "writer", "limited"}) {
    absl::StatusOr<BearerToken> token = MakeBearerToken(principal);
    ASSERT_TRUE(token.ok());
    tokens[principal] = token->token;
    lines += token->tokens_file_line + "\n";
  }
  const std::string policy = dir_.Sub("policy.textproto");
  const std::string tokens_file = dir_.Sub("tokens");
  ASSERT_TRUE(WriteFile(policy, R"(
grants { principals: ["inquiry", "limited"] roles: [INQUIRY, AUDITOR] }
grants { principals: "writer" roles: WRITER stream_prefixes: "dept/" }
principal_limits { principal: "limited" limits { max_subscriptions: 1 } }
)"));
  ASSERT_TRUE(WriteFile(tokens_file, lines));
  Start({"--policy=" + policy, "--tokens=" + tokens_file});

  auto anonymous = Post("/api/v1/Audit/GetTreeHead", "{}");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_TRUE(absl::StrContains(anonymous->body, "UNAUTHENTICATED"));
  auto wrong_token = Post("/api/v1/Audit/GetTreeHead", "{}", "not-a-token");
  ASSERT_TRUE(wrong_token);
  EXPECT_EQ(wrong_token->status, 401);
  auto writer = Post("/api/v1/Audit/GetTreeHead", "{}", tokens["writer"]);
  ASSERT_TRUE(writer);
  EXPECT_EQ(writer->status, 403);
  EXPECT_TRUE(absl::StrContains(writer->body, "PERMISSION_DENIED"));
  auto inquiry = Post("/api/v1/Audit/GetTreeHead", "{}", tokens["inquiry"]);
  ASSERT_TRUE(inquiry);
  EXPECT_EQ(inquiry->status, 200) << inquiry->body;

  // Over the principal's limit of open subscriptions: 429. The first live
  // tail stays open on its own connection while the second is refused.
  httplib::Client first_tail(absl::StrCat("http://", http_address_));
  first_tail.set_read_timeout(30, 0);
  absl::Mutex mu;
  std::string received;
  std::atomic<bool> release{false};
  std::thread tail([&] {
    first_tail.Get("/api/v1/live?from=0",
                   {{"Authorization", "Bearer " + tokens["limited"]}},
                   [&](const char* data, size_t length) {
                     absl::MutexLock lock(&mu);
                     received.append(data, length);
                     return !release.load();
                   });
  });
  {
    absl::MutexLock lock(&mu);
    auto admitted = [&] {
      mu.AssertReaderHeld();
      return absl::StrContains(received, "caught_up");
    };
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(&admitted), absl::Seconds(30)));
  }
  int second_status = 0;
  std::string second_body;
  Http()->Get(
      "/api/v1/live?from=now",
      {{"Authorization", "Bearer " + tokens["limited"]}},
      [&](const httplib::Response& response) {
        second_status = response.status;
        return response.status != 200;  // a 200 would be a tail: stop
      },
      [&](const char* data, size_t length) {
        second_body.append(data, length);
        return true;
      });
  EXPECT_EQ(second_status, 429) << second_body;
  EXPECT_TRUE(absl::StrContains(second_body, "RESOURCE_EXHAUSTED"))
      << second_body;
  // The first tail ends at its next event.
  release = true;
  ClientOptions writer_options;
  writer_options.token = tokens["writer"];
  ASSERT_TRUE(Client::Connect(server_->address(), writer_options)
                  ->Append(Note("dept/notes/1", "wake"))
                  .ok());
  tail.join();
}

TEST_F(HttpTest, LiveTailDeliversNewEventsAsServerSentEvents) {
  Start();
  ASSERT_TRUE(grpc_->Append(Note("dept/notes/1", "before")).ok());
  std::string received;
  auto http = Http();
  std::thread appender;
  bool appended = false;
  auto result = http->Get(
      "/api/v1/live?from=0&stream_prefix=dept/", httplib::Headers(),
      [&](const char* data, size_t length) {
        received.append(data, length);
        if (!appended && absl::StrContains(received, "event: caught_up")) {
          appended = true;
          appender = std::thread([&] {
            ASSERT_TRUE(grpc_->Append(Note("dept/notes/2", "after")).ok());
          });
        }
        return !absl::StrContains(received, "dept/notes/2");
      });
  if (appender.joinable()) appender.join();
  EXPECT_TRUE(absl::StrContains(received, "event: event\ndata: {"));
  EXPECT_TRUE(absl::StrContains(received, "\\\"title\\\"") ||
              absl::StrContains(received, "\"data\":\""));
  EXPECT_TRUE(absl::StrContains(received, "dept/notes/1"));
  EXPECT_TRUE(absl::StrContains(received, "dept/notes/2"));
}

TEST_F(HttpTest, TheConsoleIsServedWithStrictHeaders) {
  Start();
  auto page = Http()->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_TRUE(
      absl::StartsWith(page->get_header_value("Content-Type"), "text/html"));
  const std::string csp = page->get_header_value("Content-Security-Policy");
  EXPECT_TRUE(absl::StrContains(csp, "script-src 'self'")) << csp;
  EXPECT_FALSE(absl::StrContains(csp, "unsafe-inline")) << csp;
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(page->has_header("Set-Cookie"));
  EXPECT_TRUE(absl::StrContains(page->body, "Missionlog"));
}

TEST_F(HttpTest, HttpsWithTheGrpcListenersCertificate) {
  const std::string certs = dir_.Sub("certs");
  testing::ShellRun made = testing::RunShell(absl::StrCat(
      SOURCE_DIR, "/deploy/make-certs.sh ", certs, " missionlog.test 2>&1"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  Start({"--tls_cert=" + certs + "/server.pem",
         "--tls_key=" + certs + "/server.key"});
  httplib::SSLClient https(
      http_address_.substr(0, http_address_.rfind(':')),
      std::stoi(http_address_.substr(http_address_.rfind(':') + 1)));
  https.set_ca_cert_path((certs + "/ca.pem").c_str());
  https.enable_server_certificate_verification(true);
  auto head = https.Post("/api/v1/EventStore/GetHead", "{}", kJson);
  ASSERT_TRUE(head) << httplib::to_string(head.error());
  EXPECT_EQ(head->status, 200) << head->body;
  // Plain HTTP to the HTTPS port gets no answer.
  auto plain = Post("/api/v1/EventStore/GetHead", "{}");
  EXPECT_TRUE(!plain || plain->status != 200);
}

// The value of metric line `name` (exact, with its labels) in `text`.
double MetricValue(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST_F(HttpTest, MetricsMoveByExactlyWhatWasDone) {
  Start();
  auto before = Http()->Get("/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  EXPECT_TRUE(absl::StartsWith(before->get_header_value("Content-Type"),
                               "text/plain; version=0.0.4"));
  EXPECT_TRUE(absl::StrContains(before->body,
                                "# TYPE missionlog_appends_total counter"));
  for (int i = 0; i < 3; ++i) {
    v1::AppendRequest request = Note("dept/notes/1", absl::StrCat("n", i));
    *request.add_events() = request.events(0);
    request.mutable_events(1)->clear_id();
    ASSERT_TRUE(grpc_->Append(request).ok());
  }
  auto after = Http()->Get("/metrics");
  ASSERT_TRUE(after);
  EXPECT_EQ(MetricValue(after->body, "missionlog_appends_total") -
                MetricValue(before->body, "missionlog_appends_total"),
            3);
  EXPECT_EQ(MetricValue(after->body, "missionlog_events_written_total") -
                MetricValue(before->body, "missionlog_events_written_total"),
            6);
  EXPECT_EQ(MetricValue(after->body, "missionlog_log_events"), 6);
  EXPECT_GE(
      MetricValue(after->body,
                  "missionlog_projection_lag_events{projection=\"timeline\"}"),
      0);
  // A refused append counts by its code, not as an append.
  v1::AppendRequest bad = Note("dept/notes/1", "x");
  bad.mutable_events(0)->clear_type();
  EXPECT_EQ(grpc_->Append(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto last = Http()->Get("/metrics");
  ASSERT_TRUE(last);
  auto delta = [&](const std::string& name) {
    return std::max(0.0, MetricValue(last->body, name)) -
           std::max(0.0, MetricValue(before->body, name));
  };
  const std::string append = "method=\"/missionlog.v1.EventStore/Append\"";
  EXPECT_EQ(
      delta("missionlog_grpc_server_handled_total{" + append + ",code=\"OK\"}"),
      3)
      << last->body;
  EXPECT_EQ(delta("missionlog_grpc_server_handled_total{" + append +
                  ",code=\"INVALID_ARGUMENT\"}"),
            1);
  EXPECT_EQ(
      delta("missionlog_grpc_server_handling_seconds_count{" + append + "}"),
      4);
  EXPECT_EQ(delta("missionlog_appends_total"), 3);
  EXPECT_EQ(delta("missionlog_append_seconds_count"), 3);
  EXPECT_EQ(MetricValue(last->body, "missionlog_wal_sync_seconds_count"),
            MetricValue(last->body, "missionlog_wal_syncs_total"));
  EXPECT_EQ(
      MetricValue(last->body, "missionlog_append_seconds_bucket{le=\"+Inf\"}"),
      MetricValue(last->body, "missionlog_append_seconds_count"));
  EXPECT_GT(delta("missionlog_bytes_written_total"), 6 * 100);
  EXPECT_GE(MetricValue(last->body, "missionlog_rocksdb_sst_bytes"), 0);
  EXPECT_EQ(MetricValue(last->body, "missionlog_refusing_appends_for_space"),
            0);
  EXPECT_EQ(MetricValue(last->body, "missionlog_subscriptions_open"), 0);
  EXPECT_GE(MetricValue(last->body, "missionlog_checkpoint_lag_events"), 0);

  // AppendStream: the call by its code, and each request by its own.
  std::vector<v1::AppendRequest> pipelined;
  for (int i = 0; i < 3; ++i) {
    pipelined.push_back(Note("dept/notes/2", absl::StrCat("p", i)));
  }
  pipelined[1].mutable_events(0)->clear_type();
  auto answers = grpc_->AppendPipelined(pipelined);
  ASSERT_TRUE(answers.ok()) << answers.status();
  ASSERT_EQ(answers->size(), 3u);
  EXPECT_FALSE((*answers)[1].ok());
  auto streamed = Http()->Get("/metrics");
  ASSERT_TRUE(streamed);
  const std::string stream =
      "method=\"/missionlog.v1.EventStore/AppendStream\"";
  EXPECT_EQ(
      MetricValue(streamed->body, "missionlog_grpc_server_handled_total{" +
                                      stream + ",code=\"OK\"}"),
      1)
      << streamed->body;
  EXPECT_EQ(MetricValue(streamed->body,
                        "missionlog_append_stream_requests_total{code=\"OK\"}"),
            2);
  EXPECT_EQ(
      MetricValue(streamed->body,
                  "missionlog_append_stream_requests_total{code=\"INVALID_"
                  "ARGUMENT\"}"),
      1);
  EXPECT_EQ(MetricValue(streamed->body, "missionlog_appends_total"), 5);

  // A subscription caught up at the head: open, and no lag.
  EXPECT_EQ(
      MetricValue(streamed->body, "missionlog_subscriptions_max_lag_events"),
      0);
  v1::SubscribeRequest subscribe;
  subscribe.set_from_position(0);
  std::string scraped;
  grpc_
      ->Subscribe(subscribe,
                  [&](const v1::SubscribeResponse& message) {
                    if (!message.has_caught_up()) return true;
                    auto page = Http()->Get("/metrics");
                    if (page) scraped = page->body;
                    return false;
                  })
      .IgnoreError();  // ended by the callback
  EXPECT_EQ(MetricValue(scraped, "missionlog_subscriptions_open"), 1);
  EXPECT_EQ(MetricValue(scraped, "missionlog_subscriptions_max_lag_events"), 0);
}

// The Grafana dashboard in deploy/ asks only for metrics the server has.
TEST_F(HttpTest, TheDashboardNamesOnlyMetricsThatExist) {
  Start();
  auto metrics = Http()->Get("/metrics");
  ASSERT_TRUE(metrics);
  const std::string path =
      std::string(SOURCE_DIR) + "/deploy/grafana/missionlog-dashboard.json";
  std::ifstream file(path);
  const std::string dashboard((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
  ASSERT_FALSE(dashboard.empty()) << path;
  const std::regex name("missionlog_[a-z_]+");
  int names = 0;
  for (auto it = std::sregex_iterator(dashboard.begin(), dashboard.end(), name);
       it != std::sregex_iterator(); ++it) {
    std::string metric = it->str();
    if (absl::EndsWith(metric, "_bucket")) {
      metric.resize(metric.size() - std::string("_bucket").size());
    }
    EXPECT_TRUE(absl::StrContains(metrics->body, "# TYPE " + metric + " "))
        << metric << " is not in /metrics";
    ++names;
  }
  EXPECT_GT(names, 15);
}

// Health as load balancers and monitoring ask for it: the gRPC health
// service per service name and for "", and GET /health with its reasons.
// (tests/integration/disk_full_test.cc sees the writing services go
// NOT_SERVING when the disk fills, and come back.)
TEST_F(HttpTest, HealthAnswersPerServiceAndOverHttp) {
  Start({"--disk_reserve_mb=0"});
  for (const std::string service :
       {"", "missionlog.v1.EventStore", "missionlog.v1.Accountability",
        "missionlog.v1.Sealing", "missionlog.v1.Audit", "missionlog.v1.Inquiry",
        "missionlog.v1.Projections", "missionlog.v1.Admin"}) {
    absl::StatusOr<int> health =
        testing::CheckHealth(server_->address(), service);
    ASSERT_TRUE(health.ok()) << "'" << service << "': " << health.status();
    EXPECT_EQ(*health, 1) << "'" << service << "' is not SERVING";
  }
  EXPECT_EQ(testing::CheckHealth(server_->address(), "missionlog.v1.NoSuch")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto health = Http()->Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(health->body,
            "{\"status\":\"ok\",\"accepting_appends\":true,"
            "\"serving_reads\":true,\"disk_free_bytes\":0,"
            "\"disk_reserve_bytes\":0,\"reasons\":[]}\n");
  auto metrics = Http()->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(MetricValue(metrics->body, "missionlog_accepting_appends"), 1);
  EXPECT_EQ(MetricValue(metrics->body, "missionlog_disk_space_low"), 0);
}

}  // namespace
}  // namespace missionlog
