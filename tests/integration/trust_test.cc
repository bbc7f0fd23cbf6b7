// Trust: the real missionlogd with TLS (certificates made by the openssl
// command through deploy/make-certs.sh), client certificates and bearer
// tokens, an access policy reloaded on SIGHUP, server-stamped authorship,
// per-principal limits, and hostile bytes on the wire.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "clients/bearer_token.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "missionlog/v1/commands.pb.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

constexpr char kPolicy[] = R"pb(
  grants {
    principals: [ "dhsc-ingest", "dhsc-token" ]
    roles: WRITER
    stream_prefixes: "dhsc/"
  }
  grants { principals: "hmt-ingest" roles: WRITER stream_prefixes: "hmt/" }
  grants { principals: "nao-audit" roles: AUDITOR }
  grants { principals: "covid-inquiry" roles: INQUIRY }
  grants { principals: "ops" roles: ADMIN }
  grants { principals: "flood" roles: WRITER stream_prefixes: "flood/" }
  grants { principals: "calm" roles: WRITER stream_prefixes: "calm/" }
  principal_limits {
    principal: "flood"
    limits { append_events_per_second: 1 append_burst: 10 }
  }
  principal_limits {
    principal: "nao-audit"
    limits { max_subscriptions: 2 }
  }
)pb";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

v1::AppendRequest Note(const std::string& stream, int n = 1) {
  v1::AppendRequest request;
  request.set_stream(stream);
  for (int i = 0; i < n; ++i) {
    v1::EventData* event = request.add_events();
    event->set_type("test.note");
    event->set_datacontenttype("application/json");
    event->set_data(absl::StrCat("{\"i\":", i, "}"));
  }
  return request;
}

class TrustTest : public ::testing::Test {
 protected:
  // One CA and set of certificates for the whole suite (openssl is quick,
  // but not free); a second CA the server does not trust.
  static void SetUpTestSuite() {
    certs_ = new testing::TempDir();
    const std::string script =
        std::string(SOURCE_DIR) + "/deploy/make-certs.sh";
    testing::ShellRun made = testing::RunShell(absl::StrCat(
        script, " ", certs_->path(),
        " missionlog.test dhsc-ingest hmt-ingest nao-audit covid-inquiry "
        "ops nobody old:expired 2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    made = testing::RunShell(absl::StrCat(script, " ", certs_->Sub("other"),
                                          " impostor stranger 2>&1"));
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  void SetUp() override {
    for (const char* principal : {"dhsc-token", "flood", "calm"}) {
      absl::StatusOr<BearerToken> token = MakeBearerToken(principal);
      ASSERT_TRUE(token.ok()) << token.status();
      tokens_[principal] = token->token;
      token_lines_ += token->tokens_file_line + "\n";
    }
    WriteFile(dir_.Sub("policy.textproto"), kPolicy);
    WriteFile(dir_.Sub("tokens"), token_lines_);
  }

  std::vector<std::string> TlsFlags() const {
    return {"--tls_cert=" + certs_->Sub("server.pem"),
            "--tls_key=" + certs_->Sub("server.key"),
            "--tls_client_ca=" + certs_->Sub("ca.pem"),
            "--policy=" + dir_.Sub("policy.textproto"),
            "--tokens=" + dir_.Sub("tokens")};
  }

  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = TlsFlags();
    flags.insert(flags.end(), extra.begin(), extra.end());
    server_ = testing::ServerProcess::Start(dir_.Sub("data"), flags);
    ASSERT_NE(server_, nullptr);
  }

  // A client presenting `name`'s certificate (from `dir`), trusting the
  // suite's CA for the server.
  std::unique_ptr<Client> CertClient(const std::string& name,
                                     const std::string& dir = "") const {
    const std::string from = dir.empty() ? certs_->path() : dir;
    ClientOptions options;
    options.max_attempts = 1;
    absl::Status loaded =
        LoadTlsFiles(certs_->Sub("ca.pem"), from + "/" + name + ".pem",
                     from + "/" + name + ".key", &options);
    EXPECT_TRUE(loaded.ok()) << loaded;
    return Client::Connect(server_->address(), options);
  }
  // A client with a bearer token and no certificate.
  std::unique_ptr<Client> TokenClient(const std::string& token) const {
    ClientOptions options;
    options.max_attempts = 1;
    options.token = token;
    absl::Status loaded = LoadTlsFiles(certs_->Sub("ca.pem"), "", "", &options);
    EXPECT_TRUE(loaded.ok()) << loaded;
    return Client::Connect(server_->address(), options);
  }
  // The client of a principal in the table: a token if it has one.
  std::unique_ptr<Client> ClientOf(const std::string& principal) const {
    auto token = tokens_.find(principal);
    return token != tokens_.end() ? TokenClient(token->second)
                                  : CertClient(principal);
  }

