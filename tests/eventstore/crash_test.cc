// An acknowledged append is never lost, even on kill -9. A child process
// appends from several threads with sync on and reports each acknowledgement
// through a pipe; the parent kills it with SIGKILL after enough of them,
// reopens the store and checks that every acknowledged event is at its
// acknowledged position and that the log has no gaps. Three rounds on the
// same store, so recovery also follows a recovery.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

constexpr int kChildThreads = 4;
constexpr int kAcksBeforeKill = 1500;
constexpr int kRounds = 3;
constexpr char kChildFlag[] = "--append-until-killed";

// Runs in the child, a fresh exec of this binary (forking a process that
// has RocksDB threads is unsafe): appends forever, one line "<id> <position>"
// per acknowledged event. Never returns; the parent kills it.
[[noreturn]] void AppendUntilKilled(const std::string& path, int round,
                                    int pipe_fd) {
  Options options;
  options.sync = true;
  auto store = EventStore::Open(options, path);
  if (!store.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0;; ++i) {
        std::vector<EventData> events;
        std::vector<std::string> ids;
        int count = 1 + static_cast<int>(i % 3);
        for (int e = 0; e < count; ++e) {
          uint64_t n = (static_cast<uint64_t>(round) << 40) |
                       (static_cast<uint64_t>(t) << 32) | (i << 2) | e;
          events.push_back(testing::MakeEvent("crash.v1", "payload", n + 1));
          ids.push_back(events.back().id);
        }
        auto result = (*store)->Append(
            testing::MakeAppend(absl::StrCat("crash/t/", t % 2),
                                ExpectedVersion::Any(), std::move(events)));
        if (!result.ok()) _exit(4);
        std::string lines;
        for (int e = 0; e < count; ++e) {
          absl::StrAppend(&lines, ids[e], " ", result->first_position + e,
                          "\n");
        }
        // Each write is under PIPE_BUF, so lines never interleave.
        if (write(pipe_fd, lines.data(), lines.size()) < 0) _exit(5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  _exit(6);
}

// Reads acknowledgement lines from `fd` into `acked`; kills `child` once
// `kill_after` have arrived, then drains the pipe to EOF.
void CollectAcksAndKill(int fd, pid_t child, size_t kill_after,
                        std::map<std::string, uint64_t>* acked) {
  std::string buffer;
  char chunk[4096];
  bool killed = false;
  size_t seen = 0;
  while (true) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t end;
    while ((end = buffer.find('\n')) != std::string::npos) {
      std::vector<std::string> parts =
          absl::StrSplit(buffer.substr(0, end), ' ');
      buffer.erase(0, end + 1);
      uint64_t position;
      ASSERT_EQ(parts.size(), 2u);
      ASSERT_TRUE(absl::SimpleAtoi(parts[1], &position));
      (*acked)[parts[0]] = position;
      ++seen;
    }
    if (!killed && seen >= kill_after) {
      ASSERT_EQ(kill(child, SIGKILL), 0);
      killed = true;
    }
  }
  EXPECT_TRUE(killed) << "child exited before it was killed";
}

TEST(CrashTest, AcknowledgedAppendsSurviveKill9) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  std::map<std::string, uint64_t> acked;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      std::string round_arg = std::to_string(round);
      std::string fd_arg = std::to_string(fds[1]);
      execl("/proc/self/exe", "crash_test", kChildFlag, path.c_str(),
            round_arg.c_str(), fd_arg.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    CollectAcksAndKill(fds[0], child, acked.size() + kAcksBeforeKill, &acked);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGKILL);

    Options options;
    auto store = EventStore::Open(options, path);
    ASSERT_TRUE(store.ok()) << store.status();
    ReadAllRequest request;
    request.limit = SIZE_MAX;
    auto all = (*store)->ReadAll(request);
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_GE(all->events.size(), acked.size());
    std::map<std::string, uint64_t> found;
    for (size_t i = 0; i < all->events.size(); ++i) {
      ASSERT_EQ(all->events[i].position(), i) << "gap in the log";
      found[all->events[i].id()] = i;
    }
    for (const auto& [id, position] : acked) {
      auto it = found.find(id);
      ASSERT_NE(it, found.end()) << "acknowledged event " << id << " lost";
      EXPECT_EQ(it->second, position);
    }
  }
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == missionlog::kChildFlag) {
    missionlog::AppendUntilKilled(argv[2], std::stoi(argv[3]),
                                  std::stoi(argv[4]));
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
