// The server built in-process from a ServerConfig, as missionlogd's main
// builds it: it serves the real services on a free loopback port, makes
// its signing key only once bound, and a Stop signs a last checkpoint over
// every acknowledged append, which a restart on the same directory keeps.
#include <sys/stat.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/client.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

class InProcessServerTest : public ::testing::Test {
 protected:
  ServerConfig Config() {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.data_dir = dir_.Sub("data");
    config.store.sync = false;  // the engine's tests cover durability
    config.store.disk_reserve_bytes = 0;
    return config;
  }

  testing::TempDir dir_;
};

TEST_F(InProcessServerTest, ServesAndStopsWithALastCheckpoint) {
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(Config());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->created_key(), dir_.Sub("data") + "/log.key");
  EXPECT_TRUE((*server)->development());
  auto client = Client::Connect((*server)->address());
  for (int i = 0; i < 5; ++i) {
    v1::AppendRequest request;
    request.set_stream("dhsc/note/1");
    request.add_events()->set_type("test.event.v1");
    auto appended = client->Append(request);
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->first_position(), static_cast<uint64_t>(i));
  }
  client.reset();
  const Server::Stopped stopped = (*server)->Stop();
  EXPECT_EQ(stopped.events, 5u);
  EXPECT_TRUE(stopped.last_checkpoint_signed);

  // Again on the same directory: the same key, the same log.
  server = Server::Start(Config());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->created_key(), "");
  EXPECT_EQ((*server)->store()->GetHead().next_position, 5u);
  auto checkpoint = (*server)->store()->GetCheckpoint(0);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->tree_size, 5u);
}

TEST_F(InProcessServerTest, AConfigurationThatCannotWorkIsInvalidArgument) {
  ServerConfig config = Config();
  config.listen = "0.0.0.0:0";  // public, but no TLS and no policy
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(config);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  struct stat info;
  EXPECT_NE(stat(dir_.Sub("data").c_str(), &info), 0) << "wrote the store";
  config = Config();
  config.tokens = dir_.Sub("tokens");
  server = Server::Start(config);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().message(), "--tokens needs --policy");
}

}  // namespace
}  // namespace missionlog