  // Every event of the log, read as the auditor.
  std::vector<v1::RecordedEvent> ReadAll() {
    std::unique_ptr<Client> auditor = CertClient("nao-audit");
    v1::ReadRequest request;
    request.mutable_all();
    std::vector<v1::RecordedEvent> events;
    auto end = auditor->Read(request, [&](const v1::ReadResponse& batch) {
      events.insert(events.end(), batch.events().begin(), batch.events().end());
      return true;
    });
    EXPECT_TRUE(end.ok()) << end.status();
    return events;
  }

  static testing::TempDir* certs_;
  testing::TempDir dir_;
  std::map<std::string, std::string> tokens_;
  std::string token_lines_;
  std::unique_ptr<testing::ServerProcess> server_;
};

testing::TempDir* TrustTest::certs_ = nullptr;

// One call of the table: what it does, the permission it needs, and how.
struct TableCall {
  std::string name;
  std::string permission;  // "" for calls any authenticated caller may make
  std::function<absl::Status(Client*, const std::string& principal)> run;
};

std::vector<TableCall> TableCalls() {
  auto read = [](v1::ReadRequest request) {
    return [request](Client* client, const std::string&) {
      absl::StatusOr<Client::ReadEnd> end =
          client->Read(request, [](const v1::ReadResponse&) { return true; });
      return end.status();
    };
  };
  auto subscribe = [](const std::string& prefix) {
    return [prefix](Client* client, const std::string&) {
      v1::SubscribeRequest request;
      request.set_from_position(0);
      request.mutable_filter()->set_stream_prefix(prefix);
      return client->Subscribe(
          request, [](const v1::SubscribeResponse&) { return false; });
    };
  };
  v1::ReadRequest dhsc_stream;
  dhsc_stream.mutable_stream()->set_stream("dhsc/note/seed");
  v1::ReadRequest all;
  all.mutable_all();
  v1::ReadRequest dhsc_prefix;
  dhsc_prefix.mutable_all()->mutable_filter()->set_stream_prefix("dhsc/");
  return {
      {"append dhsc/", "append",
       [](Client* client, const std::string& principal) {
         return client->Append(Note("dhsc/note/" + principal)).status();
       }},
      {"append hmt/", "append",
       [](Client* client, const std::string& principal) {
         return client->Append(Note("hmt/note/" + principal)).status();
       }},
      {"command on hmt/", "append",
       [](Client* client, const std::string& principal) {
         v1::RegisterOrganisationRequest request;
         request.mutable_command()->set_stream("hmt/organisation/hmt");
         request.mutable_command()->set_command_id("register-" + principal);
         request.mutable_event()->set_organisation("hmt");
         request.mutable_event()->set_name("HM Treasury");
         request.mutable_event()->set_kind(
             v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT);
         return client->Command("RegisterOrganisation", request).status();
       }},
      {"read stream dhsc/note/seed", "read", read(dhsc_stream)},
      {"read all", "read", read(all)},
      {"read all under dhsc/", "read", read(dhsc_prefix)},
      {"subscribe all", "read", subscribe("")},
      {"subscribe under dhsc/", "read", subscribe("dhsc/")},
      {"stream info", "read",
       [](Client* client, const std::string&) {
         return client->GetStreamInfo("dhsc/note/seed").status();
       }},
      {"head", "",
       [](Client* client, const std::string&) {
         return client->GetHead().status();
       }},
      {"tree head", "audit",
       [](Client* client, const std::string&) {
         return client->GetTreeHead(0).status();
       }},
      {"entries", "audit",
       [](Client* client, const std::string&) {
         return client->GetEntries(
             0, 1, [](v1::GetEntriesResponse*) { return true; });
       }},
      {"government on", "query",
       [](Client* client, const std::string&) {
         v1::GovernmentOnRequest request;
         request.mutable_on()->set_year(2024);
         request.mutable_on()->set_month(1);
         request.mutable_on()->set_day(1);
         return client->GovernmentOn(request).status();
       }},
      {"projections status", "projections.status",
       [](Client* client, const std::string&) {
         return client->ProjectionStatus().status();
       }},
      {"projections rebuild", "projections.rebuild",
       [](Client* client, const std::string&) {
         return client->RebuildProjection("timeline").status();
       }},
  };
}

