// The GOV.UK organisations importer (see importers.h). The earlier
// snapshot's organisations are registered parents first (so each can name
// its sponsoring parents, all of them), closures recorded with their
// closed_at dates (a closure without one is recorded as closed by the
// snapshot's date, date_unknown); successors are taken from both sides
// (superseding_organisations of the closed body, superseded_organisations
// of its successor);
// then the differences to the later snapshot become events, each dated by
// the period it is known to lie in (not_before: the earlier snapshot's
// date, valid_from: the later one's; a snapshot's date is its latest
// updated_at), or by the one date --changed-on asserts: new organisations,
// renames, parent changes, closures (with OrganisationMerged /
// OrganisationDemerged for "merged" and "split"), and, where a body's parent
// moved from an old organisation to a new one, a FunctionsTransferred naming
// the sponsorships that moved. An organisation missing from the later snapshot
// is only noted: leaving the API is not a closure. Every organisation keeps its
// whole slug in its stream name; the `organisation` field, which must be a 1-64
// character slug of letters, digits and '-', is the slug itself where it is
// one, else its first 55 characters as a slug, '-' and 8 hex digits of a hash
// of the whole slug (collision-free, and noted). A row that cannot be read is
// reported.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
#include "domain/name_uuid.h"
#include "domain/values.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "missionlog/v1/domain/organisations.pb.h"

namespace missionlog {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kFormat[] = "govuk-orgs";

std::string Text(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  return it != object.fields().end() &&
                 it->second.kind_case() == Value::kStringValue
             ? it->second.string_value()
             : "";
}

// The slugs of a list of {"id": "https://www.gov.uk/api/organisations/x"}.
std::vector<std::string> Slugs(const Struct& object, const std::string& key) {
  std::vector<std::string> slugs;
  auto it = object.fields().find(key);
  if (it == object.fields().end() || !it->second.has_list_value()) return slugs;
  for (const Value& item : it->second.list_value().values()) {
    if (!item.has_struct_value()) continue;
    const std::string id = Text(item.struct_value(), "id");
    const size_t slash = id.rfind('/');
    if (slash != std::string::npos) slugs.push_back(id.substr(slash + 1));
  }
  return slugs;
}

struct Organisation {
  std::string slug;
  std::string title;
  std::string abbreviation;
  std::string format;
  std::string status;         // govuk_status
  std::string closed_status;  // govuk_closed_status
  std::string closed_at;      // RFC 3339, or ""
  std::string updated_at;
  std::vector<std::string> parents;
  // Its successors, from both sides (ReadSnapshot), sorted.
  std::vector<std::string> superseding;
  std::vector<std::string> superseded;  // its predecessors, as given
};

// A snapshot: its organisations by slug, and the date it stands for (its
// latest updated_at).
struct Snapshot {
  std::map<std::string, Organisation> organisations;
  std::string as_of;  // RFC 3339
};

// A GOV.UK slug usable as a stream id (govuk/organisation/<slug>).
bool UsableSlug(const std::string& slug) {
  if (slug.empty() || slug.size() > 128) return false;
  for (char c : slug) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The `organisation` field for a GOV.UK slug (see the top of this file).
std::string OrganisationSlug(const std::string& slug) {
  if (Slug(slug, 64) == slug) return slug;
  std::string prefix = Slug(slug, 55);
  while (!prefix.empty() && prefix.back() == '-') prefix.pop_back();
  return absl::StrCat(
      prefix, "-",
      NameBasedUuid(absl::StrCat("govuk slug\n", slug)).substr(0, 8));
}

absl::StatusOr<Snapshot> ReadSnapshot(const std::string& path,
                                      ImportPlan* plan) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  ListValue list;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &list);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a JSON array of organisations: ", parsed.ToString()));
  }
  Snapshot snapshot;
  int index = 0;
  for (const Value& item : list.values()) {
    ++index;
    const auto skip = [&](const std::string& why) {
      plan->skipped.push_back(
          {path, 0,
           absl::StrCat("organisation ", index, " of the file: ", why)});
    };
    if (!item.has_struct_value()) {
      skip("not a JSON object");
      continue;
    }
    const Struct& o = item.struct_value();
    auto details = o.fields().find("details");
    if (details == o.fields().end() || !details->second.has_struct_value()) {
      skip(absl::StrCat("'", Text(o, "title"), "' has no details"));
      continue;
    }
    const Struct& d = details->second.struct_value();
    Organisation org;
    org.slug = Text(d, "slug");
    if (!UsableSlug(org.slug)) {
      skip(absl::StrCat("'", Text(o, "title"), "': details.slug '", org.slug,
                        "' is not 1-128 characters of a-z, 0-9, '-', '_' "
                        "or '.'"));
      continue;
    }
    org.title = CleanText(Text(o, "title"));
    org.abbreviation = CleanText(Text(d, "abbreviation"));
    org.format = Text(o, "format");
    org.status = Text(d, "govuk_status");
    org.closed_status = Text(d, "govuk_closed_status");
    org.closed_at = Text(d, "closed_at");
    org.updated_at = Text(o, "updated_at");
    org.parents = Slugs(o, "parent_organisations");
    org.superseding = Slugs(o, "superseding_organisations");
    org.superseded = Slugs(o, "superseded_organisations");
    snapshot.as_of = std::max(snapshot.as_of, org.updated_at);
    snapshot.organisations[org.slug] = std::move(org);
  }
  if (snapshot.organisations.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no organisations with a details.slug"));
  }
  // Successor links given only on the successor's side
  // (superseded_organisations) join the predecessor's own list, so each
  // organisation knows all its successors, sorted and once each.
  for (const auto& [slug, org] : snapshot.organisations) {
    for (const std::string& predecessor : org.superseded) {
      auto it = snapshot.organisations.find(predecessor);
      if (it != snapshot.organisations.end()) {
        it->second.superseding.push_back(slug);
      }
    }
  }
  for (auto& [slug, org] : snapshot.organisations) {
    std::sort(org.superseding.begin(), org.superseding.end());
    org.superseding.erase(
        std::unique(org.superseding.begin(), org.superseding.end()),
        org.superseding.end());
  }
  return snapshot;
}

