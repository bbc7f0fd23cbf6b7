#include "projections/ownership.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/subject_state.h"
#include "domain/values.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::OwnershipChange;
using projections::OwnershipState;

constexpr char kSubject[] = "s/";

std::string SubjectPrefix(absl::string_view subject) {
  return absl::StrCat(kSubject, subject, absl::string_view("\0", 1));
}

std::string ChangeKey(absl::string_view subject, uint64_t position) {
  std::string key = SubjectPrefix(subject);
  AppendPosition(position, &key);
  return key;
}

std::string OwnerKey(const v1::Owner& owner) {
  switch (owner.owner_case()) {
    case v1::Owner::kOrganisation:
      return "organisation:" + owner.organisation().stream();
    case v1::Owner::kPost:
      return "post:" + owner.post().stream();
    case v1::Owner::kPerson:
      return "person:" + owner.person().stream();
    default:
      return "";
  }
}

class OwnershipProjection : public FamilyProjection {
 public:
  OwnershipProjection()
      : FamilyProjection(kOwnershipProjection,
                         domain::Family::kAccountability) {}

 protected:
  absl::Status ApplyDecoded(domain::EventType type,
                            const google::protobuf::Message& payload,
                            const RecordedEvent& event, State* state) override {
    std::optional<domain::OwnershipEffect> effect =
        domain::OwnershipEffectOf(type, payload);
    if (!effect) return absl::OkStatus();
    OwnershipChange change;
    change.set_position(event.position());
    change.set_kind(KindName(effect->kind));
    change.set_role(effect->role);
    *change.mutable_owner() = effect->owner;
    if (effect->from.owner_case() != v1::Owner::OWNER_NOT_SET) {
      *change.mutable_from() = effect->from;
    }
    *change.mutable_valid_from() = effect->valid_from;
    if (effect->has_valid_until) {
      *change.mutable_valid_until() = effect->valid_until;
    }
    change.set_reason(effect->reason);
    // One key per change, in position order under its subject: applying
    // costs the same however long the subject's history.
    state->PutBlind(ChangeKey(event.stream(), event.position()),
                    change.SerializeAsString());
    return absl::OkStatus();
  }

 private:
  // The stored kinds (state.proto's OwnershipChange.kind).
  static const char* KindName(domain::OwnershipEffect::Kind kind) {
    switch (kind) {
      case domain::OwnershipEffect::Kind::kAssigned:
        return "assigned";
      case domain::OwnershipEffect::Kind::kRelieved:
        return "relieved";
      case domain::OwnershipEffect::Kind::kTransferred:
        return "transferred";
      case domain::OwnershipEffect::Kind::kDelegated:
        return "delegated";
    }
    return "";
  }
};

// An owner's stretch of ownership, as folded.
struct Interval {
  int role;
  v1::Owner owner;
  v1::Date from;
  bool has_to = false;
  v1::Date to;
  std::string via;
  std::string ended_by;
  std::string reason;
  std::vector<uint64_t> positions;
};

// Folds the subject's changes recorded before `as_of`, in valid-time
// order, into intervals.
std::vector<Interval> Fold(const OwnershipState& subject, uint64_t as_of) {
  std::vector<const OwnershipChange*> changes;
  for (const OwnershipChange& change : subject.changes()) {
    if (change.position() < as_of) changes.push_back(&change);
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const OwnershipChange* a, const OwnershipChange* b) {
                     const int c =
                         domain::CompareDates(a->valid_from(), b->valid_from());
                     return c != 0 ? c < 0 : a->position() < b->position();
                   });
  std::vector<Interval> intervals;
  std::map<std::pair<int, std::string>, size_t> open;  // -> intervals index
  const auto close = [&](int role, const v1::Owner& owner, const v1::Date& on,
                         const std::string& why, uint64_t position) {
    auto it = open.find({role, OwnerKey(owner)});
    if (it == open.end()) return;
    Interval& interval = intervals[it->second];
    interval.has_to = true;
    interval.to = on;
    interval.ended_by = why;
    interval.positions.push_back(position);
    open.erase(it);
  };
  const auto start = [&](const OwnershipChange& c, const std::string& via) {
    close(c.role(), c.owner(), c.valid_from(), "reassigned", c.position());
    Interval interval;
    interval.role = c.role();
    interval.owner = c.owner();
    interval.from = c.valid_from();
    interval.via = via;
    interval.reason = c.reason();
    interval.positions.push_back(c.position());
    if (c.has_valid_until()) {
      interval.has_to = true;
      interval.to = c.valid_until();
      interval.ended_by = "until";
    } else {
      open[{c.role(), OwnerKey(c.owner())}] = intervals.size();
    }
    intervals.push_back(std::move(interval));
  };
  for (const OwnershipChange* c : changes) {
    if (c->kind() == "assigned") {
      start(*c, "assigned");
    } else if (c->kind() == "relieved") {
      close(c->role(), c->owner(), c->valid_from(), "relieved", c->position());
    } else if (c->kind() == "transferred") {
      close(c->role(), c->from(), c->valid_from(), "transferred",
            c->position());
      start(*c, "transferred");
    } else if (c->kind() == "delegated") {
      start(*c, "delegated");
    }
  }
  return intervals;
}