TEST_F(TrustTest, PrincipalsTimesCallsAllowOnlyWhatThePolicyGrants) {
  StartServer();
  ASSERT_TRUE(CertClient("dhsc-ingest")->Append(Note("dhsc/note/seed")).ok());
  // Which calls each principal may make; every other call is denied.
  const std::map<std::string, std::vector<std::string>> allowed = {
      {"dhsc-ingest",
       {"append dhsc/", "read stream dhsc/note/seed", "read all under dhsc/",
        "subscribe under dhsc/", "stream info", "head"}},
      {"dhsc-token",
       {"append dhsc/", "read stream dhsc/note/seed", "read all under dhsc/",
        "subscribe under dhsc/", "stream info", "head"}},
      {"hmt-ingest", {"append hmt/", "command on hmt/", "head"}},
      {"nao-audit",
       {"read stream dhsc/note/seed", "read all", "read all under dhsc/",
        "subscribe all", "subscribe under dhsc/", "stream info", "head",
        "tree head", "entries"}},
      {"covid-inquiry", {"head", "government on"}},
      {"ops", {"head", "projections status", "projections rebuild"}},
      {"nobody", {"head"}},
  };
  int appended = 1;  // the seed
  for (const auto& [principal, calls] : allowed) {
    std::unique_ptr<Client> client = ClientOf(principal);
    for (const TableCall& call : TableCalls()) {
      SCOPED_TRACE(principal + ": " + call.name);
      const bool allow =
          std::find(calls.begin(), calls.end(), call.name) != calls.end();
      absl::Status status = call.run(client.get(), principal);
      if (allow) {
        EXPECT_TRUE(status.ok()) << status;
        if (status.ok() && call.permission == "append") ++appended;
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
        EXPECT_TRUE(absl::StrContains(
            status.message(),
            absl::StrCat("principal \"", principal, "\" lacks permission \"",
                         call.permission, "\"")))
            << status;
      }
    }
  }
  // Denied appends and commands wrote nothing.
  EXPECT_EQ(ReadAll().size(), static_cast<size_t>(appended));
}

TEST_F(TrustTest, CrossOrganisationAppendIsDeniedAndWritesNothing) {
  StartServer();
  std::unique_ptr<Client> dhsc = CertClient("dhsc-ingest");
  absl::StatusOr<v1::AppendResponse> own = dhsc->Append(Note("dhsc/note/a"));
  ASSERT_TRUE(own.ok()) << own.status();
  absl::StatusOr<v1::AppendResponse> other =
      dhsc->Append(Note("hmt/note/a", 3));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.status().message(),
            "principal \"dhsc-ingest\" lacks permission \"append\" on stream "
            "\"hmt/note/a\" (its roles: WRITER of dhsc/)");
  // A prefix that merely starts like the organisation's is another's.
  EXPECT_EQ(dhsc->Append(Note("dhscx/note/a")).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Pipelined on one AppendStream: each append is checked on its own, in
  // order, and the denied one writes nothing.
  absl::StatusOr<std::vector<absl::StatusOr<v1::AppendResponse>>> piped =
      dhsc->AppendPipelined(
          {Note("dhsc/note/b"), Note("hmt/note/b"), Note("dhsc/note/c")});
  ASSERT_TRUE(piped.ok()) << piped.status();
  ASSERT_EQ(piped->size(), 3u);
  EXPECT_TRUE((*piped)[0].ok());
  EXPECT_EQ((*piped)[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE((*piped)[2].ok());
  std::vector<v1::RecordedEvent> events = ReadAll();
  ASSERT_EQ(events.size(), 3u);
  for (const v1::RecordedEvent& event : events) {
    EXPECT_TRUE(absl::StartsWith(event.subject(), "dhsc/note/"))
        << event.subject();
  }
}

TEST_F(TrustTest, ServerStampsTheAuthenticatedPrincipalAndIgnoresForgeries) {
  StartServer();
  // A sender that tries to name someone else: fields the wire EventData
  // does not have (as RecordedEvent's recorded_by is field 9) and a
  // "recorded_by" in its own metadata.
  v1::AppendRequest forged = Note("dhsc/note/forged");
  forged.mutable_events(0)
      ->GetReflection()
      ->MutableUnknownFields(forged.mutable_events(0))
      ->AddLengthDelimited(9, "hmt-ingest");
  ClientOptions options;
  options.token = tokens_["dhsc-token"];
  ASSERT_TRUE(LoadTlsFiles(certs_->Sub("ca.pem"), "", "", &options).ok());
  std::unique_ptr<Client> client = Client::Connect(server_->address(), options);
  ASSERT_TRUE(client->Append(forged).ok());
  ASSERT_TRUE(CertClient("dhsc-ingest")->Append(Note("dhsc/note/cert")).ok());
  std::vector<v1::RecordedEvent> events = ReadAll();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].recorded_by(), "dhsc-token");
  EXPECT_EQ(events[1].recorded_by(), "dhsc-ingest");
}

