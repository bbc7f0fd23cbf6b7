// The GOV.UK organisations importer (see importers.h). The earlier
// snapshot's organisations are registered parents first (so each can name
// its sponsoring parent), closures recorded with their closed_at dates;
// then the differences to the later snapshot become events dated
// `changed_on`: new organisations, renames, parent changes, closures (with
// OrganisationMerged / OrganisationDemerged for "merged" and "split"), and,
// where a body's parent moved from an old organisation to a new one, a
// FunctionsTransferred naming the sponsorships that moved. An organisation
// missing from the later snapshot is only noted: leaving the API is not a
// closure.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/import/fields.h"
#include "clients/import/importers.h"
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
  std::vector<std::string> superseding;
};

absl::StatusOr<std::map<std::string, Organisation>> ReadSnapshot(
    const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  ListValue list;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &list);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a JSON array of organisations: ", parsed.ToString()));
  }
  std::map<std::string, Organisation> snapshot;
  for (const Value& item : list.values()) {
    if (!item.has_struct_value()) continue;
    const Struct& o = item.struct_value();
    auto details = o.fields().find("details");
    if (details == o.fields().end() || !details->second.has_struct_value()) {
      continue;
    }
    const Struct& d = details->second.struct_value();
    Organisation org;
    org.slug = Text(d, "slug");
    if (org.slug.empty() || Slug(org.slug, 128) != org.slug) continue;
    org.title = CleanText(Text(o, "title"));
    org.abbreviation = CleanText(Text(d, "abbreviation"));
    org.format = Text(o, "format");
    org.status = Text(d, "govuk_status");
    org.closed_status = Text(d, "govuk_closed_status");
    org.closed_at = Text(d, "closed_at");
    org.updated_at = Text(o, "updated_at");
    org.parents = Slugs(o, "parent_organisations");
    org.superseding = Slugs(o, "superseding_organisations");
    snapshot[org.slug] = std::move(org);
  }
  if (snapshot.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no organisations with a details.slug"));
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
  GovukImport(ImportPlan* plan, std::map<std::string, Organisation> before,
              std::map<std::string, Organisation> after, v1::Date changed_on)
      : plan_(plan),
        builder_(plan, kFormat),
        before_(std::move(before)),
        after_(std::move(after)),
        changed_on_(changed_on) {}

  void Run() {
    plan_->rows_read = before_.size() + after_.size();
    const size_t phases = RegisterBefore();
    Changes(phases);
    builder_.Finish();
  }

 private:
  // The first parent that is itself in `snapshot`, or "".
  static std::string ParentIn(
      const Organisation& org,
      const std::map<std::string, Organisation>& snapshot) {
    for (const std::string& parent : org.parents) {
      if (parent != org.slug && snapshot.count(parent)) return parent;
    }
    return "";
  }

  // Registers the earlier snapshot, parents a phase before their children;
  // returns the number of phases used.
  size_t RegisterBefore() {
    std::map<std::string, size_t> depth;
    for (const auto& [slug, org] : before_) {
      size_t d = 0;
      std::string at = slug;
      std::set<std::string> seen{slug};
      while (true) {
        const std::string parent = ParentIn(before_.at(at), before_);
        if (parent.empty() || !seen.insert(parent).second) break;
        at = parent;
        ++d;
      }
      depth[slug] = d;
    }
    size_t phases = 1;
    for (const auto& [slug, org] : before_) {
      v1::OrganisationRegistered event = Registration(org);
      const std::string parent = ParentIn(org, before_);
      if (!parent.empty() && depth[slug] > 0) {
        *event.mutable_parent() = RefTo(parent);
      }
      builder_.Add(depth[slug], RefTo(slug).stream(),
                   domain::EventType::kOrganisationRegistered, event,
                   absl::StrCat("registered\n", slug));
      phases = std::max(phases, depth[slug] + 1);
      registered_.insert(slug);
    }
    // Closures already known to the earlier snapshot, with their own dates.
    for (const auto& [slug, org] : before_) {
      if (org.status != "closed") continue;
      absl::StatusOr<v1::Date> date = ParseIsoDate(org.closed_at);
      if (!date.ok()) continue;  // closed at an unknown date: nothing to date
      Close(phases, org, *date, before_);
    }
    return phases + 1;
  }

  v1::OrganisationRegistered Registration(const Organisation& org) {
    v1::OrganisationRegistered event;
    event.set_organisation(Slug(org.slug, 64));
    event.set_name(org.title.empty() ? org.slug : org.title);
    event.set_short_name(org.abbreviation);
    event.set_kind(KindOf(org.format));
    event.add_external_ids(absl::StrCat("govuk:", org.slug));
    return event;
  }

  void Close(size_t phase, const Organisation& org, const v1::Date& date,
             const std::map<std::string, Organisation>& snapshot) {
    std::vector<std::string> successors;
    for (const std::string& s : org.superseding) {
      if (registered_.count(s) || snapshot.count(s)) successors.push_back(s);
    }
    const std::string stream = RefTo(org.slug).stream();
    const std::string key = absl::StrCat(org.slug, "\n", FormatDate(date));
    if (org.closed_status == "merged" && !successors.empty() &&
        registered_.count(successors[0])) {
      v1::OrganisationMerged merged;
      *merged.mutable_into() = RefTo(successors[0]);
      *merged.mutable_valid_from() = date;
      builder_.Add(phase, stream, domain::EventType::kOrganisationMerged,
                   merged, absl::StrCat("merged\n", key));
    } else if (org.closed_status == "split" && !successors.empty()) {
      v1::OrganisationDemerged split;
      for (const std::string& s : successors) {
        if (registered_.count(s)) *split.add_successors() = RefTo(s);
      }
      *split.mutable_valid_from() = date;
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
    builder_.Add(phase, stream, domain::EventType::kOrganisationClosed, closed,
                 absl::StrCat("closed\n", key));
  }

  void Changes(size_t phase) {
    const std::string on = FormatDate(changed_on_);
    // New organisations first, so the changes can name them.
    for (const auto& [slug, org] : after_) {
      if (before_.count(slug)) continue;
      v1::OrganisationRegistered event = Registration(org);
      *event.mutable_valid_from() = changed_on_;
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
        const std::string parent = ParentIn(org, after_);
        if (!parent.empty()) ParentChanged(phase + 1, slug, parent, on);
        continue;
      }
      const Organisation& was = earlier->second;
      if (org.title != was.title || org.abbreviation != was.abbreviation) {
        v1::OrganisationRenamed event;
        event.set_name(org.title);
        event.set_short_name(org.abbreviation);
        *event.mutable_valid_from() = changed_on_;
        builder_.Add(phase + 1, RefTo(slug).stream(),
                     domain::EventType::kOrganisationRenamed, event,
                     absl::StrCat("renamed\n", slug, "\n", on));
      }
      const std::string old_parent = ParentIn(was, before_);
      const std::string new_parent = ParentIn(org, after_);
      if (old_parent != new_parent) {
        ParentChanged(phase + 1, slug, new_parent, on);
        if (!old_parent.empty() && !new_parent.empty() &&
            !before_.count(new_parent)) {
          moved[{old_parent, new_parent}].push_back(org.title);
        }
      }
      if (org.status == "closed" && was.status != "closed") {
        absl::StatusOr<v1::Date> date = ParseIsoDate(org.closed_at);
        Close(phase + 1, org, date.ok() ? *date : changed_on_, after_);
      }
    }
    for (const auto& [link, bodies] : moved) {
      v1::FunctionsTransferred event;
      *event.mutable_to() = RefTo(link.second);
      event.set_functions(CleanText(
          absl::StrCat("sponsorship of ", absl::StrJoin(bodies, ", "))));
      *event.mutable_valid_from() = changed_on_;
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
                     const std::string& parent, const std::string& on) {
    v1::OrganisationParentChanged event;
    if (!parent.empty()) *event.mutable_parent() = RefTo(parent);
    *event.mutable_valid_from() = changed_on_;
    builder_.Add(phase, RefTo(slug).stream(),
                 domain::EventType::kOrganisationParentChanged, event,
                 absl::StrCat("parent\n", slug, "\n", on));
  }

  ImportPlan* const plan_;
  PlanBuilder builder_;
  const std::map<std::string, Organisation> before_;
  const std::map<std::string, Organisation> after_;
  const v1::Date changed_on_;
  std::set<std::string> registered_;
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
  auto earlier = ReadSnapshot(before);
  if (!earlier.ok()) return earlier.status();
  auto later = ReadSnapshot(after);
  if (!later.ok()) return later.status();
  ImportPlan plan;
  absl::StatusOr<v1::Date> date = changed_on.empty()
                                      ? DefaultChangeDate(*earlier, *later)
                                      : ParseIsoDate(changed_on);
  if (!date.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--changed-on: ", date.status().message()));
  }
  if (changed_on.empty()) {
    plan.notes.push_back(absl::StrCat(
        "changes dated ", FormatDate(*date),
        " (the first publication of a new organisation; --changed-on=DATE "
        "sets it)"));
  }
  GovukImport import(&plan, *std::move(earlier), *std::move(later), *date);
  import.Run();
  return plan;
}

}  // namespace missionlog
