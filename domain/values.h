// The domain's value types, checked and compared the same way everywhere
// (validation, projections, importers, queries): calendar dates, money's
// currencies, stream names and owners.
//
// Thread safety: pure functions.
#ifndef MISSIONLOG_DOMAIN_VALUES_H_
#define MISSIONLOG_DOMAIN_VALUES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {
namespace domain {

// Dates are calendar dates (valid time), years 1000-9999.
bool IsRealDate(int year, int month, int day);
// <0, 0, >0 as `a` is before, on or after `b`.
int CompareDates(const v1::Date& a, const v1::Date& b);
// Whether `on` lies in [start, end); an absent end is open.
bool InPeriod(const v1::Date& on, const v1::Date& start, bool has_end,
              const v1::Date& end);
// The date, unchecked (IsRealDate checks it).
v1::Date MakeDate(int year, int month, int day);
// "YYYY-MM-DD" (sorts as the dates do).
std::string FormatDate(const v1::Date& date);

// An active ISO 4217 alphabetic code with a minor unit (base/currency.h:
// the one list; precious metals, SDR and testing codes excluded).
bool IsCurrencyCode(absl::string_view code);

// Stream names: "<organisation>/<kind>/<id>", where organisation (1-64) and
// kind (1-32) are lower-case letters, digits and '-', and id is 1-128 of
// letters, digits, '-', '_', '.' and ':'.
struct StreamName {
  absl::string_view organisation;
  absl::string_view kind;
  absl::string_view id;
};
// False if `stream` is not of that form.
bool SplitStream(absl::string_view stream, StreamName* name);
// 1-`max` lower-case letters, digits or '-'.
bool IsSlug(absl::string_view text, size_t max);

// The stream an owner names (organisation, post or person), or "".
std::string OwnerStream(const v1::Owner& owner);

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_VALUES_H_