TEST_F(TrustTest, BadCredentialsAreRejected) {
  StartServer();
  // No credentials at all, over TLS.
  EXPECT_EQ(TokenClient("")->GetHead().status().code(),
            absl::StatusCode::kUnauthenticated);
  // A wrong token.
  absl::Status wrong = TokenClient(tokens_["dhsc-token"] + "x")
                           ->Append(Note("dhsc/note/x"))
                           .status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated) << wrong;
  // An expired certificate from the right CA, and a valid one from a CA
  // the server does not trust: the TLS handshake fails.
  EXPECT_EQ(CertClient("old")->Append(Note("dhsc/note/x")).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(CertClient("stranger", certs_->Sub("other"))
                ->Append(Note("dhsc/note/x"))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  // A client that does not trust the server's CA refuses the server.
  ClientOptions impostor;
  impostor.max_attempts = 1;
  ASSERT_TRUE(LoadTlsFiles(certs_->Sub("other/ca.pem"),
                           certs_->Sub("dhsc-ingest.pem"),
                           certs_->Sub("dhsc-ingest.key"), &impostor)
                  .ok());
  EXPECT_EQ(
      Client::Connect(server_->address(), impostor)->GetHead().status().code(),
      absl::StatusCode::kUnavailable);
  // Plaintext to a TLS listener fails cleanly...
  ClientOptions plaintext;
  plaintext.max_attempts = 1;
  plaintext.deadline = absl::Seconds(5);
  EXPECT_EQ(
      Client::Connect(server_->address(), plaintext)->GetHead().status().code(),
      absl::StatusCode::kUnavailable);
  // ... and none of it wrote anything or hurt the server.
  EXPECT_TRUE(ReadAll().empty());
  EXPECT_TRUE(CertClient("dhsc-ingest")->Append(Note("dhsc/note/ok")).ok());
}

TEST_F(TrustTest, RequiredClientCertificatesRefuseTokenOnlyClients) {
  StartServer({"--require_client_cert"});
  EXPECT_EQ(TokenClient(tokens_["dhsc-token"])->GetHead().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(CertClient("dhsc-ingest")->GetHead().ok());
}

TEST_F(TrustTest, PolicyReloadOnSighupChangesDecisionsWithoutRestart) {
  StartServer();
  std::unique_ptr<Client> ops = CertClient("ops");
  std::unique_ptr<Client> dhsc = ClientOf("dhsc-token");
  EXPECT_EQ(ops->Append(Note("ops/note/1")).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(dhsc->Append(Note("dhsc/note/1")).ok());

  // Grant ops a prefix; revoke dhsc-token's token.
  WriteFile(dir_.Sub("policy.textproto"),
            absl::StrCat(kPolicy, R"pb(grants {
                                         principals: "ops"
                                         roles: WRITER
                                         stream_prefixes: "ops/"
                                       })pb"));
  std::string without_dhsc;
  std::istringstream lines(token_lines_);
  for (std::string line; std::getline(lines, line);) {
    if (!absl::EndsWith(line, " dhsc-token")) without_dhsc += line + "\n";
  }
  WriteFile(dir_.Sub("tokens"), without_dhsc);
  server_->Signal(SIGHUP);
  EXPECT_NE(server_->WaitForLine("SIGHUP: reloaded"), "");

  // The same connections, new decisions.
  EXPECT_TRUE(ops->Append(Note("ops/note/1")).ok());
  EXPECT_EQ(dhsc->Append(Note("dhsc/note/2")).status().code(),
            absl::StatusCode::kUnauthenticated);

  // A broken policy is refused and the one in force stays.
  WriteFile(dir_.Sub("policy.textproto"), "grants { roles: WRITER }");
  server_->Signal(SIGHUP);
  std::string kept = server_->WaitForLine("SIGHUP:");
  EXPECT_TRUE(absl::StrContains(kept, "kept the previous policy")) << kept;
  EXPECT_TRUE(absl::StrContains(kept, "names no principals")) << kept;
  EXPECT_TRUE(ops->Append(Note("ops/note/2")).ok());
  ops.reset();  // so that shutdown need not wait for their connections
  dhsc.reset();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
}

TEST_F(TrustTest, AFloodFromOnePrincipalIsRateLimitedWhileOthersProceed) {
  StartServer();
  std::unique_ptr<Client> flood = ClientOf("flood");
  std::unique_ptr<Client> calm = ClientOf("calm");
  // More than the burst at once can never pass.
  absl::Status too_big = flood->Append(Note("flood/note/big", 11)).status();
  EXPECT_EQ(too_big.code(), absl::StatusCode::kResourceExhausted) << too_big;
  int accepted = 0;
  int limited = 0;
  for (int i = 0; i < 40; ++i) {
    absl::Status status = flood->Append(Note("flood/note/1")).status();
    if (status.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
      ++limited;
    }
    // Interleaved: the other principal is never held back.
    EXPECT_TRUE(calm->Append(Note("calm/note/1")).ok());
  }
  // The bucket starts full (10) and refills at 1/s.
  EXPECT_GE(accepted, 10);
  EXPECT_GT(limited, 0);
  // Pipelined appends are limited the same way, each on its own.
  std::vector<v1::AppendRequest> piped(12, Note("flood/note/1"));
  auto results = flood->AppendPipelined(piped);
  ASSERT_TRUE(results.ok());
  for (const auto& result : *results) {
    if (result.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
    }
  }
  // Limited appends wrote nothing.
  absl::StatusOr<v1::GetStreamInfoResponse> info =
      flood->GetStreamInfo("flood/note/1");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->last_version() + 1, static_cast<uint64_t>(accepted));
  EXPECT_EQ(calm->GetStreamInfo("calm/note/1")->last_version(), 39u);
}

// `count` subscriptions from position 0 held open by `client`, each past
// its first message, until Release() and the next event.
class HeldSubscriptions {
 public:
  HeldSubscriptions(Client* client, int count) {
    for (int i = 0; i < count; ++i) {
      started_.push_back(std::make_unique<absl::Notification>());
      absl::Notification* ready = started_.back().get();
      threads_.emplace_back([this, client, ready] {
        v1::SubscribeRequest request;
        request.set_from_position(0);
        absl::Status ended =
            client->Subscribe(request, [&](const v1::SubscribeResponse&) {
              if (!ready->HasBeenNotified()) ready->Notify();
              return !release_.HasBeenNotified();
            });
        EXPECT_TRUE(ended.ok()) << ended;
      });
    }
    for (auto& ready : started_) ready->WaitForNotification();
  }
  ~HeldSubscriptions() {
    Release();
    Join();
  }
  // The subscriptions stop at their next message.
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  void Join() {
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  absl::Notification release_;
  std::vector<std::unique_ptr<absl::Notification>> started_;
  std::vector<std::thread> threads_;
};

// One subscription that stops at its first message: its status.
absl::Status SubscribeOnce(Client* client) {
  v1::SubscribeRequest request;
  request.set_from_position(0);
  return client->Subscribe(request,
                           [](const v1::SubscribeResponse&) { return false; });
}

TEST_F(TrustTest, SubscriptionsPerPrincipalAreLimited) {
  StartServer();
  std::unique_ptr<Client> auditor = CertClient("nao-audit");
  // Two subscriptions held open (each has seen its first message).
  HeldSubscriptions held(auditor.get(), 2);
  absl::Status third = SubscribeOnce(auditor.get());
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted) << third;
  EXPECT_TRUE(absl::StrContains(third.message(), "2 subscriptions open"));
  // Appends wake the held subscriptions, which then stop.
  held.Release();
  ASSERT_TRUE(CertClient("dhsc-ingest")->Append(Note("dhsc/note/1")).ok());
}

TEST_F(TrustTest, StreamingCallsPerConnectionAreLimited) {
  StartServer({"--max_streams_per_connection=2"});
  // One connection: two subscriptions held open, then a third call.
  std::unique_ptr<Client> auditor = CertClient("nao-audit");
  HeldSubscriptions held(auditor.get(), 2);
  absl::Status third = SubscribeOnce(auditor.get());
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted) << third;
  EXPECT_TRUE(absl::StrContains(third.message(), "max_streams_per_connection"))
      << third;
  // An AppendStream on the same connection is refused the same way, and
  // writes nothing; unary calls still pass.
  absl::StatusOr<std::vector<absl::StatusOr<v1::AppendResponse>>> piped =
      auditor->AppendPipelined({Note("dhsc/note/x")});
  EXPECT_EQ(piped.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(auditor->GetHead().ok());
  // Another connection is not affected.
  std::unique_ptr<Client> writer = CertClient("dhsc-ingest");
  ClientOptions separate;
  ASSERT_TRUE(LoadTlsFiles(certs_->Sub("ca.pem"),
                           certs_->Sub("dhsc-ingest.pem"),
                           certs_->Sub("dhsc-ingest.key"), &separate)
                  .ok());
  separate.max_receive_bytes = (64 << 20) - 1;  // other args: own connection
  piped = Client::Connect(server_->address(), separate)
              ->AppendPipelined({Note("dhsc/note/y")});
  ASSERT_TRUE(piped.ok()) << piped.status();
  EXPECT_TRUE((*piped)[0].ok());
  held.Release();
  ASSERT_TRUE(writer->Append(Note("dhsc/note/z")).ok());
  held.Join();
  EXPECT_EQ(ReadAll().size(), 2u);
}

// A raw call with arbitrary request bytes.
void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A protobuf message whose field 1 holds a message whose field 1 holds ...,
// `depth` levels deep (far beyond the parser's recursion limit).
std::string Nested(int depth) {
  // Sizes from the inside out, then the headers from the outside in.
  std::vector<uint64_t> inner(static_cast<size_t>(depth) + 1, 0);
  for (int level = 1; level <= depth; ++level) {
    std::string varint;
    PutVarint(inner[level - 1], &varint);
    inner[level] = 1 + varint.size() + inner[level - 1];
  }
  std::string bytes;
  for (int level = depth; level >= 1; --level) {
    bytes.push_back(static_cast<char>((1 << 3) | 2));  // field 1, bytes
    PutVarint(inner[level - 1], &bytes);
  }
  return bytes;
}

// Sends `bytes` on a raw TCP connection and closes it.
void SendRawBytes(const std::string& address, const std::string& bytes) {
  const size_t colon = address.rfind(':');
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(address.substr(colon + 1), &port));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  close(fd);
}

TEST_F(TrustTest, HostileBytesDoNotCrashOrStallTheServer) {
  // Development mode: no TLS in the way, so the bytes reach the parsers.
  server_ = testing::ServerProcess::Start(dir_.Sub("data"),
                                          {"--max_message_bytes=1048576"});
  ASSERT_NE(server_, nullptr);
  const std::string address = server_->address();
  absl::BitGen random;
  auto random_bytes = [&](size_t n) {
    std::string bytes(n, '\0');
    for (char& c : bytes)
      c = static_cast<char>(absl::Uniform<int>(random, 0, 256));
    return bytes;
  };
  // Malformed protobuf to typed and raw methods: refused, nothing written.
  for (const char* method :
       {"/missionlog.v1.EventStore/Append", "/missionlog.v1.EventStore/Read",
        "/missionlog.v1.EventStore/GetStreamInfo",
        "/missionlog.v1.Accountability/RecordDecision",
        "/missionlog.v1.Inquiry/GovernmentOn"}) {
    SCOPED_TRACE(method);
    for (const std::string& bytes :
         {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),
          std::string("\x0a\xff\xff\xff\x0f", 5), random_bytes(64),
          random_bytes(4096), Nested(100000)}) {
      grpc::Status status = testing::RawCall(address, method, bytes, nullptr);
      EXPECT_FALSE(status.ok());
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE)
          << status.error_message();
    }
  }
  // A message over the limit.
  grpc::Status huge =
      testing::RawCall(address, "/missionlog.v1.EventStore/Append",
                       std::string(2 << 20, 'x'), nullptr);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Random bytes, and an HTTP/2 preface followed by garbage, to the port.
  for (int i = 0; i < 20; ++i) {
    SendRawBytes(address, random_bytes(1 + i * 997));
    SendRawBytes(address, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                              random_bytes(1 + i * 331));
  }
  // Still serving, and nothing was written.
  std::unique_ptr<Client> client = Client::Connect(address);
  absl::StatusOr<v1::GetHeadResponse> head = client->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->next_position(), 0u);
  EXPECT_TRUE(client->Append(Note("dhsc/note/after")).ok());
  client.reset();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
}

