#include "services/access_policy.h"

#include <algorithm>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace missionlog {
namespace {

constexpr size_t kMaxPolicyBytes = 4 << 20;

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

absl::Status CheckLimits(const v1::Limits& limits, const std::string& where) {
  if (!(limits.append_events_per_second() >= 0) ||
      !(limits.append_burst() >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": rates and bursts cannot be negative"));
  }
  return absl::OkStatus();
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
    case Permission::kUnseal:
      return "unseal";
    case Permission::kErase:
      return "erase";
    case Permission::kBackup:
      return "backup";
  }
  return "?";
}

absl::Status AccessPolicy::Compile(const v1::AccessPolicy& policy,
                                   AccessPolicy* out) {
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
      if (role <= v1::ROLE_UNSPECIFIED || role > v1::UNSEALER) {
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
      Roles& roles = out->roles_[principal];
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
          case v1::UNSEALER:
            roles.unsealer = true;
            break;
        }
      }
    }
  }
  absl::Status limits = CheckLimits(policy.default_limits(), "default_limits");
  if (!limits.ok()) return limits;
  out->default_limits_ = policy.default_limits();
  for (int i = 0; i < policy.principal_limits_size(); ++i) {
    const v1::PrincipalLimits& entry = policy.principal_limits(i);
    const std::string where = absl::StrCat("principal_limits[", i, "]");
    if (entry.principal().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": empty principal"));
    }
    limits = CheckLimits(entry.limits(), where);
    if (!limits.ok()) return limits;
    if (!out->limits_.emplace(entry.principal(), entry.limits()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": principal \"", entry.principal(), "\" has limits already"));
    }
  }
  return absl::OkStatus();
}

// Tokens file grammar, one entry per line:
//   line    := digest ws principal | "#" comment | blank
//   digest  := 64 hex digits, SHA-256 of the token
absl::Status AccessPolicy::ParseTokens(const std::string& path,
                                       const std::string& text,
                                       AccessPolicy* out) {
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
    if (!out->principal_by_token_digest_.emplace(digest, std::string(fields[1]))
             .second) {
      return bad("the same token is listed twice");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const AccessPolicy>> AccessPolicy::Load(
    const std::string& policy_file, const std::string& tokens_file) {
  std::shared_ptr<AccessPolicy> snapshot(new AccessPolicy());
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
  return std::shared_ptr<const AccessPolicy>(std::move(snapshot));
}

const std::string* AccessPolicy::PrincipalOfToken(
    absl::string_view token_digest) const {
  auto found = principal_by_token_digest_.find(token_digest);
  return found == principal_by_token_digest_.end() ? nullptr : &found->second;
}

const v1::Limits& AccessPolicy::LimitsOf(const std::string& principal) const {
  auto it = limits_.find(principal);
  return it == limits_.end() ? default_limits_ : it->second;
}

absl::Status AccessPolicy::Check(const std::string& principal,
                                 Permission permission,
                                 absl::string_view resource) const {
  auto found = roles_.find(principal);
  const Roles* roles = found == roles_.end() ? nullptr : &found->second;
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
      case Permission::kErase:
      case Permission::kBackup:
        allowed = roles->admin;
        break;
      case Permission::kUnseal:
        allowed = roles->unsealer;
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
    if (roles->unsealer) held.push_back("UNSEALER");
    granted = absl::StrCat("its roles: ", absl::StrJoin(held, "; "));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("principal \"", principal, "\" lacks permission \"",
                   PermissionName(permission), "\"",
                   DescribeResource(permission, resource), " (", granted, ")"));
}

}  // namespace missionlog
