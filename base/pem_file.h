// Reading a PEM file (certificates, keys) for a TLS configuration.
#ifndef MISSIONLOG_BASE_PEM_FILE_H_
#define MISSIONLOG_BASE_PEM_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace missionlog {

// The text of the PEM file at `path` (at most 1 MiB is read). NOT_FOUND if
// it cannot be opened, INVALID_ARGUMENT if it holds no "-----BEGIN ";
// each message names the file.
absl::StatusOr<std::string> ReadPemFile(const std::string& path);

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_PEM_FILE_H_
