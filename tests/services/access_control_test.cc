// Access control in parts, without a server: the policy (what each role
// may do, and precise refusals), the authenticator (tokens, certificates,
// development mode, reload keeping the old policy on a bad file), and the
// quotas (a token bucket on a fake clock, subscription and stream limits).
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/access_policy.h"
#include "services/authenticator.h"
#include "services/quotas.h"
#include "tests/test_util.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

constexpr char kPolicy[] = R"pb(
  grants { principals: "dhsc-ingest" roles: WRITER stream_prefixes: "dhsc/" }
  grants { principals: "nao" roles: AUDITOR }
  grants {
    principals: "inquiry"
    roles: [ INQUIRY, AUDITOR ]
  }
  grants { principals: "ops" roles: ADMIN }
  default_limits {
    append_events_per_second: 10
    append_burst: 20
    max_subscriptions: 2
  }
)pb";

class AccessControlTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }
  // A tokens file line for `token`.
  static std::string TokenLine(const std::string& token,
                               const std::string& principal) {
    return absl::StrCat(absl::BytesToHexString(DigestView(Sha256(token))), " ",
                        principal, "\n");
  }
  std::shared_ptr<const AccessPolicy> Policy() {
    auto policy = AccessPolicy::Load(Write("policy", kPolicy), "");
    EXPECT_TRUE(policy.ok()) << policy.status();
    return policy.ok() ? *policy : nullptr;
  }

  testing::TempDir dir_;
};

TEST_F(AccessControlTest, EachRoleMayDoWhatItsGrantSays) {
  auto policy = Policy();
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(
      policy->Check("dhsc-ingest", Permission::kAppend, "dhsc/x/1").ok());
  EXPECT_TRUE(policy->Check("dhsc-ingest", Permission::kRead, "dhsc/").ok());
  EXPECT_TRUE(policy->Check("nao", Permission::kRead, "").ok());
  EXPECT_TRUE(policy->Check("nao", Permission::kAudit).ok());
  EXPECT_TRUE(policy->Check("inquiry", Permission::kQuery).ok());
  EXPECT_TRUE(policy->Check("ops", Permission::kProjectionsRebuild).ok());
}

TEST_F(AccessControlTest, ARefusalNamesThePermissionResourceAndRoles) {
  auto policy = Policy();
  ASSERT_NE(policy, nullptr);
  absl::Status refused =
      policy->Check("dhsc-ingest", Permission::kAppend, "hmt/note/1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "principal \"dhsc-ingest\" lacks permission \"append\" on stream "
            "\"hmt/note/1\" (its roles: WRITER of dhsc/)");
  refused = policy->Check("nao", Permission::kAppend, "nao/x/1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  refused = policy->Check("stranger", Permission::kQuery);
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "it has no grants in the access policy"))
      << refused;
}

TEST_F(AccessControlTest, AMalformedPolicyNamesTheFileAndTheProblem) {
  const std::string bad = Write(
      "bad", "grants { principals: \"x\" roles: WRITER }\n");  // no prefixes
  auto policy = AccessPolicy::Load(bad, "");
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(policy.status().message(), bad + ": "))
      << policy.status();
  EXPECT_TRUE(absl::StrContains(policy.status().message(),
                                "WRITER needs stream_prefixes"))
      << policy.status();
  const std::string unparsable = Write("unparsable", "grants { nonsense }\n");
  policy = AccessPolicy::Load(unparsable, "");
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(policy.status().message(), "line 1"))
      << policy.status();
  const std::string tokens = Write("tokens", "abc nao\n");
  policy = AccessPolicy::Load(Write("policy", kPolicy), tokens);
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(policy.status().message(), tokens + ":1: "))
      << policy.status();
}

