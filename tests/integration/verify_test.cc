// An auditor's view: the real missionlogd signs checkpoints, and
// `missionlog verify` / `prove` / `checkpoint` check the log with only the
// public key. Tampering with a record, a payload or a stored tree node
// directly in RocksDB, rolling the log back, or truncating it and appending
// different events are each caught and named; restarts keep the tree and
// the checkpoints consistent.
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "eventstore/keys.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

using CliRun = testing::ShellRun;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  // (Re)starts the server on the same data directory.
  void StartServer(const std::vector<std::string>& extra_flags = {}) {
    std::vector<std::string> flags = {"--checkpoint_interval_ms=3600000",
                                      "--checkpoint_events=1000000"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    server_ = testing::ServerProcess::Start(data_dir(), flags);
    ASSERT_NE(server_, nullptr);
    setenv("MISSIONLOG_SERVER", server_->address().c_str(), 1);
    client_ = Client::Connect(server_->address());
  }

  // SIGTERM: the server signs a last checkpoint covering every append.
  void StopServer() {
    client_.reset();  // gRPC's shutdown waits out connected clients
    ASSERT_EQ(server_->Stop(SIGTERM), 0);
    server_.reset();
  }

  // Restarting is how a test gets a checkpoint of exactly the head.
  void Restart(const std::vector<std::string>& flags = {}) {
    StopServer();
    StartServer(flags);
  }

  void AppendEvents(int count, const std::string& tag = "event") {
    for (int i = 0; i < count; ++i) {
      v1::AppendRequest request;
      request.set_stream(absl::StrCat("dhsc/decision/", i % 4));
      v1::EventData* event = request.add_events();
      event->set_type("test.event.v1");
      event->set_data(absl::StrCat("{\"", tag, "\":", i, "}"));
      ASSERT_TRUE(client_->Append(request).ok());
    }
  }

  CliRun Cli(const std::string& args) {
    return testing::RunShell(
        absl::StrCat(MISSIONLOG_CLI_PATH, " ", args, " </dev/null 2>&1"));
  }

  CliRun Verify(const std::string& extra = "") {
    return Cli(absl::StrCat("verify --key=", public_key(), " --state=",
                            dir_.Sub("auditor.state"), " --json ", extra));
  }

  std::string data_dir() const { return dir_.Sub("data"); }
  std::string public_key() const { return dir_.Sub("data/log.pub"); }

  // Stops the server, lets `tamper` change the store offline, restarts.
  void TamperOffline(const std::function<void(const std::string&)>& tamper,
                     const std::vector<std::string>& flags = {}) {
    StopServer();
    tamper(data_dir());
    StartServer(flags);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// Where the header starts in a stored log value (after its varint length).
size_t HeaderOffset(const std::string& value) {
  size_t offset = 0;
  while (static_cast<uint8_t>(value[offset]) & 0x80) ++offset;
  return offset + 1;
}

// Whether `output` holds each of `parts`, saying which it lacks.
::testing::AssertionResult HasAll(const std::string& output,
                                  const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    if (!absl::StrContains(output, part)) {
      return ::testing::AssertionFailure() << "no " << part << " in " << output;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST_F(VerifyTest, VerifiesTheWholeLogThenOnlyWhatIsNew) {
  AppendEvents(30);
  Restart();
  CliRun first = Verify();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(
      HasAll(first.output, {"\"verified\":true", "\"tree_size\":30,",
                            "\"entries\":30,", "\"previously_trusted\":0,"}));

  AppendEvents(20);
  Restart();
  CliRun second = Verify();
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_TRUE(
      HasAll(second.output, {"\"tree_size\":50,", "\"previously_trusted\":30,",
                             "\"from\":30,", "\"entries\":20,"}));

  CliRun full = Verify("--full");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  EXPECT_TRUE(absl::StrContains(full.output, "\"entries\":50,"));

  // Human output names what was checked.
  CliRun table = Cli(absl::StrCat("verify --key=", public_key(),
                                  " --state=", dir_.Sub("other.state")));
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(absl::StrContains(table.output, "checkpoint of 50 events"))
      << table.output;

  // Every past checkpoint is kept and still verifies.
  CliRun old = Cli(absl::StrCat("checkpoint --size=30 --key=", public_key()));
  ASSERT_EQ(old.exit_code, 0) << old.output;
  EXPECT_TRUE(absl::StrContains(old.output, "\n30\n")) << old.output;
  EXPECT_TRUE(absl::StrContains(old.output, "signature verified"));

  // One event against the signed checkpoint.
  CliRun proof = Cli(absl::StrCat("prove 17 --key=", public_key()));
  ASSERT_EQ(proof.exit_code, 0) << proof.output;
  EXPECT_TRUE(
      absl::StrContains(proof.output, "in the signed checkpoint of 50 events"))
      << proof.output;
}

TEST_F(VerifyTest, AnotherKeyIsRejected) {
  AppendEvents(3);
  Restart();
  CliRun keygen = Cli(absl::StrCat(
      "keygen --origin=localhost/missionlog --out=", dir_.Sub("impostor")));
  ASSERT_EQ(keygen.exit_code, 0) << keygen.output;
  CliRun run = Cli(absl::StrCat("verify --key=", dir_.Sub("impostor.pub"),
                                " --state=", dir_.Sub("s")));
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "not validly signed"))
      << run.output;
  // keygen never overwrites a key.
  EXPECT_EQ(Cli(absl::StrCat("keygen --origin=x --out=", dir_.Sub("impostor")))
                .exit_code,
            1);
}

TEST_F(VerifyTest, AFlippedHeaderByteIsNamedByServerAndAuditor) {
  AppendEvents(40);
  Restart();
  ASSERT_EQ(Verify().exit_code, 0);
  auto flip_header = [](const std::string& path) {
    testing::TamperWithRecord(path + "", 17, [](std::string* value) {
      (*value)[HeaderOffset(*value) + 40] ^= 0x01;  // inside the event id
    });
  };
  TamperOffline(flip_header);
  // The server's own read check.
  v1::ReadRequest read;
  read.mutable_all()->set_from_position(17);
  read.set_limit(1);
  auto result =
      client_->Read(read, [](const v1::ReadResponse&) { return true; });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "17"));
  CliRun run = Verify("--full");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "position 17")) << run.output;

  // A server that does not check its reads: the auditor catches it alone.
  Restart({"--verify_reads=false"});
  run = Verify("--full");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(
      run.output, "position 17: the leaf hash does not match the record"))
      << run.output;
}

