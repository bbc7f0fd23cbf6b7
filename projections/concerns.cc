#include "projections/concerns.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "domain/subject_state.h"
#include "domain/values.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::ConcernState;
using projections::ConcernStepState;

constexpr char kConcern[] = "c/";
constexpr char kAboutIndex[] = "a/";

class ConcernsProjection : public FamilyProjection {
 public:
  ConcernsProjection()
      : FamilyProjection(kConcernsProjection, domain::Family::kConcern) {}

 protected:
  absl::Status ApplyDecoded(domain::EventType type,
                            const google::protobuf::Message& payload,
                            const RecordedEvent& event, State* state) override {
    if (type == domain::EventType::kConcernRaised) {
      Raise(static_cast<const v1::ConcernRaised&>(payload), event, state);
      return absl::OkStatus();
    }
    std::optional<domain::ConcernStep> effect =
        domain::ConcernStepOf(type, payload);
    if (!effect) return absl::OkStatus();
    const std::string key = kConcern + std::string(event.stream());
    ConcernState c;
    absl::StatusOr<bool> found = state->GetMessage(key, &c);
    if (!found.ok()) return found.status();
    if (!*found) return absl::OkStatus();
    ConcernStepState* step = c.add_steps();
    step->set_position(event.position());
    step->set_kind(effect->kind);
    for (const v1::Owner& party : effect->parties) *step->add_parties() = party;
    *step->mutable_on() = effect->on;
    step->set_text(effect->text);
    state->PutMessage(key, c);
    return absl::OkStatus();
  }

 private:
  static void Raise(const v1::ConcernRaised& m, const RecordedEvent& event,
                    State* state) {
    const std::string stream(event.stream());
    ConcernState c;
    c.set_about(m.about().stream());
    c.set_summary(m.summary());
    if (m.has_raised_by()) *c.mutable_raised_by() = m.raised_by();
    c.set_sealed(m.raiser_case() == v1::ConcernRaised::kSealedRaiserSha256 ||
                 m.raiser_case() == v1::ConcernRaised::kSealedRaiser);
    *c.mutable_raised_to() = m.raised_to();
    c.set_severity(m.severity());
    *c.mutable_raised_on() = m.raised_on();
    if (m.has_respond_by()) *c.mutable_respond_by() = m.respond_by();
    c.set_position(event.position());
    state->PutMessage(kConcern + stream, c);
    state->Put(absl::StrCat(kAboutIndex, m.about().stream(), kSep, stream), "");
  }
};

v1::ConcernRow ToRow(const std::string& stream, const ConcernState& c,
                     uint64_t as_of) {
  v1::ConcernRow row;
  row.set_concern(stream);
  row.set_about(c.about());
  row.set_summary(c.summary());
  if (c.has_raised_by()) *row.mutable_raised_by() = c.raised_by();
  row.set_sealed(c.sealed());
  *row.mutable_raised_to() = c.raised_to();
  row.set_severity(static_cast<v1::Severity>(c.severity()));
  *row.mutable_raised_on() = c.raised_on();
  if (c.has_respond_by()) *row.mutable_respond_by() = c.respond_by();
  row.add_positions(c.position());
  row.set_status("open");
  for (const ConcernStepState& s : c.steps()) {
    if (s.position() >= as_of) continue;
    v1::ConcernStep* step = row.add_steps();
    step->set_kind(s.kind());
    *step->mutable_on() = s.on();
    *step->mutable_parties() = s.parties();
    step->set_text(s.text());
    step->set_position(s.position());
    row.add_positions(s.position());
    if (s.kind() == "closed") row.set_status("closed");
  }
  return row;
}

