// Sealed fields as their users meet them, with the real missionlogd and
// CLI: a concern raised with a sealed raiser is stored with a commitment
// only (no file of the data directory holds the name); an UNSEALER gets
// the name back, and the unsealing is in the log first; INQUIRY and
// AUDITOR principals are refused and nothing is appended; a server without
// an unsealing key refuses sealed values instead of storing them.
#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/bearer_token.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

constexpr char kRaiser[] = "Jane Doe, ward 7 nurse";

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

// Whether any file under `dir` holds `needle`.
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat info;
    if (stat(path.c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      found = found || AnyFileHolds(path, needle);
    } else {
      std::ifstream in(path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      found = found || bytes.str().find(needle) != std::string::npos;
    }
  }
  closedir(d);
  return found;
}

class UnsealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* principal :
         {"dhsc-ingest", "inquiry", "unsealer", "ops"}) {
      absl::StatusOr<BearerToken> token = MakeBearerToken(principal);
      ASSERT_TRUE(token.ok());
      tokens_[principal] = token->token;
      token_lines_ += token->tokens_file_line + "\n";
    }
    ASSERT_TRUE(WriteFile(dir_.Sub("policy.textproto"), R"(
grants { principals: "dhsc-ingest" roles: WRITER stream_prefixes: "dhsc/" }
grants { principals: "inquiry" roles: [INQUIRY, AUDITOR] }
grants { principals: "unsealer" roles: UNSEALER }
grants { principals: "ops" roles: ADMIN }
)"));
    ASSERT_TRUE(WriteFile(dir_.Sub("tokens"), token_lines_));
    testing::ShellRun made =
        Cli("", "keygen --role=UNSEALER --out=" + dir_.Sub("unsealer"));
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }

  void Start(bool with_unsealer_key) {
    std::vector<std::string> flags = {
        "--policy=" + dir_.Sub("policy.textproto"),
        "--tokens=" + dir_.Sub("tokens")};
    if (with_unsealer_key) {
      flags.push_back("--unsealer_keys=" + dir_.Sub("unsealer.pub"));
    }
    server_ = testing::ServerProcess::Start(dir_.Sub("data"), flags);
    ASSERT_NE(server_, nullptr);
  }

  testing::ShellRun Cli(const std::string& principal, const std::string& args) {
    std::string command = MISSIONLOG_CLI_PATH;
    if (server_ != nullptr)
      absl::StrAppend(&command, " --server=", server_->address());
    if (!principal.empty()) {
      absl::StrAppend(&command, " --token=", tokens_[principal]);
    }
    return testing::RunShell(absl::StrCat(command, " ", args, " 2>&1"));
  }

  // `missionlog verify` with the log's key and the state file `state`.
  testing::ShellRun Verify(const std::string& state,
                           const std::string& extra = "") {
    return Cli("inquiry",
               absl::StrCat("verify ", extra, " --key=", dir_.Sub("data"),
                            "/log.pub --state=", dir_.Sub(state)));
  }
  testing::ShellRun Prove(uint64_t position) {
    return Cli("inquiry", absl::StrCat("prove ", position, " --key=",
                                       dir_.Sub("data"), "/log.pub"));
  }

  uint64_t Head() {
    testing::ShellRun head = Cli("inquiry", "head");
    return std::stoull(head.output.substr(0, head.output.find(' ')));
  }

  // The organisation, then a concern raised by kRaiser, sealed.
  testing::ShellRun RaiseSealedConcern() {
    testing::ShellRun org =
        Cli("dhsc-ingest",
            "command RegisterOrganisation --stream=dhsc/organisation/dhsc "
            "--command-id=o1 '{\"organisation\":\"dhsc\",\"name\":\"Department "
            "of Health and Social Care\",\"kind\":"
            "\"ORGANISATION_KIND_MINISTERIAL_DEPARTMENT\"}'");
    EXPECT_EQ(org.exit_code, 0) << org.output;
    return Cli(
        "dhsc-ingest",
        absl::StrCat("command RaiseConcern --stream=dhsc/concern/c1 "
                     "--command-id=c1 '{\"about\":{\"stream\":\"dhsc/"
                     "organisation/dhsc\"},\"summary\":\"Rota gaps\","
                     "\"sealed_raiser\":{\"value\":\"",
                     absl::Base64Escape(kRaiser),
                     "\"},\"raised_to\":[{\"organisation\":{\"stream\":\"dhsc/"
                     "organisation/dhsc\"}}],\"severity\":\"SEVERITY_HIGH\","
                     "\"raised_on\":{\"year\":2025,\"month\":1,\"day\":2}}'"));
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> tokens_;
  std::string token_lines_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(UnsealTest, OnlyAnUnsealerOpensItAndTheUnsealingIsOnTheRecordFirst) {
  Start(/*with_unsealer_key=*/true);
  testing::ShellRun raised = RaiseSealedConcern();
  ASSERT_EQ(raised.exit_code, 0) << raised.output;
  ASSERT_EQ(Head(), 2u);

  // The log holds a commitment, not the name.
  testing::ShellRun read = Cli("inquiry", "read dhsc/concern/c1 --json");
  EXPECT_EQ(read.exit_code, 0) << read.output;
  EXPECT_FALSE(absl::StrContains(read.output, "Jane Doe")) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "commitment")) << read.output;
  // The concern views say it is sealed.
  testing::ShellRun concerns =
      Cli("inquiry", "query concerns --min-position=2 --json");
  EXPECT_TRUE(absl::StrContains(concerns.output, "\"sealed\":true"))
      << concerns.output;

  // Not for INQUIRY or AUDITOR, and nothing is appended.
  testing::ShellRun refused = Cli(
      "inquiry", "unseal 1 --reason=curious --key=" + dir_.Sub("unsealer.key"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.output, "PERMISSION_DENIED"))
      << refused.output;
  // A reason is required; nothing is appended.
  testing::ShellRun no_reason =
      Cli("unsealer", "unseal 1 --reason= --key=" + dir_.Sub("unsealer.key"));
  EXPECT_NE(no_reason.exit_code, 0);
  EXPECT_EQ(Head(), 2u);

  // The UNSEALER gets the name back, checked against the commitment.
  testing::ShellRun unsealed =
      Cli("unsealer", "unseal 1 --reason='Inquiry request 42' --json --key=" +
                          dir_.Sub("unsealer.key"));
  ASSERT_EQ(unsealed.exit_code, 0) << unsealed.output;
  EXPECT_TRUE(absl::StrContains(unsealed.output, kRaiser)) << unsealed.output;
  EXPECT_TRUE(absl::StrContains(unsealed.output, "\"unsealed_position\":2"))
      << unsealed.output;
  // The Unsealed event: who, which event and field, why.
  testing::ShellRun record = Cli("inquiry", "read --all --from=2 --json");
  EXPECT_TRUE(
      absl::StrContains(record.output, "missionlog.sealing.unsealed.v1"))
      << record.output;
  EXPECT_TRUE(absl::StrContains(record.output, "\"recorded_by\":\"unsealer\""))
      << record.output;
  const std::string marker = "\"data_base64\":\"";
  const size_t start = record.output.find(marker);
  ASSERT_NE(start, std::string::npos) << record.output;
  std::string payload;
  ASSERT_TRUE(absl::Base64Unescape(
      record.output.substr(start + marker.size(),
                           record.output.find('"', start + marker.size()) -
                               start - marker.size()),
      &payload));
  EXPECT_TRUE(absl::StrContains(payload, "Inquiry request 42"));
  EXPECT_TRUE(
      absl::StrContains(payload, "missionlog.v1.ConcernRaised.sealed_raiser"));
  EXPECT_TRUE(absl::StrContains(payload, "unsealer"));

  // No file of the store holds the name in clear.
  server_->Stop(SIGTERM);
  server_.reset();
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("data"), "Jane Doe"));
}

