// Three etcd members and three missionlogd nodes, real processes on
// loopback (tests/cluster_process.h), through the real failover client:
// no acknowledged append lost when a node or an etcd member is killed,
// every node holding byte-identical records and roots; one winner when two
// nodes race on a stream's version; a wiped node copying the log from a
// peer once etcd has compacted what it missed; appends UNAVAILABLE and
// reads served without etcd's quorum, and nothing lost when it returns.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/uuid.h"
#include "clients/client.h"
#include "cluster/etcd_client.h"
#include "gtest/gtest.h"
#include "missionlog/v1/replication.grpc.pb.h"
#include "tests/cluster_process.h"
#include "tests/test_util.h"
#include "tlog/signed_note.h"

namespace missionlog {
namespace {

v1::AppendRequest OneEvent(const std::string& stream, const std::string& tag) {
  v1::AppendRequest request;
  request.set_stream(stream);
  v1::EventData* event = request.add_events();
  event->set_id(NewUuid());
  event->set_type("test.replicated.v1");
  event->set_source("urn:missionlog:cluster-test");
  event->set_datacontenttype("application/json");
  event->set_data(absl::StrCat("{\"tag\":\"", tag, "\"}"));
  return request;
}

std::unique_ptr<Client> Connect(const std::string& targets, int attempts) {
  ClientOptions options;
  options.max_attempts = attempts;
  options.deadline = absl::Seconds(8);
  return Client::Connect(targets, options);
}

class ClusterTest : public ::testing::Test {
 protected:
  void StartCluster(const std::vector<std::string>& flags = {},
                    const std::string& tls_dir = "") {
    etcd_ = testing::EtcdCluster::Start(dir_.path(), 3, tls_dir);
    ASSERT_NE(etcd_, nullptr);
    nodes_ = testing::NodeSet::Start(dir_.path(), etcd_->endpoints(), flags);
    ASSERT_NE(nodes_, nullptr);
  }

