// The OCDS 1.1 importer (see importers.h). Per ocid, the latest release
// stands: latest by its date as an instant (offsets honoured), then the one
// that validates against OCDS 1.1 (buyer.id resolves in parties), then a
// record's compiled release, then the smallest serialization, so the
// choice never depends on the order files are read. Copies of one release
// (the same id within an ocid, which OCDS 1.1 makes unique) are one
// release: the same rule keeps one, and the others are reported. The
// tender's value becomes a BudgetAllocated on the buyer's
// <buyer>/budget/<ocid> stream, with the tender's status (an unsuccessful
// or cancelled tender is not counted as allocated by the spending view),
// and each award's value (awards not cancelled or unsuccessful) a
// SpendCommitted on <buyer>/contract/<ocid>--<award id>. Amounts are kept
// in the currency's ISO 4217 minor units (JPY 0 digits, KWD 3). Buyers are
// registered once each as organisations. Event ids are named by ocid (and
// award id), so a newer release with a different value is reported by the
// server as a conflict, not silently counted twice.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/currency.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kFormat[] = "ocds";

const Value* Get(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}
const Struct* GetObject(const Struct& object, const std::string& key) {
  const Value* value = Get(object, key);
  return value != nullptr && value->has_struct_value() ? &value->struct_value()
                                                       : nullptr;
}
std::string GetString(const Struct& object, const std::string& key) {
  const Value* value = Get(object, key);
  return value != nullptr && value->kind_case() == Value::kStringValue
             ? value->string_value()
             : "";
}

// An OCDS Value: amount (a JSON number) in the minor units of its currency
// (ISO 4217: at most that many decimals).
absl::StatusOr<v1::Money> MoneyOf(const Struct& value) {
  const Value* amount = Get(value, "amount");
  if (amount == nullptr || amount->kind_case() != Value::kNumberValue) {
    return absl::InvalidArgumentError("value.amount: missing");
  }
  const std::string currency = GetString(value, "currency");
  if (currency.empty()) {
    return absl::InvalidArgumentError("value.currency: missing");
  }
  absl::StatusOr<int64_t> minor =
      ToMinorUnits(amount->number_value(), currency);
  if (!minor.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("value.amount: ", minor.status().message()));
  }
  v1::Money money;
  money.set_minor_units(*minor);
  money.set_currency(currency);
  return money;
}

// A release's date as an instant: RFC 3339 with any offset, or a date
// alone (midnight UTC). nullopt if it is neither.
std::optional<absl::Time> InstantOf(const std::string& text) {
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  if (absl::ParseTime("%Y-%m-%d", text, &time, &error)) return time;
  return std::nullopt;
}

// The bytes of `message` with map keys sorted: equal for equal JSON.
std::string Canonical(const Struct& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&out);
  out.Trim();
  return bytes;
}

// "2014-15" for a date in the UK fiscal year April 2014 - March 2015.
std::string FiscalYear(const v1::Date& date) {
  const int start = date.month() >= 4 ? date.year() : date.year() - 1;
  return absl::StrFormat("%04d-%02d", start, (start + 1) % 100);
}

class OcdsImport {
 public:
  explicit OcdsImport(ImportPlan* plan)
      : plan_(plan), builder_(plan, kFormat) {}

