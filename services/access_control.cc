#include "services/access_control.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "services/conversions.h"
#include "tlog/sha256.h"

namespace missionlog {

namespace {

constexpr size_t kMaxPolicyBytes = 4 << 20;
// Buckets kept for principals that are idle and full are dropped beyond
// this many, so a stream of new principals cannot grow the map forever.
constexpr size_t kMaxIdleBuckets = 4096;

struct Roles {
  std::vector<std::string> stream_prefixes;  // WRITER
  bool auditor = false;
  bool inquiry = false;
  bool admin = false;
};

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxPolicyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxPolicyBytes, " bytes"));
    }
  }
  return text;
}

double SteadySeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Collects the first parse error of a text-format policy.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error_.empty()) {
      // The parser counts from 0.
      error_ = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                            message);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

struct AccessSnapshot {
  absl::flat_hash_map<std::string, Roles> roles;
  absl::flat_hash_map<std::string, std::string> principal_by_token_digest;
  v1::Limits default_limits;
  absl::flat_hash_map<std::string, v1::Limits> limits;

  const v1::Limits& LimitsOf(const std::string& principal) const {
    auto it = limits.find(principal);
    return it == limits.end() ? default_limits : it->second;
  }
};

namespace {

absl::Status CheckLimits(const v1::Limits& limits, const std::string& where) {
  if (!(limits.append_events_per_second() >= 0) ||
      !(limits.append_burst() >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": rates and bursts cannot be negative"));
  }
  return absl::OkStatus();
}

absl::Status Compile(const v1::AccessPolicy& policy, AccessSnapshot* out) {
  for (int g = 0; g < policy.grants_size(); ++g) {
    const v1::Grant& grant = policy.grants(g);
    const std::string where = absl::StrCat("grants[", g, "]");
    if (grant.principals().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": names no principals"));
    }
    if (grant.roles().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": gives no roles"));
    }
    bool writer = false;
    for (int role : grant.roles()) {
      if (role == v1::WRITER) writer = true;
      if (role <= v1::ROLE_UNSPECIFIED || role > v1::ADMIN) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": role ", role, " is not a role"));
      }
    }
    if (writer && grant.stream_prefixes().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": WRITER needs stream_prefixes, e.g. \"dhsc/\""));
    }
    if (!writer && !grant.stream_prefixes().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": stream_prefixes apply to WRITER only"));
    }
    for (const std::string& prefix : grant.stream_prefixes()) {
      if (prefix.size() < 2 || prefix.back() != '/' ||
          absl::StrContains(prefix.substr(0, prefix.size() - 1), "//")) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": stream prefix \"", prefix,
            "\" must be non-empty and end in \"/\", e.g. \"dhsc/\""));
      }
    }
    for (const std::string& principal : grant.principals()) {
      if (principal.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": empty principal"));
      }
      Roles& roles = out->roles[principal];
      for (int role : grant.roles()) {
        switch (role) {
          case v1::WRITER:
            for (const std::string& prefix : grant.stream_prefixes()) {
              roles.stream_prefixes.push_back(prefix);
            }
            break;
          case v1::AUDITOR:
            roles.auditor = true;
            break;
          case v1::INQUIRY:
            roles.inquiry = true;
            break;
          case v1::ADMIN:
            roles.admin = true;
            break;
        }
      }
    }
  }
  absl::Status limits = CheckLimits(policy.default_limits(), "default_limits");
  if (!limits.ok()) return limits;
  out->default_limits = policy.default_limits();
  for (int i = 0; i < policy.principal_limits_size(); ++i) {
    const v1::PrincipalLimits& entry = policy.principal_limits(i);
    const std::string where = absl::StrCat("principal_limits[", i, "]");
    if (entry.principal().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": empty principal"));
    }
    limits = CheckLimits(entry.limits(), where);
    if (!limits.ok()) return limits;
    if (!out->limits.emplace(entry.principal(), entry.limits()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": principal \"", entry.principal(), "\" has limits already"));
    }
  }
  return absl::OkStatus();
}

