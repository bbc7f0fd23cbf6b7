// Backup and restore as an operator meets them, with the real missionlogd
// and CLI: a backup taken while appends go on restores (offline) to a
// store that holds every append acknowledged before the backup began and
// that `missionlog verify` passes; a backup cut off by kill -9 is never
// restored as if it were whole.
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

v1::AppendRequest Event(const std::string& stream, std::string data) {
  v1::AppendRequest request;
  request.set_stream(stream);
  v1::EventData* event = request.add_events();
  event->set_id(NewUuid());
  event->set_type("test.backup.v1");
  event->set_source("urn:missionlog:backup-test");
  event->set_datacontenttype("application/octet-stream");
  event->set_data(std::move(data));
  return request;
}

std::string Cli(const std::string& address, const std::string& args) {
  return testing::RunShell(absl::StrCat(MISSIONLOG_CLI_PATH, " --server=",
                                        address, " ", args, " 2>&1"))
      .output;
}

testing::ShellRun Restore(const std::string& backup, const std::string& to) {
  return testing::RunShell(absl::StrCat(MISSIONLOGD_PATH, " --restore_from=",
                                        backup, " --data_dir=", to, " 2>&1"));
}

bool Exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

void CopyKey(const std::string& from, const std::string& to) {
  ASSERT_EQ(testing::RunShell(absl::StrCat("cp ", from, "/log.key ", from,
                                           "/log.pub ", to, "/"))
                .exit_code,
            0);
}

TEST(BackupTest, ABackupTakenDuringAppendsRestoresWholeAndVerifies) {
  testing::TempDir dir;
  auto server = testing::ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.max_attempts = 1;

  // A writer appends until told to stop; every acknowledged append is
  // kept with its position.
  absl::Mutex mu;
  std::vector<std::pair<uint64_t, std::string>> acknowledged;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::unique_ptr<Client> client =
        Client::Connect(server->address(), options);
    for (int i = 0; !stop.load(); ++i) {
      v1::AppendRequest request =
          Event(absl::StrCat("dhsc/load/", i % 7), absl::StrCat("event ", i));
      const std::string id = request.events(0).id();
      absl::StatusOr<v1::AppendResponse> done = client->Append(request);
      if (!done.ok()) continue;
      absl::MutexLock lock(&mu);
      acknowledged.emplace_back(done->first_position(), id);
    }
  });
  // The backup starts once 300 appends are acknowledged, with the writer
  // still going.
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<std::pair<uint64_t, std::string>>* acked) {
          return acked->size() >= 300;
        },
        &acknowledged));
  }
  size_t before_backup;
  {
    absl::MutexLock lock(&mu);
    before_backup = acknowledged.size();
  }
  const std::string taken =
      Cli(server->address(), "--json backup " + dir.Sub("backups"));
  const size_t marker = taken.find("\"position\":");
  ASSERT_NE(marker, std::string::npos) << taken;
  const uint64_t position = std::stoull(taken.substr(marker + 11));
  stop = true;
  writer.join();
  EXPECT_GE(position, before_backup) << taken;
  EXPECT_TRUE(absl::StrContains(taken, "\"backup_id\":1")) << taken;

  // A second one is incremental: the directory keeps both.
  const std::string second =
      Cli(server->address(), "backup " + dir.Sub("backups"));
  EXPECT_TRUE(absl::StrContains(second, "backup 2 in")) << second;
  EXPECT_TRUE(absl::StrContains(second, "2 backups kept")) << second;
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  // Restored offline from the latest; not over an existing store.
  testing::ShellRun over = Restore(dir.Sub("backups"), dir.Sub("data"));
  EXPECT_NE(over.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(over.output, "already holds a store"))
      << over.output;
  testing::ShellRun restored = Restore(dir.Sub("backups"), dir.Sub("restored"));
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_TRUE(absl::StrContains(restored.output, "restored backup 2"))
      << restored.output;
  CopyKey(dir.Sub("data"), dir.Sub("restored"));

  // Every append acknowledged below the first backup's position is there,
  // under its id; verify from scratch passes with the original key.
  auto again = testing::ServerProcess::Start(dir.Sub("restored"));
  ASSERT_NE(again, nullptr);
  std::unique_ptr<Client> reader = Client::Connect(again->address(), options);
  v1::ReadRequest read;
  read.mutable_all();
  std::vector<std::string> ids;
  ASSERT_TRUE(reader
                  ->Read(read,
                         [&](const v1::ReadResponse& batch) {
                           for (const v1::RecordedEvent& event :
                                batch.events()) {
                             ids.push_back(event.id());
                           }
                           return true;
                         })
                  .ok());
  size_t checked = 0;
  for (const auto& [at, id] : acknowledged) {
    if (at >= position) continue;
    ASSERT_LT(at, ids.size());
    EXPECT_EQ(ids[at], id) << "position " << at;
    ++checked;
  }
  EXPECT_GE(checked, before_backup);
  const std::string verified =
      Cli(again->address(), "verify --key=" + dir.Sub("data") +
                                "/log.pub --state=" + dir.Sub("state"));
  EXPECT_TRUE(absl::StrContains(verified, "verified ")) << verified;
}

TEST(BackupTest, ABackupCutOffByKillNineIsNeverRestored) {
  testing::TempDir dir;
  // The server kills itself (SIGKILL) in the middle of copying a backup.
  auto server = testing::ServerProcess::Start(
      dir.Sub("data"), {"--testing_crash_during_backup"});
  ASSERT_NE(server, nullptr);
  ClientOptions options;
  options.max_attempts = 1;
  std::unique_ptr<Client> client = Client::Connect(server->address(), options);
  // 4 MB that does not compress: the copy reports progress several times.
  std::mt19937_64 random(7);
  for (int i = 0; i < 8; ++i) {
    std::string data(500000, '\0');
    for (char& c : data) c = static_cast<char>(random());
    ASSERT_TRUE(client->Append(Event("dhsc/big/1", std::move(data))).ok());
  }
  absl::StatusOr<v1::BackupResponse> cut = client->Backup(dir.Sub("backups"));
  EXPECT_FALSE(cut.ok());
  EXPECT_EQ(server->Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_TRUE(Exists(dir.Sub("backups")));  // the half backup is there

  // Not restored as if whole; nothing left in the target.
  testing::ShellRun refused = Restore(dir.Sub("backups"), dir.Sub("restored"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.output, "holds no whole backup"))
      << refused.output;
  EXPECT_FALSE(Exists(dir.Sub("restored") + "/CURRENT"));

  // The store itself survived the kill; the next backup into the same
  // directory drops the half one and restores whole.
  auto restarted = testing::ServerProcess::Start(dir.Sub("data"));
  ASSERT_NE(restarted, nullptr);
  const std::string taken =
      Cli(restarted->address(), "--json backup " + dir.Sub("backups"));
  EXPECT_TRUE(absl::StrContains(taken, "\"position\":8")) << taken;
  EXPECT_TRUE(absl::StrContains(taken, "\"backups_kept\":1")) << taken;
  EXPECT_EQ(restarted->Stop(SIGTERM), 0);
  testing::ShellRun restored = Restore(dir.Sub("backups"), dir.Sub("restored"));
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_TRUE(absl::StrContains(restored.output, "8 events"))
      << restored.output;
}

}  // namespace
}  // namespace missionlog
