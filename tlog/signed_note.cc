#include "tlog/signed_note.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/utf8.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace note {
namespace {

constexpr char kSignerPrefix[] = "PRIVATE+KEY+";
constexpr uint8_t kAlgEd25519 = 0x01;
constexpr size_t kSignatureSize = 64;
// U+2014 EM DASH, then a space: the start of every signature line.
constexpr char kSignatureLinePrefix[] = "\xe2\x80\x94 ";

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

bool ValidName(absl::string_view name) {
  if (name.empty() || !IsPrintableUtf8(name)) return false;
  for (char c : name) {
    if (c == ' ' || c == '+') return false;
  }
  // Unicode spaces outside ASCII are not allowed either.
  return !absl::StrContains(name, "\xc2\xa0") &&
         !absl::StrContains(name, "\xe2\x80\x80") &&
         !absl::StrContains(name, "\xe3\x80\x80");
}

uint32_t KeyId(absl::string_view name, const Ed25519Key& public_key) {
  std::string input(name);
  input.push_back('\n');
  input.push_back(static_cast<char>(kAlgEd25519));
  input.append(reinterpret_cast<const char*>(public_key.data()),
               public_key.size());
  const Digest digest = Sha256(input);
  return static_cast<uint32_t>(digest[0]) << 24 |
         static_cast<uint32_t>(digest[1]) << 16 |
         static_cast<uint32_t>(digest[2]) << 8 | digest[3];
}

std::string KeyBytes(const Ed25519Key& key) {
  std::string bytes(1, static_cast<char>(kAlgEd25519));
  bytes.append(reinterpret_cast<const char*>(key.data()), key.size());
  return bytes;
}

// Standard base64 with padding, rejecting every non-canonical form.
bool DecodeBase64(absl::string_view text, std::string* out) {
  return absl::Base64Unescape(text, out) && absl::Base64Escape(*out) == text;
}

// Splits "name+hex8+base64(0x01 || key)" into its parts.
absl::Status ParseKey(absl::string_view encoded, std::string* name,
                      uint32_t* key_id, Ed25519Key* key) {
  // The base64 key may itself contain '+': split at the first two only.
  std::vector<absl::string_view> parts =
      absl::StrSplit(encoded, absl::MaxSplits('+', 2));
  if (parts.size() != 3 || !ValidName(parts[0])) {
    return absl::InvalidArgumentError(
        "malformed key: expected name+keyid+base64key");
  }
  if (parts[1].size() != 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), absl::ascii_isxdigit)) {
    return absl::InvalidArgumentError("malformed key id");
  }
  const std::string id_bytes = absl::HexStringToBytes(parts[1]);
  std::string key_bytes;
  if (!DecodeBase64(parts[2], &key_bytes) || key_bytes.size() != 33) {
    return absl::InvalidArgumentError("malformed key: bad base64 or length");
  }
  if (static_cast<uint8_t>(key_bytes[0]) != kAlgEd25519) {
    return absl::InvalidArgumentError(
        "unsupported key algorithm (only Ed25519)");
  }
  *name = std::string(parts[0]);
  *key_id = static_cast<uint32_t>(static_cast<uint8_t>(id_bytes[0])) << 24 |
            static_cast<uint32_t>(static_cast<uint8_t>(id_bytes[1])) << 16 |
            static_cast<uint32_t>(static_cast<uint8_t>(id_bytes[2])) << 8 |
            static_cast<uint8_t>(id_bytes[3]);
  std::copy(key_bytes.begin() + 1, key_bytes.end(), key->begin());
  return absl::OkStatus();
}

// Creates `path` (which must not exist) with `mode` and writes `contents`.
absl::Status WriteNewFile(const std::string& path, absl::string_view contents,
                          mode_t mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  const bool written = write(fd, contents.data(), contents.size()) ==
                           static_cast<ssize_t>(contents.size()) &&
                       fsync(fd) == 0;
  close(fd);
  return written ? absl::OkStatus()
                 : absl::InternalError(absl::StrCat("cannot write ", path));
}

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("OpenSSL failed to ", what));
}

}  // namespace

