#include "sealing/sealing.h"

#include <sodium.h>

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace missionlog {
namespace sealing {
namespace {

constexpr char kCommitmentTag[] = "missionlog sealed value v1";
constexpr char kPublicPrefix[] = "MISSIONLOG-ROLE-PUBLIC";
constexpr char kSecretPrefix[] = "MISSIONLOG-ROLE-SECRET";

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void AppendLengthPrefixed(crypto_hash_sha256_state* state,
                          absl::string_view bytes) {
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  const unsigned char length[4] = {
      static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
      static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  crypto_hash_sha256_update(state, length, sizeof length);
  crypto_hash_sha256_update(state, U(bytes), bytes.size());
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(&out[0], n);
  return out;
}

// event id, path and commitment, each length-prefixed: the AEAD's
// associated data.
std::string AssociatedData(absl::string_view event_id, absl::string_view path,
                           absl::string_view commitment) {
  std::string ad;
  for (absl::string_view part : {event_id, path, commitment}) {
    const uint32_t n = static_cast<uint32_t>(part.size());
    ad.push_back(static_cast<char>(n >> 24));
    ad.push_back(static_cast<char>(n >> 16));
    ad.push_back(static_cast<char>(n >> 8));
    ad.push_back(static_cast<char>(n));
    ad.append(part.data(), part.size());
  }
  return ad;
}

absl::StatusOr<RoleKeys> ParseRoleKey(absl::string_view text,
                                      absl::string_view prefix, bool secret) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::StripAsciiWhitespace(text), '+');
  // The base64 may itself hold '+': everything after the second one.
  if (parts.size() < 3 || parts[0] != prefix || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a ", secret ? "secret" : "public", " role key (",
                     prefix, "+ROLE+KEY)"));
  }
  const size_t key_start = parts[0].size() + parts[1].size() + 2;
  std::string key;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(text).substr(key_start),
                            &key) ||
      key.size() != crypto_box_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError("a role key is 32 bytes in base64");
  }
  RoleKeys keys;
  keys.role = std::string(parts[1]);
  if (secret) {
    keys.secret_key = key;
    keys.public_key.resize(crypto_box_PUBLICKEYBYTES);
    crypto_scalarmult_base(
        reinterpret_cast<unsigned char*>(&keys.public_key[0]),
        U(keys.secret_key));
  } else {
    keys.public_key = key;
  }
  return keys;
}

}  // namespace

absl::Status Init() {
  return sodium_init() < 0 ? absl::InternalError("libsodium did not start")
                           : absl::OkStatus();
}

Opening NewOpening(absl::string_view value) {
  return Opening{RandomBytes(kSaltBytes), std::string(value)};
}

std::string Commitment(absl::string_view path, const Opening& opening) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, U(kCommitmentTag), sizeof kCommitmentTag);
  AppendLengthPrefixed(&state, opening.salt);
  AppendLengthPrefixed(&state, path);
  AppendLengthPrefixed(&state, opening.value);
  std::string digest(kCommitmentBytes, '\0');
  crypto_hash_sha256_final(&state,
                           reinterpret_cast<unsigned char*>(&digest[0]));
  return digest;
}

bool Opens(absl::string_view commitment, absl::string_view path,
           const Opening& opening) {
  if (commitment.size() != kCommitmentBytes ||
      opening.salt.size() != kSaltBytes) {
    return false;
  }
  const std::string computed = Commitment(path, opening);
  return sodium_memcmp(computed.data(), commitment.data(), kCommitmentBytes) ==
         0;
}

std::string NewDataKey() {
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  crypto_aead_xchacha20poly1305_ietf_keygen(
      reinterpret_cast<unsigned char*>(&key[0]));
  return key;
}

std::string EncryptOpening(absl::string_view data_key,
                           absl::string_view event_id, absl::string_view path,
                           absl::string_view commitment,
                           const Opening& opening) {
  // The plaintext: salt || value.
  const std::string plain = absl::StrCat(opening.salt, opening.value);
  const std::string ad = AssociatedData(event_id, path, commitment);
  std::string out = RandomBytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  out.resize(out.size() + plain.size() +
             crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(
          &out[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES]),
      &written, U(plain), plain.size(), U(ad), ad.size(), nullptr, U(out),
      U(data_key));
  out.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + written);
  return out;
}

absl::StatusOr<Opening> DecryptOpening(absl::string_view data_key,
                                       absl::string_view event_id,
                                       absl::string_view path,
                                       absl::string_view commitment,
                                       absl::string_view encrypted) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (data_key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES ||
      encrypted.size() < kNonce + kTag + kSaltBytes) {
    return absl::DataLossError("the sealed opening is malformed");
  }
  const std::string ad = AssociatedData(event_id, path, commitment);
  std::string plain(encrypted.size() - kNonce - kTag, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(&plain[0]), &written, nullptr,
          U(encrypted.substr(kNonce)), encrypted.size() - kNonce, U(ad),
          ad.size(), U(encrypted), U(data_key)) != 0) {
    return absl::DataLossError(
        "the sealed opening does not decrypt: wrong key, or it was altered "
        "or moved");
  }
  plain.resize(written);
  Opening opening{plain.substr(0, kSaltBytes), plain.substr(kSaltBytes)};
  if (!Opens(commitment, path, opening)) {
    return absl::DataLossError("the opening does not open its commitment");
  }
  return opening;
}

std::string RoleKeys::PublicText() const {
  return absl::StrCat(kPublicPrefix, "+", role, "+",
                      absl::Base64Escape(public_key));
}

std::string RoleKeys::SecretText() const {
  return absl::StrCat(kSecretPrefix, "+", role, "+",
                      absl::Base64Escape(secret_key));
}

RoleKeys NewRoleKeys(absl::string_view role) {
  RoleKeys keys;
  keys.role = std::string(role);
  keys.public_key.resize(crypto_box_PUBLICKEYBYTES);
  keys.secret_key.resize(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(reinterpret_cast<unsigned char*>(&keys.public_key[0]),
                     reinterpret_cast<unsigned char*>(&keys.secret_key[0]));
  return keys;
}

absl::StatusOr<RoleKeys> ParsePublicRoleKey(absl::string_view text) {
  return ParseRoleKey(text, kPublicPrefix, /*secret=*/false);
}

absl::StatusOr<RoleKeys> ParseSecretRoleKey(absl::string_view text) {
  return ParseRoleKey(text, kSecretPrefix, /*secret=*/true);
}

std::string WrapDataKey(absl::string_view data_key,
                        absl::string_view role_public_key) {
  std::string box(crypto_box_SEALBYTES + data_key.size(), '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(&box[0]), U(data_key),
                  data_key.size(), U(role_public_key));
  return box;
}

absl::StatusOr<std::string> UnwrapDataKey(absl::string_view wrapped,
                                          const RoleKeys& role) {
  if (wrapped.size() != crypto_box_SEALBYTES + kDataKeyBytes ||
      role.secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return absl::DataLossError("the wrapped data key is malformed");
  }
  std::string key(kDataKeyBytes, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(&key[0]),
                           U(wrapped), wrapped.size(), U(role.public_key),
                           U(role.secret_key)) != 0) {
    return absl::DataLossError(absl::StrCat(
        "the data key is not wrapped for role ", role.role, "'s key"));
  }
  return key;
}

}  // namespace sealing
}  // namespace missionlog
