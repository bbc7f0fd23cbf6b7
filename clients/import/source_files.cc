// Reading the importers' input files (importers.h).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/import/importers.h"

namespace missionlog {

absl::StatusOr<std::vector<std::string>> ExpandPaths(
    const std::vector<std::string>& paths, const std::string& suffix) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    struct stat info;
    if (stat(path.c_str(), &info) != 0) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    }
    if (!S_ISDIR(info.st_mode)) {
      files.push_back(path);
      continue;
    }
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": cannot list"));
    }
    std::vector<std::string> found;
    while (const dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (absl::EndsWith(name, suffix) && name[0] != '.') {
        found.push_back(absl::StrCat(path, "/", name));
      }
    }
    closedir(dir);
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat("no *", suffix, " files given"));
  }
  return files;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat(path, ": read failed"));
  }
  return contents.str();
}

}  // namespace missionlog
