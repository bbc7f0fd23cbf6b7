// UTF-8 validation shared by the engine's field checks and the note parser.
#ifndef MISSIONLOG_BASE_UTF8_H_
#define MISSIONLOG_BASE_UTF8_H_

#include "absl/strings/string_view.h"

namespace missionlog {

// True if `text` is valid UTF-8 without control characters (C0, DEL, C1).
bool IsPrintableUtf8(absl::string_view text);

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_UTF8_H_
