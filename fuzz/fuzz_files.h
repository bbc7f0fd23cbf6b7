// The importers read files: fuzz inputs are written to a scratch directory
// (in /dev/shm when it exists) and named to them.
#ifndef MISSIONLOG_FUZZ_FUZZ_FILES_H_
#define MISSIONLOG_FUZZ_FUZZ_FILES_H_

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace missionlog {
namespace fuzz {

// A per-process scratch directory, made on first use.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string path = base + "/missionlog-fuzz-XXXXXX";
    if (mkdtemp(path.data()) == nullptr) std::abort();
    return new std::string(path);
  }();
  return *dir;
}

// Writes `bytes` to `name` in the scratch directory and returns its path.
inline std::string WriteScratch(const std::string& name, const char* bytes,
                                size_t size) {
  const std::string path = ScratchDir() + "/" + name;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(bytes, 1, size, file) != size) std::abort();
  std::fclose(file);
  return path;
}

}  // namespace fuzz
}  // namespace missionlog

#endif  // MISSIONLOG_FUZZ_FUZZ_FILES_H_
