// C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, through
// OpenSSL 3. Keys are written in the text encodings that Go's
// golang.org/x/mod/sumdb/note and the transparency-dev tools use, so a key
// made by `missionlog keygen` works with them and the other way round:
//
//   signer key   := "PRIVATE+KEY+" name "+" key_id "+" base64(0x01 || seed)
//   verifier key := name "+" key_id "+" base64(0x01 || public_key)
//   key_id       := hex8(SHA-256(name || 0x0A || 0x01 || public_key)[:4])
//
//   signed note  := text (ends in "\n") "\n" signature_line+
//   signature_line := "— " name " " base64(key_id[4] || ed25519_sig[64]) "\n"
//
// seed and public_key are 32 bytes (RFC 8032); the signature covers the text
// including its final newline. A key name is non-empty and has no spaces or
// '+'.
#ifndef MISSIONLOG_TLOG_SIGNED_NOTE_H_
#define MISSIONLOG_TLOG_SIGNED_NOTE_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {
namespace note {

using Ed25519Key = std::array<uint8_t, 32>;

// Copyable; the seed is held in memory for as long as the Signer lives.
// Immutable once made: safe for concurrent use.
class Signer {
 public:
  // A fresh key pair from the OS's random source.
  static absl::StatusOr<Signer> Generate(absl::string_view name);
  // Parses a signer key (above). INVALID_ARGUMENT if malformed, or if its
  // key id does not match the key.
  static absl::StatusOr<Signer> FromKey(absl::string_view signer_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string SignerKey() const;
  std::string VerifierKey() const;

  // `text` as a signed note with one signature. INVALID_ARGUMENT unless
  // `text` is a valid note text (ValidateText).
  absl::StatusOr<std::string> Sign(absl::string_view text) const;
  // The raw 64-byte Ed25519 signature of `message` (Verifier::Verify checks
  // it), for what is signed but is not a note (a cluster's replicated
  // entries). Callers prefix `message` with a context of their own, so a
  // signature made for one purpose is never valid for another.
  absl::StatusOr<std::string> SignMessage(absl::string_view message) const;

 private:
  Signer() = default;
  // public_key_ from seed_.
  absl::Status DerivePublicKey();

  std::string name_;
  uint32_t key_id_ = 0;
  Ed25519Key seed_{};
  Ed25519Key public_key_{};
};

// Immutable once made: safe for concurrent use.
class Verifier {
 public:
  // Parses a verifier key (above). INVALID_ARGUMENT if malformed.
  static absl::StatusOr<Verifier> FromKey(absl::string_view verifier_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }

  // Whether `signature` is this key's Ed25519 signature of `text`.
  bool Verify(absl::string_view text, absl::string_view signature) const;

 private:
  Verifier() = default;

  std::string name_;
  uint32_t key_id_ = 0;
  Ed25519Key public_key_{};
};

// OK if `text` can be the text of a note: non-empty valid UTF-8 ending in a
// newline, no other control characters, no blank last line.
absl::Status ValidateText(absl::string_view text);

// The text of `signed_note` (everything up to its last blank line), without
// checking any signature: for the log's own stored notes.
absl::string_view Text(absl::string_view signed_note);

// The text of `signed_note`, if it carries a valid signature by `verifier`
// (signatures by other keys are ignored, as the spec asks).
// INVALID_ARGUMENT if the note is malformed; FAILED_PRECONDITION if it has no
// signature by the key, or that signature does not verify.
absl::StatusOr<std::string> Open(absl::string_view signed_note,
                                 const Verifier& verifier);

// Key files hold one key (above) on one line. ReadKeyFile returns that
// line. NOT_FOUND if there is no such file, PERMISSION_DENIED if it may not
// be read, INVALID_ARGUMENT if it is empty or its first line is blank,
// FAILED_PRECONDITION for any other read error; the message says which.
absl::StatusOr<std::string> ReadKeyFile(const std::string& path);
// Writes `signer`'s signer key to `private_path` (mode 0600) and its
// verifier key to `public_path` (0644), both new files, synced.
// FAILED_PRECONDITION if either exists.
absl::Status WriteKeyFiles(const Signer& signer,
                           const std::string& private_path,
                           const std::string& public_path);

// Largest signed note accepted by Open.
inline constexpr size_t kMaxNoteBytes = 1 << 16;

}  // namespace note
}  // namespace missionlog

#endif  // MISSIONLOG_TLOG_SIGNED_NOTE_H_