v1::OrganisationKind KindOf(const std::string& format) {
  if (format == "Ministerial department") {
    return v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT;
  }
  if (format == "Non-ministerial department") {
    return v1::ORGANISATION_KIND_NON_MINISTERIAL_DEPARTMENT;
  }
  if (format == "Executive agency")
    return v1::ORGANISATION_KIND_EXECUTIVE_AGENCY;
  if (format == "Devolved administration") {
    return v1::ORGANISATION_KIND_DEVOLVED_ADMINISTRATION;
  }
  if (absl::StrContains(format, "non-departmental public body") ||
      format == "Public corporation" || format == "Tribunal" ||
      format == "Independent monitoring body" ||
      format == "Special health authority") {
    return v1::ORGANISATION_KIND_ARMS_LENGTH_BODY;
  }
  return v1::ORGANISATION_KIND_OTHER_PUBLIC_BODY;
}

v1::Ref RefTo(const std::string& slug) {
  v1::Ref ref;
  ref.set_stream(absl::StrCat("govuk/organisation/", slug));
  return ref;
}

class GovukImport {
 public:
  // `changed_on`: the date the user asserts for every change (exact), or
  // nullopt: each change is dated by the period between the snapshots'
  // dates, or by `fallback` where a snapshot has none.
  GovukImport(ImportPlan* plan, Snapshot before, Snapshot after,
              std::optional<v1::Date> changed_on, v1::Date fallback)
      : plan_(plan),
        builder_(plan, kFormat),
        before_(std::move(before.organisations)),
        after_(std::move(after.organisations)),
        before_date_(ParseIsoDate(before.as_of)),
        after_date_(ParseIsoDate(after.as_of)),
        changed_on_(changed_on.has_value() ? *changed_on
                    : after_date_.ok()     ? *after_date_
                                           : fallback) {
    if (!changed_on.has_value() && before_date_.ok() && after_date_.ok()) {
      not_before_ = *before_date_;
    }
  }

  // The period the changes are dated by, for the plan's notes.
  std::string Dating() const {
    if (!not_before_.has_value()) {
      return absl::StrCat("changes dated ", FormatDate(changed_on_));
    }
    return absl::StrCat(
        "changes dated by the period they are known to lie in: not_before ",
        FormatDate(*not_before_), " (the earlier snapshot's date), valid_from ",
        FormatDate(changed_on_),
        " (the later one's); --changed-on=DATE asserts one date instead");
  }

