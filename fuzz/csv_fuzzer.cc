// The CSV reader (clients/import/csv_reader.h) and the 'Spend over
// £25,000' importer built on it, with its money and date parsers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clients/import/csv_reader.h"
#include "clients/import/importers.h"
#include "fuzz/fuzz_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace missionlog;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  CsvTable table(text);
  std::vector<std::string> fields;
  int line = 0;
  while (table.Next(&fields, &line)) {
    for (size_t i = 0; i < table.header().size(); ++i) {
      (void)CsvTable::Field(fields, static_cast<int>(i));
    }
  }
  const std::string path =
      fuzz::WriteScratch("spend.csv", text.data(), text.size());
  (void)PlanSpend25k({path}, "");
  (void)PlanSpend25k({path}, "dhsc");
  return 0;
}
