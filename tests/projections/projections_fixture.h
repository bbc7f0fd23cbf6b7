// The fixture the projections' tests share: a real engine on disk, the
// real runners, and builders of small hand-made logs.
#ifndef MISSIONLOG_TESTS_PROJECTIONS_PROJECTIONS_FIXTURE_H_
#define MISSIONLOG_TESTS_PROJECTIONS_PROJECTIONS_FIXTURE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "domain/event_types.h"
#include "eventstore/event_store.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/contributions.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "projections/appointments.h"
#include "projections/concerns.h"
#include "projections/contributions.h"
#include "projections/decisions.h"
#include "projections/ownership.h"
#include "projections/projection_set.h"
#include "projections/spending.h"
#include "projections/timeline.h"
#include "tests/domain_builders.h"
#include "tests/test_util.h"
#include "tlog/sha256.h"

namespace missionlog {

using testing::Day;

inline const char* const kAll[] = {
    kAppointmentsProjection, kOwnershipProjection, kSpendingProjection,
    kDecisionsProjection,    kConcernsProjection,  kContributionsProjection,
    kTimelineProjection};

class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.sync = false;
    store_ = EventStore::Open(options, dir_.Sub("db")).value();
    projections_ = std::make_unique<ProjectionSet>(store_.get(), store_.get());
  }

  // Appends one event; returns its position.
  uint64_t Append(const std::string& stream, domain::EventType type,
                  const google::protobuf::Message& message) {
    return Append(stream, domain::TypeName(type), message);
  }
  // The same for a type that is not the domain's.
  uint64_t Append(const std::string& stream, absl::string_view type,
                  const google::protobuf::Message& message) {
    AppendRequest append = testing::MakeAppend(
        stream, ExpectedVersion::Any(),
        {testing::MakeEvent(std::string(type), message.SerializeAsString())});
    return store_->Append(std::move(append)).value().first_position;
  }

  // Waits until every projection has applied the whole log.
  void CatchUp() {
    const uint64_t head = store_->GetHead().next_position;
    for (const char* name :
         {kAppointmentsProjection, kOwnershipProjection, kSpendingProjection,
          kDecisionsProjection, kConcernsProjection, kContributionsProjection,
          kTimelineProjection}) {
      ASSERT_TRUE(projections_->Find(name)
                      ->WaitFor(head, absl::Now() + absl::Seconds(30))
                      .ok());
    }
  }

  void Person(const std::string& id, const std::string& name) {
    v1::PersonRegistered person;
    person.set_name(name);
    Append("ifg/person/" + id, domain::EventType::kPersonRegistered, person);
  }
  void Post(const std::string& id, const std::string& name,
            const std::string& rank) {
    v1::PostCreated post;
    post.mutable_organisation()->set_stream("ifg/organisation/hmt");
    post.set_name(name);
    post.set_rank(rank);
    post.set_rank_value(rank == "PM" ? 1 : 3);
    Append("ifg/post/" + id, domain::EventType::kPostCreated, post);
  }
  uint64_t Appoint(const std::string& id, const std::string& person,
                   const std::string& post, v1::Date start,
                   std::optional<v1::Date> end) {
    v1::AppointmentMade made;
    made.mutable_person()->set_stream("ifg/person/" + person);
    made.mutable_post()->set_stream("ifg/post/" + post);
    *made.mutable_start() = start;
    if (end) *made.mutable_end() = *end;
    return Append("ifg/appointment/" + id, domain::EventType::kAppointmentMade,
                  made);
  }

  std::vector<std::string> HoldersOn(const v1::Date& on,
                                     uint64_t as_of = UINT64_MAX) {
    AppointmentsView view(store_.get(), as_of);
    v1::GovernmentOnRequest request;
    *request.mutable_on() = on;
    v1::GovernmentOnResponse response = view.GovernmentOn(request).value();
    std::vector<std::string> holders;
    for (const v1::PostOn& post : response.posts()) {
      for (const v1::PostHolding& h : post.holders()) {
        holders.push_back(absl::StrCat(post.post_name(), ": ", h.person_name(),
                                       h.acting() ? " (acting)" : "",
                                       h.on_leave() ? " (on leave)" : ""));
      }
    }
    return holders;
  }

  // SHA-256 over every key and value of a projection's family.
  std::string Digest(const std::string& name) {
    std::string all;
    EXPECT_TRUE(
        store_
            ->ScanProjection(name, "", "",
                             [&](absl::string_view k, absl::string_view v) {
                               absl::StrAppend(&all, k.size(), ":", k, v.size(),
                                               ":", v);
                               return true;
                             })
            .ok());
    Digest256 digest = Sha256(all);
    return std::string(DigestView(digest));
  }
  using Digest256 = decltype(Sha256(""));

  // A small record of decisions, a concern about one of them, a reversal
  // and two contribution claims (one backed by a decision), the Secretary
  // of State in post throughout: what the decisions, concerns,
  // contributions and timeline views are asked about. Returns the
  // reversal's position.
  uint64_t RecordDecisionsAndConcerns() {
    Person("p", "Jane Doe");
    Post("sos", "Secretary of State", "SoS");
    Appoint("a", "p", "sos", Day(2024, 7, 5), std::nullopt);
    const auto decide = [&](const std::string& id, const std::string& forum,
                            v1::DecisionLevel level, v1::Date on,
                            const std::string& about) {
      v1::DecisionRecorded d;
      d.set_title("Decision " + id);
      d.set_decision("Do " + id);
      d.set_forum(forum);
      d.set_level(level);
      d.add_decided_by()->mutable_post()->set_stream("ifg/post/sos");
      d.add_missions()->set_stream("dhsc/mission/nhs");
      *d.mutable_decided_on() = on;
      if (!about.empty()) d.mutable_about()->set_stream(about);
      return Append("dhsc/decision/" + id, domain::EventType::kDecisionRecorded,
                    d);
    };
    decide("d1", "Board", v1::DECISION_LEVEL_DEPARTMENT, Day(2025, 1, 6), "");
    decide("d2", "Cabinet", v1::DECISION_LEVEL_CENTRE, Day(2025, 2, 1), "");
    v1::ConcernRaised raised;
    raised.mutable_about()->set_stream("dhsc/decision/d1");
    raised.set_summary("Staffing");
    raised.mutable_raised_by()->mutable_organisation()->set_stream(
        "nhse/organisation/nhse");
    raised.add_raised_to()->mutable_post()->set_stream("ifg/post/sos");
    raised.set_severity(v1::SEVERITY_HIGH);
    *raised.mutable_raised_on() = Day(2025, 2, 3);
    *raised.mutable_respond_by() = Day(2025, 3, 3);
    Append("dhsc/concern/c1", domain::EventType::kConcernRaised, raised);
    // Decided while the concern about d1 was open, and about d1.
    decide("d3", "Board", v1::DECISION_LEVEL_DEPARTMENT, Day(2025, 2, 20),
           "dhsc/decision/d1");
    v1::DecisionReversed reversed;
    reversed.set_reason("Unaffordable");
    *reversed.mutable_valid_from() = Day(2025, 4, 1);
    const uint64_t reversal = Append(
        "dhsc/decision/d2", domain::EventType::kDecisionReversed, reversed);
    v1::ConcernClosed closed;
    closed.mutable_by()->mutable_organisation()->set_stream(
        "dhsc/organisation/dhsc");
    closed.set_resolution("Rota revised");
    *closed.mutable_on() = Day(2025, 5, 1);
    Append("dhsc/concern/c1", domain::EventType::kConcernClosed, closed);
    v1::ContributionClaimed bare;
    bare.mutable_mission()->set_stream("dhsc/mission/nhs");
    bare.mutable_by()->set_stream("dfe/organisation/dfe");
    bare.set_claim("Nurses trained");
    Append("dfe/contribution/k1", domain::EventType::kContributionClaimed,
           bare);
    v1::ContributionClaimed backed = bare;
    backed.add_decisions()->set_stream("dhsc/decision/d1");
    Append("dfe/contribution/k2", domain::EventType::kContributionClaimed,
           backed);
    CatchUp();
    return reversal;
  }

  testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ProjectionSet> projections_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_PROJECTIONS_PROJECTIONS_FIXTURE_H_