  void Run() {
    plan_->rows_read = before_.size() + after_.size();
    for (const auto* snapshot : {&before_, &after_}) {
      for (const auto& [slug, org] : *snapshot) {
        const std::string field = OrganisationSlug(slug);
        if (field != slug && mapped_.insert(slug).second) {
          plan_->notes.push_back(absl::StrCat(
              "govuk/organisation/", slug, ": its organisation field is '",
              field, "' (the slug is not 1-64 of a-z, 0-9 and '-')"));
        }
      }
    }
    const size_t phases = RegisterBefore();
    Changes(phases);
    builder_.Finish();
  }

 private:
  using Organisations = std::map<std::string, Organisation>;

  // Every parent that is itself in `snapshot`, in the order given.
  static std::vector<std::string> ParentsIn(const Organisation& org,
                                            const Organisations& snapshot) {
    std::vector<std::string> parents;
    for (const std::string& parent : org.parents) {
      if (parent != org.slug && snapshot.count(parent) &&
          std::find(parents.begin(), parents.end(), parent) == parents.end()) {
        parents.push_back(parent);
      }
    }
    return parents;
  }

  // Successors of `org` (both sides, see ReadSnapshot) that are in
  // `snapshot` or registered.
  std::vector<std::string> Successors(const Organisation& org,
                                      const Organisations& snapshot) const {
    std::vector<std::string> successors;
    for (const std::string& s : org.superseding) {
      if (s != org.slug && (registered_.count(s) || snapshot.count(s))) {
        successors.push_back(s);
      }
    }
    return successors;
  }

  // Sets `parent` (the first) and, when there are several, `parents`.
  template <typename Event>
  static void SetParents(const std::vector<std::string>& parents,
                         Event* event) {
    if (parents.empty()) return;
    *event->mutable_parent() = RefTo(parents[0]);
    if (parents.size() > 1) {
      for (const std::string& p : parents) *event->add_parents() = RefTo(p);
    }
  }

  // Phase of `slug` in the earlier snapshot: one more than its deepest
  // parent's (0 without parents), so every parent is registered first.
  size_t Depth(const std::string& slug, std::map<std::string, size_t>* memo,
               std::set<std::string>* visiting) {
    if (auto it = memo->find(slug); it != memo->end()) return it->second;
    if (!visiting->insert(slug).second) return 0;  // a cycle: cut it here
    size_t depth = 0;
    for (const std::string& parent : ParentsIn(before_.at(slug), before_)) {
      depth = std::max(depth, Depth(parent, memo, visiting) + 1);
    }
    visiting->erase(slug);
    (*memo)[slug] = depth;
    return depth;
  }

  // Registers the earlier snapshot, parents a phase before their children;
  // returns the number of phases used.
  size_t RegisterBefore() {
    std::map<std::string, size_t> depth;
    std::set<std::string> visiting;
    for (const auto& [slug, org] : before_) Depth(slug, &depth, &visiting);
    size_t phases = 1;
    for (const auto& [slug, org] : before_) {
      v1::OrganisationRegistered event = Registration(org);
      std::vector<std::string> parents = ParentsIn(org, before_);
      // A parent in a cycle with this body is left out (registered later).
      const size_t own = depth[slug];
      parents.erase(std::remove_if(parents.begin(), parents.end(),
                                   [&depth, own](const std::string& p) {
                                     return depth[p] >= own;
                                   }),
                    parents.end());
      SetParents(parents, &event);
      builder_.Add(depth[slug], RefTo(slug).stream(),
                   domain::EventType::kOrganisationRegistered, event,
                   absl::StrCat("registered\n", slug));
      phases = std::max(phases, depth[slug] + 1);
      registered_.insert(slug);
    }
    // Closures already known to the earlier snapshot: with their own
    // dates, or, without one, as closed by the snapshot's date.
    for (const auto& [slug, org] : before_) {
      if (org.status != "closed") continue;
      absl::StatusOr<v1::Date> date = ParseIsoDate(org.closed_at);
      if (date.ok()) {
        Close(phases, org, *date, false, before_);
      } else if (before_date_.ok()) {
        Close(phases, org, *before_date_, true, before_);
      } else {
        plan_->skipped.push_back(
            {"", 0,
             absl::StrCat(slug,
                          ": closed, with no closed_at and no date for "
                          "the snapshot")});
      }
    }
    return phases + 1;
  }

  v1::OrganisationRegistered Registration(const Organisation& org) {
    v1::OrganisationRegistered event;
    event.set_organisation(OrganisationSlug(org.slug));
    event.set_name(org.title.empty() ? org.slug : org.title);
    event.set_short_name(org.abbreviation);
    event.set_kind(KindOf(org.format));
    event.add_external_ids(absl::StrCat("govuk:", org.slug));
    return event;
  }

