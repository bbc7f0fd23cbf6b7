// The field checks a domain event's rules are written with (rules_*.cc):
// each records the first rule broken, named as "<Message>.<field>: <rule>"
// (INVALID_ARGUMENT), or, for a reference to a stream that does not exist,
// FAILED_PRECONDITION. Later checks after a failure do nothing.
//
// Not thread-safe: one per validation.
#ifndef MISSIONLOG_DOMAIN_CHECK_H_
#define MISSIONLOG_DOMAIN_CHECK_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "missionlog/v1/domain/common.pb.h"

namespace missionlog {
namespace domain {

// Whether a referenced stream exists (a storage read: call off gRPC's
// threads).
using StreamExists = std::function<absl::StatusOr<bool>(absl::string_view)>;

enum class Sign { kPositive, kNonZero };

class Check {
 public:
  static constexpr size_t kMaxText = 16 << 10;
  static constexpr size_t kMaxShortText = 512;

  // `message`: the message's name, first in every failure. `exists` must
  // outlive the check.
  Check(std::string message, const StreamExists& exists)
      : message_(std::move(message)), exists_(exists) {}

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }

  void Fail(absl::string_view field, absl::string_view rule);

  // Text of at most `max` bytes; short text (the default) is UTF-8 without
  // control characters too.
  void Text(absl::string_view value, absl::string_view field, bool required,
            size_t max = kMaxShortText);
  void LongText(absl::string_view value, absl::string_view field,
                bool required) {
    Text(value, field, required, kMaxText);
  }
  void Date(bool present, const v1::Date& date, absl::string_view field,
            bool required);
  // `later` must be after `earlier` (or equal, if !strict), when both set.
  void Ordered(bool has_earlier, const v1::Date& earlier,
               absl::string_view earlier_field, bool has_later,
               const v1::Date& later, absl::string_view later_field,
               bool strict);
  void Money(bool present, const v1::Money& money, absl::string_view field,
             Sign sign);
  // A reference: well-formed, of `kind` if given, and existing.
  void Ref(bool present, const v1::Ref& ref, absl::string_view field,
           bool required, absl::string_view kind = "");
  template <typename Refs>
  void Refs_(const Refs& refs, absl::string_view field, bool at_least_one,
             absl::string_view kind = "") {
    if (at_least_one && refs.empty()) Fail(field, "at least one required");
    for (int i = 0; i < refs.size(); ++i) {
      Ref(true, refs.Get(i), absl::StrCat(field, "[", i, "]"), true, kind);
    }
  }
  // An owner: an organisation, post or person stream.
  void Owner(bool present, const v1::Owner& owner, absl::string_view field,
             bool required);
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
      OneEvidence(list.Get(i), absl::StrCat(field, "[", i, "]"));
    }
  }
  // An enum value: known to this build, and not the zero "unspecified".
  template <typename Enum>
  void Known(bool valid, Enum value, absl::string_view field) {
    if (!valid) {
      Fail(field, absl::StrCat("unknown value ", value));
    } else if (static_cast<int>(value) == 0) {
      Fail(field, "required");
    }
  }

 private:
  void OneEvidence(const v1::Evidence& evidence, absl::string_view at);

  const std::string message_;
  const StreamExists& exists_;
  absl::Status status_;
};

}  // namespace domain
}  // namespace missionlog

#endif  // MISSIONLOG_DOMAIN_CHECK_H_