// Tokens file grammar, one entry per line:
//   line    := digest ws principal | "#" comment | blank
//   digest  := 64 hex digits, SHA-256 of the token
absl::Status ParseTokens(const std::string& path, const std::string& text,
                         AccessSnapshot* out) {
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": ", why,
                       " (expected: <SHA-256 of the token, hex> <principal>)"));
    };
    if (fields.size() != 2) return bad("two fields expected");
    if (fields[0].size() != 64 ||
        !std::all_of(fields[0].begin(), fields[0].end(),
                     [](char c) { return absl::ascii_isxdigit(c); })) {
      return bad("not a SHA-256 digest in hex");
    }
    const std::string digest =
        absl::HexStringToBytes(absl::AsciiStrToLower(fields[0]));
    if (!out->principal_by_token_digest.emplace(digest, std::string(fields[1]))
             .second) {
      return bad("the same token is listed twice");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const AccessSnapshot>> LoadSnapshot(
    const std::string& policy_file, const std::string& tokens_file) {
  auto snapshot = std::make_shared<AccessSnapshot>();
  absl::StatusOr<std::string> text = ReadSmallFile(policy_file);
  if (!text.ok()) return text.status();
  v1::AccessPolicy policy;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(*text, &policy)) {
    return absl::InvalidArgumentError(
        absl::StrCat(policy_file, ": ", errors.error()));
  }
  absl::Status compiled = Compile(policy, snapshot.get());
  if (!compiled.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(policy_file, ": ", compiled.message()));
  }
  if (!tokens_file.empty()) {
    absl::StatusOr<std::string> tokens = ReadSmallFile(tokens_file);
    if (!tokens.ok()) return tokens.status();
    absl::Status parsed = ParseTokens(tokens_file, *tokens, snapshot.get());
    if (!parsed.ok()) return parsed;
  }
  return std::shared_ptr<const AccessSnapshot>(std::move(snapshot));
}

// The principal a verified client certificate names, or "".
std::string CertificatePrincipal(const grpc::CallbackServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const char* property :
       {"x509_common_name", "x509_subject_alternative_name"}) {
    std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
    if (!values.empty() && !values[0].empty()) {
      return std::string(values[0].data(), values[0].size());
    }
  }
  return "";
}

std::string DescribeResource(Permission permission,
                             absl::string_view resource) {
  switch (permission) {
    case Permission::kAppend:
      return absl::StrCat(" on stream \"", resource, "\"");
    case Permission::kRead:
      return resource.empty() ? std::string(" on the whole log")
                              : absl::StrCat(" on \"", resource, "\"");
    default:
      return "";
  }
}

}  // namespace

const char* PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kAppend:
      return "append";
    case Permission::kRead:
      return "read";
    case Permission::kAudit:
      return "audit";
    case Permission::kQuery:
      return "query";
    case Permission::kProjectionsStatus:
      return "projections.status";
    case Permission::kProjectionsRebuild:
      return "projections.rebuild";
  }
  return "?";
}

AccessControl::AccessControl(bool development, std::string policy_file,
                             std::string tokens_file,
                             std::shared_ptr<const AccessSnapshot> snapshot)
    : development_(development),
      policy_file_(std::move(policy_file)),
      tokens_file_(std::move(tokens_file)),
      snapshot_(std::move(snapshot)) {}

std::unique_ptr<AccessControl> AccessControl::Development() {
  return std::unique_ptr<AccessControl>(
      new AccessControl(/*development=*/true, "", "", nullptr));
}

absl::StatusOr<std::unique_ptr<AccessControl>> AccessControl::FromFiles(
    const std::string& policy_file, const std::string& tokens_file) {
  absl::StatusOr<std::shared_ptr<const AccessSnapshot>> snapshot =
      LoadSnapshot(policy_file, tokens_file);
  if (!snapshot.ok()) return snapshot.status();
  return std::unique_ptr<AccessControl>(new AccessControl(
      /*development=*/false, policy_file, tokens_file, *std::move(snapshot)));
}

