// The importers on small excerpts of the real files (tests/data/import/,
// copied from data/ with the rows named in each test), without a server:
// what each plan would append, and every row it skips, with its reason.
#include "clients/import/importers.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/import/fields.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/domain/spending.pb.h"

namespace missionlog {
namespace {

const std::string kData = IMPORT_TESTDATA;

struct Planned {
  std::string stream;
  size_t phase;
  v1::EventData event;
};

std::vector<Planned> EventsOf(const ImportPlan& plan, const std::string& type) {
  std::vector<Planned> found;
  for (size_t phase = 0; phase < plan.phases.size(); ++phase) {
    for (const v1::AppendRequest& append : plan.phases[phase]) {
      for (const v1::EventData& event : append.events()) {
        if (event.type() == type) {
          found.push_back(Planned{append.stream(), phase, event});
        }
      }
    }
  }
  return found;
}

template <typename M>
M Decode(const Planned& planned) {
  M message;
  EXPECT_TRUE(message.ParseFromString(planned.event.data()));
  return message;
}

bool Skipped(const ImportPlan& plan, const std::string& file_suffix, int line,
             const std::string& reason_part) {
  for (const SkippedRow& row : plan.skipped) {
    if (absl::EndsWith(row.file, file_suffix) && row.line == line &&
        absl::StrContains(row.reason, reason_part)) {
      return true;
    }
  }
  return false;
}

TEST(IfgImportTest, ExcerptBecomesOrganisationsPeoplePostsAppointments) {
  absl::StatusOr<ImportPlan> plan = PlanIfgMinisters(kData + "/ifg");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(EventsOf(*plan, "missionlog.organisation.registered.v1").size(),
            7u);
  EXPECT_EQ(EventsOf(*plan, "missionlog.post.created.v1").size(), 5u);
  // Six people; Lord Mandelson and Louise Sandher-Jones changed names.
  EXPECT_EQ(EventsOf(*plan, "missionlog.person.registered.v1").size(), 6u);
  std::vector<Planned> renamed =
      EventsOf(*plan, "missionlog.person.renamed.v1");
  ASSERT_EQ(renamed.size(), 2u);
  // Rachel Reeves, Chancellor of the Exchequer from 2024-07-05, ongoing.
  std::vector<Planned> made = EventsOf(*plan, "missionlog.appointment.made.v1");
  ASSERT_EQ(made.size(), 4u);  // five rows, one with end before start
  const v1::AppointmentMade reeves = Decode<v1::AppointmentMade>(made[0]);
  EXPECT_EQ(made[0].stream,
            "ifg/appointment/75a9bfc6-a9dc-448c-b6aa-32a35eaabdc4");
  EXPECT_EQ(reeves.post().stream(),
            "ifg/post/a9190617-c45a-49dd-a6ad-77abb6b36815");
  EXPECT_EQ(reeves.start().year(), 2024);
  EXPECT_EQ(reeves.start().day(), 5);
  EXPECT_FALSE(reeves.has_end());
  // Referenced streams come in earlier phases than their referrers.
  EXPECT_EQ(made[0].phase, 2u);
  EXPECT_EQ(EventsOf(*plan, "missionlog.post.created.v1")[0].phase, 1u);
  EXPECT_EQ(EventsOf(*plan, "missionlog.organisation.registered.v1")[0].phase,
            0u);
  // Acting and on-leave periods are kept.
  bool acting = false, on_leave = false;
  for (const Planned& p :
       EventsOf(*plan, "missionlog.appointment.characteristics_recorded.v1")) {
    auto c = Decode<v1::AppointmentCharacteristicsRecorded>(p);
    acting |= c.acting();
    on_leave |= c.on_leave() && !c.leave_reason().empty();
  }
  EXPECT_TRUE(acting);
  EXPECT_TRUE(on_leave);
  // The Department for Constitutional Affairs merged into the Ministry of
  // Justice; its predecessor changed name into it.
  std::vector<Planned> merged =
      EventsOf(*plan, "missionlog.organisation.merged.v1");
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(Decode<v1::OrganisationMerged>(merged[0]).into().stream(),
            "ifg/organisation/2d033e00-cba8-484d-b06a-c84d1d0b5d8b");
  bool changed_name = false;
  for (const Planned& p :
       EventsOf(*plan, "missionlog.organisation.closed.v1")) {
    changed_name |=
        Decode<v1::OrganisationClosed>(p).status() == "changed_name";
  }
  EXPECT_TRUE(changed_name);
  // The row with its end before its start is reported with its line, and
  // so is its characteristics row.
  EXPECT_TRUE(
      Skipped(*plan, "appointment.csv", 3,
              "end_date 2025-05-14 is not after start_date 2025-09-01"));
  EXPECT_EQ(plan->skipped.size(), 2u);
}

TEST(IfgImportTest, SameFilesSameEventIds) {
  absl::StatusOr<ImportPlan> a = PlanIfgMinisters(kData + "/ifg");
  absl::StatusOr<ImportPlan> b = PlanIfgMinisters(kData + "/ifg");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->phases.size(), b->phases.size());
  for (size_t i = 0; i < a->phases.size(); ++i) {
    ASSERT_EQ(a->phases[i].size(), b->phases[i].size());
    for (size_t k = 0; k < a->phases[i].size(); ++k) {
      EXPECT_EQ(a->phases[i][k].SerializeAsString(),
                b->phases[i][k].SerializeAsString());
    }
  }
}

TEST(IfgImportTest, MissingFileIsNotFound) {
  absl::StatusOr<ImportPlan> plan = PlanIfgMinisters(kData + "/nowhere");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kNotFound);
}