TEST_F(VerifyTest, ARewrittenRecordWithItsLeafHashIsLocated) {
  AppendEvents(40);
  Restart();
  ASSERT_EQ(Verify().exit_code, 0);
  // A careful attacker changes a header and recomputes its stored leaf hash.
  TamperOffline(
      [](const std::string& path) {
        testing::TamperWithRecord(path, 23, [](std::string* value) {
          const size_t offset = HeaderOffset(*value);
          const size_t length =
              offset == 1 ? static_cast<uint8_t>((*value)[0])
                          : ((*value)[0] & 0x7f) |
                                (static_cast<uint8_t>((*value)[1]) << 7);
          (*value)[offset + 40] ^= 0x01;  // inside the event id
          const Digest leaf = LeafHash(value->substr(offset, length));
          value->replace(offset + length, 32, std::string(DigestView(leaf)));
        });
      },
      {"--verify_reads=false"});
  CliRun run = Verify("--full");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  // The nodes written with the original leaf still hold: the fault is
  // narrowed to the 16 leaves under the lowest stored one that disagrees.
  EXPECT_TRUE(absl::StrContains(run.output,
                                "position 16: the server's tree node at level "
                                "4 index 1 (positions 16..31) does not match"))
      << run.output;
}

TEST_F(VerifyTest, AFlippedPayloadByteIsNamed) {
  AppendEvents(40);
  Restart();
  TamperOffline(
      [](const std::string& path) {
        testing::TamperWithRecord(
            path, 31, [](std::string* value) { value->back() ^= 0x20; });
      },
      {"--verify_reads=false"});
  CliRun run = Verify();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(
      run.output, "position 31: the payload does not match the digest"))
      << run.output;
  // A server that checks its reads (the default) refuses to serve it.
  Restart();
  v1::ReadRequest read;
  read.mutable_all()->set_from_position(31);
  read.set_limit(1);
  auto result =
      client_->Read(read, [](const v1::ReadResponse&) { return true; });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "31"))
      << result.status();
}