TEST_F(UnsealTest, WithoutAnUnsealingKeyASealedValueIsRefusedNotStored) {
  Start(/*with_unsealer_key=*/false);
  testing::ShellRun raised = RaiseSealedConcern();
  EXPECT_NE(raised.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(raised.output, "FAILED_PRECONDITION"))
      << raised.output;
  EXPECT_TRUE(absl::StrContains(raised.output, "--unsealer_keys"))
      << raised.output;
  EXPECT_EQ(Head(), 1u);  // the organisation only
  server_->Stop(SIGTERM);
  server_.reset();
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("data"), "Jane Doe"));
}

// Whether any RocksDB table file under `dir` holds `needle`.
bool AnyTableHolds(const std::string& dir, const std::string& needle) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name.size() < 4 || name.substr(name.size() - 4) != ".sst") continue;
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    found = found || bytes.str().find(needle) != std::string::npos;
  }
  closedir(d);
  return found;
}

TEST_F(UnsealTest, ErasureDestroysTheValuesAndKeepsEveryProof) {
  Start(/*with_unsealer_key=*/true);
  ASSERT_EQ(RaiseSealedConcern().exit_code, 0);
  ClientOptions options;
  options.token = tokens_["unsealer"];
  std::unique_ptr<Client> unsealer =
      Client::Connect(server_->address(), options);
  v1::UnsealRequest unseal;
  unseal.set_position(1);
  unseal.set_reason("before the erasure");
  absl::StatusOr<v1::UnsealResponse> before = unsealer->Unseal(unseal);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->fields_size(), 1);
  const std::string ciphertext = before->fields(0).encrypted_opening();

  // Not for the UNSEALER; a legal basis is required.
  testing::ShellRun denied =
      Cli("unsealer", "erase 1 --legal-basis='GDPR Art. 17'");
  EXPECT_TRUE(absl::StrContains(denied.output, "PERMISSION_DENIED"))
      << denied.output;
  EXPECT_NE(Cli("ops", "erase 1").exit_code, 0);
  const uint64_t head = Head();
  testing::ShellRun erased =
      Cli("ops", "erase 1 --legal-basis='Court order 2025/123'");
  ASSERT_EQ(erased.exit_code, 0) << erased.output;
  EXPECT_TRUE(absl::StrContains(
      erased.output, "erased missionlog.v1.ConcernRaised.sealed_raiser"))
      << erased.output;
  EXPECT_EQ(Head(), head + 1);  // the Erased event

  // No role can unseal it again, and its bytes have left the table files.
  absl::StatusOr<v1::UnsealResponse> after = unsealer->Unseal(unseal);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kNotFound)
      << after.status();
  EXPECT_FALSE(AnyTableHolds(dir_.Sub("data"), ciphertext));

  // The log is as it was: the proof of the event and a verification from
  // scratch pass, and verify reports the erasure; the views still answer.
  // (The erasure signed a checkpoint covering its Erased event first.)
  EXPECT_TRUE(absl::StrContains(Cli("inquiry", "checkpoint --json").output,
                                absl::StrCat("\"tree_size\":", head + 1, ",")));
  testing::ShellRun proved = Prove(1);
  EXPECT_EQ(proved.exit_code, 0) << proved.output;
  testing::ShellRun verified = Verify("verify.state");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  EXPECT_TRUE(absl::StrContains(verified.output, "1 erasures recorded"))
      << verified.output;
  testing::ShellRun concerns =
      Cli("inquiry",
          "query concerns --json --min-position=" + std::to_string(head));
  EXPECT_TRUE(absl::StrContains(concerns.output, "\"sealed\":true"))
      << concerns.output;
}

