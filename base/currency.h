// ISO 4217 currencies' minor units: how many decimal digits an amount in
// the currency has (GBP 2: pennies; JPY 0; KWD 3: fils), so that an amount
// is kept exactly as an integer count of minor units (v1::Money).
#ifndef MISSIONLOG_BASE_CURRENCY_H_
#define MISSIONLOG_BASE_CURRENCY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace missionlog {

// The minor unit digits of an active ISO 4217 code ("GBP" 2, "JPY" 0,
// "KWD" 3, "CLF" 4); -1 for a code that is not one (codes without a minor
// unit, such as XAU or XDR, are -1 too).
int MinorUnitDigits(absl::string_view currency);

// `amount` (a JSON number, e.g. 23105000 or 12.5) in whole minor units of
// `currency`; INVALID_ARGUMENT if the code is unknown or the amount has
// more decimals than the currency's minor unit.
absl::StatusOr<int64_t> ToMinorUnits(double amount, absl::string_view currency);

// "1,234.56" for 123456 GBP, "1,234" for 1234 JPY, "1.234" for 1234 KWD;
// two decimals for an unknown code.
std::string FormatMinorUnits(int64_t minor_units, absl::string_view currency);

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_CURRENCY_H_
