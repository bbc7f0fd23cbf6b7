// What the benchmark binaries share: each runs the workloads named in its
// --workloads flag, in the order named, and prints one parseable line of
// figures per workload.
//
// Thread safety: called from main's thread.
#ifndef MISSIONLOG_BENCH_WORKLOADS_H_
#define MISSIONLOG_BENCH_WORKLOADS_H_

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace missionlog {

struct Workload {
  const char* name;
  std::function<void()> run;
};

// Runs the comma-separated `names` from `table`, in order, calling
// `before` (if set) before each. An unknown name runs nothing: 2, after a
// line naming it and the known ones.
inline int RunWorkloads(absl::string_view names,
                        const std::vector<Workload>& table,
                        const std::function<void()>& before = nullptr) {
  std::vector<const Workload*> chosen;
  for (absl::string_view name : absl::StrSplit(names, ',')) {
    const Workload* found = nullptr;
    for (const Workload& workload : table) {
      if (name == workload.name) found = &workload;
    }
    if (found == nullptr) {
      std::string known;
      for (const Workload& workload : table) {
        known += known.empty() ? "" : ", ";
        known += workload.name;
      }
      std::fprintf(stderr, "unknown workload '%s' (known: %s)\n",
                   std::string(name).c_str(), known.c_str());
      return 2;
    }
    chosen.push_back(found);
  }
  for (const Workload* workload : chosen) {
    if (before) before();
    workload->run();
  }
  return 0;
}

// A benchmark's main(): its flags, then `run`'s exit code.
inline int BenchMain(int argc, char** argv, int (*run)()) {
  absl::ParseCommandLine(argc, argv);
  return run();
}

}  // namespace missionlog

#endif  // MISSIONLOG_BENCH_WORKLOADS_H_
