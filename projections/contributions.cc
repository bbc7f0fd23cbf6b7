#include "projections/contributions.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::ContributionState;

constexpr char kClaim[] = "k/";
constexpr char kMissionIndex[] = "m/";

class ContributionsProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }
  std::vector<std::string> type_prefixes() const override {
    return {domain::FamilyPrefix(domain::Family::kContribution)};
  }

  bool Wants(const RecordedEvent& event) const override {
    const domain::EventType type_id = domain::TypeOf(event.type());
    return type_id == domain::EventType::kContributionClaimed ||
           type_id == domain::EventType::kContributionWithdrawn;
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    const std::string stream(event.stream());
    const std::string key = kClaim + stream;
    if (domain::TypeOf(event.type()) ==
        domain::EventType::kContributionClaimed) {
      v1::ContributionClaimed m;
      absl::Status parsed = ParsePayload(event, &m);
      if (!parsed.ok()) return parsed;
      ContributionState c;
      c.set_mission(m.mission().stream());
      c.set_by(m.by().stream());
      c.set_claim(m.claim());
      *c.mutable_valid_from() = m.valid_from();
      c.set_evidence(static_cast<uint32_t>(m.evidence_size()));
      c.set_decisions(static_cast<uint32_t>(m.decisions_size()));
      c.set_spending(static_cast<uint32_t>(m.spending_size()));
      c.set_position(event.position());
      state->PutMessage(key, c);
      state->Put(absl::StrCat(kMissionIndex, c.mission(), kSep, stream), "");
      return absl::OkStatus();
    }
    ContributionState c;
    absl::StatusOr<bool> found = state->GetMessage(key, &c);
    if (!found.ok()) return found.status();
    if (!*found || c.withdrawn_at() != 0) return absl::OkStatus();
    c.set_withdrawn_at(event.position());
    state->PutMessage(key, c);
    return absl::OkStatus();
  }

 private:
  const std::string name_ = kContributionsProjection;
};

}  // namespace

std::unique_ptr<Projection> NewContributionsProjection() {
  return std::make_unique<ContributionsProjection>();
}

absl::StatusOr<v1::MissionWashingResponse> ContributionsView::MissionWashing(
    const v1::MissionWashingRequest& request) {
  std::vector<std::string> streams;
  const std::string prefix =
      absl::StrCat(kMissionIndex, request.mission(), kSep);
  absl::Status scanned =
      store_->ScanProjection(kContributionsProjection, "", prefix,
                             [&](absl::string_view key, absl::string_view) {
                               streams.emplace_back(key.substr(prefix.size()));
                               return true;
                             });
  if (!scanned.ok()) return scanned;
  v1::MissionWashingResponse response;
  for (const std::string& stream : streams) {
    absl::StatusOr<std::optional<std::string>> value =
        store_->GetProjectionValue(kContributionsProjection, kClaim + stream);
    if (!value.ok()) return value.status();
    ContributionState c;
    if (!value->has_value() || !c.ParseFromString(**value)) continue;
    if (c.position() >= as_of_) continue;
    if (c.withdrawn_at() != 0 && c.withdrawn_at() < as_of_) continue;
    response.set_claims(response.claims() + 1);
    if (c.evidence() + c.decisions() + c.spending() > 0) continue;
    v1::ClaimRow* row = response.add_unbacked();
    row->set_contribution(stream);
    row->set_by(c.by());
    row->set_claim(c.claim());
    *row->mutable_valid_from() = c.valid_from();
    row->add_positions(c.position());
  }
  return response;
}

}  // namespace missionlog
