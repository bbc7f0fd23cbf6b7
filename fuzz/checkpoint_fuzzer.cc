// The checkpoint and signed-note parsers an auditor feeds with what a
// server sends: checkpoint text, signed notes (checked against a fixed
// key) and verifier keys.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tlog/checkpoint.h"
#include "tlog/signed_note.h"

namespace {

const missionlog::note::Verifier& Key() {
  static const missionlog::note::Verifier* key = [] {
    absl::StatusOr<missionlog::note::Signer> signer =
        missionlog::note::Signer::Generate("fuzz.example/log");
    absl::StatusOr<missionlog::note::Verifier> verifier =
        missionlog::note::Verifier::FromKey(signer->VerifierKey());
    return new missionlog::note::Verifier(*verifier);
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace missionlog;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Checkpoint> checkpoint = ParseCheckpoint(text);
  if (checkpoint.ok()) {
    (void)CheckpointTime(*checkpoint);
    // What parses must print back to something that parses the same.
    absl::StatusOr<Checkpoint> again =
        ParseCheckpoint(FormatCheckpoint(*checkpoint));
    if (!again.ok()) __builtin_trap();
  }
  (void)note::ValidateText(text);
  (void)note::Text(text);
  absl::StatusOr<std::string> opened = note::Open(text, Key());
  if (opened.ok()) (void)ParseCheckpoint(*opened);
  (void)note::Verifier::FromKey(text);
  return 0;
}
