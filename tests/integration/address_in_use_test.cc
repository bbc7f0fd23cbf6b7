// A second missionlogd on an address already in use: it must say so in one
// line and exit having written nothing, and the first must keep every
// append (gRPC's default SO_REUSEPORT once let both bind and split the log
// in two). Also the one-line messages for a key file that cannot be used.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

using testing::RunShell;
using testing::ShellRun;

bool Exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// missionlogd with `flags`, run to its exit: what it printed and its status.
ShellRun RunServer(const std::string& flags) {
  // A server that does not exit (because it did start) fails the test, not
  // hangs it.
  return RunShell(absl::StrCat("timeout 30 ", MISSIONLOGD_PATH,
                               " --http_listen= ", flags, " 2>&1"));
}

class AddressInUseTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(AddressInUseTest, SecondServerFailsAndTheFirstKeepsEveryAppend) {
  auto first = testing::ServerProcess::Start(dir_.Sub("a"));
  ASSERT_NE(first, nullptr);

  ShellRun second = RunServer(absl::StrCat("--listen=", first->address(),
                                           " --data_dir=", dir_.Sub("b")));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(second.output,
            absl::StrCat("missionlogd: cannot listen on ", first->address(),
                         ": address already in use\n"));
  // Nothing written: no store, no signing key.
  EXPECT_FALSE(Exists(dir_.Sub("b")));

  auto client = Client::Connect(first->address());
  for (int i = 0; i < 20; ++i) {
    v1::AppendRequest request;
    request.set_stream("rel/split/s");
    v1::EventData* event = request.add_events();
    event->set_type("t");
    event->set_data(absl::StrCat("{\"i\":", i, "}"));
    auto appended = client->Append(request);
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->first_position(), static_cast<uint64_t>(i));
    EXPECT_EQ(appended->stream_version(), static_cast<uint64_t>(i));
  }
  auto head = client->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->next_position(), 20u);
}

TEST_F(AddressInUseTest, PortHeldByAnotherProgramIsOneLine) {
  // Another program listening with SO_REUSEPORT set, as a second gRPC
  // server would: missionlogd must still not share the port.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  int on = 1;
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t size = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size), 0);
  const std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));

  ShellRun run = RunServer(
      absl::StrCat("--listen=", address, " --data_dir=", dir_.Sub("data")));
  close(fd);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output, absl::StrCat("missionlogd: cannot listen on ", address,
                                     ": address already in use\n"));
  EXPECT_FALSE(Exists(dir_.Sub("data")));
}

TEST_F(AddressInUseTest, EmptyKeyFileSaysItIsEmpty) {
  const std::string key = dir_.Sub("empty.key");
  std::ofstream(key).close();
  ShellRun run = RunServer(
      absl::StrCat("--listen=127.0.0.1:0 --data_dir=", dir_.Sub("data"),
                   " --signing_key=", key));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output, absl::StrCat("missionlogd: no signing key: key file ",
                                     key, " is empty\n"));
}

TEST_F(AddressInUseTest, UnreadableKeyFileSaysWhy) {
  // A directory: open succeeds, read fails (EISDIR), as root too (root
  // reads any file whatever its mode).
  const std::string key = dir_.Sub("key-dir");
  ASSERT_EQ(mkdir(key.c_str(), 0700), 0);
  ShellRun run = RunServer(
      absl::StrCat("--listen=127.0.0.1:0 --data_dir=", dir_.Sub("data"),
                   " --signing_key=", key));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.output,
            absl::StrCat("missionlogd: no signing key: cannot read key file ",
                         key, ": Is a directory\n"));
}

}  // namespace
}  // namespace missionlog
