#include "cluster/catch_up.h"

#include <cstdio>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "missionlog/v1/replication.grpc.pb.h"
#include "missionlog/v1/store.grpc.pb.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

namespace pb = ::missionlog::v1;

struct Peer {
  const ClusterNode* node = nullptr;
  std::shared_ptr<grpc::Channel> channel;
  pb::ReplicaStatus status;
};

void Prepare(grpc::ClientContext* context, const CatchUpOptions& options,
             absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!options.token.empty()) {
    context->AddMetadata("authorization", "Bearer " + options.token);
  }
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

int64_t Micros(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1000000 + time.nanos() / 1000;
}

// Applies `events` (consecutive, from the peer) as appends: one per run of
// events with the same stream, principal and recorded_at. The last append
// carries `last`; the others the empty position.
class Copier {
 public:
  Copier(EventStore* store) : store_(store) {}

  absl::Status Copy(const pb::RecordedEvent& event, std::string sealed,
                    bool last_event, ReplicaPosition last) {
    const int64_t recorded_at = Micros(event.recorded_time());
    if (!pending_.events.empty() &&
        (pending_.stream != event.subject() ||
         pending_.recorded_by != event.recorded_by() ||
         recorded_at_ != recorded_at)) {
      Flush(ReplicaPosition{});
    }
    if (pending_.events.empty()) {
      pending_.stream = event.subject();
      pending_.recorded_by = event.recorded_by();
      pending_.expected_version =
          event.stream_version() == 0
              ? ExpectedVersion::NoStream()
              : ExpectedVersion::Exact(event.stream_version() - 1);
      recorded_at_ = recorded_at;
      first_position_ = event.position();
    }
    EventData data;
    data.id = event.id();
    data.type = event.type();
    data.source = event.source();
    if (event.has_time()) data.occurred_at_us = Micros(event.time());
    data.correlation_id = event.correlation_id();
    data.causation_id = event.causation_id();
    data.content_type = event.datacontenttype();
    if (event.data_erased()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the peer's event at position ", event.position(),
          " has an erased payload, which cannot be copied event by event: "
          "restore this node from a backup of the peer instead"));
    }
    data.payload = event.data();
    data.payload_salt = event.data_salt();
    data.sealed = std::move(sealed);
    pending_.events.push_back(std::move(data));
    if (last_event) Flush(last);
    absl::MutexLock lock(&mu_);
    return failed_;
  }

  // Waits for every copied append.
  absl::Status Finish() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
    return failed_;
  }

 private:
  void Flush(ReplicaPosition position) {
    const uint64_t first = first_position_;
    const size_t count = pending_.events.size();
    {
      // Bounded: the store's queue holds a few thousand appends at most.
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](int* in_flight) { return *in_flight < kMaxInFlight; },
          &in_flight_));
      ++in_flight_;
    }
    store_->ApplyAsync(
        position, std::move(pending_), recorded_at_,
        [this, first, count](absl::StatusOr<AppendResult> result) {
          absl::MutexLock lock(&mu_);
          --in_flight_;
          if (!failed_.ok()) return;
          if (!result.ok()) {
            failed_ = absl::Status(
                result.status().code(),
                absl::StrCat("copying the event at position ", first, ": ",
                             result.status().message()));
          } else if (result->deduplicated || result->first_position != first ||
                     result->last_position != first + count - 1) {
            failed_ = absl::DataLossError(
                absl::StrCat("the peer's events at position ", first,
                             " did not land at the same position here"));
          }
        });
    pending_ = AppendRequest();
  }

  static constexpr int kMaxInFlight = 4096;

  EventStore* const store_;
  AppendRequest pending_;
  int64_t recorded_at_ = 0;
  uint64_t first_position_ = 0;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

