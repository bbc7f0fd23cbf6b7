// Sealed values: a commitment hides its value from anyone guessing (the
// salt), an opening proves it, any changed byte of an opening or of its
// encrypted form fails, an encrypted opening is bound to its event, field
// and commitment, and a data key wrapped for a role opens only with that
// role's private key.
#include "sealing/sealing.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace sealing {
namespace {

constexpr char kPath[] = "missionlog.v1.ConcernRaised.sealed_raiser";
constexpr char kEvent[] = "0190a7e2-6b1c-7c3d-8e9f-0a1b2c3d4e5f";

class SealingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Init().ok()); }
};

TEST_F(SealingTest, AnOpeningOpensItsCommitmentAndNothingElse) {
  const Opening opening = NewOpening("Jane Doe, ward 7 nurse");
  EXPECT_EQ(opening.salt.size(), kSaltBytes);
  const std::string commitment = Commitment(kPath, opening);
  EXPECT_EQ(commitment.size(), kCommitmentBytes);
  EXPECT_TRUE(Opens(commitment, kPath, opening));
  EXPECT_FALSE(
      Opens(commitment, "missionlog.v1.ConcernRaised.summary", opening));
  // Every byte of the salt and of the value matters.
  for (size_t i = 0; i < opening.salt.size(); ++i) {
    Opening changed = opening;
    changed.salt[i] ^= 0x01;
    EXPECT_FALSE(Opens(commitment, kPath, changed)) << "salt byte " << i;
  }
  for (size_t i = 0; i < opening.value.size(); ++i) {
    Opening changed = opening;
    changed.value[i] ^= 0x01;
    EXPECT_FALSE(Opens(commitment, kPath, changed)) << "value byte " << i;
  }
  Opening longer = opening;
  longer.value += " ";
  EXPECT_FALSE(Opens(commitment, kPath, longer));
  // The same value sealed twice gives two unrelated commitments.
  EXPECT_NE(Commitment(kPath, NewOpening(opening.value)), commitment);
}

TEST_F(SealingTest, GuessingTheRaiserDoesNotMatchTheCommitment) {
  const std::vector<std::string> staff = {
      "Jane Doe",    "John Smith",  "Priya Patel", "Mohammed Khan",
      "Anna Nowak",  "Chen Wei",    "Olu Adeyemi", "Sarah Jones",
      "David Brown", "Maria Garcia"};
  const Opening opening = NewOpening(staff[3]);
  const std::string commitment = Commitment(kPath, opening);
  for (const std::string& name : staff) {
    // Without the salt: the old unsalted digest, an empty or zero salt.
    EXPECT_NE(std::string(DigestView(Sha256(name))), commitment) << name;
    EXPECT_FALSE(Opens(commitment, kPath, Opening{std::string(32, '\0'), name}))
        << name;
    EXPECT_FALSE(Opens(commitment, kPath, Opening{"", name})) << name;
  }
  // Only with the opening's own salt does the right name match.
  EXPECT_TRUE(Opens(commitment, kPath, Opening{opening.salt, staff[3]}));
}

TEST_F(SealingTest, AnEncryptedOpeningIsBoundToItsEventFieldAndCommitment) {
  const std::string key = NewDataKey();
  const Opening opening = NewOpening("Jane Doe");
  const std::string commitment = Commitment(kPath, opening);
  const std::string sealed =
      EncryptOpening(key, kEvent, kPath, commitment, opening);
  EXPECT_EQ(sealed.find("Jane Doe"), std::string::npos);
  absl::StatusOr<Opening> back =
      DecryptOpening(key, kEvent, kPath, commitment, sealed);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->value, "Jane Doe");
  EXPECT_EQ(back->salt, opening.salt);
  // Moved to another event, another field, another commitment; another
  // key: refused.
  EXPECT_FALSE(DecryptOpening(key, "0190a7e2-0000-7000-8000-000000000000",
                              kPath, commitment, sealed)
                   .ok());
  EXPECT_FALSE(DecryptOpening(key, kEvent, "x.y", commitment, sealed).ok());
  EXPECT_FALSE(
      DecryptOpening(key, kEvent, kPath, std::string(32, 'c'), sealed).ok());
  EXPECT_FALSE(
      DecryptOpening(NewDataKey(), kEvent, kPath, commitment, sealed).ok());
  // Any changed byte of the encrypted opening.
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string changed = sealed;
    changed[i] ^= 0x01;
    absl::StatusOr<Opening> opened =
        DecryptOpening(key, kEvent, kPath, commitment, changed);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss)
        << "byte " << i;
  }
  EXPECT_FALSE(
      DecryptOpening(key, kEvent, kPath, commitment, sealed.substr(0, 10))
          .ok());
}

TEST_F(SealingTest, ADataKeyWrappedForARoleOpensOnlyWithItsKey) {
  const RoleKeys unsealer = NewRoleKeys("UNSEALER");
  const RoleKeys other = NewRoleKeys("UNSEALER");
  const std::string key = NewDataKey();
  const std::string wrapped = WrapDataKey(key, unsealer.public_key);
  absl::StatusOr<std::string> unwrapped = UnwrapDataKey(wrapped, unsealer);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status();
  EXPECT_EQ(*unwrapped, key);
  EXPECT_EQ(UnwrapDataKey(wrapped, other).status().code(),
            absl::StatusCode::kDataLoss);
  std::string changed = wrapped;
  changed[changed.size() / 2] ^= 0x01;
  EXPECT_FALSE(UnwrapDataKey(changed, unsealer).ok());

  // The keys' text forms round-trip; the secret one gives the public one.
  absl::StatusOr<RoleKeys> public_key =
      ParsePublicRoleKey(unsealer.PublicText());
  ASSERT_TRUE(public_key.ok()) << public_key.status();
  EXPECT_EQ(public_key->public_key, unsealer.public_key);
  EXPECT_EQ(public_key->role, "UNSEALER");
  absl::StatusOr<RoleKeys> secret = ParseSecretRoleKey(unsealer.SecretText());
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->public_key, unsealer.public_key);
  EXPECT_FALSE(ParsePublicRoleKey(unsealer.SecretText()).ok());
  EXPECT_FALSE(
      ParseSecretRoleKey("MISSIONLOG-ROLE-SECRET+UNSEALER+short").ok());
}

}  // namespace
}  // namespace sealing
}  // namespace missionlog
