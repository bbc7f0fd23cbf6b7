#include "domain/values.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/currency.h"

namespace missionlog {
namespace domain {
namespace {

// ISO 4217 alphabetic codes in use (2024 list, funds and precious metals
// excluded).

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

}  // namespace

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

int CompareDates(const v1::Date& a, const v1::Date& b) {
  if (a.year() != b.year()) return a.year() < b.year() ? -1 : 1;
  if (a.month() != b.month()) return a.month() < b.month() ? -1 : 1;
  if (a.day() != b.day()) return a.day() < b.day() ? -1 : 1;
  return 0;
}

bool InPeriod(const v1::Date& on, const v1::Date& start, bool has_end,
              const v1::Date& end) {
  return CompareDates(start, on) <= 0 &&
         (!has_end || CompareDates(on, end) < 0);
}

v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

std::string FormatDate(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(),
                         date.day());
}

bool IsCurrencyCode(absl::string_view code) {
  return MinorUnitDigits(code) >= 0;
}

bool IsSlug(absl::string_view text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool SplitStream(absl::string_view stream, StreamName* name) {
  std::vector<absl::string_view> parts = absl::StrSplit(stream, '/');
  if (parts.size() != 3 || !IsSlug(parts[0], 64) || !IsSlug(parts[1], 32) ||
      !IsStreamId(parts[2])) {
    return false;
  }
  name->organisation = parts[0];
  name->kind = parts[1];
  name->id = parts[2];
  return true;
}

std::string OwnerStream(const v1::Owner& owner) {
  switch (owner.owner_case()) {
    case v1::Owner::kOrganisation:
      return owner.organisation().stream();
    case v1::Owner::kPost:
      return owner.post().stream();
    case v1::Owner::kPerson:
      return owner.person().stream();
    default:
      return "";
  }
}

}  // namespace domain
}  // namespace missionlog
