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
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::SpendLine;
using projections::SpendTotals;

// Kept small: a row is rewritten in every batch that touches it.
constexpr size_t kMaxPositionsPerRow = 100;
const absl::string_view kSep("\0", 1);

std::string FiscalYearOf(const v1::Date& date) {
  const int start = date.month() >= 4 ? date.year() : date.year() - 1;
  return absl::StrFormat("%04d-%02d", start, (start + 1) % 100);
}

std::string MonthOf(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d", date.year(), date.month());
}

std::string TotalsKey(char dim, absl::string_view value,
                      const SpendLine& line) {
  return absl::StrCat("a/", std::string(1, dim), "/", value, kSep,
                      line.fiscal_year(), kSep, line.month(), kSep,
                      line.currency());
}

std::string LineKey(absl::string_view fiscal_year, uint64_t position) {
  std::string key = absl::StrCat("l/", fiscal_year, kSep);
  for (int shift = 56; shift >= 0; shift -= 8) {  // big-endian: in order
    key.push_back(static_cast<char>((position >> shift) & 0xFF));
  }
  return key;
}

void AddTo(SpendTotals* totals, const SpendLine& line) {
  if (line.kind() == "allocated" || line.kind() == "reallocated") {
    totals->set_allocated(totals->allocated() + line.amount());
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
  if (static_cast<size_t>(totals->positions_size()) < kMaxPositionsPerRow) {
    totals->add_positions(line.position());
  }
}

class SpendingProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }
  std::string type_prefix() const override { return "missionlog.spending."; }

  bool Wants(const RecordedEvent& event) const override {
    return absl::StartsWith(event.type(), "missionlog.spending.");
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    SpendLine line;
    line.set_position(event.position());
    line.set_organisation(
        std::string(event.stream().substr(0, event.stream().find('/'))));
    const absl::string_view type = event.type();
    v1::Date date;
    const auto missions = [&line](const auto& refs) {
      for (const v1::Ref& ref : refs) line.add_missions(ref.stream());
    };
    if (type == "missionlog.spending.budget_allocated.v1") {
      v1::BudgetAllocated m;
      if (absl::Status parsed = ParsePayload(event, &m); !parsed.ok()) {
        return parsed;
      }
      line.set_kind("allocated");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      missions(m.missions());
      date = m.valid_from();
      line.set_fiscal_year(m.fiscal_year());
    } else if (type == "missionlog.spending.spend_committed.v1") {
      v1::SpendCommitted m;
      if (absl::Status parsed = ParsePayload(event, &m); !parsed.ok()) {
        return parsed;
      }
      line.set_kind("committed");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      line.set_supplier(m.supplier());
      missions(m.missions());
      date = m.committed_on();
    } else if (type == "missionlog.spending.spend_incurred.v1") {
      v1::SpendIncurred m;
      if (absl::Status parsed = ParsePayload(event, &m); !parsed.ok()) {
        return parsed;
      }
      line.set_kind("incurred");
      line.set_amount(m.amount().minor_units());
      line.set_currency(m.amount().currency());
      line.set_supplier(m.supplier());
      missions(m.missions());
      date = m.paid_on();
    } else if (type == "missionlog.spending.reallocated.v1") {
      v1::SpendReallocated m;
      if (absl::Status parsed = ParsePayload(event, &m); !parsed.ok()) {
        return parsed;
      }
      line.set_kind("reallocated");
      line.set_amount(-m.amount().minor_units());  // out of this budget
      line.set_currency(m.amount().currency());
      date = m.valid_from();
    } else if (type == "missionlog.spending.cancelled.v1") {
      v1::SpendCancelled m;
      if (absl::Status parsed = ParsePayload(event, &m); !parsed.ok()) {
        return parsed;
      }
      const bool budget = absl::StrContains(event.stream(), "/budget/");
      line.set_kind(budget ? "cancelled_allocation" : "cancelled_commitment");
      line.set_amount(-m.amount().minor_units());
      line.set_currency(m.amount().currency());
      date = m.valid_from();
    } else {
      return absl::OkStatus();
    }
    if (line.fiscal_year().empty()) line.set_fiscal_year(FiscalYearOf(date));
    line.set_month(MonthOf(date));
    // One line per event, in position order within its fiscal year.
    state->PutBlind(LineKey(line.fiscal_year(), line.position()),
                    line.SerializeAsString());
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
  // event was most of the fold's time.
  absl::Status AddToTotals(State* state, char dim, absl::string_view value,
                           const SpendLine& line) {
    key_ = TotalsKey(dim, value, line);
    auto it = batch_totals_.find(key_);
    if (it == batch_totals_.end()) {
      it = batch_totals_.emplace(key_, SpendTotals()).first;
      absl::StatusOr<bool> found = state->GetMessage(key_, &it->second);
      if (!found.ok()) return found.status();
    }
    AddTo(&it->second, line);
    return absl::OkStatus();
  }

  absl::Status Flush(State* state) override {
    for (const auto& [key, totals] : batch_totals_) {
      state->PutMessage(key, totals);
    }
    batch_totals_.clear();
    return absl::OkStatus();
  }

 private:
  const std::string name_ = kSpendingProjection;
  // Totals rows touched in the current batch, decoded.
  absl::flat_hash_map<std::string, SpendTotals> batch_totals_;
  std::string key_;  // scratch
};

// (fiscal year, month, currency) -> totals; month "" is the year's total.
using Rows =
    std::map<std::tuple<std::string, std::string, std::string>, SpendTotals>;

void Merge(const SpendTotals& from, SpendTotals* to) {
  to->set_allocated(to->allocated() + from.allocated());
  to->set_committed(to->committed() + from.committed());
  to->set_incurred(to->incurred() + from.incurred());
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
          if (parts.size() != 3) return true;
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
        SpendLine line;
        if (!line.ParseFromArray(bytes.data(),
                                 static_cast<int>(bytes.size()))) {
          parse = absl::DataLossError("spending: bad line");
          return false;
        }
        if (line.position() < as_of_ && Matches(line, request)) {
          AddTo(&rows[{line.fiscal_year(), line.month(), line.currency()}],
                line);
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
