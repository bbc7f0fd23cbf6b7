// The 'spend over £25,000' importer (see importers.h). Each payment row
// becomes a SpendIncurred on its month's stream. A row's event id is named
// by its content (and how many identical rows came before it in the
// import), so re-importing a file, or the same file under another name,
// adds nothing, and a corrected file adds only the rows that changed.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/import/csv_reader.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace {

constexpr char kFormat[] = "spend-25k";

std::string Basename(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The organisation slug for a department family.
std::string OrganisationFor(const std::string& family) {
  const std::string lower =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(family));
  if (lower == "hm treasury") return "hmt";
  return Slug(family);
}

struct Columns {
  int family, entity, date, expense_type, expense_area, supplier, transaction,
      amount, description;
};

class SpendFile {
 public:
  // `seen` counts identical rows across the import's files.
  SpendFile(const std::string& path, const std::string& organisation,
            ImportPlan* plan, PlanBuilder* builder, size_t* mangled,
            std::map<std::string, int>* seen)
      : path_(path),
        organisation_(organisation),
        plan_(plan),
        builder_(builder),
        mangled_(mangled),
        seen_(*seen) {}

  absl::Status Run() {
    absl::StatusOr<std::string> text = ReadWholeFile(path_);
    if (!text.ok()) return text.status();
    CsvTable csv(*text);
    Columns c{csv.Column("Department family"),
              csv.Column("Entity"),
              csv.Column("Date"),
              csv.Column("Expense type"),
              csv.Column("Expense area"),
              csv.Column("Supplier"),
              csv.Column("Transaction number"),
              csv.Column("Amount"),
              csv.Column("Description")};
    if (c.date < 0 || c.amount < 0 || c.supplier < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_,
          ": not a 'spend over £25,000' file (needs Date, Supplier and "
          "Amount columns)"));
    }
    std::vector<std::string> fields;
    int line = 0;
    while (csv.Next(&fields, &line)) {
      if (IsBlank(fields)) continue;
      ++plan_->rows_read;
      Row(c, fields, line, csv.malformed());
    }
    return absl::OkStatus();
  }

 private:
  static bool IsBlank(const std::vector<std::string>& fields) {
    for (const std::string& field : fields) {
      if (!absl::StripAsciiWhitespace(field).empty()) return false;
    }
    return true;
  }

  void Skip(int line, std::string reason) {
    plan_->skipped.push_back({path_, line, std::move(reason)});
  }

  void Row(const Columns& c, const std::vector<std::string>& fields, int line,
           bool malformed) {
    const auto field = [&](int column) {
      return std::string(
          absl::StripAsciiWhitespace(CsvTable::Field(fields, column)));
    };
    if (malformed) return Skip(line, "malformed CSV quoting");
    if (absl::EqualsIgnoreCase(field(c.family), "Department family")) {
      return Skip(line, "a repeated header row");
    }
    absl::StatusOr<v1::Date> date = ParseDayMonthYear(field(c.date));
    if (!date.ok())
      return Skip(line, absl::StrCat("Date: ", date.status().message()));
    bool mangled = false;
    absl::StatusOr<int64_t> amount =
        ParseMinorUnits(CsvTable::Field(fields, c.amount), &mangled);
    if (!amount.ok()) {
      return Skip(line, absl::StrCat("Amount: ", amount.status().message()));
    }
    if (*amount == 0) return Skip(line, "Amount: zero is not a payment");
    const std::string supplier = CleanText(field(c.supplier));
    if (supplier.empty()) return Skip(line, "Supplier: blank");
    if (mangled) ++*mangled_;

    std::string organisation = organisation_;
    if (organisation.empty()) organisation = OrganisationFor(field(c.family));
    if (organisation.empty()) {
      return Skip(line, "Department family: blank (pass --organisation)");
    }
    v1::SpendIncurred event;
    event.mutable_amount()->set_minor_units(*amount);
    event.mutable_amount()->set_currency("GBP");
    event.set_supplier(supplier);
    *event.mutable_paid_on() = *date;
    event.set_expense_type(CleanText(field(c.expense_type)));
    event.set_expense_area(CleanText(field(c.expense_area)));
    event.set_transaction_number(CleanText(field(c.transaction)));
    event.set_description(CleanText(field(c.description), 16 << 10));
    event.set_entity(CleanText(field(c.entity)));
    event.set_source_row(
        absl::StrCat(kFormat, " ", Basename(path_), " line ", line));
    const std::string stream = absl::StrFormat(
        "%s/spend/%04d-%02d", organisation, date->year(), date->month());
    const std::string content = absl::StrJoin(fields, "\x1f");
    const int occurrence = seen_[content]++;  // identical payments stay two
    builder_->Add(0, stream, domain::EventType::kSpendIncurred, event,
                  absl::StrCat(organisation, "\n", content, "\n", occurrence));
  }

  const std::string path_;
  const std::string organisation_;
  ImportPlan* const plan_;
  PlanBuilder* const builder_;
  size_t* const mangled_;
  std::map<std::string, int>& seen_;  // identical rows so far
};

}  // namespace

absl::StatusOr<ImportPlan> PlanSpend25k(const std::vector<std::string>& paths,
                                        const std::string& organisation) {
  absl::StatusOr<std::vector<std::string>> files = ExpandPaths(paths, ".csv");
  if (!files.ok()) return files.status();
  ImportPlan plan;
  PlanBuilder builder(&plan, kFormat);
  size_t mangled = 0;
  std::map<std::string, int> seen;
  for (const std::string& file : *files) {
    SpendFile spend(file, organisation, &plan, &builder, &mangled, &seen);
    absl::Status status = spend.Run();
    if (!status.ok()) return status;
  }
  builder.Finish();
  if (mangled > 0) {
    plan.notes.push_back(absl::StrCat(
        mangled,
        " amounts had U+FFFD (a character lost in the published file) where "
        "'£' stands; read as pounds"));
  }
  return plan;
}

}  // namespace missionlog
