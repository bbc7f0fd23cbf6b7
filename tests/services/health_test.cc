// What health checks are told, from the server's state (services/health.h).
#include "services/health.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace missionlog {
namespace {

std::map<std::string, bool> Services(const HealthReport& report) {
  return {report.services.begin(), report.services.end()};
}

HealthInputs WithDisk(uint64_t free_mb, uint64_t reserve_mb) {
  HealthInputs inputs;
  inputs.stats.disk_free_bytes = free_mb * 1000000;
  inputs.stats.disk_reserve_bytes = reserve_mb * 1000000;
  inputs.stats.refusing_for_space = free_mb < reserve_mb ? 1 : 0;
  return inputs;
}

TEST(HealthTest, AllServingWithRoomOnTheDisk) {
  const HealthReport report = AssessHealth(WithDisk(10000, 256));
  EXPECT_EQ(report.status, "ok");
  EXPECT_TRUE(report.reasons.empty());
  EXPECT_EQ(report.HttpStatus(), 200);
  ASSERT_EQ(report.services.size(), HealthServiceNames().size());
  for (const auto& [name, serving] : report.services) {
    EXPECT_TRUE(serving) << "'" << name << "'";
  }
  EXPECT_EQ(report.services.front().first, "");
}

TEST(HealthTest, ADiskNearingItsReserveWarnsButServes) {
  const HealthReport report = AssessHealth(WithDisk(400, 256));
  EXPECT_EQ(report.status, "warning");
  EXPECT_TRUE(report.disk_space_low);
  EXPECT_TRUE(report.accepting_appends);
  EXPECT_EQ(report.HttpStatus(), 200);
  ASSERT_EQ(report.reasons.size(), 1u);
  EXPECT_EQ(report.reasons[0],
            "disk space low: about 400 MB free on the store's disk; appends "
            "stop below the 256 MB reserve");
  for (const auto& [name, serving] : report.services) EXPECT_TRUE(serving);
}

TEST(HealthTest, RefusedAppendsMakeTheWritingServicesNotServing) {
  const HealthReport report = AssessHealth(WithDisk(100, 256));
  EXPECT_EQ(report.status, "degraded");
  EXPECT_FALSE(report.accepting_appends);
  EXPECT_TRUE(report.serving_reads);
  EXPECT_EQ(report.HttpStatus(), 503);
  const auto services = Services(report);
  EXPECT_FALSE(services.at(""));
  EXPECT_FALSE(services.at("missionlog.v1.EventStore"));
  EXPECT_FALSE(services.at("missionlog.v1.Accountability"));
  EXPECT_FALSE(services.at("missionlog.v1.Sealing"));
  EXPECT_TRUE(services.at("missionlog.v1.Audit"));
  EXPECT_TRUE(services.at("missionlog.v1.Inquiry"));
  EXPECT_TRUE(services.at("missionlog.v1.Projections"));
  EXPECT_TRUE(services.at("missionlog.v1.Admin"));
  ASSERT_EQ(report.reasons.size(), 1u);
  EXPECT_EQ(report.reasons[0],
            "appends are refused: about 100 MB free on the store's disk, "
            "less than the 256 MB reserve");
}

TEST(HealthTest, AFailedWriteStopsAppendsUntilTheStoreReopens) {
  HealthInputs inputs = WithDisk(10000, 256);
  inputs.stats.appends_stopped = 1;
  const HealthReport report = AssessHealth(inputs);
  EXPECT_EQ(report.status, "degraded");
  EXPECT_FALSE(Services(report).at("missionlog.v1.EventStore"));
  EXPECT_TRUE(Services(report).at("missionlog.v1.Inquiry"));
}

TEST(HealthTest, StoppingOrCatchingUpServesNothing) {
  for (int cause = 0; cause < 3; ++cause) {
    HealthInputs inputs = WithDisk(10000, 256);
    inputs.stopping = cause == 0;
    inputs.catching_up = cause == 1;
    inputs.stopped_applying = cause == 2;
    const HealthReport report = AssessHealth(inputs);
    EXPECT_EQ(report.status, "unavailable") << cause;
    EXPECT_EQ(report.HttpStatus(), 503);
    for (const auto& [name, serving] : report.services) {
      EXPECT_FALSE(serving) << cause << " '" << name << "'";
    }
  }
}

TEST(HealthTest, NoReserveNoWarning) {
  const HealthReport report = AssessHealth(WithDisk(0, 0));
  EXPECT_EQ(report.status, "ok");
  EXPECT_FALSE(report.disk_space_low);
}

TEST(HealthTest, TheJsonBodySaysWhy) {
  const HealthInputs inputs = WithDisk(100, 256);
  EXPECT_EQ(AssessHealth(inputs).Json(),
            "{\"status\":\"degraded\",\"accepting_appends\":false,"
            "\"serving_reads\":true,\"disk_free_bytes\":100000000,"
            "\"disk_reserve_bytes\":256000000,\"reasons\":[\"appends are "
            "refused: about 100 MB free on the store's disk, less than the "
            "256 MB reserve\"]}\n");
}

}  // namespace
}  // namespace missionlog