TEST(SpendImportTest, AmountsToThePennyAndEveryBadRowReported) {
  absl::StatusOr<ImportPlan> plan =
      PlanSpend25k({kData + "/spend/excerpt.csv"}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->rows_read, 14u);
  std::vector<Planned> spent =
      EventsOf(*plan, "missionlog.spending.spend_incurred.v1");
  ASSERT_EQ(spent.size(), 10u);
  std::vector<int64_t> pence;
  for (const Planned& p : spent) {
    pence.push_back(Decode<v1::SpendIncurred>(p).amount().minor_units());
  }
  // Grouped by month stream, in file order within a month.
  EXPECT_NE(std::find(pence.begin(), pence.end(), 396155151), pence.end());
  EXPECT_NE(std::find(pence.begin(), pence.end(), 800000000), pence.end());
  EXPECT_NE(std::find(pence.begin(), pence.end(), -965021), pence.end());
  EXPECT_NE(std::find(pence.begin(), pence.end(), -2500000), pence.end());
  EXPECT_NE(std::find(pence.begin(), pence.end(), 10200000), pence.end());
  EXPECT_NE(std::find(pence.begin(), pence.end(), 12000000), pence.end());
  const v1::SpendIncurred first = Decode<v1::SpendIncurred>(spent[0]);
  EXPECT_EQ(spent[0].stream, "hmt/spend/2023-01");
  EXPECT_EQ(first.supplier(), "Government Property Agency");
  EXPECT_EQ(first.amount().currency(), "GBP");
  EXPECT_EQ(first.entity(), "HMT");
  EXPECT_EQ(first.paid_on().day(), 1);
  EXPECT_EQ(first.source_row(), "spend-25k excerpt.csv line 2");
  EXPECT_TRUE(Skipped(*plan, "excerpt.csv", 10, "a repeated header row"));
  EXPECT_TRUE(Skipped(*plan, "excerpt.csv", 13, "Date: blank date"));
  EXPECT_TRUE(Skipped(*plan, "excerpt.csv", 14,
                      "more than two decimal places (not rounded)"));
  EXPECT_TRUE(Skipped(*plan, "excerpt.csv", 15, "Supplier: blank"));
  EXPECT_EQ(plan->skipped.size(), 4u);
  ASSERT_EQ(plan->notes.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(plan->notes[0], "2 amounts had U+FFFD"));
}

TEST(SpendImportTest, OrganisationFlagNamesTheStreams) {
  absl::StatusOr<ImportPlan> plan =
      PlanSpend25k({kData + "/spend"}, "hm-treasury");
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const Planned& p :
       EventsOf(*plan, "missionlog.spending.spend_incurred.v1")) {
    EXPECT_TRUE(absl::StartsWith(p.stream, "hm-treasury/spend/")) << p.stream;
  }
}

