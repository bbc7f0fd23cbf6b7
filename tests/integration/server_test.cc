// The real missionlogd on a free loopback port with a temporary data
// directory, through the real client: round trips, precise errors that
// write nothing, subscriptions (catch-up, caught_up, live) under concurrent
// writers, kill -9 and restart, and graceful shutdown.
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "clients/client.h"
#include "clients/proofs.h"
#include "domain/event_types.h"
#include "gtest/gtest.h"
#include "missionlog/v1/domain/concerns.pb.h"
#include "missionlog/v1/domain/missions.pb.h"
#include "missionlog/v1/domain/organisations.pb.h"
#include "missionlog/v1/domain/people.pb.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "tests/domain_builders.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

namespace missionlog {
namespace {

v1::AppendRequest MakeRequest(const std::string& stream, int events,
                              const std::string& tag) {
  v1::AppendRequest request;
  request.set_stream(stream);
  for (int i = 0; i < events; ++i) {
    v1::EventData* event = request.add_events();
    event->set_type("test.event.v1");
    event->set_source("urn:missionlog:integration");
    event->set_datacontenttype("application/json");
    event->set_data(absl::StrCat("{\"tag\":\"", tag, "\",\"i\":", i, "}"));
  }
  return request;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }

  void StartServer(const std::vector<std::string>& flags = {}) {
    server_ = testing::ServerProcess::Start(dir_.Sub("data"), flags);
    ASSERT_NE(server_, nullptr);
    client_ = Client::Connect(server_->address());
  }

  uint64_t Head() {
    auto head = client_->GetHead();
    EXPECT_TRUE(head.ok()) << head.status();
    return head.ok() ? head->next_position() : 0;
  }

  // Every event `request` reads, in order; its end in `*end` if given.
  std::vector<v1::RecordedEvent> Read(const v1::ReadRequest& request,
                                      Client::ReadEnd* end = nullptr) {
    std::vector<v1::RecordedEvent> events;
    auto ended = client_->Read(request, [&](const v1::ReadResponse& batch) {
      events.insert(events.end(), batch.events().begin(), batch.events().end());
      return true;
    });
    EXPECT_TRUE(ended.ok()) << ended.status();
    if (ended.ok() && end != nullptr) *end = *ended;
    return events;
  }

  // Every event of the log, in order.
  std::vector<v1::RecordedEvent> ReadAll() {
    v1::ReadRequest request;
    request.mutable_all();
    return Read(request);
  }

  // The server's peak memory, with a stalled reader, is within 16 MiB of
  // `baseline_peak` (KiB): far below the 40 MiB backlogs the tests leave
  // unread.
  void ExpectStalledPeakNear(long baseline_peak) {
    const long stalled_peak = server_->PeakResidentKib();
    RecordProperty("baseline_peak_kib", std::to_string(baseline_peak));
    RecordProperty("stalled_peak_kib", std::to_string(stalled_peak));
    EXPECT_LT(stalled_peak - baseline_peak, 16 * 1024)
        << "baseline " << baseline_peak << " KiB, stalled " << stalled_peak
        << " KiB";
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, AppendReadAndInfoRoundTrip) {
  v1::AppendRequest request = MakeRequest("dhsc/decision/2025-014", 3, "a");
  request.mutable_expected_version()->set_kind(v1::ExpectedVersion::NO_STREAM);
  request.mutable_events(0)->mutable_time()->set_seconds(1700000000);
  auto appended = client_->Append(request);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->first_position(), 0u);
  EXPECT_EQ(appended->last_position(), 2u);
  EXPECT_EQ(appended->stream_version(), 2u);

  std::vector<v1::RecordedEvent> events = ReadAll();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].subject(), "dhsc/decision/2025-014");
  EXPECT_EQ(events[0].time().seconds(), 1700000000);
  EXPECT_EQ(events[0].recorded_by(), "anonymous@127.0.0.1");
  EXPECT_EQ(events[2].data(), "{\"tag\":\"a\",\"i\":2}");
  EXPECT_EQ(events[2].leaf_hash().size(), 32u);
  EXPECT_EQ(events[1].id(), request.events(1).id().empty()
                                ? events[1].id()
                                : request.events(1).id());

  v1::ReadRequest backward;
  backward.mutable_stream()->set_stream("dhsc/decision/2025-014");
  backward.mutable_stream()->set_backward(true);
  backward.set_limit(2);
  std::vector<uint64_t> versions;
  for (const v1::RecordedEvent& event : Read(backward)) {
    versions.push_back(event.stream_version());
  }
  EXPECT_EQ(versions, (std::vector<uint64_t>{2, 1}));

  auto info = client_->GetStreamInfo("dhsc/decision/2025-014");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->exists());
  EXPECT_EQ(info->last_version(), 2u);
  EXPECT_EQ(Head(), 3u);
}