absl::Status ValidateText(absl::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("note text must end in a newline");
  }
  if (text.size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError("note text is too long");
  }
  absl::string_view body = text.substr(0, text.size() - 1);
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!IsPrintableUtf8(line)) {
      return absl::InvalidArgumentError(
          "note text must be UTF-8 without control characters");
    }
  }
  if (absl::EndsWith(text, "\n\n")) {
    return absl::InvalidArgumentError("note text must not end in a blank line");
  }
  return absl::OkStatus();
}

absl::Status Signer::DerivePublicKey() {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(),
                                        seed_.size()));
  size_t size = public_key_.size();
  if (key == nullptr ||
      EVP_PKEY_get_raw_public_key(key.get(), public_key_.data(), &size) != 1) {
    return OpenSslError("derive an Ed25519 public key");
  }
  return absl::OkStatus();
}

absl::StatusOr<Signer> Signer::Generate(absl::string_view name) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key name \"", name, "\" must be non-empty, without spaces or '+'"));
  }
  Signer signer;
  if (RAND_bytes(signer.seed_.data(), signer.seed_.size()) != 1) {
    return OpenSslError("produce random bytes");
  }
  absl::Status derived = signer.DerivePublicKey();
  if (!derived.ok()) return derived;
  signer.name_ = std::string(name);
  signer.key_id_ = KeyId(name, signer.public_key_);
  return signer;
}

absl::StatusOr<Signer> Signer::FromKey(absl::string_view signer_key) {
  signer_key = absl::StripTrailingAsciiWhitespace(signer_key);
  if (!absl::ConsumePrefix(&signer_key, kSignerPrefix)) {
    return absl::InvalidArgumentError(
        "not a signer key: it must start with PRIVATE+KEY+");
  }
  Signer signer;
  uint32_t key_id = 0;
  absl::Status status =
      ParseKey(signer_key, &signer.name_, &key_id, &signer.seed_);
  if (!status.ok()) return status;
  absl::Status derived = signer.DerivePublicKey();
  if (!derived.ok()) return derived;
  signer.key_id_ = KeyId(signer.name_, signer.public_key_);
  if (signer.key_id_ != key_id) {
    return absl::InvalidArgumentError("signer key's id does not match its key");
  }
  return signer;
}

std::string Signer::SignerKey() const {
  return absl::StrCat(kSignerPrefix, name_, "+",
                      absl::StrFormat("%08x", key_id_), "+",
                      absl::Base64Escape(KeyBytes(seed_)));
}

std::string Signer::VerifierKey() const {
  return absl::StrCat(name_, "+", absl::StrFormat("%08x", key_id_), "+",
                      absl::Base64Escape(KeyBytes(public_key_)));
}

absl::StatusOr<std::string> Signer::SignMessage(
    absl::string_view message) const {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(),
                                        seed_.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureSize, '\0');
  size_t size = kSignatureSize;
  if (key == nullptr || ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) !=
          1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<uint8_t*>(&signature[0]),
                     &size, reinterpret_cast<const uint8_t*>(message.data()),
                     message.size()) != 1 ||
      size != kSignatureSize) {
    return OpenSslError("sign with Ed25519");
  }
  return signature;
}

absl::StatusOr<std::string> Signer::Sign(absl::string_view text) const {
  absl::Status valid = ValidateText(text);
  if (!valid.ok()) return valid;
  absl::StatusOr<std::string> signature = SignMessage(text);
  if (!signature.ok()) return signature.status();
  char id[4] = {static_cast<char>(key_id_ >> 24),
                static_cast<char>(key_id_ >> 16),
                static_cast<char>(key_id_ >> 8), static_cast<char>(key_id_)};
  return absl::StrCat(
      text, "\n", kSignatureLinePrefix, name_, " ",
      absl::Base64Escape(absl::StrCat(absl::string_view(id, 4), *signature)),
      "\n");
}