absl::StatusOr<OwnershipState> Load(ProjectionStore* store,
                                    const std::string& subject) {
  OwnershipState state;
  absl::Status parse;
  absl::Status scanned = store->ScanProjection(
      kOwnershipProjection, "", SubjectPrefix(subject),
      [&](absl::string_view, absl::string_view value) {
        if (!state.add_changes()->ParseFromArray(
                value.data(), static_cast<int>(value.size()))) {
          parse = absl::DataLossError(
              absl::StrCat("ownership: bad record of ", subject));
          return false;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (!parse.ok()) return parse;
  return state;
}

}  // namespace

std::unique_ptr<Projection> NewOwnershipProjection() {
  return std::make_unique<OwnershipProjection>();
}

absl::StatusOr<v1::WhoOwnedResponse> OwnershipView::WhoOwned(
    const v1::WhoOwnedRequest& request) {
  absl::StatusOr<OwnershipState> subject = Load(store_, request.subject());
  if (!subject.ok()) return subject.status();
  v1::WhoOwnedResponse response;
  for (const Interval& interval : Fold(*subject, as_of_)) {
    if (!domain::InPeriod(request.on(), interval.from, interval.has_to,
                          interval.to)) {
      continue;
    }
    v1::OwnerOn* owner = response.add_owners();
    owner->set_role(static_cast<v1::OwnershipRole>(interval.role));
    *owner->mutable_owner() = interval.owner;
    *owner->mutable_since() = interval.from;
    owner->set_via(interval.via);
    for (uint64_t p : interval.positions) owner->add_positions(p);
    absl::StatusOr<std::string> name =
        appointments_->NameOn(interval.owner, request.on());
    if (!name.ok()) return name.status();
    owner->set_owner_name(*name);
    if (interval.owner.has_post()) {
      auto holders = appointments_->HoldersOn(interval.owner.post().stream(),
                                              request.on());
      if (!holders.ok()) return holders.status();
      for (v1::PostHolding& holding : *holders) {
        *owner->add_holders() = std::move(holding);
      }
    }
  }
  return response;
}

absl::StatusOr<v1::OwnershipHistoryResponse> OwnershipView::History(
    const v1::OwnershipHistoryRequest& request) {
  absl::StatusOr<OwnershipState> subject = Load(store_, request.subject());
  if (!subject.ok()) return subject.status();
  v1::OwnershipHistoryResponse response;
  for (const Interval& interval : Fold(*subject, as_of_)) {
    v1::OwnershipInterval* out = response.add_intervals();
    out->set_role(static_cast<v1::OwnershipRole>(interval.role));
    *out->mutable_owner() = interval.owner;
    *out->mutable_from() = interval.from;
    if (interval.has_to) *out->mutable_to() = interval.to;
    out->set_via(interval.via);
    out->set_ended_by(interval.ended_by);
    out->set_reason(interval.reason);
    for (uint64_t p : interval.positions) out->add_positions(p);
  }
  return response;
}

}  // namespace missionlog
