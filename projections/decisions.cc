#include "projections/decisions.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/subject_state.h"
#include "domain/values.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::DecisionChangeState;
using projections::DecisionState;

constexpr char kDecision[] = "d/";
constexpr char kMissionIndex[] = "m/";
constexpr char kAboutIndex[] = "a/";

class DecisionsProjection : public FamilyProjection {
 public:
  DecisionsProjection()
      : FamilyProjection(kDecisionsProjection, domain::Family::kDecision) {}

 protected:
  absl::Status ApplyDecoded(domain::EventType type,
                            const google::protobuf::Message& payload,
                            const RecordedEvent& event, State* state) override {
    const std::string stream(event.stream());
    const std::string key = kDecision + stream;
    if (type == domain::EventType::kDecisionRecorded) {
      Record(static_cast<const v1::DecisionRecorded&>(payload), event, state);
      return absl::OkStatus();
    }
    std::optional<domain::DecisionChange> effect =
        domain::DecisionChangeOf(type, payload);
    if (!effect) return absl::OkStatus();
    DecisionState d;
    absl::StatusOr<bool> found = state->GetMessage(key, &d);
    if (!found.ok()) return found.status();
    if (!*found) return absl::OkStatus();  // no recorded decision to chain to
    DecisionChangeState* change = d.add_changes();
    change->set_position(event.position());
    change->set_kind(effect->kind);
    *change->mutable_on() = effect->on;
    change->set_text(effect->text);
    state->PutMessage(key, d);
    return absl::OkStatus();
  }

 private:
  static void Record(const v1::DecisionRecorded& m, const RecordedEvent& event,
                     State* state) {
    const std::string stream(event.stream());
    DecisionState d;
    d.set_title(m.title());
    d.set_forum(m.forum());
    d.set_level(m.level());
    d.set_organisation(stream.substr(0, stream.find('/')));
    *d.mutable_decided_by() = m.decided_by();
    for (const v1::Ref& mission : m.missions()) {
      d.add_missions(mission.stream());
      state->Put(absl::StrCat(kMissionIndex, mission.stream(), kSep, stream),
                 "");
    }
    *d.mutable_decided_on() = m.decided_on();
    d.set_about(m.about().stream());
    if (!m.about().stream().empty()) {
      state->Put(absl::StrCat(kAboutIndex, m.about().stream(), kSep, stream),
                 "");
    }
    d.set_position(event.position());
    state->PutMessage(kDecision + stream, d);
  }
};

v1::DecisionRow ToRow(const std::string& stream, const DecisionState& d,
                      uint64_t as_of) {
  v1::DecisionRow row;
  row.set_decision(stream);
  row.set_title(d.title());
  row.set_forum(d.forum());
  row.set_level(static_cast<v1::DecisionLevel>(d.level()));
  row.set_organisation(d.organisation());
  *row.mutable_decided_on() = d.decided_on();
  *row.mutable_decided_by() = d.decided_by();
  *row.mutable_missions() = d.missions();
  row.set_about(d.about());
  row.add_positions(d.position());
  std::string status = "standing";
  for (const DecisionChangeState& c : d.changes()) {
    if (c.position() >= as_of) continue;
    v1::DecisionChange* change = row.add_changes();
    change->set_kind(c.kind());
    *change->mutable_on() = c.on();
    change->set_text(c.text());
    change->set_position(c.position());
    row.add_positions(c.position());
    if (c.kind() == "reversed") status = "reversed";
    if (c.kind() == "revised" && status != "reversed") status = "revised";
  }
  row.set_status(status);
  return row;
}

void AddShare(std::map<std::string, v1::LocusShare>* shares,
              const std::string& key, const v1::DecisionRow& row) {
  v1::LocusShare& share = (*shares)[key];
  share.set_key(key);
  share.set_decisions(share.decisions() + 1);
  share.add_positions(row.positions(0));
}

void Emit(std::map<std::string, v1::LocusShare>* shares, uint64_t total,
          google::protobuf::RepeatedPtrField<v1::LocusShare>* out) {
  for (auto& [key, share] : *shares) {
    share.set_share(total == 0 ? 0
                               : static_cast<double>(share.decisions()) /
                                     static_cast<double>(total));
    *out->Add() = std::move(share);
  }
  std::sort(out->begin(), out->end(),
            [](const v1::LocusShare& a, const v1::LocusShare& b) {
              return a.decisions() != b.decisions()
                         ? a.decisions() > b.decisions()
                         : a.key() < b.key();
            });
}

}  // namespace

std::unique_ptr<Projection> NewDecisionsProjection() {
  return std::make_unique<DecisionsProjection>();
}