TEST_F(ServerTest, RetryWithTheSameIdsIsIdempotent) {
  v1::AppendRequest request = MakeRequest("dft/spend/1", 2, "r");
  request.mutable_events(0)->set_id(NewUuid());
  request.mutable_events(1)->set_id(NewUuid());
  auto first = client_->Append(request);
  auto again = client_->Append(request);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(again->deduplicated());
  EXPECT_EQ(again->first_position(), first->first_position());
  EXPECT_EQ(Head(), 2u);
}

// One domain event as a raw append.
v1::AppendRequest DomainAppend(const std::string& stream,
                               domain::EventType type,
                               const google::protobuf::Message& payload) {
  v1::AppendRequest request;
  request.set_stream(stream);
  v1::EventData* event = request.add_events();
  event->set_type(std::string(domain::TypeName(type)));
  event->set_datacontenttype(absl::StrCat(
      "application/protobuf; proto=", payload.GetDescriptor()->full_name()));
  event->set_data(payload.SerializeAsString());
  return request;
}

// The raw-append tests' record: dhsc registered.
void RegisterDhsc(Client* client) {
  v1::OrganisationRegistered dhsc;
  dhsc.set_organisation("dhsc");
  dhsc.set_name("Department of Health and Social Care");
  dhsc.set_kind(v1::ORGANISATION_KIND_MINISTERIAL_DEPARTMENT);
  ASSERT_TRUE(client
                  ->Append(DomainAppend(
                      "dhsc/organisation/dhsc",
                      domain::EventType::kOrganisationRegistered, dhsc))
                  .ok());
}

v1::MissionDeclared NhsMission(const std::string& lead) {
  v1::MissionDeclared mission;
  mission.set_title("Build an NHS fit for the future");
  mission.set_outcome_statement("Fewer people dying of the biggest killers");
  v1::Target* target = mission.add_targets();
  target->set_id("elective-18-weeks");
  target->set_description("92% of patients treated within 18 weeks");
  mission.mutable_lead_organisation()->set_stream(lead);
  *mission.mutable_valid_from() = testing::Day(2024, 12, 5);
  return mission;
}

TEST_F(ServerTest, RawAppendsOfDomainTypesAreValidated) {
  const uint64_t head = Head();
  // A JSON payload under a domain type: refused, nothing written.
  v1::AppendRequest json = MakeRequest("dhsc/decision/1", 1, "j");
  json.mutable_events(0)->set_type(
      std::string(domain::TypeName(domain::EventType::kDecisionRecorded)));
  auto refused = client_->Append(json);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("does not parse as"),
            std::string::npos)
      << refused.status();
  RegisterDhsc(client_.get());
  // A mission whose lead organisation was never registered.
  auto missing = client_->Append(
      DomainAppend("dhsc/mission/nhs", domain::EventType::kMissionDeclared,
                   NhsMission("nhse/organisation/nhse")));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find(
                "MissionDeclared.lead_organisation: stream "
                "nhse/organisation/nhse does not exist"),
            std::string::npos)
      << missing.status();
  EXPECT_EQ(Head(), head + 1);  // only the organisation
}

TEST_F(ServerTest, PipelinedRawAppendsAreAnsweredInOrder) {
  RegisterDhsc(client_.get());
  const uint64_t head = Head();
  // Results in order, the invalid one alone refused, and the opaque
  // department event after it appended after the valid mission.
  v1::AppendRequest json = MakeRequest("dhsc/decision/1", 1, "j");
  json.mutable_events(0)->set_type(
      std::string(domain::TypeName(domain::EventType::kDecisionRecorded)));
  std::vector<v1::AppendRequest> appends;
  appends.push_back(DomainAppend("dhsc/mission/nhs",
                                 domain::EventType::kMissionDeclared,
                                 NhsMission("dhsc/organisation/dhsc")));
  appends.push_back(json);
  appends.push_back(MakeRequest("dhsc/notes/1", 1, "opaque"));
  auto results = client_->AppendPipelined(appends);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  ASSERT_TRUE((*results)[0].ok()) << (*results)[0].status();
  EXPECT_EQ((*results)[1].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*results)[2].ok()) << (*results)[2].status();
  EXPECT_LT((*results)[0]->first_position(), (*results)[2]->first_position());
  EXPECT_EQ(Head(), head + 2);
}