// An old entry rewritten behind the server's back, its tree left alone:
// the incremental run checks only new entries and a consistency proof, so
// only its sample of older entries can see it (here the sample covers
// them all); with no sample, the run passes.
TEST_F(VerifyTest, AnIncrementalRunsSampleFindsAnOldRewrite) {
  AppendEvents(40);
  Restart();
  CliRun first = Verify();
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(HasAll(first.output, {"\"sampled\":0"}));  // nothing older
  AppendEvents(10, "later");
  Restart();
  TamperOffline(
      [](const std::string& path) {
        testing::TamperWithRecord(
            path, 7, [](std::string* value) { value->back() ^= 0x20; });
      },
      {"--verify_reads=false"});
  const std::string saved = dir_.Sub("auditor.state");
  ASSERT_EQ(testing::RunShell("cp " + saved + " " + saved + ".copy").exit_code,
            0);
  CliRun unsampled = Verify("--sample=0");
  EXPECT_EQ(unsampled.exit_code, 0) << unsampled.output;
  ASSERT_EQ(testing::RunShell("cp " + saved + ".copy " + saved).exit_code, 0);
  CliRun sampled = Verify("--sample=1000");
  EXPECT_EQ(sampled.exit_code, 1) << sampled.output;
  EXPECT_TRUE(absl::StrContains(
      sampled.output, "position 7: the payload does not match the digest"))
      << sampled.output;
}

TEST_F(VerifyTest, ASampleOfOlderEntriesPassesAnUntouchedLog) {
  AppendEvents(60);
  Restart();
  ASSERT_EQ(Verify().exit_code, 0);
  AppendEvents(5, "later");
  Restart();
  CliRun run = Verify("--sample=25");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(HasAll(run.output, {"\"sampled\":25", "\"entries\":5"}));
}

TEST_F(VerifyTest, AFlippedTreeNodeIsNamed) {
  AppendEvents(40);
  Restart();
  // Level 4 node 1 covers positions 16..31. The entries and the checkpoint
  // signed before the damage agree, so only comparing every stored node
  // finds it.
  TamperOffline([](const std::string& path) {
    testing::TamperWithValue(path, kTreeColumnFamily, TreeKey(4, 1),
                             [](std::string* value) { (*value)[9] ^= 0x04; });
  });
  CliRun run = Verify();
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output,
                                "position 16: the server's tree node at level "
                                "4 index 1 (positions 16..31)"))
      << run.output;
}

TEST_F(VerifyTest, RollbackAndTruncateThenRewriteAreCaught) {
  AppendEvents(20);
  StopServer();
  // A backup of the log at 20 events (with its key and checkpoints).
  ASSERT_EQ(
      system(
          absl::StrCat("cp -a ", data_dir(), " ", dir_.Sub("backup")).c_str()),
      0);
  StartServer();
  AppendEvents(20);
  Restart();
  CliRun trusted = Verify();
  ASSERT_EQ(trusted.exit_code, 0) << trusted.output;
  ASSERT_TRUE(absl::StrContains(trusted.output, "\"tree_size\":40,"));

  // Restore the backup: the log is truncated to 20 events.
  StopServer();
  ASSERT_EQ(system(absl::StrCat("rm -rf ", data_dir(), " && mv ",
                                dir_.Sub("backup"), " ", data_dir())
                       .c_str()),
            0);
  StartServer();
  CliRun rolled_back = Verify();
  EXPECT_EQ(rolled_back.exit_code, 1) << rolled_back.output;
  EXPECT_TRUE(absl::StrContains(rolled_back.output, "rolled back"))
      << rolled_back.output;

  // ... and grows again with different events: the server signs happily
  // (its own checkpoints are consistent), the auditor does not.
  AppendEvents(25, "rewritten");
  Restart();
  CliRun rewritten = Verify();
  EXPECT_EQ(rewritten.exit_code, 1) << rewritten.output;
  EXPECT_TRUE(
      absl::StrContains(rewritten.output, "inconsistent sizes 40 -> 45"))
      << rewritten.output;
}

}  // namespace
}  // namespace missionlog