TEST(SpendImportTest, NotASpendFileIsRefused) {
  absl::StatusOr<ImportPlan> plan =
      PlanSpend25k({kData + "/ifg/person.csv"}, "");
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OcdsImportTest, TendersBecomeBudgetsAndAwardsCommitments) {
  absl::StatusOr<ImportPlan> plan = PlanOcds({kData + "/ocds"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<Planned> budgets =
      EventsOf(*plan, "missionlog.spending.budget_allocated.v1");
  ASSERT_EQ(budgets.size(), 3u);  // a record, a release, the constructed one
  bool met_office = false;
  for (const Planned& p : budgets) {
    auto budget = Decode<v1::BudgetAllocated>(p);
    if (p.stream ==
        "met-office/budget/ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b") {
      met_office = true;
      EXPECT_EQ(budget.amount().minor_units(), 46450000);
      EXPECT_EQ(budget.fiscal_year(), "2014-15");
      EXPECT_EQ(budget.from().stream(), "met-office/organisation/met-office");
    }
  }
  EXPECT_TRUE(met_office);
  std::vector<Planned> awards =
      EventsOf(*plan, "missionlog.spending.spend_committed.v1");
  ASSERT_EQ(awards.size(), 1u);  // one cancelled, one with 3 decimals
  auto award = Decode<v1::SpendCommitted>(awards[0]);
  EXPECT_EQ(award.amount().minor_units(), 396155151);
  EXPECT_EQ(award.ocid(), "ocds-test-0001");
  EXPECT_EQ(award.supplier(), "Example Lighting Ltd");
  EXPECT_EQ(award.period_end().year(), 2027);
  EXPECT_EQ(award.budget().stream(),
            "example-borough-council/budget/ocds-test-0001");
  bool precise = false;
  for (const SkippedRow& row : plan->skipped) {
    precise |= absl::StrContains(row.reason, "award-3: value.amount: 10.005");
  }
  EXPECT_TRUE(precise);
}

// Every event of a plan, in order: stream, type, id and payload bytes.
std::string Serialized(const ImportPlan& plan) {
  std::string out;
  for (const auto& phase : plan.phases) {
    for (const v1::AppendRequest& append : phase) {
      for (const v1::EventData& event : append.events()) {
        absl::StrAppend(&out, append.stream(), "\n", event.type(), "\n",
                        event.id(), "\n", event.data(), "\n");
      }
    }
  }
  return out;
}

// The budgets a plan allocates, by stream: (buyer's stream, amount, status).
std::map<std::string, std::tuple<std::string, int64_t, std::string>> Budgets(
    const ImportPlan& plan) {
  std::map<std::string, std::tuple<std::string, int64_t, std::string>> out;
  for (const Planned& p :
       EventsOf(plan, "missionlog.spending.budget_allocated.v1")) {
    auto budget = Decode<v1::BudgetAllocated>(p);
    out[p.stream] = {budget.from().stream(), budget.amount().minor_units(),
                     budget.tender_status()};
  }
  return out;
}

TEST(OcdsImportTest, CopiesOfOneReleaseAreOneReleaseInEitherOrder) {
  const std::string dir = kData + "/ocds-copies/";
  const std::string v11 =
      dir +
      "ocds-b5fd17-2c391a7a-adc8-11e6-9901-0019b9f3037b-59431-bath-swce-"
      "9fdjpf.json";
  const std::string old_style =
      dir +
      "ocds-b5fd17-2c391a7a-adc8-11e6-9901-0019b9f3037b-ocds-b5fd17-2c391a7a-"
      "adc8-11e6-9901-0019b9f3037b-59431-bath-swce-9fdjpf.json";
  absl::StatusOr<ImportPlan> forward = PlanOcds({v11, old_style});
  absl::StatusOr<ImportPlan> backward = PlanOcds({old_style, v11});
  ASSERT_TRUE(forward.ok()) << forward.status();
  ASSERT_TRUE(backward.ok()) << backward.status();
  EXPECT_EQ(Serialized(*forward), Serialized(*backward));
  const auto budgets = Budgets(*forward);
  ASSERT_EQ(budgets.size(), 1u);
  const auto& [buyer, amount, status] = budgets.begin()->second;
  EXPECT_EQ(buyer,
            "bath-and-north-east-somerset-council/organisation/"
            "bath-and-north-east-somerset-council");
  EXPECT_EQ(amount, 2000000000);  // GBP 20,000,000.00
  EXPECT_EQ(status, "unsuccessful");
  EXPECT_TRUE(
      EventsOf(*forward, "missionlog.organisation.registered.v1").size() == 1);
  for (const ImportPlan* plan : {&*forward, &*backward}) {
    EXPECT_TRUE(Skipped(*plan, "-59431-bath-swce-9fdjpf.json", 0,
                        "is published more than once; this copy (buyer "
                        "'Spend Network') is not used"));
    EXPECT_TRUE(Skipped(*plan, "-59431-bath-swce-9fdjpf.json", 0,
                        "because its buyer.id resolves in parties"));
  }
}

TEST(OcdsImportTest, TheDemoDataGivesOneResultInAnyOrderAndTwice) {
  const std::string records = std::string(DEMO_DATA) + "/ocds/records";
  const std::string releases = std::string(DEMO_DATA) + "/ocds/releases";
  absl::StatusOr<ImportPlan> one = PlanOcds({records, releases});
  absl::StatusOr<ImportPlan> other = PlanOcds({releases, records});
  absl::StatusOr<ImportPlan> twice =
      PlanOcds({releases, records, releases, records});
  ASSERT_TRUE(one.ok() && other.ok() && twice.ok());
  EXPECT_EQ(Serialized(*one), Serialized(*other));
  EXPECT_EQ(Serialized(*one), Serialized(*twice));
  // The three ocids whose older copies name Spend Network (their
  // publisher) as the buyer are the councils' (their OCDS 1.1 copies).
  const auto budgets = Budgets(*one);
  const auto buyer_of = [&](const std::string& ocid) {
    for (const auto& [stream, budget] : budgets) {
      if (absl::EndsWith(stream, ocid)) return std::get<0>(budget);
    }
    return std::string("none");
  };
  const std::string bath =
      "bath-and-north-east-somerset-council/organisation/"
      "bath-and-north-east-somerset-council";
  EXPECT_EQ(buyer_of("ocds-b5fd17-2c391a7a-adc8-11e6-9901-0019b9f3037b"), bath);
  EXPECT_EQ(buyer_of("ocds-b5fd17-2c489619-adc8-11e6-9901-0019b9f3037b"), bath);
  EXPECT_EQ(buyer_of("ocds-b5fd17-2c470411-adc8-11e6-9901-0019b9f3037b"),
            "devon-county-council/organisation/devon-county-council");
}

// An independent reading of the demo OCDS files: per ocid, the OCDS 1.1
// release (buyer.id in parties) with the latest date; its tender value in
// pence must be the plan's budget, with its buyer.
TEST(OcdsImportTest, AgreesWithAnIndependentReadingOfTheFiles) {
  std::map<std::string, std::tuple<std::string, std::string, int64_t>>
      expected;  // ocid -> (date, buyer name, pence)
  for (const char* dir : {"/ocds/releases/", "/ocds/records/"}) {
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(DEMO_DATA) + dir)) {
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      google::protobuf::Struct root;
      ASSERT_TRUE(
          google::protobuf::util::JsonStringToMessage(text.str(), &root).ok());
      std::vector<const google::protobuf::Struct*> releases;
      const auto& f = root.fields();
      if (f.count("releases")) {
        for (const auto& r : f.at("releases").list_value().values()) {
          releases.push_back(&r.struct_value());
        }
      }
      if (f.count("records")) {
        for (const auto& record : f.at("records").list_value().values()) {
          const auto& rf = record.struct_value().fields();
          if (!rf.count("releases")) continue;
          for (const auto& r : rf.at("releases").list_value().values()) {
            releases.push_back(&r.struct_value());
          }
        }
      }
      for (const google::protobuf::Struct* release : releases) {
        const auto& rf = release->fields();
        if (!rf.count("parties") || !rf.count("buyer") || !rf.count("tender")) {
          continue;
        }
        const auto& buyer = rf.at("buyer").struct_value().fields();
        bool valid = false;
        for (const auto& party : rf.at("parties").list_value().values()) {
          valid |= buyer.count("id") &&
                   party.struct_value().fields().at("id").string_value() ==
                       buyer.at("id").string_value();
        }
        const auto& tender = rf.at("tender").struct_value().fields();
        if (!valid || !tender.count("value")) continue;
        const std::string ocid = rf.at("ocid").string_value();
        const std::string date = rf.at("date").string_value();  // all 'Z'
        const double amount = tender.at("value")
                                  .struct_value()
                                  .fields()
                                  .at("amount")
                                  .number_value();
        auto& slot = expected[ocid];
        if (date >= std::get<0>(slot)) {
          slot = {date, buyer.at("name").string_value(),
                  static_cast<int64_t>(std::llround(amount * 100))};
        }
      }
    }
  }
  absl::StatusOr<ImportPlan> plan =
      PlanOcds({std::string(DEMO_DATA) + "/ocds/releases",
                std::string(DEMO_DATA) + "/ocds/records"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto budgets = Budgets(*plan);
  size_t compared = 0;
  for (const auto& [ocid, want] : expected) {
    for (const auto& [stream, got] : budgets) {
      if (!absl::EndsWith(stream, "/budget/" + ocid)) continue;
      EXPECT_EQ(std::get<1>(got), std::get<2>(want)) << ocid;
      EXPECT_TRUE(absl::StartsWith(std::get<0>(got), Slug(std::get<1>(want))))
          << ocid << " " << std::get<0>(got);
      ++compared;
    }
  }
  EXPECT_GE(compared, 9u);
}

TEST(OcdsImportTest, DatesCompareAsInstants) {
  absl::StatusOr<ImportPlan> plan =
      PlanOcds({kData + "/ocds-constructed/offsets.json"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto budgets = Budgets(*plan);
  ASSERT_EQ(budgets.size(), 1u);
  // 09:00Z is later than 10:00+02:00 (08:00Z), though not as text.
  EXPECT_EQ(std::get<1>(budgets.begin()->second), 200000);
}

TEST(OcdsImportTest, AmountsInEachCurrencysMinorUnits) {
  absl::StatusOr<ImportPlan> plan =
      PlanOcds({kData + "/ocds-constructed/currencies.json"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::map<std::string, std::pair<int64_t, std::string>> amounts;
  for (const Planned& p :
       EventsOf(*plan, "missionlog.spending.budget_allocated.v1")) {
    auto budget = Decode<v1::BudgetAllocated>(p);
    amounts[p.stream.substr(p.stream.rfind('/') + 1)] = {
        budget.amount().minor_units(), budget.amount().currency()};
  }
  EXPECT_EQ(amounts.size(), 2u);
  EXPECT_EQ(amounts["ocds-test-jpy"],
            std::make_pair(int64_t{1500000}, std::string("JPY")));
  EXPECT_EQ(amounts["ocds-test-kwd"],
            std::make_pair(int64_t{12345}, std::string("KWD")));
  EXPECT_TRUE(Skipped(*plan, "currencies.json", 0,
                      "ocds-test-gbp: tender.value.amount: 12.345 has more "
                      "decimals than GBP's 2"));
  EXPECT_TRUE(Skipped(*plan, "currencies.json", 0,
                      "ocds-test-xyz: tender.value.amount: currency 'XYZ'"));
}

TEST(GovukImportTest, TheFebruary2023SplitBecomesEvents) {
  absl::StatusOr<ImportPlan> plan =
      PlanGovukOrgs(kData + "/govuk/organisations-2023-02-01.json",
                    kData + "/govuk/organisations-2023-03-01.json", "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  // New organisations, dated by the period between the snapshots (the
  // files say only that they appeared in between).
  std::vector<std::string> new_departments;
  for (const Planned& p :
       EventsOf(*plan, "missionlog.organisation.registered.v1")) {
    auto org = Decode<v1::OrganisationRegistered>(p);
    if (org.has_valid_from()) {
      new_departments.push_back(org.short_name().empty() ? org.name()
                                                         : org.short_name());
      // From the earlier file's latest update (30 Nov 2022 in this
      // excerpt) to the department's own first publication (7 Feb on).
      EXPECT_TRUE(org.has_not_before());
      EXPECT_EQ(FormatDate(org.not_before()), "2022-11-30");
      EXPECT_GE(FormatDate(org.valid_from()), "2023-02-07");
    }
  }
  EXPECT_EQ(new_departments.size(), 4u);
  // --changed-on asserts one date: exact, no period.
  absl::StatusOr<ImportPlan> asserted = PlanGovukOrgs(
      kData + "/govuk/organisations-2023-02-01.json",
      kData + "/govuk/organisations-2023-03-01.json", "2023-02-07");
  ASSERT_TRUE(asserted.ok());
  for (const Planned& p :
       EventsOf(*asserted, "missionlog.organisation.registered.v1")) {
    auto org = Decode<v1::OrganisationRegistered>(p);
    if (!org.has_valid_from()) continue;
    EXPECT_FALSE(org.has_not_before());
    EXPECT_EQ(org.valid_from().day(), 7);
  }
  // The UK Space Agency moved from BEIS to DSIT.
  bool space = false;
  for (const Planned& p :
       EventsOf(*plan, "missionlog.organisation.parent_changed.v1")) {
    if (p.stream == "govuk/organisation/uk-space-agency") {
      space = Decode<v1::OrganisationParentChanged>(p).parent().stream() ==
              "govuk/organisation/department-for-science-innovation-and-"
              "technology";
    }
  }
  EXPECT_TRUE(space);
  std::vector<Planned> transfers =
      EventsOf(*plan, "missionlog.organisation.functions_transferred.v1");
  ASSERT_FALSE(transfers.empty());
  bool beis_to_dsit = false;
  for (const Planned& p : transfers) {
    auto t = Decode<v1::FunctionsTransferred>(p);
    if (p.stream !=
        "govuk/organisation/"
        "department-for-business-energy-and-industrial-strategy") {
      continue;
    }
    for (const v1::Ref& body : t.bodies()) {
      beis_to_dsit |= body.stream() == "govuk/organisation/uk-space-agency";
    }
  }
  EXPECT_TRUE(beis_to_dsit);
  // The Geffrye Museum became the Museum of the Home (years before; the
  // files say only that it happened by the later snapshot, after none of
  // them: dated by that period, not a false day).
  std::vector<Planned> renamed =
      EventsOf(*plan, "missionlog.organisation.renamed.v1");
  ASSERT_EQ(renamed.size(), 1u);
  auto museum = Decode<v1::OrganisationRenamed>(renamed[0]);
  EXPECT_EQ(museum.name(), "Museum of the Home");
  EXPECT_TRUE(museum.has_not_before());
  EXPECT_EQ(FormatDate(museum.not_before()), "2022-11-30");
  EXPECT_GE(FormatDate(museum.valid_from()), "2022-11-30");
  EXPECT_NE(FormatDate(museum.valid_from()), "2023-02-07");
}

// The whole snapshots in data/, as the readers checked them.
class GovukWholeSnapshotsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<ImportPlan> planned =
        PlanGovukOrgs(std::string(DEMO_DATA) +
                          "/govuk-organisations/organisations-2023-02-01.json",
                      std::string(DEMO_DATA) +
                          "/govuk-organisations/organisations-2023-03-01.json",
                      "");
    ASSERT_TRUE(planned.ok()) << planned.status();
    plan_ = new ImportPlan(*std::move(planned));
  }
  static void TearDownTestSuite() { delete plan_; }

  template <typename M>
  static std::vector<M> On(const std::string& slug, const std::string& type) {
    std::vector<M> found;
    for (const Planned& p : EventsOf(*plan_, type)) {
      if (p.stream == "govuk/organisation/" + slug) {
        found.push_back(Decode<M>(p));
      }
    }
    return found;
  }
  static std::vector<std::string> Streams(
      const google::protobuf::RepeatedPtrField<v1::Ref>& refs) {
    std::vector<std::string> out;
    for (const v1::Ref& ref : refs) out.push_back(ref.stream());
    return out;
  }

  static ImportPlan* plan_;
};
ImportPlan* GovukWholeSnapshotsTest::plan_ = nullptr;

constexpr char kRegistered[] = "missionlog.organisation.registered.v1";
constexpr char kParentChanged[] = "missionlog.organisation.parent_changed.v1";
constexpr char kClosed[] = "missionlog.organisation.closed.v1";
constexpr char kTransferred[] =
    "missionlog.organisation.functions_transferred.v1";

TEST_F(GovukWholeSnapshotsTest, EveryParentIsKept) {
  auto registered = On<v1::OrganisationRegistered>(
      "uk-council-for-internet-safety", kRegistered);
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(Streams(registered[0].parents()),
            (std::vector<std::string>{
                "govuk/organisation/department-for-digital-culture-media-sport",
                "govuk/organisation/department-for-education",
                "govuk/organisation/home-office"}));
  auto changed = On<v1::OrganisationParentChanged>(
      "uk-council-for-internet-safety", kParentChanged);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(Streams(changed[0].parents()),
            (std::vector<std::string>{
                "govuk/organisation/department-for-education",
                "govuk/organisation/home-office",
                "govuk/organisation/"
                "department-for-science-innovation-and-technology"}));
  // BEIS -> DSIT names the Office for AI (BEIS was its second parent).
  bool office_for_ai = false;
  for (const auto& t : On<v1::FunctionsTransferred>(
           "department-for-business-energy-and-industrial-strategy",
           kTransferred)) {
    for (const v1::Ref& body : t.bodies()) {
      office_for_ai |= body.stream() ==
                       "govuk/organisation/office-for-artificial-intelligence";
    }
  }
  EXPECT_TRUE(office_for_ai);
}

TEST_F(GovukWholeSnapshotsTest, TransfersListEveryBodyByReference) {
  // Our own reading of the files: the bodies whose parents lost the old
  // DCMS and gained the new one, counted here from the JSON's fields.
  auto transfers = On<v1::FunctionsTransferred>(
      "department-for-digital-culture-media-sport", kTransferred);
  size_t to_new_dcms = 0;
  for (const auto& t : transfers) {
    if (t.to().stream() ==
        "govuk/organisation/department-for-culture-media-and-sport") {
      to_new_dcms = static_cast<size_t>(t.bodies_size());
      EXPECT_EQ(t.functions(), absl::StrCat("sponsorship of ", to_new_dcms,
                                            " bodies (listed in bodies)"));
    }
  }
  EXPECT_GE(to_new_dcms, 40u);
}

TEST_F(GovukWholeSnapshotsTest, NoRowIsDroppedOrGuessed) {
  // A slug with '_' is registered, its organisation field mapped.
  auto climbie =
      On<v1::OrganisationRegistered>("victoria-climbi_-inquiry", kRegistered);
  ASSERT_EQ(climbie.size(), 1u);
  EXPECT_TRUE(
      absl::StartsWith(climbie[0].organisation(), "victoria-climbi-inquiry-"));
  EXPECT_EQ(climbie[0].external_ids(0), "govuk:victoria-climbi_-inquiry");
  // Closed in both snapshots without closed_at: closed, date unknown.
  auto dti =
      On<v1::OrganisationClosed>("department-of-trade-and-industry", kClosed);
  ASSERT_EQ(dti.size(), 1u);
  EXPECT_TRUE(dti[0].date_unknown());
  EXPECT_EQ(dti[0].valid_from().year(), 2023);  // closed by the snapshot
  EXPECT_EQ(Streams(dti[0].superseded_by()).size(), 2u);
  size_t closed_without_date = 0;
  for (const Planned& p : EventsOf(*plan_, kClosed)) {
    closed_without_date += Decode<v1::OrganisationClosed>(p).date_unknown();
  }
  EXPECT_GE(closed_without_date, 353u);
  // Every organisation of the earlier file is registered.
  EXPECT_EQ(EventsOf(*plan_, kRegistered).size(), 1166u + 4u);
}

TEST_F(GovukWholeSnapshotsTest, SuccessorsFromEitherSide) {
  // Only the successor names it (superseded_organisations).
  auto drd = On<v1::OrganisationClosed>("department-for-regional-development",
                                        kClosed);
  ASSERT_EQ(drd.size(), 1u);
  const std::vector<std::string> successors = Streams(drd[0].superseded_by());
  EXPECT_NE(std::find(successors.begin(), successors.end(),
                      "govuk/organisation/northern-ireland-executive"),
            successors.end());
  auto nhsi = On<v1::OrganisationClosed>("nhs-improvement", kClosed);
  ASSERT_EQ(nhsi.size(), 1u);
  const std::vector<std::string> nhs = Streams(nhsi[0].superseded_by());
  EXPECT_NE(std::find(nhs.begin(), nhs.end(), "govuk/organisation/nhs-england"),
            nhs.end());
}

TEST_F(GovukWholeSnapshotsTest, LongSlugsKeepTheirWholeNameAndAreDistinct) {
  std::set<std::string> fields;
  size_t long_slugs = 0;
  for (const Planned& p : EventsOf(*plan_, kRegistered)) {
    auto org = Decode<v1::OrganisationRegistered>(p);
    EXPECT_TRUE(fields.insert(org.organisation()).second) << org.organisation();
    EXPECT_LE(org.organisation().size(), 64u);
    const std::string slug = p.stream.substr(p.stream.rfind('/') + 1);
    EXPECT_EQ(org.external_ids(0), "govuk:" + slug);
    long_slugs += slug.size() > 64;
  }
  EXPECT_EQ(long_slugs, 20u);
}

// An independent reading of the earlier file, as a reader of the API's
// documentation would: every organisation's parents and closure, compared
// with what the plan registers.
TEST_F(GovukWholeSnapshotsTest, AgreesWithAnIndependentReadingOfTheFile) {
  std::ifstream in(std::string(DEMO_DATA) +
                   "/govuk-organisations/organisations-2023-02-01.json");
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::ListValue list;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(text.str(), &list).ok());
  std::map<std::string, size_t> parents;  // by stream
  std::set<std::string> closed;
  for (const auto& item : list.values()) {
    const auto& fields = item.struct_value().fields();
    const auto& details = fields.at("details").struct_value().fields();
    const std::string stream =
        "govuk/organisation/" + details.at("slug").string_value();
    parents[stream] =
        fields.count("parent_organisations")
            ? static_cast<size_t>(
                  fields.at("parent_organisations").list_value().values_size())
            : 0;
    if (details.count("govuk_status") &&
        details.at("govuk_status").string_value() == "closed") {
      closed.insert(stream);
    }
  }
  ASSERT_EQ(parents.size(), 1166u);
  size_t compared = 0;
  for (const Planned& p : EventsOf(*plan_, kRegistered)) {
    auto org = Decode<v1::OrganisationRegistered>(p);
    if (org.has_valid_from()) continue;  // new in the later file
    ASSERT_TRUE(parents.count(p.stream)) << p.stream;
    const size_t expected = parents[p.stream];
    const size_t planned = org.parents_size() > 0
                               ? static_cast<size_t>(org.parents_size())
                               : (org.has_parent() ? 1 : 0);
    // A parent outside the file cannot be named; none is left out here.
    EXPECT_EQ(planned, expected) << p.stream;
    ++compared;
  }
  EXPECT_EQ(compared, 1166u);
  std::set<std::string> planned_closed;
  for (const Planned& p : EventsOf(*plan_, kClosed)) {
    planned_closed.insert(p.stream);
  }
  for (const std::string& stream : closed) {
    EXPECT_TRUE(planned_closed.count(stream)) << stream << " is not closed";
  }
}

TEST_F(GovukWholeSnapshotsTest, TheSamePlanTwice) {
  absl::StatusOr<ImportPlan> again =
      PlanGovukOrgs(std::string(DEMO_DATA) +
                        "/govuk-organisations/organisations-2023-02-01.json",
                    std::string(DEMO_DATA) +
                        "/govuk-organisations/organisations-2023-03-01.json",
                    "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Serialized(*again), Serialized(*plan_));
}

}  // namespace
}  // namespace missionlog