absl::Status AccessControl::Reload() {
  if (development_) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const AccessSnapshot>> snapshot =
      LoadSnapshot(policy_file_, tokens_file_);
  if (!snapshot.ok()) return snapshot.status();
  absl::MutexLock lock(&snapshot_mu_);
  snapshot_ = *std::move(snapshot);
  return absl::OkStatus();
}

std::shared_ptr<const AccessSnapshot> AccessControl::snapshot() const {
  absl::MutexLock lock(&snapshot_mu_);
  return snapshot_;
}

absl::StatusOr<Caller> AccessControl::Authenticate(
    const grpc::CallbackServerContext& context) const {
  Caller caller;
  if (development_) {
    caller.principal = CertificatePrincipal(context);
    if (caller.principal.empty()) {
      caller.principal = AnonymousPrincipal(context.peer());
    }
    return caller;
  }
  caller.policy = snapshot();
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header != metadata.end()) {
    absl::string_view value(header->second.data(), header->second.size());
    if (!absl::ConsumePrefix(&value, "Bearer ")) {
      return absl::UnauthenticatedError(
          "authorization: expected \"Bearer <token>\"");
    }
    auto found = caller.policy->principal_by_token_digest.find(
        std::string(DigestView(Sha256(absl::StripAsciiWhitespace(value)))));
    if (found == caller.policy->principal_by_token_digest.end()) {
      return absl::UnauthenticatedError(
          "the bearer token is not one this server knows (wrong, or removed "
          "from its tokens file)");
    }
    caller.principal = found->second;
    return caller;
  }
  caller.principal = CertificatePrincipal(context);
  if (caller.principal.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send a bearer token (authorization: Bearer ...) or "
        "a client certificate signed by the server's client CA");
  }
  return caller;
}

absl::Status AccessControl::Check(const Caller& caller, Permission permission,
                                  absl::string_view resource) {
  if (caller.policy == nullptr) return absl::OkStatus();  // development
  auto found = caller.policy->roles.find(caller.principal);
  const Roles* roles =
      found == caller.policy->roles.end() ? nullptr : &found->second;
  auto writes = [&] {
    if (roles == nullptr) return false;
    for (const std::string& prefix : roles->stream_prefixes) {
      if (absl::StartsWith(resource, prefix)) return true;
    }
    return false;
  };
  bool allowed = false;
  if (roles != nullptr) {
    switch (permission) {
      case Permission::kAppend:
        allowed = writes();
        break;
      case Permission::kRead:
        allowed = roles->auditor || writes();
        break;
      case Permission::kAudit:
        allowed = roles->auditor;
        break;
      case Permission::kQuery:
        allowed = roles->inquiry;
        break;
      case Permission::kProjectionsStatus:
      case Permission::kProjectionsRebuild:
        allowed = roles->admin;
        break;
    }
  }
  if (allowed) return absl::OkStatus();
  std::string granted;
  if (roles == nullptr) {
    granted = "it has no grants in the access policy";
  } else {
    std::vector<std::string> held;
    if (!roles->stream_prefixes.empty()) {
      held.push_back(absl::StrCat("WRITER of ",
                                  absl::StrJoin(roles->stream_prefixes, ", ")));
    }
    if (roles->auditor) held.push_back("AUDITOR");
    if (roles->inquiry) held.push_back("INQUIRY");
    if (roles->admin) held.push_back("ADMIN");
    granted = absl::StrCat("its roles: ", absl::StrJoin(held, "; "));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("principal \"", caller.principal, "\" lacks permission \"",
                   PermissionName(permission), "\"",
                   DescribeResource(permission, resource), " (", granted, ")"));
}

absl::StatusOr<Caller> AccessControl::Authorize(
    const grpc::CallbackServerContext& context, Permission permission,
    absl::string_view resource) const {
  absl::StatusOr<Caller> caller = Authenticate(context);
  if (!caller.ok()) return caller;
  absl::Status allowed = Check(*caller, permission, resource);
  if (!allowed.ok()) return allowed;
  return caller;
}

