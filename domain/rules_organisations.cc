// The rules of the domain's organisations, people, posts and appointments (one
// entry per event type: the stream kinds it belongs on, whether it is about an
// existing subject, and its field rules).
#include "absl/strings/str_cat.h"
#include "domain/rules.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"

namespace missionlog {
namespace domain {
namespace {

// A dating period's first day (`not_before`): a real date, not after
// `valid_from`.
void NotBefore(bool present, const v1::Date& not_before, bool has_valid_from,
               const v1::Date& valid_from, Check* c) {
  if (!present) return;
  c->Date(present, not_before, "not_before", false);
  if (has_valid_from && CompareDates(not_before, valid_from) > 0) {
    c->Fail("not_before", "is after valid_from");
  }
}

}  // namespace

std::vector<TypeRules> OrganisationRules() {
  return {
      Rules<v1::OrganisationRegistered>(
          EventType::kOrganisationRegistered, {"organisation"}, false,
          [](const v1::OrganisationRegistered& m, Check* c) {
            if (!IsSlug(m.organisation(), 64)) {
              c->Fail("organisation",
                      "must be 1-64 lower-case letters, digits or '-'");
            }
            c->Text(m.name(), "name", true);
            c->Text(m.short_name(), "short_name", false);
            c->Known(v1::OrganisationKind_IsValid(m.kind()), m.kind(), "kind");
            c->Ref(m.has_parent(), m.parent(), "parent", false, "organisation");
            c->Refs_(m.parents(), "parents", false, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", false);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::OrganisationRenamed>(
          EventType::kOrganisationRenamed, {"organisation"}, true,
          [](const v1::OrganisationRenamed& m, Check* c) {
            c->Text(m.name(), "name", true);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::OrganisationParentChanged>(
          EventType::kOrganisationParentChanged, {"organisation"}, true,
          [](const v1::OrganisationParentChanged& m, Check* c) {
            c->Ref(m.has_parent(), m.parent(), "parent", false, "organisation");
            c->Refs_(m.parents(), "parents", false, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::OrganisationMerged>(
          EventType::kOrganisationMerged, {"organisation"}, true,
          [](const v1::OrganisationMerged& m, Check* c) {
            c->Ref(m.has_into(), m.into(), "into", true, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::OrganisationDemerged>(
          EventType::kOrganisationDemerged, {"organisation"}, true,
          [](const v1::OrganisationDemerged& m, Check* c) {
            c->Refs_(m.successors(), "successors", true, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::FunctionsTransferred>(
          EventType::kFunctionsTransferred, {"organisation"}, true,
          [](const v1::FunctionsTransferred& m, Check* c) {
            c->Ref(m.has_to(), m.to(), "to", true, "organisation");
            c->Text(m.functions(), "functions", false);
            c->Refs_(m.bodies(), "bodies", false, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::OrganisationClosed>(
          EventType::kOrganisationClosed, {"organisation"}, true,
          [](const v1::OrganisationClosed& m, Check* c) {
            c->Text(m.status(), "status", true);
            c->Refs_(m.superseded_by(), "superseded_by", false, "organisation");
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
            NotBefore(m.has_not_before(), m.not_before(), m.has_valid_from(),
                      m.valid_from(), c);
          }),
      Rules<v1::PersonRegistered>(
          EventType::kPersonRegistered, {"person"}, false,
          [](const v1::PersonRegistered& m, Check* c) {
            c->Text(m.name(), "name", true);
            c->Text(m.display_name(), "display_name", false);
            c->Date(m.has_valid_from(), m.valid_from(), "valid_from", false);
          }),
      Rules<v1::PersonRenamed>(EventType::kPersonRenamed, {"person"}, true,
                               [](const v1::PersonRenamed& m, Check* c) {
                                 c->Text(m.name(), "name", true);
                                 c->Date(m.has_valid_from(), m.valid_from(),
                                         "valid_from", true);
                               }),
      Rules<v1::PostCreated>(EventType::kPostCreated, {"post"}, false,
                             [](const v1::PostCreated& m, Check* c) {
                               c->Ref(m.has_organisation(), m.organisation(),
                                      "organisation", true, "organisation");
                               c->Text(m.name(), "name", true);
                               c->Text(m.rank(), "rank", false);
                               c->Date(m.has_valid_from(), m.valid_from(),
                                       "valid_from", false);
                             }),
      Rules<v1::PostAbolished>(EventType::kPostAbolished, {"post"}, true,
                               [](const v1::PostAbolished& m, Check* c) {
                                 c->Date(m.has_valid_from(), m.valid_from(),
                                         "valid_from", true);
                               }),
      Rules<v1::AppointmentMade>(
          EventType::kAppointmentMade, {"appointment"}, false,
          [](const v1::AppointmentMade& m, Check* c) {
            c->Ref(m.has_person(), m.person(), "person", true, "person");
            c->Ref(m.has_post(), m.post(), "post", true, "post");
            c->Date(m.has_start(), m.start(), "start", true);
            c->Date(m.has_end(), m.end(), "end", false);
            c->Ordered(m.has_start(), m.start(), "start", m.has_end(), m.end(),
                       "end", /*strict=*/true);
          }),
      Rules<v1::AppointmentCharacteristicsRecorded>(
          EventType::kAppointmentCharacteristicsRecorded, {"appointment"}, true,
          [](const v1::AppointmentCharacteristicsRecorded& m, Check* c) {
            if (!v1::CabinetStatus_IsValid(m.cabinet_status())) {
              c->Fail("cabinet_status", "unknown value");
            }
            c->Text(m.leave_reason(), "leave_reason", false);
            c->Date(m.has_start(), m.start(), "start", true);
            c->Date(m.has_end(), m.end(), "end", false);
            c->Ordered(m.has_start(), m.start(), "start", m.has_end(), m.end(),
                       "end", /*strict=*/true);
          }),
      Rules<v1::AppointmentEnded>(EventType::kAppointmentEnded, {"appointment"},
                                  true,
                                  [](const v1::AppointmentEnded& m, Check* c) {
                                    c->Date(m.has_end(), m.end(), "end", true);
                                    c->Text(m.reason(), "reason", false);
                                  }),
  };
}

}  // namespace domain
}  // namespace missionlog