// A rule on the subject's state: a closed concern takes no response.
TEST_F(ServerTest, RawAppendsMeetTheRulesOnTheSubjectsState) {
  RegisterDhsc(client_.get());
  const auto append = [this](const std::string& stream, domain::EventType type,
                             const google::protobuf::Message& message) {
    return client_->Append(DomainAppend(stream, type, message));
  };
  ASSERT_TRUE(append("dhsc/mission/nhs", domain::EventType::kMissionDeclared,
                     NhsMission("dhsc/organisation/dhsc"))
                  .ok());
  v1::PostCreated post;
  post.mutable_organisation()->set_stream("dhsc/organisation/dhsc");
  post.set_name("Secretary of State for Health and Social Care");
  ASSERT_TRUE(
      append("dhsc/post/sos", domain::EventType::kPostCreated, post).ok());
  v1::ConcernRaised raised;
  raised.mutable_about()->set_stream("dhsc/mission/nhs");
  raised.set_summary("The 18-week target has no workforce plan behind it");
  raised.mutable_raised_by()->mutable_organisation()->set_stream(
      "dhsc/organisation/dhsc");
  raised.add_raised_to()->mutable_post()->set_stream("dhsc/post/sos");
  raised.set_severity(v1::SEVERITY_HIGH);
  *raised.mutable_raised_on() = testing::Day(2025, 4, 1);
  ASSERT_TRUE(
      append("dhsc/concern/c1", domain::EventType::kConcernRaised, raised)
          .ok());
  v1::ConcernClosed closed;
  closed.mutable_by()->mutable_post()->set_stream("dhsc/post/sos");
  closed.set_resolution("withdrawn");
  *closed.mutable_on() = testing::Day(2025, 4, 1);
  ASSERT_TRUE(
      append("dhsc/concern/c1", domain::EventType::kConcernClosed, closed)
          .ok());
  const uint64_t head = Head();
  v1::ConcernResponded response;
  response.mutable_by()->mutable_post()->set_stream("dhsc/post/sos");
  response.set_response("A plan will follow");
  *response.mutable_on() = testing::Day(2025, 4, 1);
  auto late =
      append("dhsc/concern/c1", domain::EventType::kConcernResponded, response);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("is closed"), std::string::npos)
      << late.status();
  EXPECT_EQ(Head(), head);
}

TEST_F(ServerTest, BadRequestsGetPreciseCodesAndWriteNothing) {
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/c", 1, "ok")).ok());
  const uint64_t head = Head();
  struct Case {
    std::string name;
    v1::AppendRequest request;
    absl::StatusCode code;
  };
  std::vector<Case> cases;
  cases.push_back({"empty stream", MakeRequest("", 1, "x"),
                   absl::StatusCode::kInvalidArgument});
  v1::AppendRequest oversize = MakeRequest("a/b/c", 1, "x");
  oversize.mutable_events(0)->set_data(std::string((1 << 20) + 1, 'p'));
  cases.push_back(
      {"oversize payload", oversize, absl::StatusCode::kInvalidArgument});
  cases.push_back({"too many events", MakeRequest("a/b/c", 10001, "x"),
                   absl::StatusCode::kInvalidArgument});
  v1::AppendRequest bad_id = MakeRequest("a/b/c", 2, "x");
  bad_id.mutable_events(1)->set_id("not-a-uuid");
  cases.push_back(
      {"malformed uuid", bad_id, absl::StatusCode::kInvalidArgument});
  v1::AppendRequest wrong_version = MakeRequest("a/b/c", 1, "x");
  wrong_version.mutable_expected_version()->set_kind(
      v1::ExpectedVersion::NO_STREAM);
  cases.push_back(
      {"wrong expected version", wrong_version, absl::StatusCode::kAborted});
  v1::AppendRequest unknown_enum = MakeRequest("a/b/c", 1, "x");
  unknown_enum.mutable_expected_version()->set_kind(
      static_cast<v1::ExpectedVersion::Kind>(42));
  cases.push_back(
      {"unknown enum value", unknown_enum, absl::StatusCode::kInvalidArgument});
  v1::AppendRequest bad_time = MakeRequest("a/b/c", 1, "x");
  bad_time.mutable_events(0)->mutable_time()->set_nanos(-1);
  cases.push_back(
      {"malformed time", bad_time, absl::StatusCode::kInvalidArgument});
  v1::AppendRequest no_events;
  no_events.set_stream("a/b/c");
  cases.push_back({"no events", no_events, absl::StatusCode::kInvalidArgument});

  for (const Case& c : cases) {
    auto result = client_->Append(c.request);
    EXPECT_EQ(result.status().code(), c.code)
        << c.name << ": " << result.status();
    EXPECT_EQ(Head(), head) << c.name << " wrote something";
  }
}

TEST_F(ServerTest, WrongExpectedVersionCarriesTheActualVersionInDetails) {
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/c", 3, "x")).ok());
  v1::AppendRequest stale = MakeRequest("a/b/c", 1, "y");
  stale.mutable_expected_version()->set_kind(v1::ExpectedVersion::EXACT);
  stale.mutable_expected_version()->set_version(0);
  auto result = client_->Append(stale);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kAborted);
  std::optional<v1::WrongExpectedVersion> details =
      WrongExpectedVersionFrom(result.status());
  ASSERT_TRUE(details.has_value());
  EXPECT_EQ(details->stream(), "a/b/c");
  EXPECT_TRUE(details->stream_exists());
  EXPECT_EQ(details->actual_version(), 2u);
  EXPECT_EQ(details->expected().version(), 0u);
}

