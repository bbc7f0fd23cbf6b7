// The rules of the domain's missions, accountability for subjects, and
// contributions (one entry per event type: the stream kinds it belongs on,
// whether it is about an existing subject, and its field rules).
#include "absl/strings/str_cat.h"
#include "domain/rules.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/missions.pb.h"

namespace missionlog {
namespace domain {

std::vector<TypeRules> MissionRules() {
  return {
      Rules<v1::MissionDeclared>(
          EventType::kMissionDeclared, {"mission"}, false,
          [](const v1::MissionDeclared& m, Check* c) {
            c->Text(m.title(), "title", true);
            c->LongText(m.outcome_statement(), "outcome_statement", true);
            if (m.targets().empty())
              c->Fail("targets", "at least one required");
            for (int i = 0; i < m.targets_size(); ++i) {
              const std::string at = absl::StrCat("targets[", i, "]");
              c->Text(m.targets(i).id(), absl::StrCat(at, ".id"), true);
              c->Text(m.targets(i).description(),
                      absl::StrCat(at, ".description"), true);
              c->Date(m.targets(i).has_due(), m.targets(i).due(),
                      absl::StrCat(at, ".due"), false);
            }
            c->Ref(m.has_lead_organisation(), m.lead_organisation(),
                   "lead_organisation", true, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Evidence(m.sources(), "sources");
          }),
      Rules<v1::MissionTargetRevised>(
          EventType::kMissionTargetRevised, {"mission"}, true,
          [](const v1::MissionTargetRevised& m, Check* c) {
            if (!m.has_target()) c->Fail("target", "required");
            c->Text(m.target().id(), "target.id", true);
            c->Text(m.target().description(), "target.description", true);
            c->LongText(m.reason(), "reason", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::MissionRetired>(
          EventType::kMissionRetired, {"mission"}, true,
          [](const v1::MissionRetired& m, Check* c) {
            c->LongText(m.reason(), "reason", true);
            c->Ref(m.has_superseded_by(), m.superseded_by(), "superseded_by",
                   false, "mission");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::OwnerAssigned>(
          EventType::kOwnerAssigned,
          {"mission", "milestone", "programme", "budget"}, false,
          [](const v1::OwnerAssigned& m, Check* c) {
            c->Known(v1::SubjectKind_IsValid(m.subject_kind()),
                     m.subject_kind(), "subject_kind");
            c->Owner(m.has_owner(), m.owner(), "owner", true);
            c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Ref(m.has_decision(), m.decision(), "decision", false,
                   "decision");
          }),
      Rules<v1::OwnerRelieved>(
          EventType::kOwnerRelieved,
          {"mission", "milestone", "programme", "budget"}, true,
          [](const v1::OwnerRelieved& m, Check* c) {
            c->Owner(m.has_owner(), m.owner(), "owner", true);
            c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::OwnershipTransferred>(
          EventType::kOwnershipTransferred,
          {"mission", "milestone", "programme", "budget"}, true,
          [](const v1::OwnershipTransferred& m, Check* c) {
            c->Owner(m.has_from(), m.from(), "from", true);
            c->Owner(m.has_to(), m.to(), "to", true);
            c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
            c->LongText(m.reason(), "reason", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Ref(m.has_decision(), m.decision(), "decision", false,
                   "decision");
          }),
      Rules<v1::ResponsibilityDelegated>(
          EventType::kResponsibilityDelegated,
          {"mission", "milestone", "programme", "budget"}, true,
          [](const v1::ResponsibilityDelegated& m, Check* c) {
            c->Owner(m.has_by(), m.by(), "by", true);
            c->Owner(m.has_to(), m.to(), "to", true);
            c->Text(m.scope(), "scope", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            c->Date(m.has_valid_until(), m.valid_until(), "valid_until", false);
            c->Ordered(m.has_valid_from(), m.valid_from(), "valid_from",
                       m.has_valid_until(), m.valid_until(), "valid_until",
                       /*strict=*/true);
          }),
      Rules<v1::ContributionClaimed>(
          EventType::kContributionClaimed, {"contribution"}, false,
          [](const v1::ContributionClaimed& m, Check* c) {
            c->Ref(m.has_mission(), m.mission(), "mission", true, "mission");
            c->Ref(m.has_by(), m.by(), "by", true, "organisation");
            c->LongText(m.claim(), "claim", true);
            c->Evidence(m.evidence(), "evidence");
            c->Refs_(m.decisions(), "decisions", false, "decision");
            c->Refs_(m.spending(), "spending", false);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::ContributionCredited>(
          EventType::kContributionCredited, {"contribution"}, false,
          [](const v1::ContributionCredited& m, Check* c) {
            c->Ref(m.has_mission(), m.mission(), "mission", true, "mission");
            c->Ref(m.has_credited(), m.credited(), "credited", true,
                   "organisation");
            c->Ref(m.has_by(), m.by(), "by", true, "organisation");
            c->LongText(m.for_what(), "for_what", true);
            c->Ref(m.has_contribution(), m.contribution(), "contribution",
                   false, "contribution");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
      Rules<v1::ContributionWithdrawn>(
          EventType::kContributionWithdrawn, {"contribution"}, true,
          [](const v1::ContributionWithdrawn& m, Check* c) {
            c->LongText(m.reason(), "reason", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
          }),
  };
}

}  // namespace domain
}  // namespace missionlog