// The wire contract for requests that do not parse (issue "missionlogd's
// wire contract as an outside developer meets it", bugs 1 and 2): a unary
// method answers INVALID_ARGUMENT naming its message type (not an empty
// UNIMPLEMENTED, which says the method does not exist), and an
// AppendStream request with invalid UTF-8 (a JS string cut inside an
// emoji) is answered in its turn with its own error while the requests
// around it are written; the call ends OK, nothing is silently dropped.
TEST_F(TrustTest, RequestsThatDoNotParseAreNamedNotDropped) {
  server_ = testing::ServerProcess::Start(dir_.Sub("data"));
  ASSERT_NE(server_, nullptr);
  const std::string address = server_->address();
  // Field 1 (a string in each of these) holding "x" and half an emoji.
  const std::string cut_utf8("\x0a\x02x\xf0", 4);
  const std::string garbage("\x0a\xff\xff\xff\x0f", 5);
  const std::vector<std::pair<std::string, std::string>> methods = {
      {"/missionlog.v1.EventStore/Append", "missionlog.v1.AppendRequest"},
      {"/missionlog.v1.EventStore/GetStreamInfo",
       "missionlog.v1.GetStreamInfoRequest"},
      {"/missionlog.v1.Inquiry/WhoOwned", "missionlog.v1.WhoOwnedRequest"},
      {"/missionlog.v1.Projections/Rebuild", "missionlog.v1.RebuildRequest"}};
  for (const auto& [method, type] : methods) {
    for (const std::string& bytes : {cut_utf8, garbage}) {
      SCOPED_TRACE(method);
      grpc::Status status = testing::RawCall(address, method, bytes, nullptr);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << status.error_message();
      EXPECT_TRUE(absl::StrContains(status.error_message(), "not a " + type))
          << status.error_message();
    }
  }
  // A method that does not exist is still UNIMPLEMENTED.
  EXPECT_EQ(testing::RawCall(address, "/missionlog.v1.EventStore/NoSuchMethod",
                             cut_utf8, nullptr)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  auto stub = v1::EventStore::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->AppendStream(&context);
  std::vector<v1::AppendStreamRequest> requests(3);
  requests[0].set_request_id("a");
  requests[1].set_request_id(std::string("x\xf0", 2));  // as JS sends it
  requests[2].set_request_id("c");
  for (int i = 0; i < 3; ++i) {
    *requests[static_cast<size_t>(i)].mutable_append() =
        Note(absl::StrCat("dhsc/note/", i));
    ASSERT_TRUE(stream->Write(requests[static_cast<size_t>(i)]));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::AppendStreamResponse> responses;
  v1::AppendStreamResponse response;
  while (stream->Read(&response)) responses.push_back(response);
  grpc::Status finished = stream->Finish();
  EXPECT_TRUE(finished.ok()) << finished.error_message();
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].request_id(), "a");
  EXPECT_TRUE(responses[0].has_result());
  EXPECT_EQ(responses[1].request_id(), "");
  ASSERT_TRUE(responses[1].has_error());
  EXPECT_EQ(responses[1].error().code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(absl::StrContains(responses[1].error().message(), "request 1"))
      << responses[1].error().message();
  EXPECT_EQ(responses[2].request_id(), "c");
  EXPECT_TRUE(responses[2].has_result());
  // Only the two that parsed were written.
  std::unique_ptr<Client> client = Client::Connect(address);
  absl::StatusOr<v1::GetHeadResponse> head = client->GetHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->next_position(), 2u);
}

