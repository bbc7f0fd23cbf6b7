// The server's log as an operator ships it: every refused call is one
// line with its principal, peer, method, code and reason, in JSON or
// key=value, and a flood of refusals is rate-limited.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/bearer_token.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

class LogsTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& extra) {
    absl::StatusOr<BearerToken> token = MakeBearerToken("dhsc-ingest");
    ASSERT_TRUE(token.ok());
    token_ = token->token;
    std::ofstream(dir_.Sub("tokens")) << token->tokens_file_line << "\n";
    std::ofstream(dir_.Sub("policy.textproto"))
        << "grants { principals: \"dhsc-ingest\" roles: WRITER "
           "stream_prefixes: \"dhsc/\" }\n";
    std::vector<std::string> flags = {
        "--policy=" + dir_.Sub("policy.textproto"),
        "--tokens=" + dir_.Sub("tokens")};
    flags.insert(flags.end(), extra.begin(), extra.end());
    server_ = testing::ServerProcess::Start(dir_.Sub("data"), flags,
                                            dir_.Sub("stderr"));
    ASSERT_NE(server_, nullptr);
  }

  std::unique_ptr<Client> Connect(const std::string& token) {
    ClientOptions options;
    options.token = token;
    options.max_attempts = 1;
    return Client::Connect(server_->address(), options);
  }

  // The server's stderr lines, once it has stopped.
  std::vector<std::string> Lines() {
    server_->Stop(SIGTERM);
    std::ifstream in(dir_.Sub("stderr"));
    std::stringstream text;
    text << in.rdbuf();
    return absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  }

  static v1::AppendRequest Event(const std::string& stream) {
    v1::AppendRequest request;
    request.set_stream(stream);
    v1::EventData* event = request.add_events();
    event->set_type("test.logged.v1");
    event->set_data("{}");
    return request;
  }

  testing::TempDir dir_;
  std::string token_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(LogsTest, EveryRefusedCallIsOneLineWithWhoWhereWhatAndWhy) {
  Start({"--log_format=json"});
  EXPECT_EQ(
      Connect("not-a-token")->Append(Event("dhsc/note/1")).status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Connect(token_)->Append(Event("dft/note/1")).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::AppendRequest invalid = Event("dhsc/note/1");
  invalid.mutable_events(0)->clear_type();
  EXPECT_EQ(Connect(token_)->Append(invalid).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Connect(token_)->Append(Event("dhsc/note/1")).ok());

  std::vector<std::string> refused;
  for (const std::string& line : Lines()) {
    if (absl::StrContains(line, "\"msg\":\"call refused\"")) {
      refused.push_back(line);
    }
  }
  ASSERT_EQ(refused.size(), 3u) << absl::StrJoin(refused, "\n");
  const std::string append = "\"method\":\"/missionlog.v1.EventStore/Append\"";
  EXPECT_TRUE(absl::StrContains(refused[0], "\"code\":\"UNAUTHENTICATED\""));
  EXPECT_TRUE(absl::StrContains(refused[0], "\"principal\":\"-\""));
  EXPECT_TRUE(absl::StrContains(refused[1], "\"code\":\"PERMISSION_DENIED\""));
  EXPECT_TRUE(absl::StrContains(refused[1], "\"principal\":\"dhsc-ingest\""));
  EXPECT_TRUE(absl::StrContains(refused[2], "\"code\":\"INVALID_ARGUMENT\""));
  for (const std::string& line : refused) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"level\":\"warn\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, append)) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"peer\":\"ipv4:127.0.0.1:")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"reason\":\"")) << line;
  }
  EXPECT_TRUE(absl::StrContains(refused[1], "dft/note/1")) << refused[1];
}

// A request refused inside an AppendStream call is a refused write too.
TEST_F(LogsTest, ARefusedRequestOnAnAppendStreamIsLogged) {
  Start({"--log_format=json"});
  auto answers = Connect(token_)->AppendPipelined(
      {Event("dhsc/note/1"), Event("dft/note/2"), Event("dhsc/note/3")});
  ASSERT_TRUE(answers.ok()) << answers.status();
  EXPECT_EQ((*answers)[1].status().code(), absl::StatusCode::kPermissionDenied);
  std::vector<std::string> refused;
  for (const std::string& line : Lines()) {
    if (absl::StrContains(line, "\"msg\":\"call refused\"")) {
      refused.push_back(line);
    }
  }
  ASSERT_EQ(refused.size(), 1u) << absl::StrJoin(refused, "\n");
  EXPECT_TRUE(absl::StrContains(
      refused[0], "\"method\":\"/missionlog.v1.EventStore/AppendStream\""));
  EXPECT_TRUE(absl::StrContains(refused[0], "\"code\":\"PERMISSION_DENIED\""));
  EXPECT_TRUE(absl::StrContains(refused[0], "\"principal\":\"dhsc-ingest\""));
  EXPECT_TRUE(absl::StrContains(refused[0], "dft/note/2")) << refused[0];
}

TEST_F(LogsTest, AFloodOfRefusalsIsRateLimited) {
  Start({"--log_refused_per_second=3"});
  std::unique_ptr<Client> client = Connect(token_);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(client->Append(Event("dft/note/1")).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  // Requests with invalid UTF-8: protobuf's own message for each is
  // rate-limited as well (at most 5 a second).
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(
        client->Append(Event(std::string("dhsc/x\xf0", 7))).status().code(),
        absl::StatusCode::kInvalidArgument);
  }
  // key=value lines; at most 3 refusals logged in any one second.
  std::map<std::string, int> per_second;
  std::map<std::string, int> protobuf_per_second;
  int total = 0, protobuf_total = 0;
  const std::vector<std::string> lines = Lines();
  for (const std::string& line : lines) {
    if (!absl::StrContains(line, "source=libprotobuf")) continue;
    ASSERT_TRUE(absl::StartsWith(line, "time=")) << line;
    ++protobuf_per_second[line.substr(5, 19)];
    ++protobuf_total;
  }
  EXPECT_GE(protobuf_total, 1);
  EXPECT_LT(protobuf_total, 30);
  for (const auto& [second, count] : protobuf_per_second) {
    EXPECT_LE(count, 5) << second;
  }
  for (const std::string& line : lines) {
    if (!absl::StrContains(line, "msg=\"call refused\"")) continue;
    EXPECT_TRUE(absl::StrContains(line, "code=PERMISSION_DENIED")) << line;
    EXPECT_TRUE(absl::StrContains(line, "principal=dhsc-ingest")) << line;
    ASSERT_TRUE(absl::StartsWith(line, "time=")) << line;
    ++per_second[line.substr(5, 19)];  // 2026-12-07T05:50:01
    ++total;
  }
  EXPECT_GE(total, 3);
  EXPECT_LT(total, 40);
  for (const auto& [second, count] : per_second) {
    EXPECT_LE(count, 3) << second;
  }
}

}  // namespace
}  // namespace missionlog