TEST_F(ServerTest, AppendStreamAnswersEachAppendInOrder) {
  std::vector<v1::AppendRequest> appends;
  for (int i = 0; i < 500; ++i) {
    v1::AppendRequest request =
        MakeRequest(absl::StrCat("p/s/", i % 7), 2, "p");
    if (i % 50 == 49) {  // these must fail: the streams already exist
      request.mutable_expected_version()->set_kind(
          v1::ExpectedVersion::NO_STREAM);
    }
    appends.push_back(request);
  }
  appends[10].set_stream("");  // invalid: answered in its place
  auto results = client_->AppendPipelined(appends);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 500u);
  uint64_t next_position = 0;
  int failed = 0;
  for (size_t i = 0; i < results->size(); ++i) {
    const auto& result = (*results)[i];
    if (i == 10) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
      ++failed;
    } else if (i % 50 == 49) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
      EXPECT_TRUE(WrongExpectedVersionFrom(result.status()).has_value());
      ++failed;
    } else {
      ASSERT_TRUE(result.ok()) << i << ": " << result.status();
      EXPECT_GE(result->first_position(), next_position) << i;
      next_position = result->last_position() + 1;
    }
  }
  EXPECT_EQ(failed, 11);
  EXPECT_EQ(Head(), (500u - 11u) * 2u);
}

