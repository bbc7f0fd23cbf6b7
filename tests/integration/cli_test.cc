// The missionlog CLI as a user runs it, against the real missionlogd.
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using CliRun = testing::ShellRun;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
    setenv("MISSIONLOG_SERVER", server_->address().c_str(), 1);
  }

  // Runs `missionlog <args>` through the shell, with `input` on stdin.
  CliRun Cli(const std::string& args, const std::string& input = "") {
    std::string input_file = dir_.Sub("stdin");
    FILE* in = fopen(input_file.c_str(), "w");
    fputs(input.c_str(), in);
    fclose(in);
    return testing::RunShell(absl::StrCat(MISSIONLOG_CLI_PATH, " ", args, " <",
                                          input_file, " 2>&1"));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(CliTest, AppendThenReadAsATableAndAsJson) {
  CliRun appended =
      Cli("append dhsc/decision/2025-014 dhsc.decision.recorded.v1 "
          "'{\"decision\":\"fund 40 diagnostic centres\"}' "
          "--expected-version=no-stream");
  EXPECT_EQ(appended.exit_code, 0) << appended.output;
  EXPECT_TRUE(absl::StrContains(appended.output,
                                "to dhsc/decision/2025-014 at position 0 "
                                "(stream version 0)"))
      << appended.output;

  CliRun from_stdin = Cli("append dhsc/decision/2025-014 t.v1 - --json",
                          "{\"from\":\"stdin\"}");
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.output;
  EXPECT_TRUE(absl::StrContains(from_stdin.output, "\"first_position\":1"))
      << from_stdin.output;

  CliRun table = Cli("read dhsc/decision/2025-014");
  EXPECT_EQ(table.exit_code, 0) << table.output;
  std::vector<std::string> lines =
      absl::StrSplit(table.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << table.output;  // header, 2 rows, count
  EXPECT_TRUE(absl::StartsWith(lines[0], "POSITION"));
  EXPECT_TRUE(absl::StrContains(lines[1], "dhsc.decision.recorded.v1"));
  EXPECT_TRUE(absl::StrContains(lines[2], "{\"from\":\"stdin\"}"));
  EXPECT_EQ(lines[3], "(2 events)");

  CliRun json = Cli("read --all --json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  lines = absl::StrSplit(json.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << json.output;
  EXPECT_TRUE(absl::StartsWith(lines[0], "{\"position\":0,"));
  EXPECT_TRUE(absl::StrContains(
      lines[0],
      "\"data\":\"{\\\"decision\\\":\\\"fund 40 diagnostic centres\\\"}\""))
      << lines[0];
  EXPECT_TRUE(
      absl::StrContains(lines[1], "\"recorded_by\":\"anonymous@127.0.0.1\""));
}

TEST_F(CliTest, PayloadFromAFileAndExplicitId) {
  std::string path = dir_.Sub("payload.json");
  FILE* file = fopen(path.c_str(), "w");
  fputs("{\"from\":\"file\"}", file);
  fclose(file);
  const std::string id = "0190a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b";
  CliRun first = Cli(absl::StrCat("append a/b/c t.v1 @", path, " --id=", id));
  EXPECT_EQ(first.exit_code, 0) << first.output;
  CliRun again = Cli(absl::StrCat("append a/b/c t.v1 @", path, " --id=", id));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "already there")) << again.output;
  CliRun read = Cli("read a/b/c --json");
  EXPECT_TRUE(absl::StrContains(read.output, id)) << read.output;
  EXPECT_TRUE(absl::StrContains(read.output, "{\\\"from\\\":\\\"file\\\"}"));
}

TEST_F(CliTest, IdFromContentMakesARetryIdempotent) {
  const std::string append =
      "append a/b/c t.v1 '{\"paid\":100}' --id=from-content";
  CliRun first = Cli(append + " --expected-version=no-stream");
  EXPECT_EQ(first.exit_code, 0) << first.output;
  CliRun retry = Cli(append + " --expected-version=no-stream");
  EXPECT_EQ(retry.exit_code, 0) << retry.output;
  EXPECT_TRUE(absl::StrContains(retry.output, "at position 0")) << retry.output;
  EXPECT_TRUE(absl::StrContains(retry.output, "already there")) << retry.output;
  // The same content on purpose, at the next version, is a new event.
  CliRun again = Cli(append + " --expected-version=0");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output, "at position 1")) << again.output;
  EXPECT_FALSE(absl::StrContains(again.output, "already there"))
      << again.output;
}

TEST_F(CliTest, ReadOptions) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        Cli(absl::StrCat("append s/k/1 t.v1 '{\"i\":", i, "}'")).exit_code, 0);
  }
  CliRun backward = Cli("read s/k/1 --backward --limit=2 --json");
  std::vector<std::string> lines =
      absl::StrSplit(backward.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << backward.output;
  EXPECT_TRUE(absl::StrContains(lines[0], "\"version\":4"));
  EXPECT_TRUE(absl::StrContains(lines[1], "\"version\":3"));
  CliRun from = Cli("read --all --from=3 --json");
  lines = absl::StrSplit(from.output, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 2u) << from.output;
}

