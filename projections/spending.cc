#include "projections/spending.h"

#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "domain/event_types.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::SpendLine;
using projections::SpendTotals;

// Kept small: a row is rewritten in every batch that touches it.
constexpr size_t kMaxPositionsPerRow = 100;
// After a totals key: the record of the row's positions.
const absl::string_view kPositionsSuffix("\0p", 2);

// Appends "YYYY-NN" (NN: two digits) to `out`, without formatting.
void AppendYearAndTwoDigits(int year, int two, std::string* out) {
  if (year < 0 || year > 9999 || two < 0 || two > 99) {
    absl::StrAppendFormat(out, "%04d-%02d", year, two);
    return;
  }
  const char text[7] = {static_cast<char>('0' + year / 1000),
                        static_cast<char>('0' + year / 100 % 10),
                        static_cast<char>('0' + year / 10 % 10),
                        static_cast<char>('0' + year % 10),
                        '-',
                        static_cast<char>('0' + two / 10),
                        static_cast<char>('0' + two % 10)};
  out->append(text, sizeof(text));
}

void SetFiscalYearOf(const v1::Date& date, std::string* out) {
  const int start = date.month() >= 4 ? date.year() : date.year() - 1;
  out->clear();
  AppendYearAndTwoDigits(start, (start + 1) % 100, out);
}

void SetMonthOf(const v1::Date& date, std::string* out) {
  out->clear();
  AppendYearAndTwoDigits(date.year(), date.month(), out);
}

void SetTotalsKey(char dim, absl::string_view value, const SpendLine& line,
                  std::string* key) {
  key->assign("a/");
  key->push_back(dim);
  absl::StrAppend(key, "/", value, kSep, line.fiscal_year(), kSep, line.month(),
                  kSep, line.currency());
}

// The chunk of a fiscal year's lines that holds `position`'s.
void SetLineKey(absl::string_view fiscal_year, uint64_t position,
                std::string* key) {
  key->assign("l/");
  absl::StrAppend(key, fiscal_year, kSep);
  AppendChunkStart(position, key);
}

// Whether AddTo(totals, …) adds the line's position (the first
// kMaxPositionsPerRow lines' positions are kept).
bool KeepsPosition(const SpendTotals& totals) {
  return totals.events() < kMaxPositionsPerRow;
}

void AddTo(SpendTotals* totals, const SpendLine& line) {
  if (KeepsPosition(*totals)) totals->add_positions(line.position());
  if (line.kind() == "allocated" || line.kind() == "reallocated") {
    totals->set_allocated(totals->allocated() + line.amount());
  } else if (line.kind() == "not_proceeding") {
    totals->set_not_proceeding(totals->not_proceeding() + line.amount());
  } else if (line.kind() == "committed") {
    totals->set_committed(totals->committed() + line.amount());
  } else if (line.kind() == "incurred") {
    totals->set_incurred(totals->incurred() + line.amount());
  } else if (line.kind() == "cancelled_allocation") {
    totals->set_allocated(totals->allocated() + line.amount());
  } else if (line.kind() == "cancelled_commitment") {
    totals->set_committed(totals->committed() + line.amount());
  }
  totals->set_events(totals->events() + 1);
}

class SpendingProjection : public FamilyProjection {
 public:
  SpendingProjection()
      : FamilyProjection(kSpendingProjection, domain::Family::kSpending) {}
  // 2: lines in chunks; totals' positions apart from their sums.
  // 3: budgets of tenders that did not proceed kept apart.
  int version() const override { return 3; }