// The peer's latest checkpoint, checked with the key of a node of the
// cluster (the node that signed it): (size, root); size 0 if it has none
// yet.
absl::StatusOr<Checkpoint> SignedCheckpointOf(const Peer& peer,
                                              const ClusterConfig& config,
                                              const CatchUpOptions& options) {
  auto audit = pb::Audit::NewStub(peer.channel);
  grpc::ClientContext context;
  Prepare(&context, options, absl::Seconds(10));
  pb::GetCheckpointRequest request;
  pb::SignedCheckpoint response;
  grpc::Status status = audit->GetCheckpoint(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return Checkpoint();
  if (!status.ok()) return FromGrpc(status, "the peer's checkpoint");
  for (const ClusterNode& node : config.nodes()) {
    absl::StatusOr<std::string> text = note::Open(response.note(), node.key);
    if (text.ok()) return ParseCheckpoint(*text);
  }
  return absl::DataLossError(
      absl::StrCat("node ", peer.node->name,
                   "'s latest checkpoint is not signed by any node of the "
                   "cluster configuration"));
}

}  // namespace

absl::Status CatchUp(EventStore* store, const ClusterConfig& config,
                     const CatchUpOptions& options) {
  const Head head = store->GetHead();
  // The peer furthest ahead of this node.
  std::optional<Peer> best;
  std::string unreachable;
  for (const ClusterNode& node : config.nodes()) {
    if (node.name == options.node) continue;
    Peer peer;
    peer.node = &node;
    peer.channel = grpc::CreateChannel(node.address, options.credentials);
    auto replication = pb::Replication::NewStub(peer.channel);
    grpc::ClientContext context;
    Prepare(&context, options, absl::Seconds(5));
    grpc::Status status = replication->GetReplicaStatus(
        &context, pb::GetReplicaStatusRequest(), &peer.status);
    if (!status.ok()) {
      absl::StrAppend(&unreachable, " ", node.name, ": ",
                      status.error_message(), ";");
      continue;
    }
    const ReplicaPosition applied{peer.status.applied_revision(),
                                  peer.status.applied_index()};
    if (!peer.status.stopped().empty() || !(head.applied < applied) ||
        peer.status.head() < head.next_position) {
      continue;
    }
    if (!best.has_value() ||
        ReplicaPosition{best->status.applied_revision(),
                        best->status.applied_index()} < applied) {
      best = std::move(peer);
    }
  }
  if (!best.has_value()) {
    return absl::UnavailableError(absl::StrCat(
        "no peer is ahead of this node to copy from", unreachable));
  }
  const Peer& peer = *best;
  absl::StatusOr<Checkpoint> checkpoint =
      SignedCheckpointOf(peer, config, options);
  if (!checkpoint.ok()) return checkpoint.status();
  // Its status again, now that its checkpoint is known: the head it
  // reports covers the checkpoint.
  {
    auto replication = pb::Replication::NewStub(peer.channel);
    grpc::ClientContext context;
    Prepare(&context, options, absl::Seconds(5));
    grpc::Status status = replication->GetReplicaStatus(
        &context, pb::GetReplicaStatusRequest(), &best->status);
    if (!status.ok()) return FromGrpc(status, "the peer's status");
  }
  const uint64_t target = peer.status.head();
  const ReplicaPosition applied{peer.status.applied_revision(),
                                peer.status.applied_index()};
  Digest peer_root;
  if (!DigestFromBytes(peer.status.root_hash(), &peer_root) ||
      checkpoint->tree_size > target) {
    return absl::DataLossError(
        absl::StrCat("node ", peer.node->name,
                     " reports a head that does not cover its "
                     "own checkpoint"));
  }
  std::fprintf(
      stderr, "missionlogd: copying events %llu to %llu from node %s\n",
      static_cast<unsigned long long>(head.next_position),
      static_cast<unsigned long long>(target), peer.node->name.c_str());

  // This node's log must be a prefix of the peer's.
  if (head.next_position > 0 && head.next_position < target) {
    auto audit = pb::Audit::NewStub(peer.channel);
    grpc::ClientContext context;
    Prepare(&context, options, absl::Seconds(10));
    pb::GetConsistencyProofRequest request;
    request.set_old_size(head.next_position);
    request.set_new_size(target);
    pb::ConsistencyProof response;
    grpc::Status status =
        audit->GetConsistencyProof(&context, request, &response);
    if (!status.ok()) return FromGrpc(status, "the peer's consistency proof");
    std::vector<Digest> proof;
    for (const std::string& hash : response.hashes()) {
      Digest digest;
      if (!DigestFromBytes(hash, &digest)) {
        return absl::DataLossError("a malformed consistency proof");
      }
      proof.push_back(digest);
    }
    Digest mine;
    if (!DigestFromBytes(head.root_hash, &mine)) {
      return absl::InternalError("this node's root is malformed");
    }
    absl::Status consistent = merkle::VerifyConsistency(
        head.next_position, target, proof, mine, peer_root);
    if (!consistent.ok()) {
      return absl::DataLossError(
          absl::StrCat("this node's log is not a prefix of node ",
                       peer.node->name, "'s: ", consistent.message()));
    }
  }

  // The copy: reads of the peer's log, applied as they arrive.
  Copier copier(store);
  auto events = pb::EventStore::NewStub(peer.channel);
  uint64_t next = head.next_position;
  while (next < target) {
    const uint64_t count =
        std::min<uint64_t>(options.batch_events, target - next);
    // The batch's sealed data first (kept beside the events, in their
    // writes; authenticated by its own encryption, not by the tree).
    std::map<uint64_t, std::string> sealed;
    {
      auto replication = pb::Replication::NewStub(peer.channel);
      grpc::ClientContext sealed_context;
      Prepare(&sealed_context, options, absl::Minutes(1));
      pb::GetSealedRequest sealed_request;
      sealed_request.set_from(next);
      sealed_request.set_count(count);
      pb::GetSealedResponse sealed_response;
      grpc::Status status = replication->GetSealed(
          &sealed_context, sealed_request, &sealed_response);
      if (!status.ok()) return FromGrpc(status, "the peer's sealed data");
      for (pb::GetSealedResponse::Item& item :
           *sealed_response.mutable_items()) {
        sealed[item.position()] = std::move(*item.mutable_sealed());
      }
    }
    grpc::ClientContext context;
    Prepare(&context, options, absl::Minutes(5));
    pb::ReadRequest request;
    request.mutable_all()->set_from_position(next);
    request.set_limit(count);
    auto reader = events->Read(&context, request);
    pb::ReadResponse response;
    while (reader->Read(&response)) {
      for (const pb::RecordedEvent& event : response.events()) {
        if (event.position() != next) {
          context.TryCancel();
          return absl::DataLossError(absl::StrCat(
              "the peer sent position ", event.position(), " for ", next));
        }
        ++next;
        auto found = sealed.find(event.position());
        absl::Status copied = copier.Copy(
            event,
            found == sealed.end() ? std::string() : std::move(found->second),
            next == target, applied);
        if (!copied.ok()) {
          context.TryCancel();
          reader->Finish().IgnoreError();
          return copied;
        }
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return FromGrpc(status, "reading the peer's log");
  }
  absl::Status copied = copier.Finish();
  if (!copied.ok()) return copied;

  // The copy must give the peer's roots.
  absl::StatusOr<std::string> root = store->GetTreeRoot(target);
  if (!root.ok()) return root.status();
  if (*root != peer.status.root_hash()) {
    return absl::DataLossError(absl::StrCat("the copy of node ",
                                            peer.node->name,
                                            "'s log does not give its root "
                                            "at size ",
                                            target));
  }
  if (checkpoint->tree_size > 0) {
    absl::StatusOr<std::string> signed_root =
        store->GetTreeRoot(checkpoint->tree_size);
    if (!signed_root.ok()) return signed_root.status();
    if (*signed_root != DigestView(checkpoint->root_hash)) {
      return absl::DataLossError(
          absl::StrCat("the copy does not give the root node ", peer.node->name,
                       " signed at size ", checkpoint->tree_size));
    }
  }
  std::fprintf(stderr,
               "missionlogd: copied up to %llu from node %s; root and signed "
               "checkpoint at %llu match\n",
               static_cast<unsigned long long>(target), peer.node->name.c_str(),
               static_cast<unsigned long long>(checkpoint->tree_size));
  return absl::OkStatus();
}

}  // namespace missionlog
