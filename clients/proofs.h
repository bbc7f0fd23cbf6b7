// Client-side verification of what the Audit service and Read return: an
// auditor trusts none of the server's hashes, only the arithmetic.
#ifndef MISSIONLOG_CLIENTS_PROOFS_H_
#define MISSIONLOG_CLIENTS_PROOFS_H_

#include "absl/status/status.h"
#include "missionlog/v1/audit.pb.h"
#include "missionlog/v1/event.pb.h"

namespace missionlog {

// Recomputes `event`'s leaf hash from its header bytes and its payload
// digest from its data (and salt, for a v2 header) against the digest in
// the header (not for an erased payload), then checks `proof` leads from that
// leaf to `head`'s root. DATA_LOSS if a recomputed hash differs from the stored
// one; FAILED_PRECONDITION or INVALID_ARGUMENT if the proof fails.
absl::Status VerifyEventInclusion(const v1::RecordedEvent& event,
                                  const v1::InclusionProof& proof,
                                  const v1::TreeHead& head);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_PROOFS_H_
