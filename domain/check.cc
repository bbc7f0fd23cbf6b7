#include "domain/check.h"

#include "base/utf8.h"
#include "domain/values.h"

namespace missionlog {
namespace domain {

void Check::Fail(absl::string_view field, absl::string_view rule) {
  if (ok()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(message_, ".", field, ": ", rule));
  }
}

void Check::Text(absl::string_view value, absl::string_view field,
                 bool required, size_t max) {
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

void Check::Date(bool present, const v1::Date& date, absl::string_view field,
                 bool required) {
  if (!present) {
    if (required) Fail(field, "required");
    return;
  }
  if (!IsRealDate(date.year(), date.month(), date.day())) {
    Fail(field, absl::StrCat(FormatDate(date), " is not a real date"));
  }
}

void Check::Ordered(bool has_earlier, const v1::Date& earlier,
                    absl::string_view earlier_field, bool has_later,
                    const v1::Date& later, absl::string_view later_field,
                    bool strict) {
  if (!ok() || !has_earlier || !has_later) return;
  const int order = CompareDates(earlier, later);
  if (order > 0 || (strict && order == 0)) {
    Fail(later_field,
         absl::StrCat(FormatDate(later), " is not ", strict ? "after " : "",
                      strict ? "" : "on or after ", earlier_field, " ",
                      FormatDate(earlier)));
  }
}

void Check::Money(bool present, const v1::Money& money, absl::string_view field,
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

void Check::Ref(bool present, const v1::Ref& ref, absl::string_view field,
                bool required, absl::string_view kind) {
  if (!present || ref.stream().empty()) {
    if (required) Fail(field, "required");
    return;
  }
  StreamName name;
  if (!SplitStream(ref.stream(), &name)) {
    Fail(field, absl::StrCat("\"", ref.stream(),
                             "\" is not a stream name "
                             "<organisation>/<kind>/<id>"));
    return;
  }
  if (!kind.empty() && name.kind != kind) {
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

void Check::Owner(bool present, const v1::Owner& owner, absl::string_view field,
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
      Ref(true, owner.person(), absl::StrCat(field, ".person"), true, "person");
      break;
    default:
      break;
  }
}

void Check::OneEvidence(const v1::Evidence& evidence, absl::string_view at) {
  Text(evidence.title(), absl::StrCat(at, ".title"), true);
  Text(evidence.uri(), absl::StrCat(at, ".uri"), false, 2048);
  if (!evidence.sha256().empty() && evidence.sha256().size() != 32) {
    Fail(absl::StrCat(at, ".sha256"), "must be 32 bytes");
  }
  Ref(evidence.has_event(), evidence.event(), absl::StrCat(at, ".event"),
      false);
}

}  // namespace domain
}  // namespace missionlog