// Personal data sent in error in a whole payload: the payload goes, with
// its salt and from the table files, while the header, the leaf, every
// checkpoint and proof stay; verify accepts the missing payload because an
// Erased event covers it; the views are rebuilt without it.
TEST_F(UnsealTest, ErasingAWholePayloadKeepsEveryProof) {
  Start(/*with_unsealer_key=*/true);
  ASSERT_EQ(RaiseSealedConcern().exit_code, 0);
  constexpr char kInError[] = "Sam Smith of 12 Acacia Avenue";
  testing::ShellRun sent =
      Cli("dhsc-ingest",
          absl::StrCat("command RaiseConcern --stream=dhsc/concern/c2 "
                       "--command-id=c2 '{\"about\":{\"stream\":\"dhsc/"
                       "organisation/dhsc\"},\"summary\":\"",
                       kInError,
                       " was overcharged\",\"raised_by\":{\"organisation\":{"
                       "\"stream\":\"dhsc/organisation/"
                       "dhsc\"}},\"raised_to\":[{\"organisation\":{"
                       "\"stream\":\"dhsc/organisation/dhsc\"}}],\"severity\":"
                       "\"SEVERITY_LOW\",\"raised_on\":{\"year\":2025,"
                       "\"month\":1,\"day\":3}}'"));
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  ASSERT_EQ(Head(), 3u);
  testing::ShellRun before = Cli("inquiry", "read --all --from=2 --json");
  ASSERT_TRUE(absl::StrContains(before.output, "Acacia")) << before.output;
  const std::string leaf_marker = "\"leaf_hash\":\"";
  const std::string leaf_before =
      before.output.substr(before.output.find(leaf_marker), 64 + 13);

  // Not for the UNSEALER; not with --field as well.
  testing::ShellRun denied = Cli(
      "unsealer", "erase 2 --whole-payload --legal-basis='UK GDPR Art. 17'");
  EXPECT_TRUE(absl::StrContains(denied.output, "PERMISSION_DENIED"))
      << denied.output;
  EXPECT_NE(
      Cli("ops", "erase 2 --whole-payload --field=x --legal-basis='UK GDPR'")
          .exit_code,
      0);
  // The server's own records stay.
  testing::ShellRun own = Cli("ops", "erase 0 --whole-payload --legal-basis=x");
  EXPECT_EQ(own.exit_code, 0) << own.output;  // the organisation may go
  EXPECT_EQ(Head(), 4u);
  // A verification between the erasures (the erasure signed a checkpoint
  // covering its record): the later run is incremental across the next.
  testing::ShellRun early = Verify("early.state");
  ASSERT_EQ(early.exit_code, 0) << early.output;
  testing::ShellRun record =
      Cli("ops", "erase 3 --whole-payload --legal-basis=x");
  EXPECT_TRUE(absl::StrContains(record.output, "FAILED_PRECONDITION"))
      << record.output;
  EXPECT_EQ(Head(), 4u);

  testing::ShellRun erased =
      Cli("ops",
          "erase 2 --whole-payload --legal-basis='UK GDPR Art. 17, "
          "request 2025-77'");
  ASSERT_EQ(erased.exit_code, 0) << erased.output;
  EXPECT_TRUE(absl::StrContains(erased.output, "erased the whole payload"))
      << erased.output;
  EXPECT_EQ(Head(), 5u);
  testing::ShellRun again =
      Cli("ops", "erase 2 --whole-payload --legal-basis=again");
  EXPECT_TRUE(absl::StrContains(again.output, "NOT_FOUND")) << again.output;

  // Reads give the header with the marker, and nothing of the payload.
  testing::ShellRun after = Cli("inquiry", "read --all --from=2 --json");
  EXPECT_FALSE(absl::StrContains(after.output, "Acacia")) << after.output;
  EXPECT_TRUE(absl::StrContains(after.output, "\"data_erased\":true"))
      << after.output;
  EXPECT_TRUE(absl::StrContains(after.output, leaf_before)) << after.output;
  EXPECT_TRUE(absl::StrContains(after.output, "\"stream\":\"dhsc/concern/c2\""))
      << after.output;
  // The views were rebuilt without it; the sealed concern is still there.
  testing::ShellRun concerns =
      Cli("inquiry", "query concerns --json --min-position=5");
  EXPECT_EQ(concerns.exit_code, 0) << concerns.output;
  EXPECT_FALSE(absl::StrContains(concerns.output, "Acacia")) << concerns.output;
  EXPECT_TRUE(absl::StrContains(concerns.output, "Rota gaps"))
      << concerns.output;

  // The proofs: inclusion of the erased event, an incremental verify
  // (consistency across the erasure) and one from scratch that checks the
  // erased entry and finds the Erased event that covers it.
  testing::ShellRun proved = Prove(2);
  EXPECT_EQ(proved.exit_code, 0) << proved.output;
  testing::ShellRun incremental = Verify("early.state");
  EXPECT_EQ(incremental.exit_code, 0) << incremental.output;
  testing::ShellRun full = Verify("fresh.state", "--json");
  EXPECT_EQ(full.exit_code, 0) << full.output;
  EXPECT_TRUE(absl::StrContains(full.output, "\"erased_payloads\":2"))
      << full.output;
  EXPECT_TRUE(absl::StrContains(full.output, "\"erasures\":2")) << full.output;

  // Gone from every file of the store, WAL included, once it is closed.
  server_->Stop(SIGTERM);
  server_.reset();
  EXPECT_FALSE(AnyFileHolds(dir_.Sub("data"), "Acacia"));
}

}  // namespace
}  // namespace missionlog