TEST_F(ServerTest, SubscribeCatchesUpThenGoesLive) {
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/c", 5, "before")).ok());
  v1::SubscribeRequest request;
  request.set_from_position(2);
  std::vector<uint64_t> positions;
  bool caught_up = false;
  absl::Status status =
      client_->Subscribe(request, [&](const v1::SubscribeResponse& message) {
        if (message.has_caught_up()) {
          EXPECT_FALSE(caught_up);
          EXPECT_EQ(message.caught_up().position(), 5u);
          caught_up = true;
          // Live from here: append from inside the subscriber.
          EXPECT_TRUE(client_->Append(MakeRequest("a/b/d", 2, "live")).ok());
        }
        for (const auto& event : message.events().events()) {
          positions.push_back(event.position());
        }
        return positions.size() < 5;
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(caught_up);
  EXPECT_EQ(positions, (std::vector<uint64_t>{2, 3, 4, 5, 6}));
}

TEST_F(ServerTest, FilteredSubscriptionGetsCheckpoints) {
  ASSERT_TRUE(client_->Append(MakeRequest("dft/x/1", 3, "skip")).ok());
  v1::SubscribeRequest request;
  request.set_from_position(0);
  request.mutable_filter()->set_stream_prefix("dhsc/");
  uint64_t caught_up_at = 0;
  std::vector<uint64_t> positions;
  absl::Status status =
      client_->Subscribe(request, [&](const v1::SubscribeResponse& message) {
        if (message.has_caught_up()) {
          caught_up_at = message.caught_up().position();
          EXPECT_TRUE(client_->Append(MakeRequest("dhsc/x/1", 1, "m")).ok());
        }
        for (const auto& event : message.events().events()) {
          positions.push_back(event.position());
        }
        return positions.empty();
      });
  EXPECT_TRUE(status.ok()) << status;
  // The caught_up marker already carries the position past the 3 skipped.
  EXPECT_EQ(caught_up_at, 3u);
  EXPECT_EQ(positions, (std::vector<uint64_t>{3}));
}

// Issue "missionlogd's wire contract ...", bug 3: events a filter skips
// that commit just after the subscription's last message, then a quiet
// log: the subscriber still learns the head's position (a checkpoint
// after the checkpoint interval), not only at the next commit. The
// deadline turns a regression into a failure instead of a hang.
TEST_F(ServerTest,
       AFilteredSubscriberAtTheHeadLearnsSkippedPositionsWhenQuiet) {
  ASSERT_TRUE(client_->Append(MakeRequest("dhsc/x/1", 1, "m")).ok());
  auto stub = v1::EventStore::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  v1::SubscribeRequest request;
  request.mutable_filter()->set_stream_prefix("dhsc/");
  auto reader = stub->Subscribe(&context, request);
  v1::SubscribeResponse message;
  std::vector<std::string> seen;
  while (reader->Read(&message)) {
    if (message.has_events()) {
      seen.push_back(absl::StrCat("events ", message.events().events_size()));
    } else if (message.has_caught_up()) {
      seen.push_back(
          absl::StrCat("caught_up ", message.caught_up().position()));
      // Skipped by the filter, right after; then nothing more.
      ASSERT_TRUE(client_->Append(MakeRequest("dft/x/1", 2, "skip")).ok());
    } else if (message.has_checkpoint()) {
      seen.push_back(
          absl::StrCat("checkpoint ", message.checkpoint().position()));
      if (message.checkpoint().position() == 3) break;
    }
  }
  context.TryCancel();
  reader->Finish().IgnoreError();
  EXPECT_EQ(seen, (std::vector<std::string>{"events 1", "caught_up 1",
                                            "checkpoint 3"}));
}

TEST_F(ServerTest, SubscribersAtDifferentPositionsSeeExactlyTheLog) {
  constexpr int kWriters = 8;
  constexpr int kAppendsPerWriter = 250;
  constexpr int kEventsPerAppend = 10;  // 20,000 events in all
  constexpr int kSubscribers = 20;
  constexpr uint64_t kTotal = kWriters * kAppendsPerWriter * kEventsPerAppend;
  ASSERT_TRUE(client_->Append(MakeRequest("warm/up/0", 100, "w")).ok());
  const uint64_t total = kTotal + 100;

  std::vector<std::vector<uint64_t>> seen(kSubscribers);
  std::vector<std::thread> subscribers;
  for (int s = 0; s < kSubscribers; ++s) {
    subscribers.emplace_back([&, s] {
      auto client = Client::Connect(server_->address());
      v1::SubscribeRequest request;
      request.set_from_position(static_cast<uint64_t>(s) * 5);
      absl::Status status =
          client->Subscribe(request, [&](const v1::SubscribeResponse& message) {
            for (const auto& event : message.events().events()) {
              seen[s].push_back(event.position());
            }
            return seen[s].empty() || seen[s].back() + 1 < total;
          });
      EXPECT_TRUE(status.ok()) << status;
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = Client::Connect(server_->address());
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        auto result = client->Append(MakeRequest(
            absl::StrCat("w", w, "/s/", i % 3), kEventsPerAppend, "c"));
        ASSERT_TRUE(result.ok()) << result.status();
      }
    });
  }
  for (auto& writer : writers) writer.join();
  for (auto& subscriber : subscribers) subscriber.join();
  for (int s = 0; s < kSubscribers; ++s) {
    const uint64_t start = static_cast<uint64_t>(s) * 5;
    ASSERT_EQ(seen[s].size(), total - start) << "subscriber " << s;
    for (size_t i = 0; i < seen[s].size(); ++i) {
      ASSERT_EQ(seen[s][i], start + i) << "subscriber " << s;
    }
  }
}

// Subscribers at the head with the same filter share one message per batch
// (SharedMessages); each filter must still get exactly its own events, in
// log order, whoever built the message it was sent.
TEST_F(ServerTest, SubscribersWithTheSameOrDifferentFiltersEachSeeTheirOwn) {
  constexpr int kWriters = 3;
  constexpr int kAppendsPerWriter = 200;
  constexpr int kEventsPerAppend = 5;
  const std::vector<std::string> departments = {"dft/", "dhsc/", "mod/"};
  // Two subscribers per filter, so that messages are shared.
  const std::vector<std::string> filters = {"",     "",      "dft/",
                                            "dft/", "dhsc/", "dhsc/"};
  auto expected_count = [&](const std::string& prefix) {
    return static_cast<size_t>(kAppendsPerWriter * kEventsPerAppend *
                               (prefix.empty() ? kWriters : 1));
  };
  std::vector<std::vector<std::pair<uint64_t, std::string>>> seen(
      filters.size());
  absl::BlockingCounter caught_up(static_cast<int>(filters.size()));
  std::vector<std::thread> subscribers;
  for (size_t s = 0; s < filters.size(); ++s) {
    subscribers.emplace_back([&, s] {
      // gRPC's own stub, with a deadline: a subscriber sent another
      // filter's messages misses some of its own, and must fail, not hang.
      auto stub = v1::EventStore::NewStub(grpc::CreateChannel(
          server_->address(), grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      v1::SubscribeRequest request;
      request.set_from_now(true);
      request.mutable_filter()->set_stream_prefix(filters[s]);
      auto reader = stub->Subscribe(&context, request);
      v1::SubscribeResponse message;
      while (seen[s].size() < expected_count(filters[s]) &&
             reader->Read(&message)) {
        if (message.has_caught_up()) caught_up.DecrementCount();
        for (const auto& event : message.events().events()) {
          seen[s].emplace_back(event.position(), event.subject());
        }
      }
      context.TryCancel();
      reader->Finish().IgnoreError();
    });
  }
  caught_up.Wait();
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto client = Client::Connect(server_->address());
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        auto result = client->Append(MakeRequest(
            absl::StrCat(departments[w], "s/", i % 4), kEventsPerAppend, "f"));
        ASSERT_TRUE(result.ok()) << result.status();
      }
    });
  }
  for (auto& writer : writers) writer.join();
  for (auto& subscriber : subscribers) subscriber.join();
  // The log itself, filtered here, is what each subscriber must have seen.
  std::vector<std::pair<uint64_t, std::string>> log;
  for (const v1::RecordedEvent& event : ReadAll()) {
    log.emplace_back(event.position(), event.subject());
  }
  ASSERT_EQ(log.size(), kWriters * kAppendsPerWriter * kEventsPerAppend);
  for (size_t s = 0; s < filters.size(); ++s) {
    std::vector<std::pair<uint64_t, std::string>> want;
    for (const auto& event : log) {
      if (absl::StartsWith(event.second, filters[s])) want.push_back(event);
    }
    EXPECT_EQ(seen[s], want)
        << "subscriber " << s << " (filter '" << filters[s] << "')";
  }
}