  absl::Status File(const std::string& path) {
    absl::StatusOr<std::string> text = ReadWholeFile(path);
    if (!text.ok()) return text.status();
    Struct root;
    auto parsed = google::protobuf::util::JsonStringToMessage(*text, &root);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not a JSON object: ", parsed.ToString()));
    }
    const Value* records = Get(root, "records");
    if (records != nullptr && records->has_list_value()) {
      for (const Value& record : records->list_value().values()) {
        if (record.has_struct_value()) Record(path, record.struct_value());
      }
    } else if (Get(root, "compiledRelease") != nullptr ||
               Get(root, "versionedRelease") != nullptr) {
      Record(path, root);
    } else if (const Value* releases = Get(root, "releases");
               releases != nullptr && releases->has_list_value()) {
      for (const Value& release : releases->list_value().values()) {
        if (release.has_struct_value()) Release(path, release.struct_value());
      }
    } else if (Get(root, "ocid") != nullptr) {
      Release(path, root);
    } else {
      plan_->skipped.push_back(
          {path, 0, "neither an OCDS release, record nor package"});
    }
    return absl::OkStatus();
  }

  void Finish() {
    for (auto& [ocid, candidates] : candidates_) {
      std::sort(candidates.begin(), candidates.end(), Better);
      // One copy per release id: the best (the list is in order).
      std::map<std::string, const Candidate*> kept;
      std::vector<const Candidate*> releases;
      for (const Candidate& candidate : candidates) {
        auto [it, first] = kept.emplace(candidate.id, &candidate);
        if (first || candidate.id.empty()) {
          releases.push_back(&candidate);
          continue;
        }
        ReportCopy(ocid, *it->second, candidate);
      }
      const Candidate& stands = *releases.front();
      for (size_t i = 1; i < releases.size(); ++i) {
        plan_->skipped.push_back(
            {releases[i]->file, 0,
             absl::StrCat(ocid, ": release ", releases[i]->id, " (",
                          GetString(releases[i]->release, "date"),
                          ") is superseded: release ", stands.id, " (",
                          GetString(stands.release, "date"), ", in ",
                          stands.file,
                          ") stands for the contracting process")});
      }
      Emit(stands.file, stands.release);
    }
    builder_.Finish();
  }

 private:
  struct Candidate {
    std::string file;
    std::string id;  // the release id
    Struct release;
    bool compiled = false;  // a record's compiledRelease
    std::optional<absl::Time> instant;
    bool valid = false;  // buyer.id resolves in parties (OCDS 1.1)
    std::string bytes;   // Canonical(release): the last tie-break
  };

  // The release that stands first: the latest; at the same instant, one
  // that validates, then a compiled release, then the smaller bytes.
  static bool Better(const Candidate& a, const Candidate& b) {
    const absl::Time ta = a.instant.value_or(absl::InfinitePast());
    const absl::Time tb = b.instant.value_or(absl::InfinitePast());
    if (ta != tb) return ta > tb;
    return std::make_tuple(!a.valid, !a.compiled, std::cref(a.bytes)) <
           std::make_tuple(!b.valid, !b.compiled, std::cref(b.bytes));
  }

  // Buyer name of a release, for the report.
  static std::string BuyerName(const Struct& release) {
    const Struct* buyer = GetObject(release, "buyer");
    return buyer != nullptr ? CleanText(GetString(*buyer, "name")) : "";
  }

  void ReportCopy(const std::string& ocid, const Candidate& kept,
                  const Candidate& dropped) {
    std::string why = kept.valid && !dropped.valid
                          ? "its buyer.id resolves in parties (OCDS 1.1)"
                      : kept.compiled && !dropped.compiled
                          ? "it is the record's compiled release"
                          : "the copies are otherwise alike (the smaller "
                            "serialization is kept)";
    if (kept.bytes == dropped.bytes) why = "the copies are identical";
    plan_->skipped.push_back(
        {dropped.file, 0,
         absl::StrCat(ocid, ": release ", dropped.id,
                      " is published more than once; this copy (buyer '",
                      BuyerName(dropped.release),
                      "') is not used: the copy in ", kept.file, " (buyer '",
                      BuyerName(kept.release), "') is, because ", why)});
  }

  void Record(const std::string& path, const Struct& record) {
    ++plan_->rows_read;
    if (const Struct* compiled = GetObject(record, "compiledRelease")) {
      Keep(path, *compiled, /*compiled=*/true);
      return;
    }
    const Value* releases = Get(record, "releases");
    if (releases == nullptr || !releases->has_list_value()) {
      plan_->skipped.push_back(
          {path, 0, "a record with no compiledRelease or releases"});
      return;
    }
    for (const Value& release : releases->list_value().values()) {
      if (release.has_struct_value() && Get(release.struct_value(), "tag")) {
        Keep(path, release.struct_value(), /*compiled=*/false);
      }
    }
  }

  void Release(const std::string& path, const Struct& release) {
    ++plan_->rows_read;
    Keep(path, release, /*compiled=*/false);
  }

  void Keep(const std::string& path, const Struct& release, bool compiled) {
    const std::string ocid = GetString(release, "ocid");
    if (ocid.empty()) {
      plan_->skipped.push_back({path, 0, "a release with no ocid"});
      return;
    }
    Candidate candidate;
    candidate.file = path;
    candidate.id = GetString(release, "id");
    candidate.release = release;
    candidate.compiled = compiled;
    candidate.instant = InstantOf(GetString(release, "date"));
    if (const Struct* buyer = GetObject(release, "buyer")) {
      const std::string buyer_id = GetString(*buyer, "id");
      if (const Value* parties = Get(release, "parties");
          !buyer_id.empty() && parties != nullptr &&
          parties->has_list_value()) {
        for (const Value& party : parties->list_value().values()) {
          candidate.valid |= party.has_struct_value() &&
                             GetString(party.struct_value(), "id") == buyer_id;
        }
      }
    }
    candidate.bytes = Canonical(release);
    candidates_[ocid].push_back(std::move(candidate));
  }

  void Emit(const std::string& path, const Struct& release) {
    const std::string ocid = GetString(release, "ocid");
    const auto skip = [&](const std::string& why) {
      plan_->skipped.push_back({path, 0, absl::StrCat(ocid, ": ", why)});
    };
    const Struct* buyer = GetObject(release, "buyer");
    const std::string buyer_name =
        buyer != nullptr ? CleanText(GetString(*buyer, "name")) : "";
    const std::string slug = Slug(buyer_name);
    if (slug.empty()) return skip("buyer.name: missing");
    absl::StatusOr<v1::Date> date = ParseIsoDate(GetString(release, "date"));
    if (!date.ok())
      return skip(absl::StrCat("date: ", date.status().message()));
    const std::string buyer_stream = absl::StrCat(slug, "/organisation/", slug);
    if (buyers_.insert(slug).second) {
      v1::OrganisationRegistered event;
      event.set_organisation(slug);
      event.set_name(buyer_name);
      event.set_kind(v1::ORGANISATION_KIND_NOT_STATED);
      const std::string id = GetString(*buyer, "id");
      if (!id.empty()) event.add_external_ids(absl::StrCat("ocds-party:", id));
      builder_.Add(0, buyer_stream, domain::EventType::kOrganisationRegistered,
                   event, absl::StrCat("buyer\n", slug));
    }
    v1::Ref buyer_ref;
    buyer_ref.set_stream(buyer_stream);
    const std::string budget_stream = absl::StrCat(slug, "/budget/", ocid);
    bool has_budget = false;
    if (const Struct* tender = GetObject(release, "tender")) {
      if (const Struct* value = GetObject(*tender, "value")) {
        absl::StatusOr<v1::Money> money = MoneyOf(*value);
        if (!money.ok()) {
          skip(absl::StrCat("tender.", money.status().message()));
        } else if (money->minor_units() <= 0) {
          skip("tender.value.amount: not positive");
        } else {
          v1::BudgetAllocated event;
          *event.mutable_amount() = *money;
          *event.mutable_from() = buyer_ref;
          *event.mutable_to() = buyer_ref;
          event.set_fiscal_year(FiscalYear(*date));
          event.set_budget_line(CleanText(GetString(*tender, "title")));
          event.set_tender_status(GetString(*tender, "status"));
          *event.mutable_valid_from() = *date;
          builder_.Add(1, budget_stream, domain::EventType::kBudgetAllocated,
                       event, absl::StrCat("budget\n", ocid));
          has_budget = true;
        }
      }
    }
    const Value* awards = Get(release, "awards");
    if (awards == nullptr || !awards->has_list_value()) return;
    for (const Value& item : awards->list_value().values()) {
      if (!item.has_struct_value()) continue;
      Award(path, ocid, slug, *date, has_budget ? budget_stream : "",
            item.struct_value());
    }
  }

  void Award(const std::string& path, const std::string& ocid,
             const std::string& slug, const v1::Date& release_date,
             const std::string& budget_stream, const Struct& award) {
    const std::string id = GetString(award, "id");
    const auto skip = [&](const std::string& why) {
      plan_->skipped.push_back(
          {path, 0, absl::StrCat(ocid, " award ", id, ": ", why)});
    };
    const std::string status = GetString(award, "status");
    if (status == "cancelled" || status == "unsuccessful") return;
    if (id.empty()) return skip("no id");
    const Struct* value = GetObject(award, "value");
    if (value == nullptr) return skip("no value");
    absl::StatusOr<v1::Money> money = MoneyOf(*value);
    if (!money.ok()) return skip(std::string(money.status().message()));
    if (money->minor_units() <= 0) return skip("value.amount: not positive");
    v1::SpendCommitted event;
    *event.mutable_amount() = *money;
    std::string suppliers;
    if (const Value* list = Get(award, "suppliers");
        list != nullptr && list->has_list_value()) {
      for (const Value& supplier : list->list_value().values()) {
        if (!supplier.has_struct_value()) continue;
        const std::string name = GetString(supplier.struct_value(), "name");
        if (!name.empty()) {
          absl::StrAppend(&suppliers, suppliers.empty() ? "" : "; ", name);
        }
      }
    }
    event.set_supplier(CleanText(suppliers));
    if (event.supplier().empty()) return skip("no supplier named");
    event.set_ocid(ocid);
    event.set_description(CleanText(GetString(award, "title").empty()
                                        ? GetString(award, "description")
                                        : GetString(award, "title"),
                                    16 << 10));
    absl::StatusOr<v1::Date> date = ParseIsoDate(GetString(award, "date"));
    *event.mutable_committed_on() = date.ok() ? *date : release_date;
    if (const Struct* period = GetObject(award, "contractPeriod")) {
      absl::StatusOr<v1::Date> start =
          ParseIsoDate(GetString(*period, "startDate"));
      absl::StatusOr<v1::Date> end =
          ParseIsoDate(GetString(*period, "endDate"));
      if (start.ok()) *event.mutable_period_start() = *start;
      if (end.ok()) *event.mutable_period_end() = *end;
    }
    if (!budget_stream.empty())
      event.mutable_budget()->set_stream(budget_stream);
    const std::string stream =
        absl::StrCat(slug, "/contract/", ocid, "--", Slug(id, 60));
    builder_.Add(2, stream, domain::EventType::kSpendCommitted, event,
                 absl::StrCat("award\n", ocid, "\n", id));
  }

  ImportPlan* const plan_;
  PlanBuilder builder_;
  std::map<std::string, std::vector<Candidate>> candidates_;  // by ocid
  std::set<std::string> buyers_;
};

}  // namespace

absl::StatusOr<ImportPlan> PlanOcds(const std::vector<std::string>& paths) {
  absl::StatusOr<std::vector<std::string>> files = ExpandPaths(paths, ".json");
  if (!files.ok()) return files.status();
  ImportPlan plan;
  OcdsImport import(&plan);
  for (const std::string& file : *files) {
    absl::Status status = import.File(file);
    if (!status.ok()) return status;
  }
  import.Finish();
  return plan;
}

}  // namespace missionlog
