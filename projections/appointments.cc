#include "projections/appointments.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "domain/values.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "projections/state.pb.h"

namespace missionlog {
namespace {

using projections::AppointmentState;
using projections::EntityState;
using projections::NameState;
using projections::PeriodState;

constexpr char kOrganisation[] = "o/";
constexpr char kPerson[] = "p/";
constexpr char kPost[] = "t/";
constexpr char kAppointment[] = "a/";
constexpr char kPostIndex[] = "h/";
constexpr char kPersonIndex[] = "w/";

constexpr char kYearIndex[] = "y/";
constexpr char kOpen[] = "open";

bool EndAsOf(const AppointmentState& a, uint64_t as_of, v1::Date* end);

// The year-index keys of an appointment as it now stands: one per calendar
// year its [start, end) touches, or "open" while it has no end.
std::vector<std::string> YearKeys(const std::string& stream,
                                  const AppointmentState& a) {
  const absl::string_view sep("\0", 1);
  std::vector<std::string> keys;
  v1::Date end;
  if (!EndAsOf(a, UINT64_MAX, &end)) {
    keys.push_back(absl::StrCat(kYearIndex, kOpen, sep, stream));
    return keys;
  }
  for (int year = a.start().year(); year <= end.year(); ++year) {
    keys.push_back(
        absl::StrCat(kYearIndex, absl::StrFormat("%04d", year), sep, stream));
  }
  return keys;
}

// Writes the appointment and its year-index copies, removing copies for
// years it no longer touches.
void StoreAppointment(State* state, const std::string& stream,
                      const AppointmentState* before,
                      const AppointmentState& after) {
  const std::string value = after.SerializeAsString();
  std::vector<std::string> keys = YearKeys(stream, after);
  if (before != nullptr) {
    for (const std::string& old : YearKeys(stream, *before)) {
      if (std::find(keys.begin(), keys.end(), old) == keys.end()) {
        state->Delete(old);
      }
    }
  }
  for (const std::string& key : keys) state->Put(key, value);
  state->Put(kAppointment + stream, value);
}

class AppointmentsProjection : public Projection {
 public:
  const std::string& name() const override { return name_; }
  int version() const override { return 2; }  // 2: the person index

  // Organisations for their names only: the rest of that family is
  // decoded by no one here.
  std::vector<std::string> type_prefixes() const override {
    return {appointment_, person_, post_, organisation_};
  }

  bool Wants(const RecordedEvent& event) const override {
    const absl::string_view type = event.type();
    if (absl::StartsWith(type, appointment_) ||
        absl::StartsWith(type, person_) || absl::StartsWith(type, post_)) {
      return true;
    }
    const domain::EventType type_id = domain::TypeOf(type);
    return type_id == domain::EventType::kOrganisationRegistered ||
           type_id == domain::EventType::kOrganisationRenamed;
  }