// Subscribers are served from caches of encoded events and whole messages
// (EncodedEvents, SharedMessages). A payload lawfully erased after they
// were filled must not be served from them again: a subscription from the
// start after the erasure gets the event with `data_erased`, no data.
TEST_F(ServerTest, AnErasedPayloadIsNotServedFromTheSubscribersCaches) {
  for (const char* tag : {"kept", "Sam Smith sent in error", "kept too"}) {
    ASSERT_TRUE(client_->Append(MakeRequest("dhsc/note/n1", 1, tag)).ok());
  }
  // Two subscribers read the three events: both caches now hold them.
  auto subscribe_from_start = [this](size_t events) {
    std::vector<v1::RecordedEvent> seen;
    v1::SubscribeRequest request;
    request.set_from_position(0);
    request.mutable_filter()->set_stream_prefix("dhsc/");
    EXPECT_TRUE(client_
                    ->Subscribe(request,
                                [&](const v1::SubscribeResponse& message) {
                                  for (const auto& event :
                                       message.events().events()) {
                                    seen.push_back(event);
                                  }
                                  return seen.size() < events;
                                })
                    .ok());
    return seen;
  };
  for (int i = 0; i < 2; ++i) {
    std::vector<v1::RecordedEvent> before = subscribe_from_start(3);
    ASSERT_EQ(before.size(), 3u);
    EXPECT_NE(before[1].data().find("Sam Smith"), std::string::npos);
  }
  v1::EraseRequest erase;
  erase.set_position(1);
  erase.set_whole_payload(true);
  erase.set_legal_basis("UK GDPR Art. 17");
  ASSERT_TRUE(client_->Erase(erase).ok());
  // The erasure is carried out once a checkpoint covers the Erased event:
  // a read (straight from the store) shows when.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (!ReadAll()[1].data_erased()) {
    ASSERT_LT(absl::Now(), give_up);
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::vector<v1::RecordedEvent> after = subscribe_from_start(3);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_TRUE(after[1].data_erased());
  EXPECT_TRUE(after[1].data().empty()) << after[1].data();
  EXPECT_EQ(after[2].data(), "{\"tag\":\"kept too\",\"i\":0}");
}

// Appends `events` 2 KiB events in appends of 100.
void AppendBacklog(Client* client, int events) {
  v1::AppendRequest request = MakeRequest("backlog/s/1", 100, "b");
  for (auto& event : *request.mutable_events()) {
    event.set_data(std::string(2048, 'b'));
  }
  for (int i = 0; i < events / 100; ++i) {
    for (auto& event : *request.mutable_events()) event.clear_id();
    ASSERT_TRUE(client->Append(request).ok());
  }
}

TEST_F(ServerTest, StalledSubscriberDoesNotGrowServerMemoryWithTheBacklog) {
  constexpr int kEvents = 20000;  // ~40 MiB of backlog
  // Baseline: the same appends with no subscriber, on a fresh server.
  AppendBacklog(client_.get(), kEvents);
  const long baseline_peak = server_->PeakResidentKib();
  ASSERT_GT(baseline_peak, 0);
  server_->Stop(SIGKILL);
  server_ = testing::ServerProcess::Start(dir_.Sub("data2"));
  ASSERT_NE(server_, nullptr);
  client_ = Client::Connect(server_->address());

  // A raw subscription that reads caught_up, then stops reading.
  grpc::ClientContext context;
  auto stub = v1::EventStore::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  v1::SubscribeRequest request;
  request.set_from_position(0);
  auto reader = stub->Subscribe(&context, request);
  v1::SubscribeResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.has_caught_up());

  AppendBacklog(client_.get(), kEvents);
  // The backlog stays on disk: the stalled subscriber holds at most a batch
  // and gRPC's flow-control window, not the 40 MiB it has not read.
  ExpectStalledPeakNear(baseline_peak);

  // Reading again, it receives everything, in order.
  uint64_t next = 0;
  while (next < static_cast<uint64_t>(kEvents) && reader->Read(&message)) {
    for (const auto& event : message.events().events()) {
      ASSERT_EQ(event.position(), next);
      ++next;
    }
  }
  EXPECT_EQ(next, static_cast<uint64_t>(kEvents));
  context.TryCancel();
  reader->Finish().ok();
}