 protected:
  absl::Status ApplyDecoded(domain::EventType type_id,
                            const google::protobuf::Message& payload,
                            const RecordedEvent& event, State* state) override {
    SpendLine& line = line_;
    line.Clear();
    line.set_position(event.position());
    const absl::string_view organisation =
        event.stream().substr(0, event.stream().find('/'));
    line.mutable_organisation()->assign(organisation.data(),
                                        organisation.size());
    const v1::Date* date = &v1::Date::default_instance();
    const auto missions = [&line](const auto& refs) {
      for (const v1::Ref& ref : refs) line.add_missions(ref.stream());
    };
    if (type_id == domain::EventType::kBudgetAllocated) {
      const auto& m = static_cast<const v1::BudgetAllocated&>(payload);
      const bool proceeded = m.tender_status() != "unsuccessful" &&
                             m.tender_status() != "cancelled" &&
                             m.tender_status() != "withdrawn";
      line.set_kind(proceeded ? "allocated" : "not_proceeding");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      missions(m.missions());
      date = &m.valid_from();
      line.set_fiscal_year(m.fiscal_year());
    } else if (type_id == domain::EventType::kSpendCommitted) {
      const auto& m = static_cast<const v1::SpendCommitted&>(payload);
      line.set_kind("committed");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      line.set_supplier(m.supplier());
      missions(m.missions());
      date = &m.committed_on();
    } else if (type_id == domain::EventType::kSpendIncurred) {
      const auto& m = static_cast<const v1::SpendIncurred&>(payload);
      line.set_kind("incurred");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      line.set_supplier(m.supplier());
      missions(m.missions());
      date = &m.paid_on();
    } else if (type_id == domain::EventType::kSpendReallocated) {
      const auto& m = static_cast<const v1::SpendReallocated&>(payload);
      line.set_kind("reallocated");
      line.set_amount(-m.amount().minor_units());  // out of this budget
      line.set_currency(m.amount().currency());
      date = &m.valid_from();
    } else if (type_id == domain::EventType::kSpendCancelled) {
      const auto& m = static_cast<const v1::SpendCancelled&>(payload);
      const bool budget = absl::StrContains(event.stream(), "/budget/");
      line.set_kind(budget ? "cancelled_allocation" : "cancelled_commitment");
      line.set_amount(-m.amount().minor_units());
      line.set_currency(m.amount().currency());
      date = &m.valid_from();
    } else {
      return absl::OkStatus();
    }
    if (line.fiscal_year().empty()) {
      SetFiscalYearOf(*date, line.mutable_fiscal_year());
    }
    SetMonthOf(*date, line.mutable_month());
    // One line per event, in position order within its fiscal year.
    line.SerializeToString(&record_);
    SetLineKey(line.fiscal_year(), line.position(), &key_);
    state->AppendRecord(key_, record_);
    absl::Status added = AddToTotals(state, 'o', line.organisation(), line);
    for (const std::string& mission : line.missions()) {
      if (added.ok()) added = AddToTotals(state, 'm', mission, line);
    }
    if (added.ok() && !line.supplier().empty()) {
      added = AddToTotals(state, 's', line.supplier(), line);
    }
    return added;
  }

  // Totals stay decoded for the batch: parsing and serializing a row per
  // event was most of the fold's time. A row is two records: the sums
  // (key K, small, rewritten by every batch that touches it) and the
  // positions (K + kPositionsSuffix, rewritten only while it grows).
  absl::Status AddToTotals(State* state, char dim, absl::string_view value,
                           const SpendLine& line) {
    SetTotalsKey(dim, value, line, &key_);
    auto it = batch_totals_.find(key_);
    if (it == batch_totals_.end()) {
      it = batch_totals_.emplace(key_, Row()).first;
      SpendTotals& totals = it->second.totals;
      absl::StatusOr<bool> found = state->GetMessage(key_, &totals);
      if (!found.ok()) return found.status();
      if (*found && KeepsPosition(totals)) {
        SpendTotals kept;
        found = state->GetMessage(absl::StrCat(key_, kPositionsSuffix), &kept);
        if (!found.ok()) return found.status();
        *totals.mutable_positions() = kept.positions();
      }
    }
    Row& row = it->second;
    row.positions_changed |= KeepsPosition(row.totals);
    AddTo(&row.totals, line);
    return absl::OkStatus();
  }

  absl::Status Flush(State* state) override {
    for (auto& [key, row] : batch_totals_) {
      if (row.positions_changed) {
        SpendTotals kept;
        *kept.mutable_positions() = row.totals.positions();
        state->PutMessage(absl::StrCat(key, kPositionsSuffix), kept);
      }
      row.totals.clear_positions();
      state->PutMessage(key, row.totals);
    }
    batch_totals_.clear();
    return absl::OkStatus();
  }

 private:
  struct Row {
    SpendTotals totals;
    bool positions_changed = false;
  };
  // Totals rows touched in the current batch, decoded.
  absl::flat_hash_map<std::string, Row> batch_totals_;
  std::string key_;     // scratch
  SpendLine line_;      // scratch
  std::string record_;  // scratch
};

// (fiscal year, month, currency) -> totals; month "" is the year's total.
using Rows =
    std::map<std::tuple<std::string, std::string, std::string>, SpendTotals>;

void Merge(const SpendTotals& from, SpendTotals* to) {
  to->set_allocated(to->allocated() + from.allocated());
  to->set_committed(to->committed() + from.committed());
  to->set_incurred(to->incurred() + from.incurred());
  to->set_not_proceeding(to->not_proceeding() + from.not_proceeding());
  to->set_events(to->events() + from.events());
  for (uint64_t p : from.positions()) {
    if (static_cast<size_t>(to->positions_size()) >= kMaxPositionsPerRow) break;
    to->add_positions(p);
  }
}