TEST_F(TrustTest, HostileBytesToTheTlsPortAreDropped) {
  StartServer();
  absl::BitGen random;
  for (int i = 0; i < 20; ++i) {
    std::string bytes(1 + i * 613, '\0');
    for (char& c : bytes)
      c = static_cast<char>(absl::Uniform<int>(random, 0, 256));
    // A TLS record header first, so the handshake parser reads the rest.
    if (i % 2 == 0) bytes = std::string("\x16\x03\x01\x02\x00", 5) + bytes;
    SendRawBytes(server_->address(), bytes);
  }
  EXPECT_TRUE(CertClient("dhsc-ingest")->Append(Note("dhsc/note/ok")).ok());
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
}

TEST_F(TrustTest, NonLoopbackNeedsTlsAndAPolicy) {
  const std::string binary = MISSIONLOGD_PATH;
  testing::ShellRun plain = testing::RunShell(
      absl::StrCat(binary, " --http_listen= --listen=0.0.0.0:0 --data_dir=",
                   dir_.Sub("data"), " 2>&1"));
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_TRUE(
      absl::StrContains(plain.output, "refusing to listen on 0.0.0.0:0"))
      << plain.output;
  testing::ShellRun no_policy = testing::RunShell(
      absl::StrCat(binary, " --http_listen= --listen=0.0.0.0:0 --data_dir=",
                   dir_.Sub("data"), " --tls_cert=", certs_->Sub("server.pem"),
                   " --tls_key=", certs_->Sub("server.key"), " 2>&1"));
  EXPECT_EQ(no_policy.exit_code, 2) << no_policy.output;
  // A policy that does not parse stops the start with the line at fault.
  WriteFile(dir_.Sub("bad.textproto"), "grants {\n  roles: SUPERUSER\n}\n");
  testing::ShellRun bad = testing::RunShell(absl::StrCat(
      binary, " --listen=127.0.0.1:0 --data_dir=", dir_.Sub("data"),
      " --policy=", dir_.Sub("bad.textproto"), " 2>&1"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.output, "bad.textproto: line "))
      << bad.output;
  EXPECT_TRUE(absl::StrContains(bad.output, "\"SUPERUSER\"")) << bad.output;
}