// An unfiltered read of the log fetches batches ahead, each from where
// the one before will stop if it is full (read_reactor.cc). A batch that
// stops short (its bytes reach the 2 MiB message bound: 100 events of
// 32 KiB do), the end of the log and the request's limit each leave the
// batches fetched ahead starting at the wrong place: every read below must
// still return each event of its range once, in order, and the right
// `next` and `end`.
TEST_F(ServerTest, ReadsFetchedAheadAreExactWhateverStopsTheirBatches) {
  client_.reset();
  server_.reset();
  StartServer({"--batch_events=100"});
  auto append = [&](const std::string& stream, int events, size_t bytes) {
    v1::AppendRequest request = MakeRequest(stream, events, "r");
    for (auto& event : *request.mutable_events()) {
      event.set_data(std::string(bytes, 'r'));
    }
    ASSERT_TRUE(client_->Append(request).ok());
  };
  for (int i = 0; i < 10; ++i) append("small/a/1", 50, 100);   // 0-499
  for (int i = 0; i < 6; ++i) append("large/a/1", 50, 32768);  // 500-799
  for (int i = 0; i < 5; ++i) append("small/b/1", 50, 100);    // 800-1049
  constexpr uint64_t kHead = 1050;
  struct Case {
    uint64_t from;
    uint64_t limit;  // 0: none
    uint64_t want_next;
    bool want_end;
  };
  const std::vector<Case> cases = {
      {0, 0, kHead, true},         // the whole log
      {37, 777, 37 + 777, false},  // a limit ending among the large
      {450, 120, 570, false},      // from small into large
      {0, kHead, kHead, true},     // the limit and the end at once
      {0, 1000, 1000, false},      // a limit that is a multiple of batches
      {1049, 0, kHead, true},      // the last event
      {kHead, 0, kHead, true},     // at the head: nothing, and the end
  };
  for (const Case& c : cases) {
    v1::ReadRequest request;
    request.mutable_all()->set_from_position(c.from);
    request.set_limit(c.limit);
    Client::ReadEnd end;
    std::vector<uint64_t> positions;
    for (const v1::RecordedEvent& event : Read(request, &end)) {
      positions.push_back(event.position());
    }
    const uint64_t to =
        c.limit == 0 ? kHead : std::min(kHead, c.from + c.limit);
    std::vector<uint64_t> want;
    for (uint64_t p = c.from; p < to; ++p) want.push_back(p);
    EXPECT_EQ(positions, want) << "from " << c.from << " limit " << c.limit;
    EXPECT_EQ(end.next, c.want_next) << "from " << c.from;
    EXPECT_EQ(end.end, c.want_end) << "from " << c.from;
  }
  // The same, many at once on the two workers, while appends go on past
  // the ranges read and some reads are cancelled after one message: each
  // read still gets exactly its range, and every call ends. (Every range
  // read is below 1600, committed before the readers start.)
  for (int i = 0; i < 55; ++i) append("more/a/1", 10, 100);  // 1050-1599
  std::atomic<bool> appending{true};
  std::thread appender([&] {
    auto client = Client::Connect(server_->address());
    while (appending) {
      ASSERT_TRUE(client->Append(MakeRequest("more/a/1", 10, "m")).ok());
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      auto stub = v1::EventStore::NewStub(grpc::CreateChannel(
          server_->address(), grpc::InsecureChannelCredentials()));
      for (int i = 0; i < 25; ++i) {
        const uint64_t from = static_cast<uint64_t>((r * 131 + i * 37) % 1000);
        const uint64_t limit =
            static_cast<uint64_t>(1 + (r * 17 + i * 53) % 600);
        const bool cancel = i % 5 == 4;
        grpc::ClientContext context;
        v1::ReadRequest request;
        request.mutable_all()->set_from_position(from);
        request.set_limit(limit);
        auto reader = stub->Read(&context, request);
        v1::ReadResponse message;
        uint64_t next = from;
        while (reader->Read(&message)) {
          for (const auto& event : message.events()) {
            ASSERT_EQ(event.position(), next++) << "reader " << r;
          }
          if (cancel) context.TryCancel();
        }
        grpc::Status status = reader->Finish();
        if (cancel) {
          EXPECT_TRUE(status.ok() ||
                      status.error_code() == grpc::StatusCode::CANCELLED);
        } else {
          EXPECT_TRUE(status.ok()) << status.error_message();
          EXPECT_EQ(next, from + limit) << "reader " << r << " read " << i;
        }
      }
    });
  }
  for (auto& reader : readers) reader.join();
  appending = false;
  appender.join();
}

