// Parsing the field formats of published government data exactly: money
// to minor units without floating point, dates in the two layouts the
// sources use, and free text made fit for the domain's short-text rule.
// Every parser says what is wrong instead of guessing.
#ifndef MISSIONLOG_CLIENTS_IMPORT_FIELDS_H_
#define MISSIONLOG_CLIENTS_IMPORT_FIELDS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {

// An amount of pounds (or any two-decimal currency) as pence:
//   "25000" -> 2500000, "3961551.51" -> 396155151, "-1,234.50" -> -123450,
//   " 8,000,000 " -> 800000000, "£1,528.4" -> 152840, "(1,234.50)" -> -123450.
// Surrounding spaces and one leading "£" (or U+FFFD, the replacement
// character a lost "£" became in some files; `*mangled_symbol` is set) are
// allowed; commas only as thousands separators; at most two decimals.
// INVALID_ARGUMENT for blank text, anything else, or an amount beyond int64.
absl::StatusOr<int64_t> ParseMinorUnits(absl::string_view text,
                                        bool* mangled_symbol = nullptr);

// "DD/MM/YYYY" (day and month may have one digit); a real date.
absl::StatusOr<v1::Date> ParseDayMonthYear(absl::string_view text);
// "YYYY-MM-DD", optionally followed by "T..." (an RFC 3339 time, ignored);
// a real date.
absl::StatusOr<v1::Date> ParseIsoDate(absl::string_view text);

// "YYYY-MM-DD".
std::string FormatDate(const v1::Date& date);

// Trims, turns control characters and runs of white space into one space,
// and cuts at `max_bytes` on a UTF-8 character boundary. Invalid UTF-8
// bytes become U+FFFD.
std::string CleanText(absl::string_view text, size_t max_bytes = 512);

// A stream-name slug: lower-case letters, digits and '-', at most
// `max_bytes` ("HM Treasury" -> "hm-treasury").
std::string Slug(absl::string_view text, size_t max_bytes = 64);

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_IMPORT_FIELDS_H_
