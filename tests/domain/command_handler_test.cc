// The one command path, on a real store: a raw append of a domain event is
// as safe as a typed command. Two conflicting transfers of one subject race
// through the handler at once and exactly one is recorded; an append in a
// sequence sees the sequence's earlier append to its stream; an idempotent
// retry is answered with the original position without checking rules its
// original changed.
#include "domain/command_handler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/worker_pool.h"
#include "domain/event_types.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/accountability.pb.h"
#include "missionlog/v1/domain/decisions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "tests/test_util.h"

namespace missionlog {
namespace domain {
namespace {

v1::Owner Organisation(const std::string& slug) {
  v1::Owner owner;
  owner.mutable_organisation()->set_stream(slug + "/organisation/" + slug);
  return owner;
}

void SetDay(v1::Date* date, int day) {
  date->set_year(2025);
  date->set_month(4);
  date->set_day(day);
}

// Waits for one answer.
class Answer {
 public:
  EventLog::AppendCallback Callback() {
    return [this](absl::StatusOr<AppendResult> result) {
      result_ = std::move(result);
      done_.Notify();
    };
  }
  const absl::StatusOr<AppendResult>& Get() {
    done_.WaitForNotification();
    return result_;
  }

 private:
  absl::Notification done_;
  absl::StatusOr<AppendResult> result_ = absl::UnknownError("no answer");
};

class CommandHandlerTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    workers_ = std::make_unique<WorkerPool>(2, 1000);
    handler_ = std::make_unique<CommandHandler>(store_.get(), workers_.get());
    for (const char* slug : {"a", "b", "c"}) {
      v1::OrganisationRegistered registered;
      registered.set_organisation(slug);
      registered.set_name(absl::StrCat("Organisation ", slug));
      registered.set_kind(v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT);
      ASSERT_TRUE(Append(absl::StrCat(slug, "/organisation/", slug),
                         EventType::kOrganisationRegistered, registered)
                      .ok());
    }
  }

  void TearDown() override {
    workers_.reset();  // runs what is queued first
    handler_.reset();
  }

  static AppendRequest Request(const std::string& stream, EventType type,
                               const google::protobuf::Message& message,
                               const std::string& id = "") {
    EventData event;
    event.id = id;
    event.type = std::string(TypeName(type));
    event.content_type = "application/protobuf";
    event.payload = message.SerializeAsString();
    return testing::MakeAppend(stream, ExpectedVersion::Any(), {event});
  }

  absl::StatusOr<AppendResult> Append(const std::string& stream, EventType type,
                                      const google::protobuf::Message& message,
                                      const std::string& id = "") {
    Answer answer;
    handler_->Append(Request(stream, type, message, id), answer.Callback());
    return answer.Get();
  }

  static v1::OwnershipTransferred Transfer(const std::string& from,
                                           const std::string& to) {
    v1::OwnershipTransferred transfer;
    *transfer.mutable_from() = Organisation(from);
    *transfer.mutable_to() = Organisation(to);
    transfer.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    transfer.set_reason("machinery of government change");
    SetDay(transfer.mutable_valid_from(), 2);
    return transfer;
  }

  // Makes `a` the subject's lead organisation.
  void AssignToA(const std::string& subject) {
    v1::OwnerAssigned assigned;
    assigned.set_subject_kind(v1::SUBJECT_KIND_MISSION);
    *assigned.mutable_owner() = Organisation("a");
    assigned.set_role(v1::OWNERSHIP_ROLE_LEAD_ORGANISATION);
    SetDay(assigned.mutable_valid_from(), 1);
    ASSERT_TRUE(Append(subject, EventType::kOwnerAssigned, assigned).ok());
  }

  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<CommandHandler> handler_;
};

TEST_F(CommandHandlerTest, OfTwoConflictingTransfersExactlyOneIsRecorded) {
  constexpr int kSubjects = 20;
  for (int i = 0; i < kSubjects; ++i) {
    AssignToA(absl::StrCat("a/mission/m", i));
  }
  // Both transfers of each subject in flight together: both read the same
  // version and both pass the rules against it; only one may land.
  std::vector<std::unique_ptr<Answer>> to_b, to_c;
  for (int i = 0; i < kSubjects; ++i) {
    const std::string subject = absl::StrCat("a/mission/m", i);
    to_b.push_back(std::make_unique<Answer>());
    to_c.push_back(std::make_unique<Answer>());
    handler_->Append(
        Request(subject, EventType::kOwnershipTransferred, Transfer("a", "b")),
        to_b.back()->Callback());
    handler_->Append(
        Request(subject, EventType::kOwnershipTransferred, Transfer("a", "c")),
        to_c.back()->Callback());
  }
  for (int i = 0; i < kSubjects; ++i) {
    const auto& b = to_b[i]->Get();
    const auto& c = to_c[i]->Get();
    EXPECT_NE(b.ok(), c.ok())
        << "subject " << i << ": " << b.status() << " / " << c.status();
    const absl::Status& refused = b.ok() ? c.status() : b.status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_NE(refused.message().find("is not the current"), std::string::npos)
        << refused;
    // The stream holds the assignment and one transfer.
    EXPECT_EQ(ReadStream(absl::StrCat("a/mission/m", i)).size(), 2u);
  }
}

TEST_F(CommandHandlerTest, ASequencedAppendSeesTheSequencesEarlierAppend) {
  v1::DecisionRecorded recorded;
  recorded.set_title("Fund diagnostic centres");
  recorded.set_decision("Allocate capital");
  recorded.set_forum("Departmental board");
  recorded.set_level(v1::DECISION_LEVEL_DEPARTMENT);
  *recorded.add_decided_by() = Organisation("a");
  SetDay(recorded.mutable_decided_on(), 3);
  v1::DecisionRevised revised;
  revised.set_decision("Allocate capital and revenue");
  revised.set_reason("Costs rose");
  SetDay(revised.mutable_valid_from(), 4);
  // Both in one sequence, back to back: the revision's rule (the stream
  // holds a recorded decision) must see the recording.
  std::shared_ptr<CommandHandler::Sequence> sequence = handler_->NewSequence();
  Answer first, second;
  sequence->Append(
      Request("a/decision/d1", EventType::kDecisionRecorded, recorded),
      first.Callback());
  sequence->Append(
      Request("a/decision/d1", EventType::kDecisionRevised, revised),
      second.Callback());
  ASSERT_TRUE(first.Get().ok()) << first.Get().status();
  ASSERT_TRUE(second.Get().ok()) << second.Get().status();
  EXPECT_EQ(second.Get()->stream_version, 1u);
}

TEST_F(CommandHandlerTest, ARetryIsAnsweredWithTheOriginalPosition) {
  AssignToA("a/mission/m");
  const std::string id = testing::TestUuid(77);
  auto original = Append("a/mission/m", EventType::kOwnershipTransferred,
                         Transfer("a", "b"), id);
  ASSERT_TRUE(original.ok()) << original.status();
  // Checked again, the rules would now refuse it (b owns the subject); a
  // retry with the same id is the same event, answered as before.
  auto retry = Append("a/mission/m", EventType::kOwnershipTransferred,
                      Transfer("a", "b"), id);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, original->first_position);
  // A different event from a (no longer the owner) is refused.
  auto stale = Append("a/mission/m", EventType::kOwnershipTransferred,
                      Transfer("a", "c"));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition)
      << stale.status();
}

}  // namespace
}  // namespace domain
}  // namespace missionlog