TEST_F(TrustTest, TokenCommandMakesATokenTheServerAccepts) {
  testing::ShellRun made = testing::RunShell(absl::StrCat(
      MISSIONLOG_CLI_PATH,
      " token dhsc-token --tokens-file=", dir_.Sub("tokens"), " 2>/dev/null"));
  ASSERT_EQ(made.exit_code, 0);
  std::string token = made.output;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_TRUE(absl::StartsWith(token, "mlt_")) << token;
  StartServer();
  // Through the CLI, as a department would.
  testing::ShellRun appended = testing::RunShell(
      absl::StrCat(MISSIONLOG_CLI_PATH, " --server=", server_->address(),
                   " --tls-ca=", certs_->Sub("ca.pem"), " --token=", token,
                   " append dhsc/note/cli test.note '{\"a\":1}' 2>&1"));
  EXPECT_EQ(appended.exit_code, 0) << appended.output;
  testing::ShellRun denied = testing::RunShell(absl::StrCat(
      "MISSIONLOG_TOKEN=", token, " ", MISSIONLOG_CLI_PATH,
      " --server=", server_->address(), " --tls-ca=", certs_->Sub("ca.pem"),
      " append hmt/note/cli test.note '{}' 2>&1"));
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(denied.output, "PERMISSION_DENIED"))
      << denied.output;
  std::vector<v1::RecordedEvent> events = ReadAll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].recorded_by(), "dhsc-token");
}

}  // namespace
}  // namespace missionlog