  // Dates a change found between the snapshots (see Dating): in a period,
  // by when it had happened: the changed organisation's own updated_at in
  // the later snapshot (GOV.UK updates it with each change), not before
  // the period's start.
  template <typename Event>
  void DateChange(Event* event, const std::string& updated_at) const {
    *event->mutable_valid_from() = By(updated_at);
    if (not_before_.has_value()) *event->mutable_not_before() = *not_before_;
  }
  v1::Date By(const std::string& updated_at) const {
    if (!not_before_.has_value()) return changed_on_;
    absl::StatusOr<v1::Date> at = ParseIsoDate(updated_at);
    if (!at.ok() || domain::CompareDates(*at, *not_before_) < 0) {
      return *not_before_;
    }
    return *at;
  }

  void Close(size_t phase, const Organisation& org, const v1::Date& date,
             bool date_unknown, const Organisations& snapshot,
             std::optional<v1::Date> not_before = std::nullopt) {
    const std::vector<std::string> successors = Successors(org, snapshot);
    const std::string stream = RefTo(org.slug).stream();
    const std::string key = absl::StrCat(org.slug, "\n", FormatDate(date));
    if (org.closed_status == "merged" && !successors.empty() &&
        registered_.count(successors[0])) {
      v1::OrganisationMerged merged;
      *merged.mutable_into() = RefTo(successors[0]);
      *merged.mutable_valid_from() = date;
      if (not_before.has_value()) *merged.mutable_not_before() = *not_before;
      builder_.Add(phase, stream, domain::EventType::kOrganisationMerged,
                   merged, absl::StrCat("merged\n", key));
    } else if (org.closed_status == "split" && !successors.empty()) {
      v1::OrganisationDemerged split;
      for (const std::string& s : successors) {
        if (registered_.count(s)) *split.add_successors() = RefTo(s);
      }
      *split.mutable_valid_from() = date;
      if (not_before.has_value()) *split.mutable_not_before() = *not_before;
      if (split.successors_size() > 0) {
        builder_.Add(phase, stream, domain::EventType::kOrganisationDemerged,
                     split, absl::StrCat("split\n", key));
      }
    }
    v1::OrganisationClosed closed;
    closed.set_status(org.closed_status.empty() ? "closed" : org.closed_status);
    for (const std::string& s : successors) {
      if (registered_.count(s)) *closed.add_superseded_by() = RefTo(s);
    }
    *closed.mutable_valid_from() = date;
    closed.set_date_unknown(date_unknown);
    if (not_before.has_value()) *closed.mutable_not_before() = *not_before;
    builder_.Add(phase, stream, domain::EventType::kOrganisationClosed, closed,
                 absl::StrCat("closed\n", key));
  }

