// The console's static files (console/, with the npm packages it uses),
// built into missionlogd by cmake/embed_console.cmake: the binary serves
// them itself and loads nothing from another site.
#ifndef MISSIONLOG_SERVICES_CONSOLE_ASSETS_H_
#define MISSIONLOG_SERVICES_CONSOLE_ASSETS_H_

#include "absl/strings/string_view.h"

namespace missionlog {

struct ConsoleAsset {
  absl::string_view path;  // e.g. "index.html", "govuk/govuk-frontend.min.css"
  absl::string_view content;
  const char* content_type;
};

// nullptr if there is no such file.
const ConsoleAsset* FindConsoleAsset(absl::string_view path);

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_CONSOLE_ASSETS_H_