// Whether the concern was open on `on` (raised by then, not closed before).
bool OpenOn(const v1::ConcernRow& row, const v1::Date& on) {
  if (domain::CompareDates(row.raised_on(), on) > 0) return false;
  for (const v1::ConcernStep& step : row.steps()) {
    if (step.kind() == "closed" && domain::CompareDates(step.on(), on) <= 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::unique_ptr<Projection> NewConcernsProjection() {
  return std::make_unique<ConcernsProjection>();
}

absl::StatusOr<std::vector<v1::ConcernRow>> ConcernsView::Rows(
    const std::string& about) {
  std::vector<std::string> streams;
  const std::string prefix = about.empty()
                                 ? std::string(kConcern)
                                 : absl::StrCat(kAboutIndex, about, kSep);
  absl::Status scanned =
      store_->ScanProjection(kConcernsProjection, "", prefix,
                             [&](absl::string_view key, absl::string_view) {
                               streams.emplace_back(key.substr(prefix.size()));
                               return true;
                             });
  if (!scanned.ok()) return scanned;
  std::vector<v1::ConcernRow> rows;
  for (const std::string& stream : streams) {
    absl::StatusOr<std::optional<std::string>> value =
        store_->GetProjectionValue(kConcernsProjection, kConcern + stream);
    if (!value.ok()) return value.status();
    if (!value->has_value()) continue;
    ConcernState c;
    if (!c.ParseFromString(**value)) {
      return absl::DataLossError(absl::StrCat("concerns: bad record ", stream));
    }
    if (c.position() >= as_of_) continue;
    rows.push_back(ToRow(stream, c, as_of_));
  }
  std::sort(rows.begin(), rows.end(),
            [](const v1::ConcernRow& a, const v1::ConcernRow& b) {
              const int c = domain::CompareDates(a.raised_on(), b.raised_on());
              return c != 0 ? c < 0 : a.positions(0) < b.positions(0);
            });
  return rows;
}

absl::StatusOr<v1::ConcernsResponse> ConcernsView::Concerns(
    const v1::ConcernsRequest& request) {
  absl::StatusOr<std::vector<v1::ConcernRow>> rows = Rows(request.about());
  if (!rows.ok()) return rows.status();
  v1::ConcernsResponse response;
  for (v1::ConcernRow& row : *rows) {
    if (!request.status().empty() && row.status() != request.status()) {
      continue;
    }
    if (!request.raised_to().empty()) {
      bool to = false;
      for (const v1::Owner& owner : row.raised_to()) {
        to |= domain::OwnerStream(owner) == request.raised_to();
      }
      for (const v1::ConcernStep& step : row.steps()) {
        if (step.kind() != "escalated") continue;
        for (const v1::Owner& owner : step.parties()) {
          to |= domain::OwnerStream(owner) == request.raised_to();
        }
      }
      if (!to) continue;
    }
    if (request.has_overdue_on()) {
      const v1::Date& on = request.overdue_on();
      if (!OpenOn(row, on) || !row.has_respond_by() ||
          domain::CompareDates(row.respond_by(), on) >= 0) {
        continue;
      }
      bool answered = false;
      for (const v1::ConcernStep& step : row.steps()) {
        answered |= step.kind() == "responded" &&
                    domain::CompareDates(step.on(), on) <= 0;
      }
      if (answered) continue;
    }
    *response.add_concerns() = std::move(row);
  }
  return response;
}

absl::StatusOr<v1::DecisionsOverOpenConcernsResponse>
ConcernsView::OverOpenConcerns(
    const v1::DecisionsOverOpenConcernsRequest& request,
    DecisionsView* decisions) {
  absl::StatusOr<std::vector<v1::ConcernRow>> concerns =
      Rows(request.subject());
  if (!concerns.ok()) return concerns.status();
  absl::StatusOr<std::vector<v1::DecisionRow>> rows =
      decisions->OnSubject(request.subject());
  if (!rows.ok()) return rows.status();
  v1::DecisionsOverOpenConcernsResponse response;
  for (v1::DecisionRow& decision : *rows) {
    v1::DecisionOverConcern out;
    for (const v1::ConcernRow& concern : *concerns) {
      if (OpenOn(concern, decision.decided_on())) {
        *out.add_open_concerns() = concern;
      }
    }
    if (out.open_concerns().empty()) continue;
    *out.mutable_decision() = std::move(decision);
    *response.add_decisions() = std::move(out);
  }
  return response;
}

absl::StatusOr<v1::WhoWasToldResponse> ConcernsView::WhoWasTold(
    const v1::WhoWasToldRequest& request, AppointmentsView* appointments) {
  absl::StatusOr<std::vector<v1::ConcernRow>> rows = Rows("");
  if (!rows.ok()) return rows.status();
  v1::WhoWasToldResponse response;
  // Whether `owners`, on `on`, reached the person: directly, or through a
  // post they held that day.
  const auto reached = [&](const auto& owners, const v1::Date& on,
                           std::string* how) -> absl::StatusOr<bool> {
    for (const v1::Owner& owner : owners) {
      if (owner.has_person() && owner.person().stream() == request.person()) {
        *how = "directly";
        return true;
      }
    }
    absl::StatusOr<std::vector<std::pair<std::string, std::string>>> posts =
        appointments->PostsHeldBy(request.person(), on);
    if (!posts.ok()) return posts.status();
    for (const v1::Owner& owner : owners) {
      if (!owner.has_post()) continue;
      for (const auto& [post, name] : *posts) {
        if (owner.post().stream() == post) {
          *how = absl::StrCat("as ", name.empty() ? post : name);
          return true;
        }
      }
    }
    return false;
  };
  for (const v1::ConcernRow& row : *rows) {
    if (request.has_before() &&
        domain::CompareDates(row.raised_on(), request.before()) >= 0) {
      continue;
    }
    std::string how;
    absl::StatusOr<bool> told = reached(row.raised_to(), row.raised_on(), &how);
    if (!told.ok()) return told.status();
    v1::Date on = row.raised_on();
    uint64_t position = row.positions(0);
    if (!*told) {
      for (const v1::ConcernStep& step : row.steps()) {
        if (step.kind() != "escalated") continue;
        if (request.has_before() &&
            domain::CompareDates(step.on(), request.before()) >= 0) {
          continue;
        }
        told = reached(step.parties(), step.on(), &how);
        if (!told.ok()) return told.status();
        if (*told) {
          on = step.on();
          position = step.position();
          break;
        }
      }
    }
    if (!*told) continue;
    v1::ToldRow* out = response.add_told();
    *out->mutable_concern() = row;
    out->set_how(how);
    *out->mutable_on() = on;
    out->add_positions(position);
  }
  return response;
}

}  // namespace missionlog
