// The timeline view: everything about a subject, in order, with the field
// that referred to it.
#include "tests/projections/projections_fixture.h"

namespace missionlog {
namespace {

TEST_F(ProjectionsTest, EverythingAboutASubjectInOrder) {
  RecordDecisionsAndConcerns();
  TimelineView timeline(store_.get(), UINT64_MAX);
  v1::TimelineRequest about_d1;
  about_d1.set_subject("dhsc/decision/d1");
  v1::TimelineResponse entries = timeline.Timeline(about_d1).value();
  std::vector<std::string> seen;
  for (const v1::TimelineEntry& e : entries.entries()) {
    seen.push_back(e.stream() + " " + e.via());
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{
                "dhsc/decision/d1 ", "dhsc/concern/c1 about",
                "dhsc/decision/d3 about", "dfe/contribution/k2 decisions[0]"}));
}

}  // namespace
}  // namespace missionlog