TEST_F(CliTest, InfoAndHead) {
  ASSERT_EQ(Cli("append s/k/1 t.v1 '{}'").exit_code, 0);
  CliRun info = Cli("info s/k/1");
  EXPECT_EQ(info.output, "s/k/1: last version 0 at position 0\n");
  CliRun missing = Cli("info s/k/2 --json");
  EXPECT_EQ(missing.output, "{\"stream\":\"s/k/2\",\"exists\":false}\n");
  CliRun head = Cli("head --json");
  EXPECT_TRUE(absl::StartsWith(head.output, "{\"next_position\":1,"))
      << head.output;
}

TEST_F(CliTest, ProveChecksAnInclusionProof) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        Cli(absl::StrCat("append s/k/1 t.v1 '{\"i\":", i, "}'")).exit_code, 0);
  }
  CliRun proved = Cli("prove 3");
  EXPECT_EQ(proved.exit_code, 0) << proved.output;
  EXPECT_TRUE(absl::StrContains(proved.output,
                                "verified: in the tree head of 5 events"))
      << proved.output;
  // The proof itself is printed: 3 sibling hashes for leaf 3 of 5.
  EXPECT_EQ(std::count(proved.output.begin(), proved.output.end(), '\n'), 5)
      << proved.output;
  CliRun json = Cli("prove 1 --size=4 --json");
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, "\"tree_size\":4")) << json.output;
  EXPECT_TRUE(absl::StrContains(json.output, "\"verified\":true"));
  CliRun beyond = Cli("prove 9");
  EXPECT_EQ(beyond.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(beyond.output, "INVALID_ARGUMENT") ||
              absl::StrContains(beyond.output, "OUT_OF_RANGE"))
      << beyond.output;
}

TEST_F(CliTest, ErrorsAreOneLineWithTheCodeAndNonZeroExit) {
  ASSERT_EQ(Cli("append s/k/1 t.v1 '{}'").exit_code, 0);
  CliRun conflict = Cli("append s/k/1 t.v1 '{}' --expected-version=no-stream");
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_TRUE(
      absl::StartsWith(conflict.output, "missionlog: append failed: ABORTED: "))
      << conflict.output;
  EXPECT_EQ(std::count(conflict.output.begin(), conflict.output.end(), '\n'),
            1);

  CliRun bad_id = Cli("append s/k/1 t.v1 '{}' --id=nope");
  EXPECT_EQ(bad_id.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(bad_id.output, "INVALID_ARGUMENT"));

  CliRun usage = Cli("append s/k/1");
  EXPECT_EQ(usage.exit_code, 2);
  CliRun unknown = Cli("frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);

  CliRun down = Cli("--server=127.0.0.1:1 head");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(down.output, "UNAVAILABLE")) << down.output;
}

TEST_F(CliTest, ImportPrintsWhatItDidAndAddsNothingTheSecondTime) {
  const std::string spend = std::string(IMPORT_TESTDATA) + "/spend";
  CliRun first = Cli("import spend-25k " + spend);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(absl::StrContains(
      first.output,
      "import spend-25k: 14 rows read, 10 events planned, 4 rows skipped"))
      << first.output;
  EXPECT_TRUE(absl::StrContains(
      first.output, "10 events appended, 0 already present, 0 rejected"))
      << first.output;
  EXPECT_TRUE(
      absl::StrContains(first.output, "excerpt.csv line 13: Date: blank date"))
      << first.output;
  CliRun again = Cli("import spend-25k " + spend + " --json");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(absl::StrContains(again.output,
                                "\"events_appended\":0,"
                                "\"events_already_present\":10,"))
      << again.output;
  EXPECT_EQ(Cli("import nonsense " + spend).exit_code, 2);
  CliRun missing = Cli("import ifg-ministers /nonexistent");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(missing.output, "NOT_FOUND")) << missing.output;
}

