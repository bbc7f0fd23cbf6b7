// The OCDS importer: any bytes as an OCDS JSON file (release or record
// package, single release or record).
#include <cstddef>
#include <cstdint>
#include <string>

#include "clients/import/importers.h"
#include "fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = missionlog::fuzz::WriteScratch(
      "ocds.json", reinterpret_cast<const char*>(data), size);
  (void)missionlog::PlanOcds({path});
  return 0;
}