// Reads fetch the next message while the previous one is being sent
// (read_reactor.cc): across many messages every event still arrives once,
// in order; a reader that stops reading holds the server to a few messages,
// not the backlog; a read cancelled mid-way ends CANCELLED.
TEST_F(ServerTest, ReadsOfManyMessagesAreCompleteInOrderAndCancellable) {
  // 100 events (~200 KiB) to a message: 200 messages for the backlog.
  client_.reset();
  server_.reset();
  StartServer({"--batch_events=100"});
  constexpr int kEvents = 20000;  // ~40 MiB
  AppendBacklog(client_.get(), kEvents);
  const long baseline_peak = server_->PeakResidentKib();
  ASSERT_GT(baseline_peak, 0);
  auto stub = v1::EventStore::NewStub(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  v1::ReadRequest request;
  request.mutable_all();

  {
    // Reads one message, then stops while a whole other read runs.
    grpc::ClientContext context;
    auto reader = stub->Read(&context, request);
    v1::ReadResponse message;
    ASSERT_TRUE(reader->Read(&message));
    uint64_t next = 0, messages = 1;
    for (const auto& event : message.events()) {
      ASSERT_EQ(event.position(), next++);
    }
    // The stalled read's fetches queue on the same workers as this one's:
    // when it ends, the stalled one has had every chance to run ahead.
    EXPECT_EQ(ReadAll().size(), static_cast<size_t>(kEvents));
    ExpectStalledPeakNear(baseline_peak);

    bool done = message.done();
    while (!done && reader->Read(&message)) {
      ++messages;
      for (const auto& event : message.events()) {
        ASSERT_EQ(event.position(), next++);
      }
      done = message.done();
    }
    EXPECT_TRUE(done);
    EXPECT_TRUE(message.end());
    EXPECT_EQ(next, static_cast<uint64_t>(kEvents));
    EXPECT_GE(messages, 200u);
    EXPECT_FALSE(reader->Read(&message));
    EXPECT_TRUE(reader->Finish().ok());
  }
  {
    grpc::ClientContext context;
    auto reader = stub->Read(&context, request);
    v1::ReadResponse message;
    ASSERT_TRUE(reader->Read(&message));
    context.TryCancel();
    while (reader->Read(&message)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }

  // A limited read from the middle: exactly its events.
  request.mutable_all()->set_from_position(1234);
  request.set_limit(5000);
  grpc::ClientContext context;
  auto reader = stub->Read(&context, request);
  v1::ReadResponse message;
  uint64_t next = 1234;
  while (reader->Read(&message)) {
    for (const auto& event : message.events()) {
      ASSERT_EQ(event.position(), next++);
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(next, 1234u + 5000u);
  EXPECT_EQ(Head(), static_cast<uint64_t>(kEvents));
}

TEST_F(ServerTest, AcknowledgedAppendsSurviveKill9OfTheServer) {
  std::mutex mu;
  std::map<std::string, uint64_t> acked;  // first event id -> position
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      ClientOptions options;
      options.max_attempts = 1;  // no retries against a dead server
      auto client = Client::Connect(server_->address(), options);
      for (int i = 0; !stop; ++i) {
        v1::AppendRequest request =
            MakeRequest(absl::StrCat("k/", w, "/s"), 1 + i % 3, "k");
        for (auto& event : *request.mutable_events()) event.set_id(NewUuid());
        auto result = client->Append(request);
        if (!result.ok()) return;  // the server is gone
        std::lock_guard<std::mutex> lock(mu);
        acked[request.events(0).id()] = result->first_position();
      }
    });
  }
  // Kill once plenty are acknowledged (a count, not a time).
  while (true) {
    std::lock_guard<std::mutex> lock(mu);
    if (acked.size() >= 2000) break;
  }
  EXPECT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
  stop = true;
  for (auto& writer : writers) writer.join();

  StartServer();
  std::vector<v1::RecordedEvent> events = ReadAll();
  std::map<std::string, uint64_t> found;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].position(), i) << "gap in the log";
    found[events[i].id()] = i;
  }
  for (const auto& [id, position] : acked) {
    auto it = found.find(id);
    ASSERT_NE(it, found.end()) << "acknowledged event " << id << " lost";
    EXPECT_EQ(it->second, position);
  }
}

TEST_F(ServerTest, AuditProofsVerifyAgainstTheTreeHead) {
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/c", 7, "x")).ok());
  auto old_head = client_->GetTreeHead(0);
  ASSERT_TRUE(old_head.ok()) << old_head.status();
  EXPECT_EQ(old_head->tree_size(), 7u);
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/d", 6, "y")).ok());
  auto head = client_->GetTreeHead(0);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->tree_size(), 13u);
  auto same_old = client_->GetTreeHead(7);
  ASSERT_TRUE(same_old.ok());
  EXPECT_EQ(same_old->root_hash(), old_head->root_hash());

  for (uint64_t position = 0; position < 13; ++position) {
    auto proof = client_->GetInclusionProof(position, 13);
    ASSERT_TRUE(proof.ok()) << proof.status();
    auto event = client_->GetEvent(position);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_TRUE(VerifyEventInclusion(*event, *proof, *head).ok()) << position;
    // The same proof does not verify a different event.
    auto other = client_->GetEvent((position + 1) % 13);
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(VerifyEventInclusion(*other, *proof, *head).ok());
  }
  auto consistency = client_->GetConsistencyProof(7, 13);
  ASSERT_TRUE(consistency.ok()) << consistency.status();
  EXPECT_GT(consistency->hashes_size(), 0);
  EXPECT_EQ(client_->GetInclusionProof(3, 99).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(client_->GetConsistencyProof(0, 13).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ServerTest, GracefulShutdownEndsSubscriptionsAndExitsZero) {
  ASSERT_TRUE(client_->Append(MakeRequest("a/b/c", 2, "x")).ok());
  absl::Notification caught_up;
  absl::Status subscription_status;
  std::thread subscriber([&] {
    v1::SubscribeRequest request;
    request.set_from_position(0);
    subscription_status =
        client_->Subscribe(request, [&](const v1::SubscribeResponse& message) {
          if (message.has_caught_up()) caught_up.Notify();
          return true;
        });
  });
  caught_up.WaitForNotification();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  subscriber.join();
  EXPECT_EQ(subscription_status.code(), absl::StatusCode::kUnavailable)
      << subscription_status;
  std::string output = server_->RestOfOutput();
  EXPECT_NE(output.find("SIGTERM received"), std::string::npos) << output;
  EXPECT_NE(output.find("stopped; data in"), std::string::npos) << output;

  StartServer();  // and the data is still there
  EXPECT_EQ(Head(), 2u);
}

}  // namespace
}  // namespace missionlog
