// The IfG Ministers Database importer (see importers.h). The database
// gives a renamed department a new organisation id, so its links become
// events on the predecessor's stream: Merger -> OrganisationMerged,
// Demerger -> OrganisationDemerged (successors of one date together),
// Transfer of functions -> FunctionsTransferred, and an organisation with
// an end date is closed with the GOV.UK closed-status word that fits its
// links ("changed_name", "merged", "split", else "closed").
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/import/csv_reader.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"

namespace missionlog {
namespace {

constexpr char kFormat[] = "ifg-ministers";

// One CSV of the database, its rows as column -> value.
struct Row {
  int line = 0;
  std::map<std::string, std::string> values;
  const std::string& operator[](const std::string& column) const {
    static const std::string* const kEmpty = new std::string();
    auto it = values.find(column);
    return it == values.end() ? *kEmpty : it->second;
  }
};

struct Table {
  std::string file;
  std::vector<Row> rows;
};

absl::StatusOr<Table> ReadTable(const std::string& directory,
                                const std::string& name,
                                const std::vector<std::string>& columns,
                                ImportPlan* plan) {
  Table table;
  table.file = absl::StrCat(directory, "/", name, ".csv");
  absl::StatusOr<std::string> text = ReadWholeFile(table.file);
  if (!text.ok()) return text.status();
  CsvTable csv(*text);
  std::vector<int> index;
  for (const std::string& column : columns) {
    index.push_back(csv.Column(column));
    if (index.back() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          table.file, ": no column \"", column, "\" in the header"));
    }
  }
  std::vector<std::string> fields;
  int line = 0;
  while (csv.Next(&fields, &line)) {
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    ++plan->rows_read;
    if (csv.malformed()) {
      plan->skipped.push_back({table.file, line, "malformed CSV quoting"});
      continue;
    }
    Row row;
    row.line = line;
    for (size_t i = 0; i < columns.size(); ++i) {
      row.values[columns[i]] = CsvTable::Field(fields, index[i]);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

v1::Ref MakeRef(const std::string& kind, const std::string& id) {
  v1::Ref ref;
  ref.set_stream(absl::StrCat("ifg/", kind, "/", id));
  return ref;
}

// An optional date column: absent when blank; false (and a skipped row) if
// malformed.
bool OptionalDate(const Table& table, const Row& row, const std::string& column,
                  bool* present, v1::Date* date, ImportPlan* plan) {
  *present = !row[column].empty();
  if (!*present) return true;
  absl::StatusOr<v1::Date> parsed = ParseIsoDate(row[column]);
  if (!parsed.ok()) {
    plan->skipped.push_back(
        {table.file, row.line,
         absl::StrCat(column, ": ", parsed.status().message())});
    return false;
  }
  *date = *parsed;
  return true;
}

// [start, end) must not be empty.
bool Ordered(const Table& table, const Row& row, bool has_end,
             ImportPlan* plan) {
  if (!has_end || row["end_date"] > row["start_date"]) return true;
  plan->skipped.push_back(
      {table.file, row.line,
       absl::StrCat("end_date ", row["end_date"], " is not after start_date ",
                    row["start_date"])});
  return false;
}

v1::CabinetStatus CabinetStatusOf(const std::string& text) {
  if (text == "Full cabinet") return v1::CABINET_STATUS_FULL_CABINET;
  if (text == "Attends cabinet") return v1::CABINET_STATUS_ATTENDS_CABINET;
  if (text == "Non-cabinet") return v1::CABINET_STATUS_NON_CABINET;
  if (absl::StartsWith(text, "Attends cabinet when")) {
    return v1::CABINET_STATUS_ATTENDS_WHEN_RESPONSIBLE;
  }
  return v1::CABINET_STATUS_UNSPECIFIED;
}

class IfgImport {
 public:
  explicit IfgImport(ImportPlan* plan) : plan_(plan), builder_(plan, kFormat) {}

  absl::Status Run(const std::string& dir) {
    auto orgs = ReadTable(
        dir, "organisation",
        {"id", "name", "short_name", "start_date", "end_date"}, plan_);
    auto links =
        ReadTable(dir, "organisation_link",
                  {"id", "predecessor_organisation_id",
                   "successor_organisation_id", "type", "link_start_date"},
                  plan_);
    auto people = ReadTable(dir, "person",
                            {"id", "id_parliament", "name", "display_name",
                             "start_date", "end_date"},
                            plan_);
    auto posts = ReadTable(dir, "post",
                           {"id", "organisation_id", "name", "display_name",
                            "rank_equivalence", "rank_equivalence_value"},
                           plan_);
    auto appointments = ReadTable(
        dir, "appointment",
        {"id", "person_id", "post_id", "start_date", "end_date"}, plan_);
    auto characteristics =
        ReadTable(dir, "appointment_characteristics",
                  {"id", "appointment_id", "cabinet_status", "is_acting",
                   "is_on_leave", "leave_reason", "start_date", "end_date"},
                  plan_);
    for (const auto* table :
         {&orgs, &links, &people, &posts, &appointments, &characteristics}) {
      if (!table->ok()) return table->status();
    }
    Organisations(*orgs);
    Links(*orgs, *links);
    People(*people);
    Posts(*posts);
    Appointments(*appointments, *characteristics);
    builder_.Finish();
    return absl::OkStatus();
  }

 private:
  void Organisations(const Table& table) {
    for (const Row& row : table.rows) {
      v1::OrganisationRegistered event;
      const std::string slug =
          Slug(row["short_name"].empty() ? row["name"] : row["short_name"]);
      event.set_organisation(slug.empty() ? "unnamed" : slug);
      event.set_name(CleanText(row["name"]));
      event.set_short_name(CleanText(row["short_name"]));
      event.set_kind(v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT);
      bool has_start = false;
      if (!OptionalDate(table, row, "start_date", &has_start,
                        event.mutable_valid_from(), plan_)) {
        continue;
      }
      if (!has_start) event.clear_valid_from();
      if (event.name().empty()) {
        plan_->skipped.push_back({table.file, row.line, "name: blank"});
        continue;
      }
      event.add_external_ids(absl::StrCat("ifg:", row["id"]));
      builder_.Add(0, MakeRef("organisation", row["id"]).stream(),
                   domain::EventType::kOrganisationRegistered, event,
                   absl::StrCat("organisation\n", row["id"]));
      known_orgs_.insert(row["id"]);
    }
  }

  void Links(const Table& orgs, const Table& links) {
    // predecessor -> (date -> successors) per link type.
    std::map<std::string, std::map<std::string, std::vector<std::string>>>
        demergers;
    std::map<std::string, std::string> closed_status;
    std::map<std::string, std::vector<std::string>> successors;
    for (const Row& row : links.rows) {
      const std::string& from = row["predecessor_organisation_id"];
      const std::string& to = row["successor_organisation_id"];
      const std::string& type = row["type"];
      if (!known_orgs_.count(from) || !known_orgs_.count(to)) {
        plan_->skipped.push_back(
            {links.file, row.line, "an organisation it links is not imported"});
        continue;
      }
      bool has_date = false;
      v1::Date date;
      if (!OptionalDate(links, row, "link_start_date", &has_date, &date,
                        plan_)) {
        continue;
      }
      if (!has_date) {
        plan_->skipped.push_back(
            {links.file, row.line, "link_start_date: blank"});
        continue;
      }
      const std::string stream = MakeRef("organisation", from).stream();
      // One link id can join several organisations: the pair names the row.
      const std::string key =
          absl::StrCat("organisation_link\n", row["id"], "\n", from, "\n", to);
      if (type == "Merger") {
        v1::OrganisationMerged event;
        *event.mutable_into() = MakeRef("organisation", to);
        *event.mutable_valid_from() = date;
        builder_.Add(1, stream, domain::EventType::kOrganisationMerged, event,
                     key);
        closed_status[from] = "merged";
      } else if (type == "Demerger") {
        demergers[from][row["link_start_date"]].push_back(to);
        if (closed_status[from].empty()) closed_status[from] = "split";
      } else if (type == "Name change") {
        closed_status[from] = "changed_name";
      } else if (absl::StartsWith(type, "Transfer of functions")) {
        v1::FunctionsTransferred event;
        *event.mutable_to() = MakeRef("organisation", to);
        absl::string_view what = type;
        absl::ConsumePrefix(&what, "Transfer of functions");
        absl::ConsumePrefix(&what, ":");
        event.set_functions(CleanText(what));
        *event.mutable_valid_from() = date;
        builder_.Add(1, stream, domain::EventType::kFunctionsTransferred, event,
                     key);
        continue;  // the predecessor carries on
      } else {
        plan_->skipped.push_back(
            {links.file, row.line,
             absl::StrCat("unknown link type \"", type, "\"")});
        continue;
      }
      successors[from].push_back(to);
    }
    for (const auto& [from, by_date] : demergers) {
      for (const auto& [date, tos] : by_date) {
        v1::OrganisationDemerged event;
        for (const std::string& to : tos) {
          *event.add_successors() = MakeRef("organisation", to);
        }
        *event.mutable_valid_from() = *ParseIsoDate(date);
        const Row* org = Find(orgs, from);
        event.set_continues(org != nullptr && ((*org)["end_date"].empty() ||
                                               (*org)["end_date"] > date));
        builder_.Add(1, MakeRef("organisation", from).stream(),
                     domain::EventType::kOrganisationDemerged, event,
                     absl::StrCat("demerger\n", from, "\n", date));
      }
    }
    for (const Row& row : orgs.rows) {
      if (row["end_date"].empty() || !known_orgs_.count(row["id"])) continue;
      bool has_end = false;
      v1::OrganisationClosed event;
      if (!OptionalDate(orgs, row, "end_date", &has_end,
                        event.mutable_valid_from(), plan_)) {
        continue;
      }
      const std::string& status = closed_status[row["id"]];
      event.set_status(status.empty() ? "closed" : status);
      for (const std::string& to : successors[row["id"]]) {
        *event.add_superseded_by() = MakeRef("organisation", to);
      }
      builder_.Add(1, MakeRef("organisation", row["id"]).stream(),
                   domain::EventType::kOrganisationClosed, event,
                   absl::StrCat("organisation_closed\n", row["id"]));
    }
  }

  static const Row* Find(const Table& table, const std::string& id) {
    for (const Row& row : table.rows) {
      if (row["id"] == id) return &row;
    }
    return nullptr;
  }

  void People(const Table& table) {
    // A person's rows are their names over time: the first registers them,
    // the later ones rename them.
    std::map<std::string, std::vector<const Row*>> by_id;
    std::vector<std::string> order;
    for (const Row& row : table.rows) {
      auto& rows = by_id[row["id"]];
      if (rows.empty()) order.push_back(row["id"]);
      rows.push_back(&row);
    }
    for (const std::string& id : order) {
      std::vector<const Row*>& rows = by_id[id];
      // By start, then end (blank: still current, so last).
      std::stable_sort(rows.begin(), rows.end(),
                       [](const Row* a, const Row* b) {
                         const auto end = [](const Row* r) {
                           return (*r)["end_date"].empty() ? std::string("~")
                                                           : (*r)["end_date"];
                         };
                         if ((*a)["start_date"] != (*b)["start_date"]) {
                           return (*a)["start_date"] < (*b)["start_date"];
                         }
                         return end(a) < end(b);
                       });
      const std::string stream = MakeRef("person", id).stream();
      bool registered = false;
      std::string previous_end;  // the end of the name before
      for (const Row* row : rows) {
        bool has_start = false;
        v1::Date start;
        if (!OptionalDate(table, *row, "start_date", &has_start, &start,
                          plan_)) {
          continue;
        }
        // Names follow each other: a later name with no start begins where
        // the name before it ended.
        if (registered && !has_start && !previous_end.empty()) {
          start = *ParseIsoDate(previous_end);
          has_start = true;
          plan_->notes.push_back(absl::StrCat(
              table.file, " line ", row->line, ": start_date blank; taken as ",
              previous_end, ", the end of the name before"));
        }
        if (!(*row)["end_date"].empty() &&
            ParseIsoDate((*row)["end_date"]).ok()) {
          previous_end = (*row)["end_date"];
        }
        const std::string name = CleanText((*row)["name"]);
        if (name.empty()) {
          plan_->skipped.push_back({table.file, row->line, "name: blank"});
          continue;
        }
        const std::string key =
            absl::StrCat("person\n", id, "\n", (*row)["start_date"], "\n",
                         (*row)["end_date"], "\n", (*row)["name"]);
        if (!registered) {
          v1::PersonRegistered event;
          event.set_name(name);
          event.set_display_name(CleanText((*row)["display_name"]));
          if (has_start) *event.mutable_valid_from() = start;
          event.add_external_ids(absl::StrCat("ifg:", id));
          absl::string_view parliament = (*row)["id_parliament"];
          absl::ConsumeSuffix(&parliament, ".0");
          if (!parliament.empty()) {
            event.add_external_ids(absl::StrCat("parliament:", parliament));
          }
          builder_.Add(1, stream, domain::EventType::kPersonRegistered, event,
                       key);
          registered = true;
          known_people_.insert(id);
        } else if (!has_start) {
          plan_->skipped.push_back(
              {table.file, row->line,
               "start_date: blank on a later name of the same person"});
        } else {
          v1::PersonRenamed event;
          event.set_name(name);
          event.set_display_name(CleanText((*row)["display_name"]));
          *event.mutable_valid_from() = start;
          builder_.Add(1, stream, domain::EventType::kPersonRenamed, event,
                       key);
        }
      }
    }
  }

  void Posts(const Table& table) {
    for (const Row& row : table.rows) {
      if (!known_orgs_.count(row["organisation_id"])) {
        plan_->skipped.push_back(
            {table.file, row.line,
             "organisation_id: not an imported organisation"});
        continue;
      }
      v1::PostCreated event;
      *event.mutable_organisation() =
          MakeRef("organisation", row["organisation_id"]);
      event.set_name(CleanText(row["name"]));
      if (event.name().empty()) {
        plan_->skipped.push_back({table.file, row.line, "name: blank"});
        continue;
      }
      event.set_rank(CleanText(row["rank_equivalence"]));
      int rank = 0;
      if (absl::SimpleAtoi(row["rank_equivalence_value"], &rank)) {
        event.set_rank_value(rank);
      }
      event.add_external_ids(absl::StrCat("ifg:", row["id"]));
      builder_.Add(1, MakeRef("post", row["id"]).stream(),
                   domain::EventType::kPostCreated, event,
                   absl::StrCat("post\n", row["id"]));
      known_posts_.insert(row["id"]);
    }
  }

  void Appointments(const Table& table, const Table& characteristics) {
    std::map<std::string, std::vector<const Row*>> details;
    for (const Row& row : characteristics.rows) {
      details[row["appointment_id"]].push_back(&row);
    }
    for (const Row& row : table.rows) {
      v1::AppointmentMade event;
      bool has_start = false, has_end = false;
      if (!OptionalDate(table, row, "start_date", &has_start,
                        event.mutable_start(), plan_) ||
          !OptionalDate(table, row, "end_date", &has_end, event.mutable_end(),
                        plan_)) {
        continue;
      }
      if (!has_end) event.clear_end();
      std::string problem;
      if (!has_start) problem = "start_date: blank";
      if (!known_people_.count(row["person_id"])) {
        problem = "person_id: not an imported person";
      }
      if (!known_posts_.count(row["post_id"])) {
        problem = "post_id: not an imported post";
      }
      if (!problem.empty()) {
        plan_->skipped.push_back({table.file, row.line, problem});
        continue;
      }
      if (!Ordered(table, row, has_end, plan_)) {
        for (const Row* detail : details[row["id"]]) {
          plan_->skipped.push_back({characteristics.file, detail->line,
                                    "its appointment was skipped"});
        }
        continue;
      }
      *event.mutable_person() = MakeRef("person", row["person_id"]);
      *event.mutable_post() = MakeRef("post", row["post_id"]);
      event.add_external_ids(absl::StrCat("ifg:", row["id"]));
      const std::string stream = MakeRef("appointment", row["id"]).stream();
      builder_.Add(2, stream, domain::EventType::kAppointmentMade, event,
                   absl::StrCat("appointment\n", row["id"]));
      std::vector<const Row*>& rows = details[row["id"]];
      std::stable_sort(rows.begin(), rows.end(),
                       [](const Row* a, const Row* b) {
                         return (*a)["start_date"] < (*b)["start_date"];
                       });
      for (const Row* detail : rows)
        Characteristics(characteristics, *detail, stream);
    }
  }

  void Characteristics(const Table& table, const Row& row,
                       const std::string& stream) {
    v1::AppointmentCharacteristicsRecorded event;
    bool has_start = false, has_end = false;
    if (!OptionalDate(table, row, "start_date", &has_start,
                      event.mutable_start(), plan_) ||
        !OptionalDate(table, row, "end_date", &has_end, event.mutable_end(),
                      plan_)) {
      return;
    }
    if (!has_end) event.clear_end();
    if (!has_start) {
      plan_->skipped.push_back({table.file, row.line, "start_date: blank"});
      return;
    }
    if (!Ordered(table, row, has_end, plan_)) return;
    event.set_cabinet_status(CabinetStatusOf(row["cabinet_status"]));
    if (event.cabinet_status() == v1::CABINET_STATUS_UNSPECIFIED &&
        !row["cabinet_status"].empty()) {
      plan_->notes.push_back(
          absl::StrCat(table.file, ":", row.line, ": unknown cabinet_status \"",
                       row["cabinet_status"], "\" imported as unspecified"));
    }
    event.set_acting(row["is_acting"] == "True");
    event.set_on_leave(row["is_on_leave"] == "True");
    event.set_leave_reason(CleanText(row["leave_reason"]));
    builder_.Add(2, stream,
                 domain::EventType::kAppointmentCharacteristicsRecorded, event,
                 absl::StrCat("appointment_characteristics\n", row["id"]));
  }

  ImportPlan* const plan_;
  PlanBuilder builder_;
  std::set<std::string> known_orgs_;
  std::set<std::string> known_people_;
  std::set<std::string> known_posts_;
};

}  // namespace

absl::StatusOr<ImportPlan> PlanIfgMinisters(const std::string& directory) {
  ImportPlan plan;
  IfgImport import(&plan);
  absl::Status status = import.Run(directory);
  if (!status.ok()) return status;
  return plan;
}

}  // namespace missionlog
