// Failover time, as a client of a cluster sees it: appends one event at a
// time through the failover client (clients/client.h, several addresses)
// for --seconds, and prints the longest wait between two acknowledged
// appends (bench/cluster_bench.sh kill -9s the node it uses meanwhile):
//
//   failover longest_gap_ms=... appends=... failed=...
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clients/client.h"

ABSL_FLAG(std::string, server, "", "The cluster's nodes, host:port,...");
ABSL_FLAG(int, seconds, 8, "How long to append.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  missionlog::ClientOptions options;
  options.max_attempts = 30;
  options.deadline = absl::Seconds(5);
  std::unique_ptr<missionlog::Client> client =
      missionlog::Client::Connect(absl::GetFlag(FLAGS_server), options);
  const absl::Time end =
      absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_seconds));
  absl::Time last = absl::Now();
  absl::Duration longest;
  long appends = 0, failed = 0;
  while (absl::Now() < end) {
    missionlog::v1::AppendRequest request;
    request.set_stream("bench/failover/probe");
    missionlog::v1::EventData* event = request.add_events();
    event->set_type("bench.failover.v1");
    event->set_data(absl::StrCat("{\"n\":", appends, "}"));
    if (client->Append(request).ok()) {
      const absl::Time now = absl::Now();
      if (now - last > longest) longest = now - last;
      last = now;
      ++appends;
    } else {
      ++failed;
    }
  }
  std::printf("failover longest_gap_ms=%.0f appends=%ld failed=%ld\n",
              absl::ToDoubleMilliseconds(longest), appends, failed);
  return 0;
}
