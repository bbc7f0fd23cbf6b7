// A full disk, as an operator meets it: the real missionlogd on a small
// real filesystem (tmpfs, and ext4 on a loop device) mounted in a private
// mount namespace, filled by its own writers or by another program. The
// server never aborts, keeps serving reads, answers appends with a status
// that names the cause, loses no acknowledged append, exits 0 on SIGTERM
// while full, refuses a restart it could not finish (one line, nothing
// written), and takes appends again once space is freed, without a
// restart.
//
// Mounting needs root (CAP_SYS_ADMIN); main() enters a private mount
// namespace first, so every mount vanishes with the test process and its
// servers, whatever way they end.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::RunShell;
using testing::ShellRun;

// Why mounting is not possible here ("" if it is).
std::string* no_namespace = new std::string;

constexpr int kFilesystemMb = 128;
constexpr int kReserveMb = 32;
// Taken from the filesystem before the server starts, given back later.
constexpr int kBallastMb = 40;
constexpr int kWriters = 8;
constexpr int kEventsPerAppend = 10;
constexpr size_t kPayloadBytes = 4000;
// Bound on waiting for something the server does by itself.
constexpr absl::Duration kPatience = absl::Seconds(60);

// Appends `bytes` zeros to `path` (all it can if `bytes` is 0): returns
// how many it wrote. Stops at ENOSPC.
size_t Fill(const std::string& path, size_t bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return 0;
  static const std::string chunk(1 << 20, '\0');
  size_t written = 0;
  for (size_t size = chunk.size(); size > 0;) {
    if (bytes > 0 && written >= bytes) break;
    ssize_t n = write(fd, chunk.data(),
                      bytes > 0 ? std::min(size, bytes - written) : size);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == ENOSPC) {
      size /= 2;  // fill the last blocks too
    } else {
      break;
    }
  }
  fsync(fd);
  close(fd);
  return written;
}

// The data directory's files, with their sizes.
std::map<std::string, long> Listing(const std::string& dir) {
  std::map<std::string, long> files;
  ShellRun ls = RunShell(absl::StrCat("cd ", dir, " && stat -c '%n %s' *"));
  for (absl::string_view line : absl::StrSplit(ls.output, '\n')) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts.size() == 2) files[parts[0]] = std::stol(parts[1]);
  }
  return files;
}

class DiskFullTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!no_namespace->empty()) GTEST_SKIP() << *no_namespace;
    mount_ = dir_.Sub("mnt");
    ASSERT_EQ(mkdir(mount_.c_str(), 0700), 0);
    if (GetParam() == "tmpfs") {
      ASSERT_EQ(mount("tmpfs", mount_.c_str(), "tmpfs", 0,
                      absl::StrCat("size=", kFilesystemMb, "m").c_str()),
                0)
          << std::strerror(errno);
    } else {
      ShellRun made = RunShell(absl::StrCat(
          "truncate -s ", kFilesystemMb, "M ", dir_.Sub("fs.img"),
          " && mkfs.ext4 -q -F ", dir_.Sub("fs.img"), " && mount -o loop ",
          dir_.Sub("fs.img"), " ", mount_, " 2>&1"));
      if (made.exit_code != 0) {
        GTEST_SKIP() << "no loop-mounted ext4 here: " << made.output;
      }
    }
    mounted_ = true;
    ASSERT_EQ(Fill(ballast(), size_t{kBallastMb} << 20),
              size_t{kBallastMb} << 20);
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    if (mounted_) umount2(mount_.c_str(), MNT_DETACH);
  }

  std::string data_dir() const { return mount_ + "/data"; }
  std::string ballast() const { return mount_ + "/ballast"; }
  std::vector<std::string> Flags() const {
    return {absl::StrCat("--disk_reserve_mb=", kReserveMb)};
  }

  void StartServer() {
    server_ = testing::ServerProcess::Start(data_dir(), Flags());
    ASSERT_NE(server_, nullptr);
    client_ = Client::Connect(server_->address());
  }

  // SIGTERM: the exit status.
  int StopServer() {
    client_.reset();  // gRPC's shutdown waits out connected clients
    const int status = server_->Stop(SIGTERM);
    server_.reset();
    return status;
  }

  // What a restart that fails prints, and its exit status.
  ShellRun RunServerToExit() {
    return RunShell(absl::StrCat(
        "timeout 60 ", MISSIONLOGD_PATH,
        " --listen=127.0.0.1:0 --http_listen= --data_dir=", data_dir(), " ",
        Flags()[0], " 2>&1"));
  }

  // `writers` threads append until each gets an error, or `stop` is set
  // (then they stop at their next append). Every acknowledged event's id
  // and position goes into acked_, every error into errors_.
  void Write(std::atomic<bool>* stop) {
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([this, w, stop] {
        auto client = Client::Connect(server_->address());
        for (int n = 0; !stop->load(); ++n) {
          v1::AppendRequest request;
          request.set_stream(absl::StrCat("disk/w", w, "/", n % 16));
          for (int i = 0; i < kEventsPerAppend; ++i) {
            v1::EventData* event = request.add_events();
            event->set_id(testing::TestUuid((uint64_t{1} << 40) * (w + 1) +
                                            next_id_.fetch_add(1)));
            event->set_type("test.event.v1");
            event->set_data(std::string(kPayloadBytes, 'a' + w));
          }
          auto appended = client->Append(request);
          absl::MutexLock lock(&mu_);
          if (!appended.ok()) {
            errors_.push_back(appended.status());
            return;
          }
          for (int i = 0; i < kEventsPerAppend; ++i) {
            acked_[request.events(i).id()] = appended->first_position() + i;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }

  // Another program takes every last block of the disk while the writers
  // append; returns once each writer has had an error (each stops at its
  // first), or kPatience has passed.
  void FillWhileWriting() {
    std::atomic<bool> stop{false};
    std::thread writers([this, &stop] { Write(&stop); });
    while (next_id_.load() < 2000) std::this_thread::yield();
    Fill(ballast(), 0);
    {
      absl::MutexLock lock(&mu_);
      auto all_failed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return errors_.size() == size_t{kWriters};
      };
      mu_.AwaitWithTimeout(absl::Condition(&all_failed), kPatience);
    }
    stop = true;
    writers.join();
  }

  // Every acknowledged event is in the log at the position it was given,
  // and the log has no gap.
  void ExpectEveryAckedAppend() {
    v1::ReadRequest request;
    request.mutable_all();
    std::map<std::string, uint64_t> stored;
    uint64_t next = 0;
    auto end = client_->Read(request, [&](const v1::ReadResponse& batch) {
      for (const auto& event : batch.events()) {
        EXPECT_EQ(event.position(), next++);
        stored[event.id()] = event.position();
      }
      return true;
    });
    ASSERT_TRUE(end.ok()) << end.status();
    absl::MutexLock lock(&mu_);
    ASSERT_FALSE(acked_.empty());
    size_t missing = 0;
    for (const auto& [id, position] : acked_) {
      auto it = stored.find(id);
      if (it == stored.end() || it->second != position) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "of " << acked_.size() << " acknowledged";
  }

  // Appends one event, retrying while the server refuses for lack of
  // space, until it is taken (or kPatience passes): the position it got.
  absl::StatusOr<uint64_t> AppendOnceThereIsRoom() {
    const absl::Time deadline = absl::Now() + kPatience;
    absl::Status last;
    while (absl::Now() < deadline) {
      v1::AppendRequest request;
      request.set_stream("disk/after/1");
      v1::EventData* event = request.add_events();
      event->set_type("test.event.v1");
      event->set_data("{\"room\":true}");
      auto appended = client_->Append(request);
      if (appended.ok()) return appended->first_position();
      last = appended.status();
      if (last.code() != absl::StatusCode::kResourceExhausted &&
          last.code() != absl::StatusCode::kUnavailable) {
        return last;
      }
    }
    return last;
  }

  // Waits until the gRPC health service says `expected` (1 SERVING, 2
  // NOT_SERVING) for `service`, or kPatience passes: what it said last.
  absl::StatusOr<int> HealthBecomes(const std::string& service, int expected) {
    const absl::Time deadline = absl::Now() + kPatience;
    absl::StatusOr<int> health;
    do {
      health = testing::CheckHealth(server_->address(), service);
    } while ((!health.ok() || *health != expected) && absl::Now() < deadline);
    return health;
  }

  // An auditor's check of the whole log, once a checkpoint covers it.
  void ExpectVerifies() {
    auto head = client_->GetHead();
    ASSERT_TRUE(head.ok()) << head.status();
    const absl::Time deadline = absl::Now() + kPatience;
    absl::StatusOr<v1::SignedCheckpoint> checkpoint;
    do {
      checkpoint = client_->GetCheckpoint(0);
    } while (
        (!checkpoint.ok() || checkpoint->tree_size() < head->next_position()) &&
        absl::Now() < deadline);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    ShellRun verify = RunShell(absl::StrCat(
        MISSIONLOG_CLI_PATH, " verify --server=", server_->address(),
        " --key=", data_dir(), "/log.pub --state=", dir_.Sub("auditor.state"),
        " </dev/null 2>&1"));
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
  }

  testing::TempDir dir_;
  std::string mount_;
  bool mounted_ = false;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> client_;
  std::atomic<uint64_t> next_id_{1};
  absl::Mutex mu_;
  std::map<std::string, uint64_t> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

TEST_P(DiskFullTest, WritersFillItUpToTheReserve) {
  StartServer();
  std::atomic<bool> never{false};
  Write(&never);
  {
    absl::MutexLock lock(&mu_);
    ASSERT_EQ(errors_.size(), size_t{kWriters});
    for (const absl::Status& error : errors_) {
      EXPECT_EQ(error.code(), absl::StatusCode::kResourceExhausted) << error;
      EXPECT_TRUE(absl::StrContains(error.message(), "kept in reserve"))
          << error;
    }
  }
  ExpectEveryAckedAppend();

  // SIGTERM while full, then a restart: the reserve leaves room for both.
  EXPECT_EQ(StopServer(), 0);
  StartServer();
  ExpectEveryAckedAppend();

  // Room again: appends resume without a restart.
  ASSERT_EQ(unlink(ballast().c_str()), 0);
  auto head = client_->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  absl::StatusOr<uint64_t> position = AppendOnceThereIsRoom();
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_EQ(*position, head->next_position());
  ExpectEveryAckedAppend();
  ExpectVerifies();
  EXPECT_EQ(StopServer(), 0);
}

TEST_P(DiskFullTest, AnotherProgramFillsItAndARestartWaitsForRoom) {
  StartServer();
  FillWhileWriting();
  {
    absl::MutexLock lock(&mu_);
    for (const absl::Status& error : errors_) {
      EXPECT_TRUE(error.code() == absl::StatusCode::kResourceExhausted ||
                  error.code() == absl::StatusCode::kUnavailable)
          << error;
      EXPECT_FALSE(error.message().empty());
    }
  }
  // Still up, still serving reads, nothing acknowledged lost.
  ExpectEveryAckedAppend();
  EXPECT_EQ(StopServer(), 0);

  // A restart with no room at all says so, and writes nothing.
  Fill(ballast(), 0);
  const std::map<std::string, long> before = Listing(data_dir());
  ShellRun refused = RunServerToExit();
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1)
      << refused.output;
  EXPECT_TRUE(absl::StartsWith(refused.output,
                               "missionlogd: not enough disk space to "
                               "recover the store in "))
      << refused.output;
  EXPECT_TRUE(absl::StrContains(refused.output, "MB free")) << refused.output;
  EXPECT_EQ(Listing(data_dir()), before);

  // Room again: it starts, with every acknowledged append.
  ASSERT_EQ(unlink(ballast().c_str()), 0);
  StartServer();
  ExpectEveryAckedAppend();
  absl::StatusOr<uint64_t> position = AppendOnceThereIsRoom();
  ASSERT_TRUE(position.ok()) << position.status();
  ExpectVerifies();
  EXPECT_EQ(StopServer(), 0);
}

TEST_P(DiskFullTest, AppendsResumeOnceAnotherProgramFreesSpace) {
  StartServer();
  FillWhileWriting();
  ExpectEveryAckedAppend();
  // Health says so: the services that write are NOT_SERVING (and so is the
  // server as a whole), the ones that read go on.
  EXPECT_EQ(HealthBecomes("missionlog.v1.EventStore", 2).value_or(-1), 2);
  EXPECT_EQ(testing::CheckHealth(server_->address(), "").value_or(-1), 2);
  EXPECT_EQ(
      testing::CheckHealth(server_->address(), "missionlog.v1.Accountability")
          .value_or(-1),
      2);
  EXPECT_EQ(testing::CheckHealth(server_->address(), "missionlog.v1.Inquiry")
                .value_or(-1),
            1);
  EXPECT_EQ(testing::CheckHealth(server_->address(), "missionlog.v1.Audit")
                .value_or(-1),
            1);

  // No restart: the server finds room by itself (reopening its database
  // if a write ran out of space) and takes appends at the head again.
  ASSERT_EQ(unlink(ballast().c_str()), 0);
  absl::StatusOr<uint64_t> position = AppendOnceThereIsRoom();
  ASSERT_TRUE(position.ok()) << position.status();
  auto head = client_->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->next_position(), *position + 1);
  ExpectEveryAckedAppend();
  EXPECT_EQ(HealthBecomes("missionlog.v1.EventStore", 1).value_or(-1), 1);
  EXPECT_EQ(HealthBecomes("", 1).value_or(-1), 1);

  // The projections follow the log again too.
  const absl::Time live_by = absl::Now() + kPatience;
  bool live = false;
  while (!live && absl::Now() < live_by) {
    auto status = client_->ProjectionStatus();
    ASSERT_TRUE(status.ok()) << status.status();
    live = true;
    for (const auto& projection : status->projections()) {
      if (projection.position() < head->next_position()) live = false;
    }
  }
  EXPECT_TRUE(live);
  ExpectVerifies();
  EXPECT_EQ(StopServer(), 0);
}

INSTANTIATE_TEST_SUITE_P(Filesystems, DiskFullTest,
                         ::testing::Values("tmpfs", "ext4"),
                         [](const auto& info) { return info.param; });

// A private mount namespace for this process and the servers it starts:
// mounts made here are invisible outside and vanish when they all exit.
std::string EnterPrivateMountNamespace() {
  if (geteuid() != 0) return "mounting a small filesystem needs root";
  if (unshare(CLONE_NEWNS) != 0) {
    return absl::StrCat("unshare(CLONE_NEWNS): ", std::strerror(errno));
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return absl::StrCat("making / private: ", std::strerror(errno));
  }
  return "";
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Before any thread starts: unshare refuses a multi-threaded process.
  *missionlog::no_namespace = missionlog::EnterPrivateMountNamespace();
  return RUN_ALL_TESTS();
}
