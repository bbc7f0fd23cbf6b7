// The OCDS 1.1 importer (see importers.h). Per ocid, the latest release
// (by date) that carries a value stands: its tender's value becomes a
// BudgetAllocated on the buyer's <buyer>/budget/<ocid> stream, and each
// award's value (awards not cancelled or unsuccessful) a SpendCommitted on
// <buyer>/contract/<ocid>--<award id>. Buyers are registered once each as
// organisations. Event ids are named by ocid (and award id), so a newer
// release with a different value is reported by the server as a conflict,
// not silently counted twice.
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
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

// An OCDS Value: amount (a JSON number, at most two decimals) and currency.
absl::StatusOr<v1::Money> MoneyOf(const Struct& value) {
  const Value* amount = Get(value, "amount");
  if (amount == nullptr || amount->kind_case() != Value::kNumberValue) {
    return absl::InvalidArgumentError("value.amount: missing");
  }
  const double x = amount->number_value();
  const std::string text = absl::StrFormat("%.2f", x);
  if (std::strtod(text.c_str(), nullptr) != x) {
    return absl::InvalidArgumentError(
        absl::StrCat("value.amount: ", x, " has more than two decimals"));
  }
  absl::StatusOr<int64_t> minor = ParseMinorUnits(text);
  if (!minor.ok()) return minor.status();
  const std::string currency = GetString(value, "currency");
  if (currency.size() != 3) {
    return absl::InvalidArgumentError("value.currency: missing");
  }
  v1::Money money;
  money.set_minor_units(*minor);
  money.set_currency(currency);
  return money;
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
    for (const auto& [ocid, latest] : latest_)
      Emit(latest.file, latest.release);
    builder_.Finish();
  }

 private:
  struct Latest {
    std::string file;
    std::string date;
    Struct release;
  };

  void Record(const std::string& path, const Struct& record) {
    ++plan_->rows_read;
    if (const Struct* compiled = GetObject(record, "compiledRelease")) {
      Keep(path, *compiled);
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
        Keep(path, release.struct_value());
      }
    }
  }

  void Release(const std::string& path, const Struct& release) {
    ++plan_->rows_read;
    Keep(path, release);
  }

  // Keeps the latest release per ocid (ties: the last read).
  void Keep(const std::string& path, const Struct& release) {
    const std::string ocid = GetString(release, "ocid");
    if (ocid.empty()) {
      plan_->skipped.push_back({path, 0, "a release with no ocid"});
      return;
    }
    const std::string date = GetString(release, "date");
    auto it = latest_.find(ocid);
    if (it == latest_.end() || it->second.date <= date) {
      latest_[ocid] = Latest{path, date, release};
    }
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
  std::map<std::string, Latest> latest_;  // by ocid
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