TEST_F(AccessControlTest, TokensAndCertificatesNamePrincipals) {
  const std::string tokens =
      Write("tokens", TokenLine("mlt_secret", "nao") + "# a comment\n");
  auto authenticator =
      Authenticator::FromFiles(Write("policy", kPolicy), tokens);
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  const std::string bearer = "Bearer mlt_secret";
  auto caller = (*authenticator)->Authenticate(&bearer, "", "ipv4:1.2.3.4:5");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal, "nao");
  // A token, when sent, decides even with a certificate.
  const std::string wrong = "Bearer mlt_guess";
  EXPECT_EQ((*authenticator)->Authenticate(&wrong, "ops", "").status().code(),
            absl::StatusCode::kUnauthenticated);
  const std::string basic = "Basic abc";
  EXPECT_EQ((*authenticator)->Authenticate(&basic, "", "").status().code(),
            absl::StatusCode::kUnauthenticated);
  caller = (*authenticator)->Authenticate(nullptr, "ops", "");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal, "ops");
  EXPECT_EQ((*authenticator)->Authenticate(nullptr, "", "").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, DevelopmentModeKnowsCallersByPeer) {
  auto authenticator = Authenticator::Development();
  auto caller = authenticator->Authenticate(nullptr, "", "ipv4:127.0.0.1:5555");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->principal, "anonymous@127.0.0.1");
  EXPECT_EQ(caller->policy, nullptr);
}

TEST_F(AccessControlTest, AReloadOfABadFileKeepsThePolicyInForce) {
  const std::string policy_file = Write("policy", kPolicy);
  const std::string tokens = Write("tokens", TokenLine("mlt_a", "nao"));
  auto authenticator = Authenticator::FromFiles(policy_file, tokens);
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  Write("tokens", "not a token line\n");
  EXPECT_EQ((*authenticator)->Reload().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string bearer = "Bearer mlt_a";
  EXPECT_TRUE((*authenticator)->Authenticate(&bearer, "", "").ok());
  // A good file takes effect: the old token is gone.
  Write("tokens", TokenLine("mlt_b", "nao"));
  ASSERT_TRUE((*authenticator)->Reload().ok());
  EXPECT_EQ((*authenticator)->Authenticate(&bearer, "", "").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccessControlTest, TheAppendRateIsATokenBucket) {
  double now = 100;
  Quotas quotas([&now] { return now; });
  const Caller caller{"dhsc-ingest", Policy()};
  // Burst 20, 10 events/s.
  EXPECT_TRUE(quotas.ChargeAppend(caller, 15).ok());
  EXPECT_TRUE(quotas.ChargeAppend(caller, 5).ok());
  absl::Status over = quotas.ChargeAppend(caller, 1);
  EXPECT_EQ(over.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(over.message(), "append rate limit")) << over;
  now += 0.5;  // five events' worth
  EXPECT_TRUE(quotas.ChargeAppend(caller, 5).ok());
  EXPECT_FALSE(quotas.ChargeAppend(caller, 1).ok());
  // More than a burst at once can never pass: it says to split it.
  now += 100;
  absl::Status too_big = quotas.ChargeAppend(caller, 21);
  EXPECT_TRUE(absl::StrContains(too_big.message(), "split it")) << too_big;
  // A development caller has no rate.
  EXPECT_TRUE(quotas.ChargeAppend(Caller{"dev", nullptr}, 1000000).ok());
}

TEST_F(AccessControlTest, SubscriptionsAndStreamsAreCountedAndReleased) {
  Quotas quotas;
  const Caller caller{"nao", Policy()};
  EXPECT_TRUE(quotas.OpenSubscription(caller).ok());
  EXPECT_TRUE(quotas.OpenSubscription(caller).ok());
  EXPECT_EQ(quotas.OpenSubscription(caller).code(),
            absl::StatusCode::kResourceExhausted);
  quotas.CloseSubscription(caller);
  EXPECT_TRUE(quotas.OpenSubscription(caller).ok());

  quotas.set_max_streams_per_connection(1);
  {
    auto slot = quotas.OpenStream("ipv4:10.0.0.1:1");
    ASSERT_TRUE(slot.ok()) << slot.status();
    EXPECT_EQ(quotas.OpenStream("ipv4:10.0.0.1:1").status().code(),
              absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(quotas.OpenStream("ipv4:10.0.0.2:1").ok());
  }
  // The slot went out of scope: the connection may open another.
  EXPECT_TRUE(quotas.OpenStream("ipv4:10.0.0.1:1").ok());
}

}  // namespace
}  // namespace missionlog
