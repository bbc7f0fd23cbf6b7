// A string as a JSON string literal (RFC 8259), for the few places that
// write JSON by hand (the CLI's --json lines, the HTTP listener's errors).
#ifndef MISSIONLOG_BASE_JSON_STRING_H_
#define MISSIONLOG_BASE_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace missionlog {

// `text` quoted, with '"', '\\' and control characters escaped. Bytes of
// 0x80 and above are copied as they are (the caller passes UTF-8).
std::string JsonString(absl::string_view text);

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_JSON_STRING_H_
