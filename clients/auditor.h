// `missionlog verify`: an auditor's independent check of the whole log
// against a pinned public key. Trusts nothing the server computed: every
// leaf hash and payload digest is recomputed from the bytes, the root from
// the leaves, and the server's stored tree nodes are compared against them.
//
// What one run checks, in order:
//   1. the latest checkpoint carries valid signatures by the pinned keys
//      (by at least VerifyOptions::required_signatures of them: in a
//      cluster each node co-signs, and an auditor can require them all),
//      and its origin is the keys' name;
//   2. if a checkpoint was trusted before (the state file), the new one is
//      at least as large and a consistency proof from the trusted size to
//      the new one verifies (a truncated and rewritten log fails here);
//   3. every entry up to the checkpoint's size: its position, its leaf
//      hash recomputed from the header, its payload's size and digest
//      against the header (SHA-256 for a format-v1 header, the salted
//      digest with the entry's salt for v2); an entry whose payload was
//      erased passes only if an Erased event (whole_payload) later among
//      the verified entries names it;
//   4. every stored tree node completed by the verified leaves equals the
//      one recomputed locally (the lowest that differs names the range);
//   5. the root over those leaves (continuing from the trusted tree's
//      peaks in an incremental run) equals the checkpoint's root; if not,
//      consistency proofs locate the first position that differs;
//   6. in an incremental run, a random sample of the older entries (ones
//      earlier runs verified; VerifyOptions::sample): each as in 3, and
//      its inclusion proof against the new checkpoint, so that an old
//      entry rewritten behind the server's back (its tree left alone) is
//      found by some run with the probability the README works out.
// Then the new checkpoint is trusted: the caller saves the state.
//
// Thread safety: the functions keep no state between calls; a call uses
// its client (safe for concurrent use) and its own options and report.
#ifndef MISSIONLOG_CLIENTS_AUDITOR_H_
#define MISSIONLOG_CLIENTS_AUDITOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/client.h"
#include "tlog/sha256.h"
#include "tlog/signed_note.h"

namespace missionlog {

// The last checkpoint an auditor verified, kept between runs. File format
// (text, one field per line):
//   missionlog-verify-state 1
//   origin <origin>
//   size <tree size>
//   root <base64 root hash>
//   peak <base64 hash>          -- one per complete subtree, largest first
//   checkpoint <base64 of the signed note>
struct TrustedState {
  std::string origin;
  uint64_t tree_size = 0;
  Digest root_hash{};
  std::vector<Digest> peaks;
  std::string checkpoint;  // the signed note, verbatim
};

// nullopt if `path` does not exist; INVALID_ARGUMENT if it is malformed.
absl::StatusOr<std::optional<TrustedState>> LoadTrustedState(
    const std::string& path);
// Writes atomically (a temporary file renamed over `path`).
absl::Status SaveTrustedState(const std::string& path,
                              const TrustedState& state);

struct VerifyOptions {
  // Verify from position 0 even when a checkpoint is already trusted (the
  // trusted root must then be reproduced too).
  bool full = false;
  // How many of the keys given must have signed the latest checkpoint.
  int required_signatures = 1;
  // Called as entries are verified: (entries done, entries to do).
  std::function<void(uint64_t, uint64_t)> progress;
  // In an incremental run, also check this many entries chosen at random
  // among those verified by earlier runs (all of them if fewer): each
  // entry's own checks, and its inclusion proof against the checkpoint.
  uint64_t sample = 1000;
};

struct VerifyReport {
  std::string origin;
  int signatures = 0;      // valid signatures by the keys given
  uint64_t tree_size = 0;  // of the checkpoint now trusted
  Digest root_hash{};
  std::optional<absl::Time> checkpoint_time;
  uint64_t previously_trusted = 0;  // 0: none
  uint64_t from = 0;                // first position verified
  uint64_t entries = 0;             // entries verified
  uint64_t tree_nodes = 0;          // stored nodes compared
  // Verified entries whose payload was erased, each covered by an Erased
  // event (whole_payload) later in the verified log.
  uint64_t erased_payloads = 0;
  uint64_t sampled = 0;      // older entries checked at random (step 6)
  uint64_t server_head = 0;  // events the server has (>= tree_size)
  absl::Duration elapsed;
};

// Runs the checks above. On success `*state` is the new trusted state. On
// failure the status names the first bad position, or the sizes that are
// inconsistent: DATA_LOSS for entries or nodes that do not match, and
// FAILED_PRECONDITION for signatures, rollbacks and inconsistent trees.
absl::StatusOr<VerifyReport> VerifyLog(Client* client,
                                       const std::vector<note::Verifier>& keys,
                                       std::optional<TrustedState>* state,
                                       const VerifyOptions& options);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_AUDITOR_H_
