#include "clients/import/fields.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/utf8.h"
#include "domain/values.h"

namespace missionlog {
namespace {

absl::StatusOr<v1::Date> MakeDate(int year, int month, int day,
                                  absl::string_view text) {
  if (!domain::IsRealDate(year, month, day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a real date"));
  }
  return domain::MakeDate(year, month, day);
}

bool AllDigits(absl::string_view text, size_t min, size_t max) {
  if (text.size() < min || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// Length of the UTF-8 sequence starting at `s[i]`, or 0 if invalid.
size_t Utf8Length(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n = c < 0x80         ? 1
             : (c >> 5) == 6  ? 2
             : (c >> 4) == 14 ? 3
             : (c >> 3) == 30 ? 4
                              : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

absl::StatusOr<int64_t> ParseMinorUnits(absl::string_view text,
                                        bool* mangled_symbol) {
  const std::string original(text);
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", original, "\" is not an amount: ", why));
  };
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return absl::InvalidArgumentError("blank amount");
  bool negative = false;
  if (absl::StartsWith(s, "(") && absl::EndsWith(s, ")")) {
    negative = true;
    s = absl::StripAsciiWhitespace(s.substr(1, s.size() - 2));
  }
  if (absl::ConsumePrefix(&s, "-")) {
    if (negative) return invalid("two signs");
    negative = true;
  }
  if (absl::ConsumePrefix(&s, "\xEF\xBF\xBD")) {
    if (mangled_symbol != nullptr) *mangled_symbol = true;
  } else {
    absl::ConsumePrefix(&s, "\xC2\xA3");  // "£"
  }
  if (!negative && absl::ConsumePrefix(&s, "-")) negative = true;
  absl::string_view whole = s;
  absl::string_view fraction;
  const size_t dot = s.find('.');
  if (dot != absl::string_view::npos) {
    whole = s.substr(0, dot);
    fraction = s.substr(dot + 1);
    if (AllDigits(fraction, 3, 64)) {
      return invalid("more than two decimal places (not rounded)");
    }
    if (!AllDigits(fraction, 1, 2)) {
      return invalid("one or two digits must follow the decimal point");
    }
  }
  if (whole.empty()) return invalid("no digits before the decimal point");
  // Digits, with commas only between groups of three.
  std::string digits;
  std::vector<absl::string_view> groups = absl::StrSplit(whole, ',');
  for (size_t i = 0; i < groups.size(); ++i) {
    const bool first = i == 0;
    if (groups.size() > 1 &&
        !(first ? AllDigits(groups[i], 1, 3) : AllDigits(groups[i], 3, 3))) {
      return invalid("commas must separate thousands");
    }
    if (groups.size() == 1 && !AllDigits(groups[i], 1, 19)) {
      return invalid("not a number");
    }
    absl::StrAppend(&digits, groups[i]);
  }
  std::string cents(fraction);
  cents.resize(2, '0');
  uint64_t magnitude = 0;
  for (char c : absl::StrCat(digits, cents)) {
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return invalid("too large");
    }
    magnitude = magnitude * 10 + digit;
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return invalid("too large");
  }
  const int64_t value = static_cast<int64_t>(magnitude);
  return negative ? -value : value;
}

absl::StatusOr<v1::Date> ParseDayMonthYear(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return absl::InvalidArgumentError("blank date");
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  int day = 0, month = 0, year = 0;
  if (parts.size() != 3 || !AllDigits(parts[0], 1, 2) ||
      !AllDigits(parts[1], 1, 2) || !AllDigits(parts[2], 4, 4) ||
      !absl::SimpleAtoi(parts[0], &day) ||
      !absl::SimpleAtoi(parts[1], &month) ||
      !absl::SimpleAtoi(parts[2], &year)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a DD/MM/YYYY date"));
  }
  return MakeDate(year, month, day, text);
}

absl::StatusOr<v1::Date> ParseIsoDate(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  if (s.empty()) return absl::InvalidArgumentError("blank date");
  if (s.size() > 10 && s[10] == 'T') s = s.substr(0, 10);
  int year = 0, month = 0, day = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' ||
      !AllDigits(s.substr(0, 4), 4, 4) || !AllDigits(s.substr(5, 2), 2, 2) ||
      !AllDigits(s.substr(8, 2), 2, 2) ||
      !absl::SimpleAtoi(s.substr(0, 4), &year) ||
      !absl::SimpleAtoi(s.substr(5, 2), &month) ||
      !absl::SimpleAtoi(s.substr(8, 2), &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a YYYY-MM-DD date"));
  }
  return MakeDate(year, month, day, text);
}

std::string FormatDate(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

std::string CleanText(absl::string_view text, size_t max_bytes) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') {
      space = !out.empty();
      ++i;
      continue;
    }
    size_t n = Utf8Length(text, i);
    absl::string_view piece =
        n == 0 ? absl::string_view("\xEF\xBF\xBD") : text.substr(i, n);
    i += n == 0 ? 1 : n;
    // Overlong forms, surrogates and C1 controls too.
    if (n > 1 && !IsPrintableUtf8(piece)) piece = "\xEF\xBF\xBD";
    if (out.size() + (space ? 1 : 0) + piece.size() > max_bytes) break;
    if (space) out.push_back(' ');
    space = false;
    absl::StrAppend(&out, piece);
  }
  return out;
}

std::string Slug(absl::string_view text, size_t max_bytes) {
  std::string out;
  for (char c : text) {
    if (absl::ascii_isalnum(c)) {
      if (out.size() >= max_bytes) break;
      out.push_back(absl::ascii_tolower(c));
    } else if (!out.empty() && out.back() != '-' && out.size() < max_bytes) {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace missionlog