TEST_F(CliTest, CommandsFromJsonAndFromTheMissionsFile) {
  CliRun list = Cli("command list");
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(std::count(list.output.begin(), list.output.end(), '\n'), 38);
  EXPECT_TRUE(absl::StrContains(list.output, "missionlog.v1.DecisionRecorded"));

  const std::string data = DEMO_DATA;
  ASSERT_EQ(Cli("import govuk-orgs " + data +
                "/govuk-organisations/organisations-2023-02-01.json " + data +
                "/govuk-organisations/organisations-2023-03-01.json")
                .exit_code,
            0);
  ASSERT_EQ(Cli("import ifg-ministers " + data + "/ifg-ministers").exit_code,
            0);
  CliRun missions = Cli("command --file=" + data + "/missions-2024.jsonl");
  EXPECT_EQ(missions.exit_code, 0) << missions.output;
  EXPECT_TRUE(absl::StrContains(missions.output,
                                "14 commands carried out, 0 done before"))
      << missions.output;
  CliRun rerun = Cli("command --file=" + data + "/missions-2024.jsonl");
  EXPECT_TRUE(
      absl::StrContains(rerun.output, "0 commands carried out, 14 done before"))
      << rerun.output;

  CliRun read = Cli("read dhsc/mission/nhs");
  EXPECT_TRUE(absl::StrContains(
      read.output, "{\"title\":\"Build an NHS fit for the future\""))
      << read.output;

  CliRun incomplete =
      Cli("command RecordDecision --stream=dhsc/decision/x --command-id=x "
          "'{\"title\": \"Fund weekend clinics\"}'");
  EXPECT_EQ(incomplete.exit_code, 1);
  EXPECT_EQ(incomplete.output,
            "missionlog: RecordDecision failed: INVALID_ARGUMENT: "
            "DecisionRecorded.decision: required\n");
  CliRun decided = Cli(
      "command record-decision --stream=dhsc/decision/x --command-id=x "
      "'{\"title\": \"Fund weekend clinics\", \"decision\": \"Open 7 days\", "
      "\"forum\": \"Health mission board\", \"level\": "
      "\"DECISION_LEVEL_DEPARTMENT\", \"decided_by\": [{\"organisation\": "
      "{\"stream\": \"govuk/organisation/department-of-health-and-social-"
      "care\"}}], \"missions\": [{\"stream\": \"dhsc/mission/nhs\"}], "
      "\"decided_on\": {\"year\": 2025, \"month\": 1, \"day\": 6}}'");
  EXPECT_EQ(decided.exit_code, 0) << decided.output;
  EXPECT_TRUE(absl::StrContains(decided.output,
                                "RecordDecision: DecisionRecorded on "
                                "dhsc/decision/x at position"))
      << decided.output;
  CliRun typo =
      Cli("command RecordDecision --stream=dhsc/decision/y "
          "'{\"titel\": \"x\"}'");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(typo.output, "titel")) << typo.output;
}

TEST_F(CliTest, QueriesAnswerWithTheirPositions) {
  const std::string data = DEMO_DATA;
  ASSERT_EQ(Cli("import ifg-ministers " + data + "/ifg-ministers").exit_code,
            0);
  CliRun head = Cli("head --json");
  const size_t at = head.output.find("\"next_position\":");
  ASSERT_NE(at, std::string::npos) << head.output;
  const std::string position = head.output.substr(
      at + 16, head.output.find_first_of(",}", at) - at - 16);
  CliRun chancellor =
      Cli("query government-on 2023-01-01 --post='Chancellor of the Exchequer' "
          "--min-position=" +
          position);
  EXPECT_EQ(chancellor.exit_code, 0) << chancellor.output;
  EXPECT_TRUE(absl::StrContains(chancellor.output, "Jeremy Hunt"))
      << chancellor.output;
  EXPECT_TRUE(absl::StrContains(chancellor.output,
                                "(1 posts, 1 holders on "
                                "2023-01-01)"))
      << chancellor.output;
  CliRun pm = Cli("query government-on 2022-10-24 --rank=PM --json");
  EXPECT_TRUE(absl::StrContains(pm.output, "\"person_name\":\"Liz Truss\""))
      << pm.output;
  // A timeline one entry a page: the next page by the token it prints.
  CliRun post =
      Cli("query government-on 2023-01-01 --post='Chancellor of the Exchequer' "
          "--json");
  const size_t named = post.output.find("\"post\":\"");
  ASSERT_NE(named, std::string::npos) << post.output;
  const std::string post_stream = post.output.substr(
      named + 8, post.output.find('"', named + 8) - named - 8);
  CliRun page = Cli("query timeline " + post_stream + " --limit=1");
  EXPECT_TRUE(absl::StrContains(page.output, "(1 events)")) << page.output;
  const std::string more = "(more: the same command with --page-token=";
  const size_t token_at = page.output.find(more);
  ASSERT_NE(token_at, std::string::npos) << page.output;
  const std::string token = page.output.substr(
      token_at + more.size(),
      page.output.find(')', token_at + more.size()) - token_at - more.size());
  CliRun next =
      Cli("query timeline " + post_stream + " --limit=1 --page-token=" + token);
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_TRUE(absl::StrContains(next.output, "(1 events)")) << next.output;
  // Another entry than the first page's (its line follows the heading).
  EXPECT_NE(next.output.substr(next.output.find('\n') + 1, 9),
            page.output.substr(page.output.find('\n') + 1, 9))
      << page.output << next.output;
  CliRun spending = Cli("query spending");
  EXPECT_EQ(spending.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(spending.output, "INVALID_ARGUMENT"))
      << spending.output;
  CliRun status = Cli("projections status");
  EXPECT_EQ(status.exit_code, 0);
  for (const char* name : {"appointments", "ownership", "spending"}) {
    EXPECT_TRUE(absl::StrContains(status.output, name)) << status.output;
  }
  CliRun rebuilt = Cli("projections rebuild appointments");
  EXPECT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
  EXPECT_TRUE(absl::StrContains(rebuilt.output, "live")) << rebuilt.output;
  CliRun again = Cli(
      "query government-on 2023-01-01 --post='Chancellor of the Exchequer'");
  EXPECT_TRUE(absl::StrContains(again.output, "Jeremy Hunt")) << again.output;
  EXPECT_EQ(Cli("projections rebuild nonsense").exit_code, 1);
}

}  // namespace
}  // namespace missionlog