  // Every node's log, once all three hold `at_least` events and agree on
  // their length (a node applies what etcd ordered on its own time).
  void WaitForEqualHeads(uint64_t at_least) {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    for (;;) {
      std::vector<uint64_t> heads;
      for (int i = 0; i < 3; ++i) {
        auto head = Connect(nodes_->address(i), 1)->GetHead();
        heads.push_back(head.ok() ? head->next_position() : 0);
      }
      if (heads[0] >= at_least && heads[0] == heads[1] &&
          heads[1] == heads[2]) {
        return;
      }
      ASSERT_LT(absl::Now(), give_up)
          << "heads " << heads[0] << ", " << heads[1] << ", " << heads[2];
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::vector<v1::RecordedEvent> ReadAll(int node) {
    v1::ReadRequest request;
    request.mutable_all();
    std::vector<v1::RecordedEvent> events;
    auto end = Connect(nodes_->address(node), 1)
                   ->Read(request, [&](const v1::ReadResponse& batch) {
                     events.insert(events.end(), batch.events().begin(),
                                   batch.events().end());
                     return true;
                   });
    EXPECT_TRUE(end.ok()) << end.status();
    return events;
  }

  // The three logs are the same records, byte for byte, with no gap, and
  // the same roots.
  std::vector<v1::RecordedEvent> ExpectIdenticalReplicas() {
    std::vector<v1::RecordedEvent> a = ReadAll(0);
    for (int node = 1; node < 3; ++node) {
      std::vector<v1::RecordedEvent> other = ReadAll(node);
      EXPECT_EQ(other.size(), a.size()) << "node " << node;
      for (size_t i = 0; i < std::min(a.size(), other.size()); ++i) {
        EXPECT_EQ(a[i].position(), i);
        if (other[i].header() != a[i].header() ||
            other[i].data() != a[i].data() ||
            other[i].leaf_hash() != a[i].leaf_hash()) {
          ADD_FAILURE() << "node " << node << " differs at position " << i;
          break;
        }
      }
    }
    std::string root;
    for (int node = 0; node < 3; ++node) {
      auto head = Connect(nodes_->address(node), 1)->GetTreeHead(a.size());
      EXPECT_TRUE(head.ok()) << head.status();
      if (!head.ok()) continue;
      if (node == 0) root = head->root_hash();
      EXPECT_EQ(head->root_hash(), root) << "node " << node;
    }
    return a;
  }

  // Waits until node `node`'s latest checkpoint covers `at_least` events
  // and carries every node's valid signature; returns it.
  std::string WaitForCosignedCheckpoint(int node, uint64_t at_least) {
    std::vector<note::Verifier> keys;
    for (const char* name : {"a", "b", "c"}) {
      auto line = note::ReadKeyFile(dir_.Sub(absl::StrCat(name, ".pub")));
      EXPECT_TRUE(line.ok());
      auto key = note::Verifier::FromKey(*line);
      EXPECT_TRUE(key.ok());
      keys.push_back(*key);
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    for (;;) {
      auto latest = Connect(nodes_->address(node), 1)->GetCheckpoint(0);
      int signatures = 0;
      if (latest.ok() && latest->tree_size() >= at_least) {
        for (const note::Verifier& key : keys) {
          signatures += note::Open(latest->note(), key).ok() ? 1 : 0;
        }
        if (signatures == 3) return latest->note();
      }
      if (absl::Now() > give_up) {
        ADD_FAILURE() << "node " << node << ": no checkpoint of " << at_least
                      << " events signed by all three nodes; latest: "
                      << (latest.ok() ? latest->note()
                                      : latest.status().ToString());
        return "";
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::EtcdCluster> etcd_;
  std::unique_ptr<testing::NodeSet> nodes_;
};

TEST_F(ClusterTest, NoAcknowledgedAppendIsLostWhenANodeOrAnEtcdMemberDies) {
  StartCluster();
  absl::Mutex mu;
  std::map<std::string, uint64_t> acknowledged;  // event id -> position
  int refused = 0;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 6; ++t) {
    writers.emplace_back([&, t] {
      // Writers start on different nodes; each moves on when its node dies.
      std::unique_ptr<Client> client = Connect(nodes_->targets(t % 3), 20);
      for (int n = 0; !stop.load(); ++n) {
        v1::AppendRequest request =
            OneEvent(absl::StrCat("w", t, "/test/s"), absl::StrCat(t, "-", n));
        const std::string id = request.events(0).id();
        auto appended = client->Append(request);
        absl::MutexLock lock(&mu);
        if (appended.ok()) {
          acknowledged[id] = appended->first_position();
        } else {
          ++refused;
        }
      }
    });
  }
  size_t target = 0;
  auto await_more = [&](size_t more) {
    absl::MutexLock lock(&mu);
    target = acknowledged.size() + more;
    auto reached = [&] {
      mu.AssertReaderHeld();
      return acknowledged.size() >= target;
    };
    return mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(60));
  };

  ASSERT_TRUE(await_more(150));
  nodes_->Kill(1);  // kill -9 missionlogd b
  ASSERT_TRUE(await_more(150)) << "appends stopped with node b down";
  ASSERT_TRUE(nodes_->Restart(1));
  ASSERT_TRUE(await_more(150));
  etcd_->Kill(1);  // kill -9 an etcd member
  ASSERT_TRUE(await_more(150)) << "appends stopped with an etcd member down";
  ASSERT_TRUE(etcd_->Restart(1));
  ASSERT_TRUE(await_more(150));
  stop = true;
  for (std::thread& writer : writers) writer.join();

  size_t expected;
  {
    absl::MutexLock lock(&mu);
    expected = acknowledged.size();
  }
  WaitForEqualHeads(expected);
  std::vector<v1::RecordedEvent> log = ExpectIdenticalReplicas();
  std::map<std::string, uint64_t> stored;
  for (const v1::RecordedEvent& event : log) {
    EXPECT_TRUE(stored.emplace(event.id(), event.position()).second)
        << "event " << event.id() << " stored twice";
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(refused, 0);
    for (const auto& [id, position] : acknowledged) {
      auto found = stored.find(id);
      ASSERT_NE(found, stored.end()) << "acknowledged event " << id << " lost";
      EXPECT_EQ(found->second, position) << id;
    }
  }

  // Every node holds the checkpoint of the whole log signed by all three,
  // and an auditor that requires all three signatures verifies the log
  // from any node.
  std::string note;
  for (int node = 0; node < 3; ++node) {
    std::string cosigned = WaitForCosignedCheckpoint(node, log.size());
    if (node == 0) note = cosigned;
  }
  for (int node = 0; node < 3; ++node) {
    testing::ShellRun verified = testing::RunShell(absl::StrCat(
        MISSIONLOG_CLI_PATH, " --server=", nodes_->address(node),
        " verify --key=", dir_.Sub("a.pub"), ",", dir_.Sub("b.pub"), ",",
        dir_.Sub("c.pub"), " --require-cosigners=3 --state=",
        dir_.Sub(absl::StrCat("verify-", node, ".state")), " 2>&1"));
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_NE(verified.output.find("3 of 3 keys signed it"), std::string::npos)
        << verified.output;
  }
}

TEST_F(ClusterTest, TwoNodesRacingOnAStreamVersionHaveOneWinner) {
  StartCluster();
  std::unique_ptr<Client> a = Connect(nodes_->address(0), 1);
  std::unique_ptr<Client> b = Connect(nodes_->address(1), 1);
  for (int round = 0; round < 20; ++round) {
    const std::string stream = absl::StrCat("race/test/", round);
    v1::AppendRequest first = OneEvent(stream, "first");
    first.mutable_expected_version()->set_kind(v1::ExpectedVersion::NO_STREAM);
    ASSERT_TRUE(a->Append(first).ok());
    v1::AppendRequest from_a = OneEvent(stream, "a");
    v1::AppendRequest from_b = OneEvent(stream, "b");
    for (v1::AppendRequest* request : {&from_a, &from_b}) {
      request->mutable_expected_version()->set_kind(v1::ExpectedVersion::EXACT);
      request->mutable_expected_version()->set_version(0);
    }
    absl::StatusOr<v1::AppendResponse> result_a, result_b;
    std::thread racer([&] { result_b = b->Append(from_b); });
    result_a = a->Append(from_a);
    racer.join();
    EXPECT_NE(result_a.ok(), result_b.ok()) << "round " << round;
    const absl::Status& lost =
        result_a.ok() ? result_b.status() : result_a.status();
    EXPECT_EQ(lost.code(), absl::StatusCode::kAborted) << lost;
  }
  WaitForEqualHeads(40);
  std::vector<v1::RecordedEvent> log = ExpectIdenticalReplicas();
  EXPECT_EQ(log.size(), 40u);  // each stream: its first event and one winner
}

TEST_F(ClusterTest, AWipedNodeCopiesTheLogFromAPeerAndServesTheSameRoot) {
  // Quick retention, so that etcd soon no longer holds the start. The
  // nodes seal for one unsealing key: the copy must carry sealed data.
  const std::string cli = MISSIONLOG_CLI_PATH;
  ASSERT_EQ(testing::RunShell(cli + " keygen --role=UNSEALER --out=" +
                              dir_.Sub("unsealer") + " 2>&1")
                .exit_code,
            0);
  StartCluster({"--etcd_retention_interval_ms=100",
                "--unsealer_keys=" + dir_.Sub("unsealer.pub")});
  const std::string on_a = cli + " --server=" + nodes_->address(0) + " ";
  ASSERT_EQ(
      testing::RunShell(
          on_a + "command RegisterOrganisation --stream=dhsc/organisation/dhsc "
                 "--command-id=o1 '{\"organisation\":\"dhsc\",\"name\":"
                 "\"DHSC\",\"kind\":"
                 "\"ORGANISATION_KIND_MINISTERIAL_DEPARTMENT\"}' 2>&1")
          .exit_code,
      0);
  testing::ShellRun raised = testing::RunShell(
      on_a +
      "command RaiseConcern --stream=dhsc/concern/c1 --command-id=c1 "
      "'{\"about\":{\"stream\":\"dhsc/organisation/dhsc\"},\"summary\":"
      "\"Rota gaps\",\"sealed_raiser\":{\"value\":\"SmFuZSBEb2U=\"},"
      "\"raised_to\":[{\"organisation\":{\"stream\":\"dhsc/"
      "organisation/dhsc\"}}],\"severity\":\"SEVERITY_HIGH\","
      "\"raised_on\":{\"year\":2025,\"month\":1,\"day\":2}}' 2>&1");
  ASSERT_EQ(raised.exit_code, 0) << raised.output;
  std::unique_ptr<Client> a = Connect(nodes_->address(0), 3);
  for (int n = 2; n < 300; ++n) {  // 300 events with the two above
    ASSERT_TRUE(
        a->Append(OneEvent(absl::StrCat("copy/test/", n % 7), absl::StrCat(n)))
            .ok());
  }
  WaitForEqualHeads(300);
  // Wait until etcd has compacted past the first entries.
  EtcdOptions options;
  options.endpoints = etcd_->endpoints();
  auto etcd = EtcdClient::Connect(options);
  ASSERT_TRUE(etcd.ok());
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  for (;;) {
    etcdserverpb::RangeRequest range;
    range.set_key("/missionlog/e/a");
    range.set_revision(2);
    if (absl::IsOutOfRange((*etcd)->Range(range).status())) break;
    ASSERT_LT(absl::Now(), give_up) << "etcd never compacted";
    absl::SleepFor(absl::Milliseconds(100));
  }

  nodes_->Kill(2);
  ASSERT_EQ(std::system(("rm -rf " + nodes_->data_dir(2)).c_str()), 0);
  ASSERT_TRUE(nodes_->Restart(2));
  WaitForEqualHeads(300);
  // It follows etcd again: its own appends land everywhere.
  std::unique_ptr<Client> c = Connect(nodes_->address(2), 3);
  ASSERT_TRUE(c->Append(OneEvent("copy/test/after", "after")).ok());
  WaitForEqualHeads(301);
  EXPECT_EQ(ExpectIdenticalReplicas().size(), 301u);
  // The copied concern's sealed raiser unseals on the wiped node: its
  // sealed data came with the copy.
  testing::ShellRun unsealed = testing::RunShell(
      cli + " --server=" + nodes_->address(2) +
      " unseal 1 --reason=test --key=" + dir_.Sub("unsealer.key") + " 2>&1");
  EXPECT_EQ(unsealed.exit_code, 0) << unsealed.output;
  EXPECT_TRUE(absl::StrContains(unsealed.output, "Jane Doe"))
      << unsealed.output;
}

TEST_F(ClusterTest, WithoutEtcdQuorumAppendsAreUnavailableAndReadsGoOn) {
  StartCluster();
  std::unique_ptr<Client> a = Connect(nodes_->address(0), 1);
  for (int n = 0; n < 20; ++n) {
    ASSERT_TRUE(a->Append(OneEvent("quorum/test/s", absl::StrCat(n))).ok());
  }
  WaitForEqualHeads(20);
  etcd_->Kill(1);
  etcd_->Kill(2);
  auto refused = a->Append(OneEvent("quorum/test/s", "refused"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable)
      << refused.status();
  EXPECT_NE(refused.status().message().find("etcd"), std::string::npos)
      << refused.status();
  for (int node = 0; node < 3; ++node) {
    auto head = Connect(nodes_->address(node), 1)->GetHead();
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_GE(head->next_position(), 20u);
    EXPECT_EQ(ReadAll(node).size(), head->next_position());
  }

  ASSERT_TRUE(etcd_->Restart(1));
  ASSERT_TRUE(etcd_->Restart(2));
  std::unique_ptr<Client> patient = Connect(nodes_->targets(0), 20);
  ASSERT_TRUE(patient->Append(OneEvent("quorum/test/s", "back")).ok());
  WaitForEqualHeads(21);
  std::vector<v1::RecordedEvent> log = ExpectIdenticalReplicas();
  // The refused append may or may not have been taken (its reply was
  // lost with the quorum): 21 or 22 events, never fewer.
  EXPECT_GE(log.size(), 21u);
  EXPECT_LE(log.size(), 22u);
}

TEST_F(ClusterTest, AnEntryWithoutItsNodesSignatureIsAppliedNowhere) {
  StartCluster();
  std::unique_ptr<Client> a = Connect(nodes_->address(0), 1);
  for (int n = 0; n < 5; ++n) {
    ASSERT_TRUE(a->Append(OneEvent("forge/test/s", absl::StrCat(n))).ok());
  }
  WaitForEqualHeads(5);
  // Someone who can write to etcd puts an append as node b, without b's
  // key.
  v1::ReplicatedProposal proposal;
  proposal.set_incarnation(1);
  proposal.set_sequence(1);
  v1::ReplicatedAppend* append = proposal.add_appends();
  append->set_stream("forge/test/s");
  append->set_recorded_by("dhsc-ingest");
  append->set_recorded_at_us(absl::ToUnixMicros(absl::Now()));
  v1::ReplicatedEvent* event = append->add_events();
  event->set_id(NewUuid());
  event->set_type("test.forged.v1");
  event->set_payload("{}");
  v1::ReplicatedEntry entry;
  entry.set_node("b");
  proposal.SerializeToString(entry.mutable_proposal());
  entry.set_signature(std::string(64, '\x01'));
  EtcdOptions options;
  options.endpoints = etcd_->endpoints();
  auto etcd = EtcdClient::Connect(options);
  ASSERT_TRUE(etcd.ok());
  etcdserverpb::PutRequest put;
  put.set_key("/missionlog/e/b");
  entry.SerializeToString(put.mutable_value());
  ASSERT_TRUE((*etcd)->Put(put).ok());

  // Every node stops applying at it, says why, and takes no append.
  for (int node = 0; node < 3; ++node) {
    auto replication = v1::Replication::NewStub(grpc::CreateChannel(
        nodes_->address(node), grpc::InsecureChannelCredentials()));
    v1::ReplicaStatus status;
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    for (;;) {
      grpc::ClientContext context;
      ASSERT_TRUE(replication
                      ->GetReplicaStatus(&context,
                                         v1::GetReplicaStatusRequest(), &status)
                      .ok());
      if (!status.stopped().empty()) break;
      ASSERT_LT(absl::Now(), give_up) << "node " << node << " applied it";
      absl::SleepFor(absl::Milliseconds(50));
    }
    EXPECT_NE(status.stopped().find("signature"), std::string::npos)
        << status.stopped();
    EXPECT_EQ(status.head(), 5u) << "node " << node;
    auto refused = Connect(nodes_->address(node), 1)
                       ->Append(OneEvent("forge/test/s", "after"));
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
        << refused.status();
  }
  EXPECT_EQ(ExpectIdenticalReplicas().size(), 5u);
}

// A lawful erasure taken by one node is carried out by every node on its
// own copy, as each applies the Erased event; the replicas stay identical
// (headers, leaves, roots) and none keeps the payload.
TEST_F(ClusterTest, AnErasureTakenByOneNodeIsCarriedOutByEvery) {
  StartCluster();
  std::unique_ptr<Client> client = Connect(nodes_->address(0), 3);
  for (const char* tag : {"kept", "Sam Smith sent in error", "kept too"}) {
    ASSERT_TRUE(client->Append(OneEvent("dhsc/note/n1", tag)).ok());
  }
  WaitForEqualHeads(3);
  v1::EraseRequest erase;
  erase.set_position(1);
  erase.set_whole_payload(true);
  erase.set_legal_basis("UK GDPR Art. 17");
  absl::StatusOr<v1::EraseResponse> erased =
      Connect(nodes_->address(1), 3)->Erase(erase);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased_position(), 3u);
  WaitForEqualHeads(4);
  // Each node erases when its applier reaches the Erased event.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  for (int node = 0; node < 3; ++node) {
    for (;;) {
      std::vector<v1::RecordedEvent> events = ReadAll(node);
      if (events.size() > 1 && events[1].data_erased()) break;
      ASSERT_LT(absl::Now(), give_up) << "node " << node;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  std::vector<v1::RecordedEvent> log = ExpectIdenticalReplicas();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_TRUE(log[1].data().empty());
  EXPECT_EQ(log[2].data(), "{\"tag\":\"kept too\"}");
  EXPECT_EQ(log[3].type(), "missionlog.sealing.erased.v1");
}

TEST_F(ClusterTest, NodesReachEtcdOverTlsWithClientCertificatesOnly) {
  const std::string certs = dir_.Sub("certs");
  testing::ShellRun made =
      testing::RunShell(absl::StrCat(SOURCE_DIR, "/deploy/make-certs.sh ",
                                     certs, " etcd.test missionlogd 2>&1"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  StartCluster({"--etcd_ca=" + certs + "/ca.pem",
                "--etcd_cert=" + certs + "/missionlogd.pem",
                "--etcd_key=" + certs + "/missionlogd.key"},
               certs);
  std::unique_ptr<Client> a = Connect(nodes_->targets(0), 3);
  for (int n = 0; n < 10; ++n) {
    ASSERT_TRUE(a->Append(OneEvent("tls/test/s", absl::StrCat(n))).ok());
  }
  WaitForEqualHeads(10);
  EXPECT_EQ(ExpectIdenticalReplicas().size(), 10u);

  // Without a client certificate etcd lets no one in.
  EtcdOptions anonymous;
  anonymous.endpoints = etcd_->endpoints();
  anonymous.ca_file = certs + "/ca.pem";
  anonymous.timeout = absl::Seconds(2);
  auto etcd = EtcdClient::Connect(anonymous);
  ASSERT_TRUE(etcd.ok());
  etcdserverpb::PutRequest put;
  put.set_key("/missionlog/e/x");
  absl::Status refused = (*etcd)->Put(put).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
}

}  // namespace
}  // namespace missionlog