bool Matches(const SpendLine& line, const v1::SpendingRequest& request) {
  if (!request.organisation().empty() &&
      line.organisation() != request.organisation()) {
    return false;
  }
  if (!request.supplier().empty() && line.supplier() != request.supplier()) {
    return false;
  }
  if (!request.fiscal_year().empty() &&
      line.fiscal_year() != request.fiscal_year()) {
    return false;
  }
  if (!request.mission().empty()) {
    bool found = false;
    for (const std::string& m : line.missions())
      found |= m == request.mission();
    if (!found) return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<Projection> NewSpendingProjection() {
  return std::make_unique<SpendingProjection>();
}

absl::StatusOr<v1::SpendingResponse> SpendingView::Spending(
    const v1::SpendingRequest& request) {
  int dimensions = 0;
  char dim = 0;
  std::string value;
  for (const auto& [d, v] : {std::make_pair('m', request.mission()),
                             std::make_pair('o', request.organisation()),
                             std::make_pair('s', request.supplier())}) {
    if (v.empty()) continue;
    if (dimensions++ == 0) {
      dim = d;
      value = v;
    }
  }
  if (dimensions == 0) {
    return absl::InvalidArgumentError(
        "mission, organisation or supplier: at least one required");
  }
  Rows rows;
  absl::Status parse;
  // One dimension and nothing recorded after as_of to exclude: the totals.
  // Otherwise the lines, filtered.
  const bool totals = dimensions == 1 && as_of_ == UINT64_MAX;
  const std::string prefix =
      totals ? absl::StrCat("a/", std::string(1, dim), "/", value, kSep)
      : request.fiscal_year().empty()
          ? std::string("l/")
          : absl::StrCat("l/", request.fiscal_year(), kSep);
  absl::Status scanned = store_->ScanProjection(
      kSpendingProjection, "", prefix,
      [&](absl::string_view key, absl::string_view bytes) {
        if (totals) {
          std::vector<std::string> parts =
              absl::StrSplit(key.substr(prefix.size()), kSep);
          // The sums, then (K + kPositionsSuffix) the positions.
          if (parts.size() == 4 && parts[3] != "p") return true;
          if (parts.size() != 3 && parts.size() != 4) return true;
          if (!request.fiscal_year().empty() &&
              parts[0] != request.fiscal_year()) {
            return true;
          }
          SpendTotals t;
          if (!t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            parse = absl::DataLossError("spending: bad totals");
            return false;
          }
          Merge(t, &rows[{parts[0], parts[1], parts[2]}]);
          return true;
        }
        ChunkReader reader(bytes);
        absl::string_view record;
        SpendLine line;
        while (reader.Next(&record)) {
          if (!line.ParseFromArray(record.data(),
                                   static_cast<int>(record.size()))) {
            parse = absl::DataLossError("spending: bad line");
            return false;
          }
          if (line.position() < as_of_ && Matches(line, request)) {
            AddTo(&rows[{line.fiscal_year(), line.month(), line.currency()}],
                  line);
          }
        }
        if (!reader.ok()) {
          parse = absl::DataLossError("spending: bad chunk of lines");
          return false;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (!parse.ok()) return parse;
  // Each fiscal year's months, then its total per currency.
  v1::SpendingResponse response;
  std::map<std::pair<std::string, std::string>, SpendTotals> years;
  const auto emit = [&response](const std::string& fy, const std::string& month,
                                const std::string& currency,
                                const SpendTotals& t) {
    v1::SpendingRow* row = response.add_rows();
    row->set_fiscal_year(fy);
    row->set_month(month);
    row->set_currency(currency);
    row->set_allocated(t.allocated());
    row->set_committed(t.committed());
    row->set_incurred(t.incurred());
    row->set_not_proceeding(t.not_proceeding());
    row->set_events(t.events());
    for (uint64_t p : t.positions()) row->add_positions(p);
  };
  std::string year;
  const auto flush_year = [&](const std::string& next) {
    if (year.empty() || next == year) return;
    for (const auto& [key, t] : years) {
      if (key.first == year) emit(year, "", key.second, t);
    }
  };
  for (const auto& [key, t] : rows) {
    const auto& [fy, month, currency] = key;
    flush_year(fy);
    year = fy;
    emit(fy, month, currency, t);
    Merge(t, &years[{fy, currency}]);
  }
  flush_year(std::string("\xff"));
  return response;
}

}  // namespace missionlog
