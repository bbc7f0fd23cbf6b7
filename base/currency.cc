#include "base/currency.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace missionlog {
namespace {

// ISO 4217 list one (as maintained by SIX, 2025): the active codes by their
// minor unit.
constexpr const char* kNoMinorUnit[] = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr const char* kThreeDigits[] = {"BHD", "IQD", "JOD", "KWD",
                                        "LYD", "OMR", "TND"};
constexpr const char* kFourDigits[] = {"CLF", "UYW"};

// Every other active code (ISO 4217 list one): 2 digits.
constexpr const char* kTwoDigits[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
    "BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD",
    "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
    "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN",
    "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
    "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR",
    "ZMW", "ZWG", "ZWL"};

template <size_t N>
bool In(const char* const (&codes)[N], absl::string_view code) {
  for (const char* c : codes) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

int MinorUnitDigits(absl::string_view currency) {
  if (currency.size() != 3) return -1;
  for (char c : currency) {
    if (c < 'A' || c > 'Z') return -1;
  }
  if (In(kNoMinorUnit, currency)) return 0;
  if (In(kThreeDigits, currency)) return 3;
  if (In(kFourDigits, currency)) return 4;
  if (In(kTwoDigits, currency)) return 2;
  return -1;  // not an active ISO 4217 code, or one without a minor unit
}

absl::StatusOr<int64_t> ToMinorUnits(double amount,
                                     absl::string_view currency) {
  const int digits = MinorUnitDigits(currency);
  if (digits < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "currency '", currency, "' is not an ISO 4217 code with a minor unit"));
  }
  if (!std::isfinite(amount) || std::fabs(amount) > 9e15) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount ", amount, " is out of range"));
  }
  // The shortest decimal text with the currency's digits must read back as
  // the same double: 12.5 JPY, 0.0001 GBP or 10.005 GBP are refused.
  const std::string text = absl::StrFormat("%.*f", digits, amount);
  if (std::strtod(text.c_str(), nullptr) != amount) {
    return absl::InvalidArgumentError(absl::StrCat(
        amount, " has more decimals than ", currency, "'s ", digits));
  }
  std::string integer;
  integer.reserve(text.size());
  for (char c : text) {
    if (c != '.') integer.push_back(c);
  }
  int64_t minor = 0;
  if (!absl::SimpleAtoi(integer, &minor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount ", amount, " is out of range"));
  }
  return minor;
}

std::string FormatMinorUnits(int64_t minor_units, absl::string_view currency) {
  int digits = MinorUnitDigits(currency);
  if (digits < 0) digits = 2;
  const bool negative = minor_units < 0;
  const uint64_t magnitude = negative
                                 ? static_cast<uint64_t>(-(minor_units + 1)) + 1
                                 : static_cast<uint64_t>(minor_units);
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const std::string whole = absl::StrCat(magnitude / scale);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  std::string out = negative ? "-" + grouped : grouped;
  if (digits > 0) {
    absl::StrAppend(
        &out, ".",
        absl::StrFormat("%0*d", digits, static_cast<int>(magnitude % scale)));
  }
  return out;
}

}  // namespace missionlog