bool AccessControl::AuthorizeUnary(const grpc::CallbackServerContext& context,
                                   grpc::ServerUnaryReactor* reactor,
                                   Permission permission,
                                   absl::string_view resource) const {
  absl::StatusOr<Caller> caller = Authorize(context, permission, resource);
  if (caller.ok()) return true;
  reactor->Finish(ToGrpcStatus(caller.status()));
  return false;
}

absl::Status AccessControl::ChargeAppend(const Caller& caller, size_t events) {
  if (caller.policy == nullptr) return absl::OkStatus();
  const v1::Limits& limits = caller.policy->LimitsOf(caller.principal);
  const double rate = limits.append_events_per_second();
  if (rate <= 0) return absl::OkStatus();
  const double burst = limits.append_burst() > 0 ? limits.append_burst() : rate;
  const double wanted = static_cast<double>(events);
  if (wanted > burst) {
    return absl::ResourceExhaustedError(
        absl::StrCat("an append of ", events,
                     " events is more than principal \"", caller.principal,
                     "\" may append at once (burst ", burst, "); split it"));
  }
  const double now = SteadySeconds();
  absl::MutexLock lock(&limits_mu_);
  if (buckets_.size() > kMaxIdleBuckets) {
    // Full buckets carry no state worth keeping.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      auto here = it++;
      if (here->second.tokens + (now - here->second.last_seconds) * rate >=
          burst) {
        buckets_.erase(here);
      }
    }
  }
  auto [it, added] = buckets_.try_emplace(caller.principal);
  Bucket& bucket = it->second;
  if (added) {
    bucket.tokens = burst;
  } else {
    bucket.tokens =
        std::min(burst, bucket.tokens + (now - bucket.last_seconds) * rate);
  }
  bucket.last_seconds = now;
  if (bucket.tokens < wanted) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "principal \"", caller.principal, "\" is over its append rate limit (",
        rate, " events/s); retry later"));
  }
  bucket.tokens -= wanted;
  return absl::OkStatus();
}

absl::Status AccessControl::OpenSubscription(const Caller& caller) {
  if (caller.policy == nullptr) return absl::OkStatus();
  const uint32_t limit =
      caller.policy->LimitsOf(caller.principal).max_subscriptions();
  absl::MutexLock lock(&limits_mu_);
  uint32_t& open = subscriptions_[caller.principal];
  if (limit > 0 && open >= limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("principal \"", caller.principal, "\" has ", open,
                     " subscriptions open, its limit"));
  }
  ++open;
  return absl::OkStatus();
}

void AccessControl::CloseSubscription(const Caller& caller) {
  if (caller.policy == nullptr) return;
  absl::MutexLock lock(&limits_mu_);
  auto it = subscriptions_.find(caller.principal);
  if (it == subscriptions_.end()) return;
  if (--it->second == 0) subscriptions_.erase(it);
}

StreamSlot& StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Release();
    access_ = other.access_;
    connection_ = std::move(other.connection_);
    other.access_ = nullptr;
  }
  return *this;
}

void StreamSlot::Release() {
  if (access_ != nullptr) access_->CloseStream(connection_);
  access_ = nullptr;
}

absl::StatusOr<StreamSlot> AccessControl::OpenStream(
    const grpc::CallbackServerContext& context) {
  StreamSlot slot;
  if (max_streams_per_connection_ <= 0) return slot;
  std::string connection = context.peer();
  {
    absl::MutexLock lock(&limits_mu_);
    int& open = streams_[connection];
    if (open >= max_streams_per_connection_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "this connection has ", open,
          " streaming calls open, the server's limit "
          "(--max_streams_per_connection); close some or open another "
          "connection"));
    }
    ++open;
  }
  slot.access_ = this;
  slot.connection_ = std::move(connection);
  return slot;
}

void AccessControl::CloseStream(const std::string& connection) {
  absl::MutexLock lock(&limits_mu_);
  auto it = streams_.find(connection);
  if (it != streams_.end() && --it->second <= 0) streams_.erase(it);
}

}  // namespace missionlog