absl::StatusOr<Verifier> Verifier::FromKey(absl::string_view verifier_key) {
  verifier_key = absl::StripTrailingAsciiWhitespace(verifier_key);
  if (absl::StartsWith(verifier_key, kSignerPrefix)) {
    return absl::InvalidArgumentError(
        "this is a private signer key; give the public verifier key");
  }
  Verifier verifier;
  absl::Status status = ParseKey(verifier_key, &verifier.name_,
                                 &verifier.key_id_, &verifier.public_key_);
  if (!status.ok()) return status;
  if (KeyId(verifier.name_, verifier.public_key_) != verifier.key_id_) {
    return absl::InvalidArgumentError(
        "verifier key's id does not match its key");
  }
  return verifier;
}

bool Verifier::Verify(absl::string_view text,
                      absl::string_view signature) const {
  if (signature.size() != kSignatureSize) return false;
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       public_key_.data(), public_key_.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  return key != nullptr && ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                              key.get()) == 1 &&
         EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const uint8_t*>(signature.data()),
             signature.size(), reinterpret_cast<const uint8_t*>(text.data()),
             text.size()) == 1;
}

absl::string_view Text(absl::string_view signed_note) {
  const size_t split = signed_note.rfind("\n\n");
  return split == absl::string_view::npos ? signed_note
                                          : signed_note.substr(0, split + 1);
}

absl::StatusOr<std::string> Open(absl::string_view signed_note,
                                 const Verifier& verifier) {
  if (signed_note.size() > kMaxNoteBytes) {
    return absl::InvalidArgumentError("signed note is too long");
  }
  // The text ends at the last blank line; signature lines follow it.
  const absl::string_view text = Text(signed_note);
  // At least one signature line after the blank line, ending in '\n'.
  if (signed_note.size() < text.size() + 2 || signed_note.back() != '\n') {
    return absl::InvalidArgumentError("malformed note: no signature block");
  }
  absl::Status valid = ValidateText(text);
  if (!valid.ok()) return valid;
  absl::string_view block = signed_note.substr(text.size() + 1);
  block.remove_suffix(1);
  bool signed_by_key = false;
  for (absl::string_view line : absl::StrSplit(block, '\n')) {
    if (!absl::ConsumePrefix(&line, kSignatureLinePrefix)) {
      return absl::InvalidArgumentError("malformed note: bad signature line");
    }
    const size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) {
      return absl::InvalidArgumentError("malformed note: bad signature line");
    }
    absl::string_view name = line.substr(0, space);
    std::string signature;
    if (!ValidName(name) || !DecodeBase64(line.substr(space + 1), &signature) ||
        signature.size() < 5) {
      return absl::InvalidArgumentError("malformed note: bad signature line");
    }
    const uint32_t key_id =
        static_cast<uint32_t>(static_cast<uint8_t>(signature[0])) << 24 |
        static_cast<uint32_t>(static_cast<uint8_t>(signature[1])) << 16 |
        static_cast<uint32_t>(static_cast<uint8_t>(signature[2])) << 8 |
        static_cast<uint8_t>(signature[3]);
    if (name != verifier.name() || key_id != verifier.key_id()) continue;
    if (!verifier.Verify(text, absl::string_view(signature).substr(4))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the signature by ", verifier.name(), " does not verify"));
    }
    signed_by_key = true;
  }
  if (!signed_by_key) {
    return absl::FailedPreconditionError(
        absl::StrCat("the note is not signed by ", verifier.name(), "+",
                     absl::StrFormat("%08x", verifier.key_id())));
  }
  return std::string(text);
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    std::string message =
        absl::StrCat("cannot read key file ", path, ": ", std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  // A key is one short line; more than this is not a key file.
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  const int error = errno;
  close(fd);
  if (n < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read key file ", path, ": ", std::strerror(error)));
  }
  absl::string_view text(buffer, static_cast<size_t>(n));
  text = text.substr(0, text.find('\n'));
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path,
                     n == 0 ? " is empty" : " has no key on its first line"));
  }
  return std::string(text);
}

absl::Status WriteKeyFiles(const Signer& signer,
                           const std::string& private_path,
                           const std::string& public_path) {
  if (access(public_path.c_str(), F_OK) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(public_path, " already exists"));
  }
  absl::Status status =
      WriteNewFile(private_path, signer.SignerKey() + "\n", 0600);
  if (!status.ok()) return status;
  return WriteNewFile(public_path, signer.VerifierKey() + "\n", 0644);
}

}  // namespace note
}  // namespace missionlog
