// Sealing on append (README "Sealed fields"): for every domain event whose
// message has fields marked `(missionlog.v1.sealed)` holding a value, the
// value leaves the payload and a salted commitment takes its place
// (sealing/sealing.h); the openings, encrypted under a fresh data key for
// the event, and that key wrapped for each unsealing role's public key,
// go to EventData::sealed, which the store keeps beside the log. The
// server keeps no key that opens them: only a role's private key does.
//
// Thread safety: immutable once made; safe for concurrent use.
#ifndef MISSIONLOG_DOMAIN_SEALER_H_
#define MISSIONLOG_DOMAIN_SEALER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventstore/event_log.h"
#include "sealing/sealing.h"

namespace missionlog {
namespace domain {

class Sealer {
 public:
  // `unsealers`: the public keys of the roles that may unseal (at least
  // one, or nothing can be sealed).
  explicit Sealer(std::vector<sealing::RoleKeys> unsealers)
      : unsealers_(std::move(unsealers)) {}

  // Reads a file of public role keys (one per line, '#' comments).
  static absl::StatusOr<Sealer> FromFile(const std::string& path);

  // Whether an event of `append` has a sealed field holding a value.
  static bool HasValuesToSeal(const AppendRequest& append);

  // Seals every such field in place (events without an id get one first:
  // an opening is bound to its event's id). FAILED_PRECONDITION without
  // any unsealing key.
  absl::Status Seal(AppendRequest* append) const;

 private:
  std::vector<sealing::RoleKeys> unsealers_;
};

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_SEALER_H_
