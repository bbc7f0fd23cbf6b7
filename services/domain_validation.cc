#include "services/domain_validation.h"

#include <algorithm>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/utf8.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/missions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/projection.h"

namespace missionlog {
namespace {

using google::protobuf::Message;

constexpr size_t kMaxText = 16 << 10;
constexpr size_t kMaxShortText = 512;

// ISO 4217 alphabetic codes in use (2024 list, funds and precious metals
// excluded).
constexpr char kCurrencies[] =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND "
    "BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF "
    "DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD "
    "HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW "
    "KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR "
    "MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN "
    "PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED "
    "VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG";

bool IsSlug(absl::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsStreamId(absl::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

// Splits "<organisation>/<kind>/<id>"; false if it is not of that form.
bool SplitStream(absl::string_view stream, absl::string_view* organisation,
                 absl::string_view* kind) {
  std::vector<absl::string_view> parts = absl::StrSplit(stream, '/');
  if (parts.size() != 3 || !IsSlug(parts[0], 64) || !IsSlug(parts[1], 32) ||
      !IsStreamId(parts[2])) {
    return false;
  }
  *organisation = parts[0];
  *kind = parts[1];
  return true;
}

std::string FormatDate(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

int Compare(const v1::Date& a, const v1::Date& b) {
  if (a.year() != b.year()) return a.year() < b.year() ? -1 : 1;
  if (a.month() != b.month()) return a.month() < b.month() ? -1 : 1;
  if (a.day() != b.day()) return a.day() < b.day() ? -1 : 1;
  return 0;
}

enum class Sign { kPositive, kNonZero };

// Checks one message's fields, keeping the first failure.
class Check {
 public:
  Check(std::string message, const StreamExists& exists)
      : message_(std::move(message)), exists_(exists) {}

  bool ok() const { return status_.ok(); }
  absl::Status status() const { return status_; }

  void Fail(absl::string_view field, absl::string_view rule) {
    if (ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat(message_, ".", field, ": ", rule));
    }
  }

  void Text(absl::string_view value, absl::string_view field, bool required,
            size_t max = kMaxShortText) {
    if (value.empty()) {
      if (required) Fail(field, "required");
      return;
    }
    if (value.size() > max) {
      Fail(field, absl::StrCat("longer than ", max, " bytes"));
    } else if (max == kMaxShortText && !IsPrintableUtf8(value)) {
      Fail(field, "must be UTF-8 without control characters");
    }
  }

  void LongText(absl::string_view value, absl::string_view field,
                bool required) {
    Text(value, field, required, kMaxText);
  }

  void Date(bool present, const v1::Date& date, absl::string_view field,
            bool required) {
    if (!present) {
      if (required) Fail(field, "required");
      return;
    }
    if (!IsRealDate(date.year(), date.month(), date.day())) {
      Fail(field, absl::StrCat(FormatDate(date), " is not a real date"));
    }
  }

  // `later` must be after `earlier` (or equal, if !strict), when both set.
  void Ordered(bool has_earlier, const v1::Date& earlier,
               absl::string_view earlier_field, bool has_later,
               const v1::Date& later, absl::string_view later_field,
               bool strict) {
    if (!ok() || !has_earlier || !has_later) return;
    const int order = Compare(earlier, later);
    if (order > 0 || (strict && order == 0)) {
      Fail(later_field,
           absl::StrCat(FormatDate(later), " is not ", strict ? "after " : "",
                        strict ? "" : "on or after ", earlier_field, " ",
                        FormatDate(earlier)));
    }
  }

  void Money(bool present, const v1::Money& money, absl::string_view field,
             Sign sign) {
    if (!present) {
      Fail(field, "required");
      return;
    }
    if (!IsCurrencyCode(money.currency())) {
      Fail(absl::StrCat(field, ".currency"),
           absl::StrCat("\"", money.currency(),
                        "\" is not an ISO 4217 currency code"));
    } else if (sign == Sign::kPositive && money.minor_units() <= 0) {
      Fail(absl::StrCat(field, ".minor_units"), "must be positive");
    } else if (sign == Sign::kNonZero && money.minor_units() == 0) {
      Fail(absl::StrCat(field, ".minor_units"), "must not be zero");
    }
  }

  // A reference: well-formed, of `kind` if given, and existing.
  void Ref(bool present, const v1::Ref& ref, absl::string_view field,
           bool required, absl::string_view kind = "") {
    if (!present || ref.stream().empty()) {
      if (required) Fail(field, "required");
      return;
    }
    absl::string_view organisation, ref_kind;
    if (!SplitStream(ref.stream(), &organisation, &ref_kind)) {
      Fail(field, absl::StrCat("\"", ref.stream(),
                               "\" is not a stream name "
                               "<organisation>/<kind>/<id>"));
      return;
    }
    if (!kind.empty() && ref_kind != kind) {
      Fail(field, absl::StrCat(ref.stream(), " is not a ", kind, " stream"));
      return;
    }
    if (!ok()) return;
    absl::StatusOr<bool> found = exists_(ref.stream());
    if (!found.ok()) {
      status_ = found.status();
    } else if (!*found) {
      status_ = absl::FailedPreconditionError(absl::StrCat(
          message_, ".", field, ": stream ", ref.stream(), " does not exist"));
    }
  }

  template <typename Refs>
  void Refs_(const Refs& refs, absl::string_view field, bool at_least_one,
             absl::string_view kind = "") {
    if (at_least_one && refs.empty()) Fail(field, "at least one required");
    for (int i = 0; i < refs.size(); ++i) {
      Ref(true, refs.Get(i), absl::StrCat(field, "[", i, "]"), true, kind);
    }
  }

  void Owner(bool present, const v1::Owner& owner, absl::string_view field,
             bool required) {
    if (!present || owner.owner_case() == v1::Owner::OWNER_NOT_SET) {
      if (required) Fail(field, "required");
      return;
    }
    switch (owner.owner_case()) {
      case v1::Owner::kOrganisation:
        Ref(true, owner.organisation(), absl::StrCat(field, ".organisation"),
            true, "organisation");
        break;
      case v1::Owner::kPost:
        Ref(true, owner.post(), absl::StrCat(field, ".post"), true, "post");
        break;
      case v1::Owner::kPerson:
        Ref(true, owner.person(), absl::StrCat(field, ".person"), true,
            "person");
        break;
      default:
        break;
    }
  }

  template <typename Owners>
  void Owners_(const Owners& owners, absl::string_view field,
               bool at_least_one) {
    if (at_least_one && owners.empty()) Fail(field, "at least one required");
    for (int i = 0; i < owners.size(); ++i) {
      Owner(true, owners.Get(i), absl::StrCat(field, "[", i, "]"), true);
    }
  }

  template <typename EvidenceList>
  void Evidence(const EvidenceList& list, absl::string_view field) {
    for (int i = 0; i < list.size(); ++i) {
      const v1::Evidence& evidence = list.Get(i);
      const std::string at = absl::StrCat(field, "[", i, "]");
      Text(evidence.title(), absl::StrCat(at, ".title"), true);
      Text(evidence.uri(), absl::StrCat(at, ".uri"), false, 2048);
      if (!evidence.sha256().empty() && evidence.sha256().size() != 32) {
        Fail(absl::StrCat(at, ".sha256"), "must be 32 bytes");
      }
      Ref(evidence.has_event(), evidence.event(), absl::StrCat(at, ".event"),
          false);
    }
  }

  template <typename Enum>
  void Known(bool valid, Enum value, absl::string_view field) {
    if (!valid)
      Fail(field, absl::StrCat("unknown value ", value));
    else if (static_cast<int>(value) == 0)
      Fail(field, "required");
  }

 private:
  const std::string message_;
  const StreamExists& exists_;
  absl::Status status_;
};

// One domain event type: its message, the stream kinds it belongs on
// (empty: any), whether its stream must already exist (a later event about
// an existing subject), and its rules.
struct DomainType {
  const Message* prototype;
  std::vector<std::string> kinds;
  bool stream_must_exist;
  std::function<void(const Message&, Check*)> rules;
};

template <typename M>
DomainType Type(std::vector<std::string> kinds, bool stream_must_exist,
                std::function<void(const M&, Check*)> rules) {
  return DomainType{&M::default_instance(), std::move(kinds), stream_must_exist,
                    [rules](const Message& message, Check* check) {
                      rules(static_cast<const M&>(message), check);
                    }};
}

const absl::flat_hash_map<std::string, DomainType>& Registry() {
  static const auto* registry = new absl::flat_hash_map<std::string,
                                                        DomainType>{
      // Organisations.
      {"missionlog.organisation.registered.v1",
       Type<v1::OrganisationRegistered>(
           {"organisation"}, false,
           [](const v1::OrganisationRegistered& m, Check* c) {
             if (!IsSlug(m.organisation(), 64)) {
               c->Fail("organisation",
                       "must be 1-64 lower-case letters, digits or '-'");
             }
             c->Text(m.name(), "name", true);
             c->Text(m.short_name(), "short_name", false);
             c->Known(v1::OrganisationKind_IsValid(m.kind()), m.kind(), "kind");
             c->Ref(m.has_parent(), m.parent(), "parent", false,
                    "organisation");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", false);
           })},
      {"missionlog.organisation.renamed.v1",
       Type<v1::OrganisationRenamed>(
           {"organisation"}, true,
           [](const v1::OrganisationRenamed& m, Check* c) {
             c->Text(m.name(), "name", true);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.organisation.parent_changed.v1",
       Type<v1::OrganisationParentChanged>(
           {"organisation"}, true,
           [](const v1::OrganisationParentChanged& m, Check* c) {
             c->Ref(m.has_parent(), m.parent(), "parent", false,
                    "organisation");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.organisation.merged.v1",
       Type<v1::OrganisationMerged>(
           {"organisation"}, true,
           [](const v1::OrganisationMerged& m, Check* c) {
             c->Ref(m.has_into(), m.into(), "into", true, "organisation");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.organisation.demerged.v1",
       Type<v1::OrganisationDemerged>(
           {"organisation"}, true,
           [](const v1::OrganisationDemerged& m, Check* c) {
             c->Refs_(m.successors(), "successors", true, "organisation");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.organisation.functions_transferred.v1",
       Type<v1::FunctionsTransferred>(
           {"organisation"}, true,
           [](const v1::FunctionsTransferred& m, Check* c) {
             c->Ref(m.has_to(), m.to(), "to", true, "organisation");
             c->Text(m.functions(), "functions", false);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.organisation.closed.v1",
       Type<v1::OrganisationClosed>(
           {"organisation"}, true,
           [](const v1::OrganisationClosed& m, Check* c) {
             c->Text(m.status(), "status", true);
             c->Refs_(m.superseded_by(), "superseded_by", false,
                      "organisation");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      // People, posts, appointments.
      {"missionlog.person.registered.v1",
       Type<v1::PersonRegistered>(
           {"person"}, false,
           [](const v1::PersonRegistered& m, Check* c) {
             c->Text(m.name(), "name", true);
             c->Text(m.display_name(), "display_name", false);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", false);
           })},
      {"missionlog.person.renamed.v1",
       Type<v1::PersonRenamed>({"person"}, true,
                               [](const v1::PersonRenamed& m, Check* c) {
                                 c->Text(m.name(), "name", true);
                                 c->Date(m.has_valid_from(), m.valid_from(),
                                         "valid_from", true);
                               })},
      {"missionlog.post.created.v1",
       Type<v1::PostCreated>({"post"}, false,
                             [](const v1::PostCreated& m, Check* c) {
                               c->Ref(m.has_organisation(), m.organisation(),
                                      "organisation", true, "organisation");
                               c->Text(m.name(), "name", true);
                               c->Text(m.rank(), "rank", false);
                               c->Date(m.has_valid_from(), m.valid_from(),
                                       "valid_from", false);
                             })},
      {"missionlog.post.abolished.v1",
       Type<v1::PostAbolished>({"post"}, true,
                               [](const v1::PostAbolished& m, Check* c) {
                                 c->Date(m.has_valid_from(), m.valid_from(),
                                         "valid_from", true);
                               })},
      {"missionlog.appointment.made.v1",
       Type<v1::AppointmentMade>(
           {"appointment"}, false,
           [](const v1::AppointmentMade& m, Check* c) {
             c->Ref(m.has_person(), m.person(), "person", true, "person");
             c->Ref(m.has_post(), m.post(), "post", true, "post");
             c->Date(m.has_start(), m.start(), "start", true);
             c->Date(m.has_end(), m.end(), "end", false);
             c->Ordered(m.has_start(), m.start(), "start", m.has_end(), m.end(),
                        "end", /*strict=*/true);
           })},
      {"missionlog.appointment.characteristics_recorded.v1",
       Type<v1::AppointmentCharacteristicsRecorded>(
           {"appointment"}, true,
           [](const v1::AppointmentCharacteristicsRecorded& m, Check* c) {
             if (!v1::CabinetStatus_IsValid(m.cabinet_status())) {
               c->Fail("cabinet_status", "unknown value");
             }
             c->Text(m.leave_reason(), "leave_reason", false);
             c->Date(m.has_start(), m.start(), "start", true);
             c->Date(m.has_end(), m.end(), "end", false);
             c->Ordered(m.has_start(), m.start(), "start", m.has_end(), m.end(),
                        "end", /*strict=*/true);
           })},
      {"missionlog.appointment.ended.v1",
       Type<v1::AppointmentEnded>({"appointment"}, true,
                                  [](const v1::AppointmentEnded& m, Check* c) {
                                    c->Date(m.has_end(), m.end(), "end", true);
                                    c->Text(m.reason(), "reason", false);
                                  })},
      // Missions.
      {"missionlog.mission.declared.v1",
       Type<v1::MissionDeclared>({"mission"}, false,
                                 [](const v1::MissionDeclared& m, Check* c) {
                                   c->Text(m.title(), "title", true);
                                   c->LongText(m.outcome_statement(),
                                               "outcome_statement", true);
                                   if (m.targets().empty())
                                     c->Fail("targets",
                                             "at least one required");
                                   for (int i = 0; i < m.targets_size(); ++i) {
                                     const std::string at =
                                         absl::StrCat("targets[", i, "]");
                                     c->Text(m.targets(i).id(),
                                             absl::StrCat(at, ".id"), true);
                                     c->Text(m.targets(i).description(),
                                             absl::StrCat(at, ".description"),
                                             true);
                                     c->Date(m.targets(i).has_due(),
                                             m.targets(i).due(),
                                             absl::StrCat(at, ".due"), false);
                                   }
                                   c->Ref(m.has_lead_organisation(),
                                          m.lead_organisation(),
                                          "lead_organisation", true,
                                          "organisation");
                                   c->Date(m.has_valid_from(), m.valid_from(),
                                           "valid_from", true);
                                   c->Evidence(m.sources(), "sources");
                                 })},
      {"missionlog.mission.target_revised.v1",
       Type<v1::MissionTargetRevised>({"mission"}, true,
                                      [](const v1::MissionTargetRevised& m,
                                         Check* c) {
                                        if (!m.has_target())
                                          c->Fail("target", "required");
                                        c->Text(m.target().id(), "target.id",
                                                true);
                                        c->Text(m.target().description(),
                                                "target.description", true);
                                        c->LongText(m.reason(), "reason", true);
                                        c->Date(m.has_valid_from(),
                                                m.valid_from(), "valid_from",
                                                true);
                                      })},
      {"missionlog.mission.retired.v1",
       Type<v1::MissionRetired>({"mission"}, true,
                                [](const v1::MissionRetired& m, Check* c) {
                                  c->LongText(m.reason(), "reason", true);
                                  c->Ref(m.has_superseded_by(),
                                         m.superseded_by(), "superseded_by",
                                         false, "mission");
                                  c->Date(m.has_valid_from(), m.valid_from(),
                                          "valid_from", true);
                                })},
      // Accountability: on the subject's stream.
      {"missionlog.accountability.owner_assigned.v1",
       Type<v1::OwnerAssigned>(
           {"mission", "milestone", "programme", "budget"}, false,
           [](const v1::OwnerAssigned& m, Check* c) {
             c->Known(v1::SubjectKind_IsValid(m.subject_kind()),
                      m.subject_kind(), "subject_kind");
             c->Owner(m.has_owner(), m.owner(), "owner", true);
             c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
             c->Ref(m.has_decision(), m.decision(), "decision", false,
                    "decision");
           })},
      {"missionlog.accountability.owner_relieved.v1",
       Type<v1::OwnerRelieved>(
           {"mission", "milestone", "programme", "budget"}, true,
           [](const v1::OwnerRelieved& m, Check* c) {
             c->Owner(m.has_owner(), m.owner(), "owner", true);
             c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.accountability.ownership_transferred.v1",
       Type<v1::OwnershipTransferred>(
           {"mission", "milestone", "programme", "budget"}, true,
           [](const v1::OwnershipTransferred& m, Check* c) {
             c->Owner(m.has_from(), m.from(), "from", true);
             c->Owner(m.has_to(), m.to(), "to", true);
             c->Known(v1::OwnershipRole_IsValid(m.role()), m.role(), "role");
             c->LongText(m.reason(), "reason", true);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
             c->Ref(m.has_decision(), m.decision(), "decision", false,
                    "decision");
           })},
      {"missionlog.accountability.delegated.v1",
       Type<v1::ResponsibilityDelegated>(
           {"mission", "milestone", "programme", "budget"}, true,
           [](const v1::ResponsibilityDelegated& m, Check* c) {
             c->Owner(m.has_by(), m.by(), "by", true);
             c->Owner(m.has_to(), m.to(), "to", true);
             c->Text(m.scope(), "scope", true);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
             c->Date(m.has_valid_until(), m.valid_until(), "valid_until",
                     false);
             c->Ordered(m.has_valid_from(), m.valid_from(), "valid_from",
                        m.has_valid_until(), m.valid_until(), "valid_until",
                        /*strict=*/true);
           })},
      // Decisions.
      {"missionlog.decision.recorded.v1",
       Type<v1::DecisionRecorded>({"decision"}, false,
                                  [](const v1::DecisionRecorded& m, Check* c) {
                                    c->Text(m.title(), "title", true);
                                    c->LongText(m.decision(), "decision", true);
                                    c->Text(m.forum(), "forum", true);
                                    c->Known(
                                        v1::DecisionLevel_IsValid(m.level()),
                                        m.level(), "level");
                                    c->Owners_(m.decided_by(), "decided_by",
                                               true);
                                    for (int i = 0; i < m.options_size(); ++i) {
                                      c->LongText(m.options(i).description(),
                                                  absl::StrCat("options[", i,
                                                               "].description"),
                                                  true);
                                    }
                                    c->LongText(m.rationale(), "rationale",
                                                false);
                                    c->Evidence(m.evidence(), "evidence");
                                    c->LongText(m.expected_effect(),
                                                "expected_effect", false);
                                    c->Refs_(m.missions(), "missions", false,
                                             "mission");
                                    c->Date(m.has_decided_on(), m.decided_on(),
                                            "decided_on", true);
                                    c->Ref(m.has_about(), m.about(), "about",
                                           false);
                                  })},
      {"missionlog.decision.revised.v1",
       Type<v1::DecisionRevised>({"decision"}, true,
                                 [](const v1::DecisionRevised& m, Check* c) {
                                   c->LongText(m.decision(), "decision", true);
                                   c->LongText(m.reason(), "reason", true);
                                   c->Owners_(m.decided_by(), "decided_by",
                                              false);
                                   c->Date(m.has_valid_from(), m.valid_from(),
                                           "valid_from", true);
                                   c->Evidence(m.evidence(), "evidence");
                                 })},
      {"missionlog.decision.reversed.v1",
       Type<v1::DecisionReversed>({"decision"}, true,
                                  [](const v1::DecisionReversed& m, Check* c) {
                                    c->LongText(m.reason(), "reason", true);
                                    c->Owners_(m.decided_by(), "decided_by",
                                               false);
                                    c->Date(m.has_valid_from(), m.valid_from(),
                                            "valid_from", true);
                                  })},
      {"missionlog.decision.outcome_observed.v1",
       Type<v1::DecisionOutcomeObserved>(
           {"decision"}, true,
           [](const v1::DecisionOutcomeObserved& m, Check* c) {
             c->LongText(m.outcome(), "outcome", true);
             c->Evidence(m.evidence(), "evidence");
             c->Date(m.has_observed_on(), m.observed_on(), "observed_on", true);
           })},
      // Spending.
      {
          "missionlog.spending.budget_allocated.v1",
          Type<v1::BudgetAllocated>(
              {"budget"}, false,
              [](const v1::BudgetAllocated& m, Check* c) {
                c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
                c->Ref(m.has_from(), m.from(), "from", true, "organisation");
                c->Ref(m.has_to(), m.to(), "to", true, "organisation");
                c->Refs_(m.missions(), "missions", false, "mission");
                c->Text(m.fiscal_year(), "fiscal_year", true);
                c->Ref(m.has_decision(), m.decision(), "decision", false,
                       "decision");
                c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
              })},
      {"missionlog.spending.spend_committed.v1",
       Type<v1::SpendCommitted>(
           {"contract"}, false,
           [](const v1::SpendCommitted& m, Check* c) {
             c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
             c->Text(m.supplier(), "supplier", true);
             c->Text(m.ocid(), "ocid", false);
             c->LongText(m.description(), "description", false);
             c->Refs_(m.missions(), "missions", false, "mission");
             c->Ref(m.has_budget(), m.budget(), "budget", false, "budget");
             c->Date(m.has_committed_on(), m.committed_on(), "committed_on",
                     true);
             c->Date(m.has_period_start(), m.period_start(), "period_start",
                     false);
             c->Date(m.has_period_end(), m.period_end(), "period_end", false);
             c->Ordered(m.has_period_start(), m.period_start(), "period_start",
                        m.has_period_end(), m.period_end(), "period_end",
                        /*strict=*/false);
           })},
      {"missionlog.spending.spend_incurred.v1",
       Type<v1::SpendIncurred>({"spend"}, false,
                               [](const v1::SpendIncurred& m, Check* c) {
                                 c->Money(m.has_amount(), m.amount(), "amount",
                                          Sign::kNonZero);
                                 c->Text(m.supplier(), "supplier", true);
                                 c->Date(m.has_paid_on(), m.paid_on(),
                                         "paid_on", true);
                                 c->Text(m.expense_type(), "expense_type",
                                         false);
                                 c->Text(m.expense_area(), "expense_area",
                                         false);
                                 c->Text(m.transaction_number(),
                                         "transaction_number", false);
                                 c->LongText(m.description(), "description",
                                             false);
                                 c->Refs_(m.missions(), "missions", false,
                                          "mission");
                                 c->Ref(m.has_commitment(), m.commitment(),
                                        "commitment", false, "contract");
                               })},
      {"missionlog.spending.reallocated.v1",
       Type<v1::SpendReallocated>({"budget"}, true,
                                  [](const v1::SpendReallocated& m, Check* c) {
                                    c->Money(m.has_amount(), m.amount(),
                                             "amount", Sign::kPositive);
                                    c->Ref(m.has_to_budget(), m.to_budget(),
                                           "to_budget", true, "budget");
                                    c->LongText(m.reason(), "reason", true);
                                    c->Date(m.has_valid_from(), m.valid_from(),
                                            "valid_from", true);
                                    c->Ref(m.has_decision(), m.decision(),
                                           "decision", false, "decision");
                                  })},
      {"missionlog.spending.cancelled.v1",
       Type<v1::SpendCancelled>(
           {"budget", "contract"}, true,
           [](const v1::SpendCancelled& m, Check* c) {
             c->Money(m.has_amount(), m.amount(), "amount", Sign::kPositive);
             c->LongText(m.reason(), "reason", true);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      // Concerns.
      {"missionlog.concern.raised.v1",
       Type<v1::ConcernRaised>(
           {"concern"}, false,
           [](const v1::ConcernRaised& m, Check* c) {
             c->Ref(m.has_about(), m.about(), "about", true);
             c->LongText(m.summary(), "summary", true);
             if (m.raiser_case() == v1::ConcernRaised::kRaisedBy) {
               c->Owner(true, m.raised_by(), "raised_by", true);
             } else if (m.raiser_case() ==
                        v1::ConcernRaised::kSealedRaiserSha256) {
               if (m.sealed_raiser_sha256().size() != 32) {
                 c->Fail("sealed_raiser_sha256", "must be 32 bytes");
               }
             } else {
               c->Fail("raised_by", "required (or sealed_raiser_sha256)");
             }
             c->Owners_(m.raised_to(), "raised_to", true);
             c->Known(v1::Severity_IsValid(m.severity()), m.severity(),
                      "severity");
             c->Evidence(m.evidence(), "evidence");
             c->Date(m.has_raised_on(), m.raised_on(), "raised_on", true);
             c->Date(m.has_respond_by(), m.respond_by(), "respond_by", false);
             c->Ordered(m.has_raised_on(), m.raised_on(), "raised_on",
                        m.has_respond_by(), m.respond_by(), "respond_by",
                        /*strict=*/false);
           })},
      {"missionlog.concern.acknowledged.v1",
       Type<v1::ConcernAcknowledged>({"concern"}, true,
                                     [](const v1::ConcernAcknowledged& m,
                                        Check* c) {
                                       c->Owner(m.has_by(), m.by(), "by", true);
                                       c->Date(m.has_on(), m.on(), "on", true);
                                     })},
      {"missionlog.concern.responded.v1",
       Type<v1::ConcernResponded>({"concern"}, true,
                                  [](const v1::ConcernResponded& m, Check* c) {
                                    c->Owner(m.has_by(), m.by(), "by", true);
                                    c->LongText(m.response(), "response", true);
                                    c->Ref(m.has_decision(), m.decision(),
                                           "decision", false, "decision");
                                    c->Date(m.has_on(), m.on(), "on", true);
                                  })},
      {"missionlog.concern.escalated.v1",
       Type<v1::ConcernEscalated>({"concern"}, true,
                                  [](const v1::ConcernEscalated& m, Check* c) {
                                    c->Owners_(m.to(), "to", true);
                                    c->LongText(m.reason(), "reason", true);
                                    if (!v1::Severity_IsValid(m.severity())) {
                                      c->Fail("severity", "unknown value");
                                    }
                                    c->Date(m.has_on(), m.on(), "on", true);
                                  })},
      {"missionlog.concern.closed.v1",
       Type<v1::ConcernClosed>({"concern"}, true,
                               [](const v1::ConcernClosed& m, Check* c) {
                                 c->Owner(m.has_by(), m.by(), "by", true);
                                 c->Text(m.resolution(), "resolution", true);
                                 c->Date(m.has_on(), m.on(), "on", true);
                               })},
      // Contributions.
      {"missionlog.contribution.claimed.v1",
       Type<v1::ContributionClaimed>(
           {"contribution"}, false,
           [](const v1::ContributionClaimed& m, Check* c) {
             c->Ref(m.has_mission(), m.mission(), "mission", true, "mission");
             c->Ref(m.has_by(), m.by(), "by", true, "organisation");
             c->LongText(m.claim(), "claim", true);
             c->Evidence(m.evidence(), "evidence");
             c->Refs_(m.decisions(), "decisions", false, "decision");
             c->Refs_(m.spending(), "spending", false);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.contribution.credited.v1",
       Type<v1::ContributionCredited>(
           {"contribution"}, false,
           [](const v1::ContributionCredited& m, Check* c) {
             c->Ref(m.has_mission(), m.mission(), "mission", true, "mission");
             c->Ref(m.has_credited(), m.credited(), "credited", true,
                    "organisation");
             c->Ref(m.has_by(), m.by(), "by", true, "organisation");
             c->LongText(m.for_what(), "for_what", true);
             c->Ref(m.has_contribution(), m.contribution(), "contribution",
                    false, "contribution");
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
      {"missionlog.contribution.withdrawn.v1",
       Type<v1::ContributionWithdrawn>(
           {"contribution"}, true,
           [](const v1::ContributionWithdrawn& m, Check* c) {
             c->LongText(m.reason(), "reason", true);
             c->Date(m.has_valid_from(), m.valid_from(), "valid_from", true);
           })},
  };
  return *registry;
}

}  // namespace

bool IsDomainType(absl::string_view type) {
  return absl::StartsWith(type, kDomainTypePrefix);
}

bool IsRealDate(int year, int month, int day) {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = month == 2 && leap ? 29 : kDays[month - 1];
  return day <= days;
}

bool IsCurrencyCode(absl::string_view code) {
  if (code.size() != 3) return false;
  for (absl::string_view known : absl::StrSplit(kCurrencies, ' ')) {
    if (known == code) return true;
  }
  return false;
}

absl::StatusOr<std::string> DomainMessageName(absl::string_view type) {
  auto it = Registry().find(type);
  if (it == Registry().end()) {
    return absl::NotFoundError(absl::StrCat("unknown domain type ", type));
  }
  return it->second.prototype->GetDescriptor()->full_name();
}

namespace {

// The rules that depend on the subject's history.
absl::Status CheckState(absl::string_view stream, absl::string_view type,
                        const Message& message,
                        const std::vector<StoredEvent>& events) {
  const std::string name = message.GetDescriptor()->name();
  if (absl::StartsWith(type, "missionlog.decision.") &&
      type != "missionlog.decision.recorded.v1") {
    if (events.empty() ||
        events.front().type != "missionlog.decision.recorded.v1") {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": ", stream, " holds no recorded decision"));
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(type, "missionlog.concern.") &&
      type != "missionlog.concern.raised.v1") {
    for (const StoredEvent& event : events) {
      if (event.type == "missionlog.concern.closed.v1") {
        return absl::FailedPreconditionError(
            absl::StrCat(name, ": the concern ", stream, " is closed"));
      }
    }
    return absl::OkStatus();
  }
  const bool relieved = type == "missionlog.accountability.owner_relieved.v1";
  const bool transferred =
      type == "missionlog.accountability.ownership_transferred.v1";
  if (!relieved && !transferred) return absl::OkStatus();
  // Current owners by role, folded from the subject's stream.
  std::set<std::pair<int, std::string>> owners;
  for (const StoredEvent& event : events) {
    if (event.type == "missionlog.accountability.owner_assigned.v1") {
      v1::OwnerAssigned assigned;
      if (assigned.ParseFromString(event.payload)) {
        owners.insert({assigned.role(), OwnerStream(assigned.owner())});
      }
    } else if (event.type == "missionlog.accountability.owner_relieved.v1") {
      v1::OwnerRelieved earlier;
      if (earlier.ParseFromString(event.payload)) {
        owners.erase({earlier.role(), OwnerStream(earlier.owner())});
      }
    } else if (event.type ==
               "missionlog.accountability.ownership_transferred.v1") {
      v1::OwnershipTransferred earlier;
      if (earlier.ParseFromString(event.payload)) {
        owners.erase({earlier.role(), OwnerStream(earlier.from())});
        owners.insert({earlier.role(), OwnerStream(earlier.to())});
      }
    }
  }
  const auto& role_message = static_cast<const Message&>(message);
  int role;
  std::string owner, field;
  if (relieved) {
    const auto& m = static_cast<const v1::OwnerRelieved&>(role_message);
    role = m.role();
    owner = OwnerStream(m.owner());
    field = "owner";
  } else {
    const auto& m = static_cast<const v1::OwnershipTransferred&>(role_message);
    role = m.role();
    owner = OwnerStream(m.from());
    field = "from";
  }
  if (owners.count({role, owner}) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ".", field, ": ", owner, " is not the current ",
        v1::OwnershipRole_Name(static_cast<v1::OwnershipRole>(role)), " of ",
        stream));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateDomainEvent(absl::string_view stream,
                                 absl::string_view type,
                                 absl::string_view payload,
                                 const StreamExists& exists,
                                 const StreamHistory& history) {
  auto it = Registry().find(type);
  if (it == Registry().end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "type: ", type,
        " is not a known domain event type (types under \"missionlog.\" are "
        "reserved for the domain)"));
  }
  const DomainType& domain = it->second;
  const std::string name = domain.prototype->GetDescriptor()->name();
  absl::string_view organisation, kind;
  if (!SplitStream(stream, &organisation, &kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: ", type,
                     " belongs on a stream named <organisation>/<kind>/<id>, "
                     "not \"",
                     stream, "\""));
  }
  if (!domain.kinds.empty() &&
      std::find(domain.kinds.begin(), domain.kinds.end(), kind) ==
          domain.kinds.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream: ", type, " belongs on a ", absl::StrJoin(domain.kinds, " or "),
        " stream, not ", stream));
  }
  std::unique_ptr<Message> message(domain.prototype->New());
  if (!message->ParseFromArray(payload.data(),
                               static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data: does not parse as ", domain.prototype->GetTypeName()));
  }
  if (domain.stream_must_exist) {
    absl::StatusOr<bool> found = exists(stream);
    if (!found.ok()) return found.status();
    if (!*found) {
      return absl::FailedPreconditionError(
          absl::StrCat("stream: ", type, " is about an existing ", kind,
                       " but ", stream, " has no events"));
    }
  }
  Check check(name, exists);
  domain.rules(*message, &check);
  if (!check.ok() || !history || !domain.stream_must_exist) {
    return check.status();
  }
  absl::StatusOr<std::vector<StoredEvent>> events = history(stream);
  if (!events.ok()) return events.status();
  return CheckState(stream, type, *message, *events);
}

}  // namespace missionlog