  absl::Status Apply(const RecordedEvent& event, State* state) override {
    const domain::EventType type_id = domain::TypeOf(event.type());
    const std::string stream(event.stream());
    const uint64_t position = event.position();
    if (type_id == domain::EventType::kOrganisationRegistered) {
      auto m = PayloadAs<v1::OrganisationRegistered>(event);
      if (!m.ok()) return m.status();
      return AddName(state, kOrganisation + stream, m->name(), m->short_name(),
                     m->has_valid_from(), m->valid_from(), position, true);
    }
    if (type_id == domain::EventType::kOrganisationRenamed) {
      auto m = PayloadAs<v1::OrganisationRenamed>(event);
      if (!m.ok()) return m.status();
      return AddName(state, kOrganisation + stream, m->name(), m->short_name(),
                     true, m->valid_from(), position, false);
    }
    if (type_id == domain::EventType::kPersonRegistered) {
      auto m = PayloadAs<v1::PersonRegistered>(event);
      if (!m.ok()) return m.status();
      return AddName(state, kPerson + stream, m->name(), "",
                     m->has_valid_from(), m->valid_from(), position, true);
    }
    if (type_id == domain::EventType::kPersonRenamed) {
      auto m = PayloadAs<v1::PersonRenamed>(event);
      if (!m.ok()) return m.status();
      return AddName(state, kPerson + stream, m->name(), "", true,
                     m->valid_from(), position, false);
    }
    if (type_id == domain::EventType::kPostCreated) {
      auto m = PayloadAs<v1::PostCreated>(event);
      if (!m.ok()) return m.status();
      EntityState post;
      NameState* name = post.add_names();
      name->set_name(m->name());
      name->set_position(position);
      post.set_organisation(m->organisation().stream());
      post.set_rank(m->rank());
      post.set_rank_value(m->rank_value());
      post.set_position(position);
      state->PutMessage(kPost + stream, post);
      return absl::OkStatus();
    }
    if (type_id == domain::EventType::kAppointmentMade) {
      auto m = PayloadAs<v1::AppointmentMade>(event);
      if (!m.ok()) return m.status();
      AppointmentState appointment;
      appointment.set_person(m->person().stream());
      appointment.set_post(m->post().stream());
      *appointment.mutable_start() = m->start();
      if (m->has_end()) *appointment.mutable_end() = m->end();
      appointment.set_position(position);
      StoreAppointment(state, stream, nullptr, appointment);
      state->Put(absl::StrCat(kPostIndex, m->post().stream(),
                              absl::string_view("\0", 1), stream),
                 "");
      state->Put(absl::StrCat(kPersonIndex, m->person().stream(),
                              absl::string_view("\0", 1), stream),
                 "");
      return absl::OkStatus();
    }
    if (type_id == domain::EventType::kAppointmentCharacteristicsRecorded ||
        type_id == domain::EventType::kAppointmentEnded) {
      AppointmentState appointment;
      absl::StatusOr<bool> found =
          state->GetMessage(kAppointment + stream, &appointment);
      if (!found.ok()) return found.status();
      if (!*found) return absl::OkStatus();  // not an appointment we know
      const AppointmentState before = appointment;
      if (type_id == domain::EventType::kAppointmentEnded) {
        auto m = PayloadAs<v1::AppointmentEnded>(event);
        if (!m.ok()) return m.status();
        projections::EndState* end = appointment.add_ended();
        *end->mutable_end() = m->end();
        end->set_position(position);
      } else {
        auto m = PayloadAs<v1::AppointmentCharacteristicsRecorded>(event);
        if (!m.ok()) return m.status();
        PeriodState* period = appointment.add_periods();
        period->set_cabinet_status(m->cabinet_status());
        period->set_acting(m->acting());
        period->set_on_leave(m->on_leave());
        period->set_leave_reason(m->leave_reason());
        *period->mutable_start() = m->start();
        if (m->has_end()) *period->mutable_end() = m->end();
        period->set_position(position);
      }
      StoreAppointment(state, stream, &before, appointment);
      return absl::OkStatus();
    }
    return absl::OkStatus();  // post.abolished and others: not needed yet
  }

 private:
  static absl::Status AddName(State* state, const std::string& key,
                              const std::string& name,
                              const std::string& short_name, bool has_from,
                              const v1::Date& from, uint64_t position,
                              bool registered) {
    EntityState entity;
    absl::StatusOr<bool> found = state->GetMessage(key, &entity);
    if (!found.ok()) return found.status();
    if (!*found && !registered) return absl::OkStatus();
    if (registered && *found) return absl::OkStatus();  // first one stands
    NameState* added = entity.add_names();
    added->set_name(name);
    added->set_short_name(short_name);
    if (has_from) *added->mutable_valid_from() = from;
    added->set_position(position);
    if (registered) entity.set_position(position);
    state->PutMessage(key, entity);
    return absl::OkStatus();
  }