absl::StatusOr<std::vector<std::string>> DecisionsView::Index(
    const std::string& prefix) {
  std::vector<std::string> streams;
  absl::Status scanned =
      store_->ScanProjection(kDecisionsProjection, "", prefix,
                             [&](absl::string_view key, absl::string_view) {
                               streams.emplace_back(key.substr(prefix.size()));
                               return true;
                             });
  if (!scanned.ok()) return scanned;
  return streams;
}

absl::StatusOr<std::vector<v1::DecisionRow>> DecisionsView::Rows(
    const std::vector<std::string>& streams) {
  std::vector<v1::DecisionRow> rows;
  for (const std::string& stream : streams) {
    absl::StatusOr<std::optional<std::string>> value =
        store_->GetProjectionValue(kDecisionsProjection, kDecision + stream);
    if (!value.ok()) return value.status();
    DecisionState d;
    if (!value->has_value()) continue;
    if (!d.ParseFromString(**value)) {
      return absl::DataLossError(
          absl::StrCat("decisions: bad record ", stream));
    }
    if (d.position() >= as_of_) continue;
    rows.push_back(ToRow(stream, d, as_of_));
  }
  std::sort(rows.begin(), rows.end(),
            [](const v1::DecisionRow& a, const v1::DecisionRow& b) {
              const int c =
                  domain::CompareDates(a.decided_on(), b.decided_on());
              return c != 0 ? c < 0 : a.positions(0) < b.positions(0);
            });
  return rows;
}

absl::StatusOr<v1::DecisionsResponse> DecisionsView::Decisions(
    const v1::DecisionsRequest& request) {
  std::vector<std::string> streams;
  if (!request.mission().empty()) {
    auto indexed = Index(absl::StrCat(kMissionIndex, request.mission(), kSep));
    if (!indexed.ok()) return indexed.status();
    streams = *std::move(indexed);
  } else {
    absl::Status scanned = store_->ScanProjection(
        kDecisionsProjection, "", kDecision,
        [&](absl::string_view key, absl::string_view) {
          streams.emplace_back(key.substr(strlen(kDecision)));
          return true;
        });
    if (!scanned.ok()) return scanned;
  }
  absl::StatusOr<std::vector<v1::DecisionRow>> rows = Rows(streams);
  if (!rows.ok()) return rows.status();
  v1::DecisionsResponse response;
  for (v1::DecisionRow& row : *rows) {
    if (!request.organisation().empty() &&
        row.organisation() != request.organisation()) {
      continue;
    }
    if (!request.forum().empty() && row.forum() != request.forum()) continue;
    if (request.level() != 0 && row.level() != request.level()) continue;
    if (request.has_from() &&
        domain::CompareDates(row.decided_on(), request.from()) < 0) {
      continue;
    }
    if (request.has_to() &&
        domain::CompareDates(row.decided_on(), request.to()) >= 0) {
      continue;
    }
    if (!request.decided_by().empty()) {
      bool by = false;
      for (const v1::Owner& owner : row.decided_by()) {
        by |= domain::OwnerStream(owner) == request.decided_by();
      }
      if (!by) continue;
    }
    *response.add_decisions() = std::move(row);
  }
  return response;
}

absl::StatusOr<v1::DecisionLocusResponse> DecisionsView::Locus(
    const v1::DecisionLocusRequest& request) {
  v1::DecisionsRequest filter;
  filter.set_mission(request.mission());
  if (request.has_from()) *filter.mutable_from() = request.from();
  if (request.has_to()) *filter.mutable_to() = request.to();
  absl::StatusOr<v1::DecisionsResponse> decisions = Decisions(filter);
  if (!decisions.ok()) return decisions.status();
  std::map<std::string, v1::LocusShare> levels, forums, organisations;
  for (const v1::DecisionRow& row : decisions->decisions()) {
    AddShare(&levels, v1::DecisionLevel_Name(row.level()), row);
    AddShare(&forums, row.forum(), row);
    AddShare(&organisations, row.organisation(), row);
  }
  v1::DecisionLocusResponse response;
  const uint64_t total = static_cast<uint64_t>(decisions->decisions_size());
  response.set_decisions(total);
  Emit(&levels, total, response.mutable_by_level());
  Emit(&forums, total, response.mutable_by_forum());
  Emit(&organisations, total, response.mutable_by_organisation());
  return response;
}

absl::StatusOr<std::vector<v1::DecisionRow>> DecisionsView::OnSubject(
    const std::string& subject) {
  std::set<std::string> streams;
  for (const std::string& prefix :
       {absl::StrCat(kAboutIndex, subject, kSep),
        absl::StrCat(kMissionIndex, subject, kSep)}) {
    auto indexed = Index(prefix);
    if (!indexed.ok()) return indexed.status();
    streams.insert(indexed->begin(), indexed->end());
  }
  return Rows(std::vector<std::string>(streams.begin(), streams.end()));
}

}  // namespace missionlog
