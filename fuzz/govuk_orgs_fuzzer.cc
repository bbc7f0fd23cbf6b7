// The GOV.UK organisations importer: the input split at its first NUL byte
// into the earlier and the later snapshot (without one: the same bytes as
// both).
#include <cstddef>
#include <cstdint>
#include <string>

#include "clients/import/importers.h"
#include "fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using missionlog::fuzz::WriteScratch;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string before = input.substr(0, split);
  const std::string after =
      split == std::string::npos ? input : input.substr(split + 1);
  const std::string before_path =
      WriteScratch("before.json", before.data(), before.size());
  const std::string after_path =
      WriteScratch("after.json", after.data(), after.size());
  (void)missionlog::PlanGovukOrgs(before_path, after_path, "");
  (void)missionlog::PlanGovukOrgs(before_path, after_path, "2024-07-05");
  return 0;
}