  const std::string name_ = kAppointmentsProjection;
  const std::string appointment_ =
      domain::FamilyPrefix(domain::Family::kAppointment);
  const std::string person_ = domain::FamilyPrefix(domain::Family::kPerson);
  const std::string post_ = domain::FamilyPrefix(domain::Family::kPost);
  const std::string organisation_ =
      domain::FamilyPrefix(domain::Family::kOrganisation);
};

// The appointment's end as recorded before `as_of`: the latest AppointmentEnded
// among them, else the end it was made with.
bool EndAsOf(const AppointmentState& a, uint64_t as_of, v1::Date* end) {
  bool has_end = a.has_end();
  if (has_end) *end = a.end();
  uint64_t latest = 0;
  for (const projections::EndState& e : a.ended()) {
    if (e.position() < as_of && e.position() >= latest) {
      latest = e.position();
      *end = e.end();
      has_end = true;
    }
  }
  return has_end;
}

// The name in force on `on` among those recorded before `as_of`.
const NameState* NameFor(const EntityState& entity, const v1::Date& on,
                         uint64_t as_of) {
  const NameState* best = nullptr;
  for (const NameState& name : entity.names()) {
    if (name.position() >= as_of) continue;
    if (name.has_valid_from() &&
        domain::CompareDates(name.valid_from(), on) > 0) {
      continue;
    }
    if (best == nullptr ||
        (name.has_valid_from() &&
         (!best->has_valid_from() ||
          domain::CompareDates(name.valid_from(), best->valid_from()) >= 0))) {
      best = &name;
    }
  }
  if (best == nullptr && !entity.names().empty() &&
      entity.names(0).position() < as_of) {
    best = &entity.names(0);  // known only by a later name
  }
  return best;
}

}  // namespace

std::unique_ptr<Projection> NewAppointmentsProjection() {
  return std::make_unique<AppointmentsProjection>();
}

absl::StatusOr<std::string> AppointmentsView::EntityName(const std::string& key,
                                                         const v1::Date& on) {
  absl::StatusOr<std::optional<std::string>> value =
      store_->GetProjectionValue(kAppointmentsProjection, key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::string();
  EntityState entity;
  if (!entity.ParseFromString(**value)) {
    return absl::DataLossError(absl::StrCat("appointments: bad record ", key));
  }
  const NameState* name = NameFor(entity, on, as_of_);
  return name == nullptr ? std::string() : name->name();
}

absl::StatusOr<std::string> AppointmentsView::NameOn(const v1::Owner& owner,
                                                     const v1::Date& on) {
  switch (owner.owner_case()) {
    case v1::Owner::kOrganisation:
      return EntityName(kOrganisation + owner.organisation().stream(), on);
    case v1::Owner::kPost:
      return EntityName(kPost + owner.post().stream(), on);
    case v1::Owner::kPerson:
      return EntityName(kPerson + owner.person().stream(), on);
    default:
      return std::string();
  }
}

namespace {

// A holding of `appointment` on `on`, if it covers the date as of `as_of`.
bool HoldingOn(const std::string& stream, const AppointmentState& a,
               const v1::Date& on, uint64_t as_of, v1::PostHolding* out) {
  if (a.position() >= as_of) return false;
  v1::Date end;
  const bool has_end = EndAsOf(a, as_of, &end);
  if (!domain::InPeriod(on, a.start(), has_end, end)) return false;
  out->set_person(a.person());
  out->set_appointment(stream);
  *out->mutable_start() = a.start();
  if (has_end) *out->mutable_end() = end;
  out->add_positions(a.position());
  for (const projections::EndState& e : a.ended()) {
    if (e.position() < as_of) out->add_positions(e.position());
  }
  const PeriodState* period = nullptr;
  for (const PeriodState& p : a.periods()) {
    if (p.position() < as_of &&
        domain::InPeriod(on, p.start(), p.has_end(), p.end()) &&
        (period == nullptr || p.position() > period->position())) {
      period = &p;
    }
  }
  if (period != nullptr) {
    out->set_acting(period->acting());
    out->set_on_leave(period->on_leave());
    out->set_leave_reason(period->leave_reason());
    out->set_cabinet_status(period->cabinet_status());
    out->add_positions(period->position());
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::GovernmentOnResponse> AppointmentsView::GovernmentOn(
    const v1::GovernmentOnRequest& request) {
  const std::set<std::string> ranks(request.ranks().begin(),
                                    request.ranks().end());
  std::map<std::string, std::vector<v1::PostHolding>> by_post;
  absl::Status parse;
  // Scans `prefix`; the appointment's stream follows `skip` bytes of key.
  const auto scan = [&](const std::string& prefix, size_t skip) {
    return store_->ScanProjection(
        kAppointmentsProjection, "", prefix,
        [&](absl::string_view key, absl::string_view value) {
          AppointmentState a;
          if (!a.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parse =
                absl::DataLossError(absl::StrCat("appointments: bad ", key));
            return false;
          }
          v1::PostHolding holding;
          if (HoldingOn(std::string(key.substr(skip)), a, request.on(), as_of_,
                        &holding)) {
            by_post[a.post()].push_back(std::move(holding));
          }
          return true;
        });
  };
  if (as_of_ == UINT64_MAX) {
    // As the record stands now: the appointments touching the date's year,
    // and the open-ended ones.
    for (const std::string& bucket :
         {absl::StrFormat("%04d", request.on().year()), std::string(kOpen)}) {
      const std::string prefix =
          absl::StrCat(kYearIndex, bucket, absl::string_view("\0", 1));
      absl::Status scanned = scan(prefix, prefix.size());
      if (!scanned.ok()) return scanned;
    }
  } else {
    // As of an earlier position the index (which reflects ends recorded
    // since) does not apply: every appointment.
    absl::Status scanned = scan(kAppointment, strlen(kAppointment));
    if (!scanned.ok()) return scanned;
  }
  if (!parse.ok()) return parse;
  v1::GovernmentOnResponse response;
  for (auto& [post, holdings] : by_post) {
    absl::StatusOr<std::optional<std::string>> value =
        store_->GetProjectionValue(kAppointmentsProjection, kPost + post);
    if (!value.ok()) return value.status();
    EntityState entity;
    if (value->has_value()) entity.ParseFromString(**value);
    if (!request.organisation().empty() &&
        entity.organisation() != request.organisation()) {
      continue;
    }
    if (!ranks.empty() && ranks.count(entity.rank()) == 0) continue;
    const NameState* name = NameFor(entity, request.on(), as_of_);
    if (!request.post_name_contains().empty() &&
        (name == nullptr ||
         !absl::StrContains(
             absl::AsciiStrToLower(name->name()),
             absl::AsciiStrToLower(request.post_name_contains())))) {
      continue;
    }
    v1::PostOn* out = response.add_posts();
    out->set_post(post);
    if (name != nullptr) out->set_post_name(name->name());
    out->set_organisation(entity.organisation());
    absl::StatusOr<std::string> org =
        EntityName(kOrganisation + entity.organisation(), request.on());
    if (!org.ok()) return org.status();
    out->set_organisation_name(*org);
    out->set_rank(entity.rank());
    out->set_rank_value(entity.rank_value());
    for (v1::PostHolding& holding : holdings) {
      absl::StatusOr<std::string> person =
          EntityName(kPerson + holding.person(), request.on());
      if (!person.ok()) return person.status();
      holding.set_person_name(*person);
      *out->add_holders() = std::move(holding);
    }
  }
  std::sort(response.mutable_posts()->begin(), response.mutable_posts()->end(),
            [](const v1::PostOn& a, const v1::PostOn& b) {
              const int ra = a.rank_value() == 0 ? 99 : a.rank_value();
              const int rb = b.rank_value() == 0 ? 99 : b.rank_value();
              if (ra != rb) return ra < rb;
              if (a.post_name() != b.post_name()) {
                return a.post_name() < b.post_name();
              }
              return a.post() < b.post();
            });
  return response;
}

absl::StatusOr<std::vector<std::pair<std::string, AppointmentState>>>
AppointmentsView::Indexed(const std::string& index, const std::string& of) {
  std::vector<std::pair<std::string, AppointmentState>> found;
  std::vector<std::string> streams;
  const std::string prefix =
      absl::StrCat(index, of, absl::string_view("\0", 1));
  absl::Status scanned =
      store_->ScanProjection(kAppointmentsProjection, "", prefix,
                             [&](absl::string_view key, absl::string_view) {
                               streams.emplace_back(key.substr(prefix.size()));
                               return true;
                             });
  if (!scanned.ok()) return scanned;
  for (std::string& stream : streams) {
    absl::StatusOr<std::optional<std::string>> value =
        store_->GetProjectionValue(kAppointmentsProjection,
                                   kAppointment + stream);
    if (!value.ok()) return value.status();
    AppointmentState a;
    if (!value->has_value() || !a.ParseFromString(**value)) continue;
    found.emplace_back(std::move(stream), std::move(a));
  }
  return found;
}

absl::StatusOr<std::vector<v1::PostHolding>> AppointmentsView::HoldersOn(
    const std::string& post, const v1::Date& on) {
  std::vector<v1::PostHolding> holders;
  auto appointments = Indexed(kPostIndex, post);
  if (!appointments.ok()) return appointments.status();
  for (const auto& [stream, a] : *appointments) {
    v1::PostHolding holding;
    if (HoldingOn(stream, a, on, as_of_, &holding)) {
      absl::StatusOr<std::string> person = EntityName(kPerson + a.person(), on);
      if (!person.ok()) return person.status();
      holding.set_person_name(*person);
      holders.push_back(std::move(holding));
    }
  }
  return holders;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
AppointmentsView::PostsHeldBy(const std::string& person, const v1::Date& on) {
  std::vector<std::pair<std::string, std::string>> posts;
  auto appointments = Indexed(kPersonIndex, person);
  if (!appointments.ok()) return appointments.status();
  for (const auto& [stream, a] : *appointments) {
    v1::PostHolding holding;
    if (!HoldingOn(stream, a, on, as_of_, &holding)) continue;
    absl::StatusOr<std::string> name = EntityName(kPost + a.post(), on);
    if (!name.ok()) return name.status();
    posts.push_back({a.post(), *name});
  }
  return posts;
}

absl::StatusOr<v1::PostHoldersResponse> AppointmentsView::PostHolders(
    const v1::PostHoldersRequest& request) {
  v1::PostHoldersResponse response;
  auto appointments = Indexed(kPostIndex, request.post());
  if (!appointments.ok()) return appointments.status();
  for (const auto& [stream, a] : *appointments) {
    if (a.position() >= as_of_) continue;
    v1::Date end;
    const bool has_end = EndAsOf(a, as_of_, &end);
    // Overlaps [from, to)?
    if (request.has_to() && domain::CompareDates(a.start(), request.to()) >= 0)
      continue;
    if (request.has_from() && has_end &&
        domain::CompareDates(end, request.from()) <= 0) {
      continue;
    }
    v1::PostHolding* holding = response.add_holdings();
    holding->set_person(a.person());
    holding->set_appointment(stream);
    *holding->mutable_start() = a.start();
    if (has_end) *holding->mutable_end() = end;
    holding->add_positions(a.position());
    bool acting = false;
    for (const PeriodState& p : a.periods()) {
      if (p.position() < as_of_) {
        acting |= p.acting();
        holding->add_positions(p.position());
      }
    }
    holding->set_acting(acting);
    absl::StatusOr<std::string> person =
        EntityName(kPerson + a.person(), a.start());
    if (!person.ok()) return person.status();
    holding->set_person_name(*person);
  }
  std::sort(response.mutable_holdings()->begin(),
            response.mutable_holdings()->end(),
            [](const v1::PostHolding& a, const v1::PostHolding& b) {
              const int c = domain::CompareDates(a.start(), b.start());
              return c != 0 ? c < 0 : a.appointment() < b.appointment();
            });
  absl::StatusOr<std::string> name = EntityName(
      kPost + request.post(),
      request.has_to() ? request.to()
                       : (response.holdings().empty()
                              ? v1::Date()
                              : response.holdings().rbegin()->start()));
  if (!name.ok()) return name.status();
  response.set_post_name(*name);
  return response;
}

}  // namespace missionlog
