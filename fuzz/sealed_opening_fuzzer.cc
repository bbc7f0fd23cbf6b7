// What reads sealed data from storage or from a user: encrypted openings
// (with the associated data cut from the input too), wrapped data keys and
// role keys in text. None may crash, and nothing made up may open.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sealing/sealing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace missionlog::sealing;
  static const bool started = Init().ok();
  if (!started) std::abort();
  static const std::string key(kDataKeyBytes, 'k');
  static const RoleKeys role = NewRoleKeys("UNSEALER");
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t cut = size > 0 ? static_cast<uint8_t>(input[0]) % (size + 1) : 0;
  const std::string event = input.substr(0, cut);
  const std::string rest = input.substr(cut);
  absl::StatusOr<Opening> opening =
      DecryptOpening(key, event, "a.b", std::string(32, 'c'), rest);
  // Forging an opening needs the key: a made-up input never decrypts.
  if (opening.ok()) std::abort();
  if (UnwrapDataKey(input, role).ok()) std::abort();
  (void)ParsePublicRoleKey(input);
  (void)ParseSecretRoleKey(input);
  return 0;
}