  void Changes(size_t phase) {
    const std::string on = FormatDate(changed_on_);
    // New organisations first, so the changes can name them.
    for (const auto& [slug, org] : after_) {
      if (before_.count(slug)) continue;
      v1::OrganisationRegistered event = Registration(org);
      DateChange(&event, org.updated_at);
      builder_.Add(phase, RefTo(slug).stream(),
                   domain::EventType::kOrganisationRegistered, event,
                   absl::StrCat("registered\n", slug));
      registered_.insert(slug);
    }
    // Sponsorships that moved from an old parent to a new organisation.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>>
        moved;
    for (const auto& [slug, org] : after_) {
      auto earlier = before_.find(slug);
      if (earlier == before_.end()) {
        const std::vector<std::string> parents = ParentsIn(org, after_);
        if (!parents.empty()) {
          ParentChanged(phase + 1, slug, parents, org.updated_at, on);
        }
        continue;
      }
      const Organisation& was = earlier->second;
      if (org.title != was.title || org.abbreviation != was.abbreviation) {
        v1::OrganisationRenamed event;
        event.set_name(org.title);
        event.set_short_name(org.abbreviation);
        DateChange(&event, org.updated_at);
        builder_.Add(phase + 1, RefTo(slug).stream(),
                     domain::EventType::kOrganisationRenamed, event,
                     absl::StrCat("renamed\n", slug, "\n", on));
      }
      const std::vector<std::string> old_parents = ParentsIn(was, before_);
      const std::vector<std::string> new_parents = ParentsIn(org, after_);
      if (old_parents != new_parents) {
        ParentChanged(phase + 1, slug, new_parents, org.updated_at, on);
        for (const std::string& from : old_parents) {
          if (std::count(new_parents.begin(), new_parents.end(), from)) {
            continue;
          }
          for (const std::string& to : new_parents) {
            if (!before_.count(to)) moved[{from, to}].push_back(slug);
          }
        }
      }
      if (org.status == "closed" && was.status != "closed") {
        absl::StatusOr<v1::Date> date = ParseIsoDate(org.closed_at);
        if (date.ok()) {
          Close(phase + 1, org, *date, false, after_);
        } else {
          Close(phase + 1, org, By(org.updated_at), true, after_, not_before_);
        }
      }
    }
    for (const auto& [link, bodies] : moved) {
      v1::FunctionsTransferred event;
      *event.mutable_to() = RefTo(link.second);
      event.set_functions(absl::StrCat("sponsorship of ", bodies.size(),
                                       bodies.size() == 1 ? " body" : " bodies",
                                       " (listed in bodies)"));
      // Complete once the last body had moved.
      std::string last;
      for (const std::string& body : bodies) {
        *event.add_bodies() = RefTo(body);
        last = std::max(last, after_.at(body).updated_at);
      }
      DateChange(&event, last);
      builder_.Add(phase + 1, RefTo(link.first).stream(),
                   domain::EventType::kFunctionsTransferred, event,
                   absl::StrCat("transferred\n", link.first, "\n", link.second,
                                "\n", on));
    }
    for (const auto& [slug, org] : before_) {
      if (!after_.count(slug)) {
        plan_->notes.push_back(absl::StrCat(
            slug,
            " is not in the later snapshot (no event: leaving the API is "
            "not a closure)"));
      }
    }
  }

  void ParentChanged(size_t phase, const std::string& slug,
                     const std::vector<std::string>& parents,
                     const std::string& updated_at, const std::string& on) {
    v1::OrganisationParentChanged event;
    SetParents(parents, &event);
    DateChange(&event, updated_at);
    builder_.Add(phase, RefTo(slug).stream(),
                 domain::EventType::kOrganisationParentChanged, event,
                 absl::StrCat("parent\n", slug, "\n", on));
  }

  ImportPlan* const plan_;
  PlanBuilder builder_;
  const Organisations before_;
  const Organisations after_;
  const absl::StatusOr<v1::Date> before_date_;  // the snapshots' own dates
  const absl::StatusOr<v1::Date> after_date_;
  // Every change's valid_from (asserted), or the later snapshot's date.
  const v1::Date changed_on_;
  std::optional<v1::Date> not_before_;  // set: changes dated by a period
  std::set<std::string> registered_;
  std::set<std::string> mapped_;  // slugs whose organisation field differs
};

// Without --changed-on: the earliest update of an organisation new in the
// later snapshot (when GOV.UK first published it), else its latest update.
absl::StatusOr<v1::Date> DefaultChangeDate(
    const std::map<std::string, Organisation>& before,
    const std::map<std::string, Organisation>& after) {
  std::string earliest_new, latest;
  for (const auto& [slug, org] : after) {
    latest = std::max(latest, org.updated_at);
    if (!before.count(slug) && !org.updated_at.empty() &&
        (earliest_new.empty() || org.updated_at < earliest_new)) {
      earliest_new = org.updated_at;
    }
  }
  return ParseIsoDate(earliest_new.empty() ? latest : earliest_new);
}

}  // namespace

absl::StatusOr<ImportPlan> PlanGovukOrgs(const std::string& before,
                                         const std::string& after,
                                         const std::string& changed_on) {
  ImportPlan plan;
  auto earlier = ReadSnapshot(before, &plan);
  if (!earlier.ok()) return earlier.status();
  auto later = ReadSnapshot(after, &plan);
  if (!later.ok()) return later.status();
  absl::StatusOr<v1::Date> fallback =
      DefaultChangeDate(earlier->organisations, later->organisations);
  std::optional<v1::Date> asserted;
  if (!changed_on.empty()) {
    absl::StatusOr<v1::Date> date = ParseIsoDate(changed_on);
    if (!date.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--changed-on: ", date.status().message()));
    }
    asserted = *date;
  }
  GovukImport import(&plan, *std::move(earlier), *std::move(later), asserted,
                     fallback.ok() ? *fallback : v1::Date());
  plan.notes.push_back(import.Dating());
  import.Run();
  return plan;
}

}  // namespace missionlog
