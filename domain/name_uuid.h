// Name-based event ids: the same name always gives the same UUID, so a
// command retried, or a file imported twice, carries the same event ids and
// the store's idempotent appends add nothing the second time.
//
// The id is an RFC 9562 version 8 UUID holding the first 122 bits of
// SHA-256("missionlog name-based id\n" || name) (the version and variant
// bits overwrite the rest). Callers put a scheme first in `name`, e.g.
// "command\n<stream>\n<command id>", so different sources never collide.
#ifndef MISSIONLOG_DOMAIN_NAME_UUID_H_
#define MISSIONLOG_DOMAIN_NAME_UUID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace missionlog {

// Lower-case canonical text form, e.g. "3f1c...-...".
std::string NameBasedUuid(absl::string_view name);

}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_NAME_UUID_H_
