// The Inquiry service through the real missionlogd, after importing the
// full IfG Ministers Database and HM Treasury's spending from data/:
// well-known facts, "who was in government on D" against the CSV itself,
// reading your own writes, and exact totals after a kill -9 during a
// projection's catch-up.
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/client.h"
#include "clients/import/csv_reader.h"
#include "clients/import/fields.h"
#include "clients/import/import_runner.h"
#include "clients/import/importers.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/spending.pb.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

const std::string kData = DEMO_DATA;

v1::Date Day(const std::string& text) { return ParseIsoDate(text).value(); }

class InquiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
    client_ = Client::Connect(server_->address());
  }

  void Import(absl::StatusOr<ImportPlan> plan) {
    ASSERT_TRUE(plan.ok()) << plan.status();
    absl::StatusOr<ImportSummary> summary =
        RunImport(client_.get(), *std::move(plan), nullptr);
    ASSERT_TRUE(summary.ok()) << summary.status();
    ASSERT_EQ(summary->events_rejected, 0u);
  }

  uint64_t Head() { return client_->GetHead().value().next_position(); }

  // (person, post) streams holding office on `on`, per the projection.
  std::set<std::pair<std::string, std::string>> Government(
      const std::string& on) {
    v1::GovernmentOnRequest request;
    *request.mutable_on() = Day(on);
    request.mutable_options()->set_min_position(Head());
    absl::StatusOr<v1::GovernmentOnResponse> response =
        client_->GovernmentOn(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::set<std::pair<std::string, std::string>> pairs;
    if (!response.ok()) return pairs;
    for (const v1::PostOn& post : response->posts()) {
      for (const v1::PostHolding& h : post.holders()) {
        pairs.insert({h.person(), post.post()});
      }
    }
    return pairs;
  }

  std::string Holder(const std::string& on, const std::string& post_name) {
    v1::GovernmentOnRequest request;
    *request.mutable_on() = Day(on);
    request.set_post_name_contains(post_name);
    request.mutable_options()->set_min_position(Head());
    absl::StatusOr<v1::GovernmentOnResponse> response =
        client_->GovernmentOn(request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> names;
    for (const v1::PostOn& post : response->posts()) {
      if (post.post_name() != post_name) continue;
      for (const v1::PostHolding& h : post.holders()) {
        names.push_back(h.person_name());
      }
    }
    return absl::StrJoin(names, " + ");
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

// The IfG CSV's own answer: appointment rows with start <= D < end.
std::set<std::pair<std::string, std::string>> FromCsv(const std::string& on) {
  std::ifstream file(kData + "/ifg-ministers/appointment.csv");
  std::stringstream text;
  text << file.rdbuf();
  const std::string csv_text = text.str();
  CsvTable csv(csv_text);
  const int person = csv.Column("person_id"), post = csv.Column("post_id");
  const int start = csv.Column("start_date"), end = csv.Column("end_date");
  std::set<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> fields;
  int line = 0;
  while (csv.Next(&fields, &line)) {
    const std::string& s = CsvTable::Field(fields, start);
    const std::string& e = CsvTable::Field(fields, end);
    if (s <= on && (e.empty() || on < e)) {
      pairs.insert({"ifg/person/" + CsvTable::Field(fields, person),
                    "ifg/post/" + CsvTable::Field(fields, post)});
    }
  }
  return pairs;
}

TEST_F(InquiryTest, WellKnownFactsAndGovernmentOnMatchesTheCsv) {
  Import(PlanIfgMinisters(kData + "/ifg-ministers"));
  EXPECT_EQ(Holder("2023-01-01", "Chancellor of the Exchequer"), "Jeremy Hunt");
  EXPECT_EQ(Holder("2022-09-06", "Chancellor of the Exchequer"),
            "Kwasi Kwarteng");
  EXPECT_EQ(Holder("2024-07-05", "Chancellor of the Exchequer"),
            "Rachel Reeves");
  EXPECT_EQ(Holder("2022-10-24", "Prime Minister"), "Liz Truss");
  EXPECT_EQ(Holder("2022-10-25", "Prime Minister"), "Rishi Sunak");
  EXPECT_EQ(Holder("2019-07-24", "Prime Minister"), "Boris Johnson");
  EXPECT_EQ(Holder("2016-07-13", "Prime Minister"), "Theresa May");
  EXPECT_EQ(Holder("2010-05-12", "Prime Minister"), "David Cameron");
  EXPECT_EQ(Holder("1997-05-03", "Prime Minister"), "Tony Blair");
  EXPECT_EQ(Holder("1990-11-27", "Prime Minister"), "Margaret Thatcher");
  EXPECT_EQ(Holder("1990-11-28", "Prime Minister"), "John Major");
  EXPECT_EQ(
      Holder("2024-12-05", "Secretary of State for Health and Social Care"),
      "Wes Streeting");
  for (const char* on : {"1979-05-05", "1997-05-03", "2010-05-12", "2016-07-14",
                         "2022-10-24", "2023-01-01", "2024-07-06"}) {
    const auto expected = FromCsv(on);
    EXPECT_GT(expected.size(), 20u) << on;
    EXPECT_EQ(Government(on), expected) << on;
  }
}

TEST_F(InquiryTest, AQueryReadsItsOwnWriteAndAnswersAsOfEarlier) {
  Import(PlanIfgMinisters(kData + "/ifg-ministers"));
  const uint64_t before = Head();
  // Record that Jeremy Hunt's appointment ended early (a correction).
  v1::GovernmentOnRequest request;
  *request.mutable_on() = Day("2023-06-01");
  request.set_post_name_contains("Chancellor of the Exchequer");
  request.mutable_options()->set_min_position(before);
  v1::GovernmentOnResponse was = client_->GovernmentOn(request).value();
  ASSERT_EQ(was.posts_size(), 1);
  ASSERT_EQ(was.posts(0).holders_size(), 1);
  const std::string appointment = was.posts(0).holders(0).appointment();
  v1::EndAppointmentRequest end;
  end.mutable_command()->set_stream(appointment);
  end.mutable_command()->set_command_id("correction-1");
  *end.mutable_event()->mutable_end() = Day("2023-05-01");
  absl::StatusOr<v1::CommandResult> written =
      client_->Command("EndAppointment", end);
  ASSERT_TRUE(written.ok()) << written.status();
  // Without options, an answer covers every event committed before it.
  v1::GovernmentOnRequest plain = request;
  plain.clear_options();
  v1::GovernmentOnResponse seen = client_->GovernmentOn(plain).value();
  EXPECT_EQ(seen.posts_size(), 0);
  EXPECT_GT(seen.info().position(), written->position());
  // Or name the position: wait for the projection to pass it.
  request.mutable_options()->set_min_position(written->position() + 1);
  v1::GovernmentOnResponse now = client_->GovernmentOn(request).value();
  EXPECT_EQ(now.posts_size(), 0);
  EXPECT_GT(now.info().position(), written->position());
  // As the record stood before the correction.
  request.mutable_options()->set_as_of_position(before);
  v1::GovernmentOnResponse then = client_->GovernmentOn(request).value();
  ASSERT_EQ(then.posts_size(), 1);
  EXPECT_EQ(then.posts(0).holders(0).person_name(), "Jeremy Hunt");
}

TEST_F(InquiryTest, BadQueriesNameTheField) {
  v1::GovernmentOnRequest no_date;
  EXPECT_EQ(client_->GovernmentOn(no_date).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::WhoOwnedRequest bad_date;
  bad_date.set_subject("dhsc/mission/nhs");
  bad_date.mutable_on()->set_year(2023);
  bad_date.mutable_on()->set_month(2);
  bad_date.mutable_on()->set_day(30);
  absl::Status status = client_->WhoOwned(bad_date).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), "on: 2023-2-30 is not a real date");
  v1::SpendingRequest no_filter;
  EXPECT_EQ(client_->Spending(no_filter).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->RebuildProjection("nonsense").status().code(),
            absl::StatusCode::kNotFound);
}

// Expected HMT totals per month, computed from the import plan itself.
std::map<std::string, int64_t> PlannedIncurred(const ImportPlan& plan) {
  std::map<std::string, int64_t> months;
  for (const auto& phase : plan.phases) {
    for (const v1::AppendRequest& append : phase) {
      for (const v1::EventData& event : append.events()) {
        v1::SpendIncurred spend;
        spend.ParseFromString(event.data());
        months[absl::StrFormat("%04d-%02d", spend.paid_on().year(),
                               spend.paid_on().month())] +=
            spend.amount().minor_units();
      }
    }
  }
  return months;
}

TEST_F(InquiryTest, AKillDuringCatchUpLeavesNoDoubleCount) {
  absl::StatusOr<ImportPlan> plan =
      PlanSpend25k({kData + "/hmt-spend-25k"}, "");
  ASSERT_TRUE(plan.ok());
  const std::map<std::string, int64_t> expected = PlannedIncurred(*plan);
  Import(*std::move(plan));
  for (int round = 0; round < 3; ++round) {
    // Start a rebuild and kill the server while it replays (wherever it
    // has got to: the assertion below holds for any point).
    ASSERT_TRUE(client_->RebuildProjection("spending").ok());
    ASSERT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
    server_ = testing::ServerProcess::Start(dir_.Sub("data"));
    ASSERT_NE(server_, nullptr);
    client_ = Client::Connect(server_->address());
  }
  v1::SpendingRequest request;
  request.set_organisation("hmt");
  request.mutable_options()->set_min_position(Head());
  absl::StatusOr<v1::SpendingResponse> response = client_->Spending(request);
  ASSERT_TRUE(response.ok()) << response.status();
  std::map<std::string, int64_t> months;
  for (const v1::SpendingRow& row : response->rows()) {
    if (!row.month().empty()) months[row.month()] += row.incurred();
  }
  EXPECT_EQ(months, expected);
}

}  // namespace
}  // namespace missionlog
