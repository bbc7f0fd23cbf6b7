#include "cluster/replicated_log.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "missionlog/v1/replication.pb.h"

namespace missionlog {
namespace {

namespace pb = ::missionlog::v1;

// What a node's signature over a proposal covers, before its bytes.
constexpr char kProposalContext[] = "missionlog replicated proposal\n";

pb::ReplicatedAppend::Expected ToWire(ExpectedVersion::Kind kind) {
  switch (kind) {
    case ExpectedVersion::Kind::kAny:
      return pb::ReplicatedAppend::ANY;
    case ExpectedVersion::Kind::kNoStream:
      return pb::ReplicatedAppend::NO_STREAM;
    case ExpectedVersion::Kind::kStreamExists:
      return pb::ReplicatedAppend::STREAM_EXISTS;
    case ExpectedVersion::Kind::kExact:
      return pb::ReplicatedAppend::EXACT;
  }
  return pb::ReplicatedAppend::ANY;
}

ExpectedVersion FromWire(pb::ReplicatedAppend::Expected kind,
                         uint64_t version) {
  switch (kind) {
    case pb::ReplicatedAppend::NO_STREAM:
      return ExpectedVersion::NoStream();
    case pb::ReplicatedAppend::STREAM_EXISTS:
      return ExpectedVersion::StreamExists();
    case pb::ReplicatedAppend::EXACT:
      return ExpectedVersion::Exact(version);
    default:
      return ExpectedVersion::Any();
  }
}

pb::ReplicatedAppend ToWire(AppendRequest request, int64_t recorded_at_us) {
  pb::ReplicatedAppend append;
  append.set_stream(std::move(request.stream));
  append.set_expected(ToWire(request.expected_version.kind()));
  append.set_expected_version(request.expected_version.version());
  append.set_recorded_by(std::move(request.recorded_by));
  append.set_recorded_at_us(recorded_at_us);
  for (EventData& data : request.events) {
    pb::ReplicatedEvent* event = append.add_events();
    event->set_id(std::move(data.id));
    event->set_type(std::move(data.type));
    event->set_source(std::move(data.source));
    if (data.occurred_at_us.has_value()) {
      event->set_has_occurred_at(true);
      event->set_occurred_at_us(*data.occurred_at_us);
    }
    event->set_correlation_id(std::move(data.correlation_id));
    event->set_causation_id(std::move(data.causation_id));
    event->set_content_type(std::move(data.content_type));
    event->set_payload(std::move(data.payload));
    event->set_sealed(std::move(data.sealed));
    event->set_payload_salt(data.payload_salt.value_or(""));
  }
  return append;
}

AppendRequest FromWire(pb::ReplicatedAppend* append) {
  AppendRequest request;
  request.stream = std::move(*append->mutable_stream());
  request.expected_version =
      FromWire(append->expected(), append->expected_version());
  request.recorded_by = std::move(*append->mutable_recorded_by());
  request.events.reserve(append->events_size());
  for (pb::ReplicatedEvent& event : *append->mutable_events()) {
    EventData data;
    data.id = std::move(*event.mutable_id());
    data.type = std::move(*event.mutable_type());
    data.source = std::move(*event.mutable_source());
    if (event.has_occurred_at()) data.occurred_at_us = event.occurred_at_us();
    data.correlation_id = std::move(*event.mutable_correlation_id());
    data.causation_id = std::move(*event.mutable_causation_id());
    data.content_type = std::move(*event.mutable_content_type());
    data.payload = std::move(*event.mutable_payload());
    data.sealed = std::move(*event.mutable_sealed());
    data.payload_salt = std::move(*event.mutable_payload_salt());
    request.events.push_back(std::move(data));
  }
  return request;
}

uint64_t NewIncarnation() {
  absl::BitGen random;
  return absl::Uniform<uint64_t>(random);
}

}  // namespace

struct ReplicatedLog::Queued {
  pb::ReplicatedAppend append;
  size_t bytes = 0;
  AppendCallback done;
};

// The callers of one proposal, by index; each answered once.
struct ReplicatedLog::Waiting {
  std::vector<AppendCallback> done;
  size_t remaining = 0;
};

absl::StatusOr<std::unique_ptr<ReplicatedLog>> ReplicatedLog::Start(
    EventStore* store, EtcdClient* etcd, ClusterConfig config, note::Signer key,
    ReplicationOptions options) {
  const ClusterNode* me = config.Find(options.node);
  if (me == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node ", options.node, " is not in the cluster configuration"));
  }
  // The configuration's key must verify what this key signs.
  absl::StatusOr<std::string> probe = key.SignMessage(kProposalContext);
  if (!probe.ok()) return probe.status();
  if (key.name() != me->key.name() ||
      !me->key.Verify(kProposalContext, *probe)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the signing key ", key.VerifierKey(),
        " is not the key the cluster configuration lists for node ",
        options.node));
  }
  std::unique_ptr<ReplicatedLog> log(new ReplicatedLog(
      store, etcd, std::move(config), std::move(key), std::move(options)));
  log->applier_ = std::thread([raw = log.get()] { raw->ApplyLoop(); });
  log->retention_ = std::thread([raw = log.get()] { raw->RetentionLoop(); });
  return log;
}

ReplicatedLog::ReplicatedLog(EventStore* store, EtcdClient* etcd,
                             ClusterConfig config, note::Signer key,
                             ReplicationOptions options)
    : store_(store),
      etcd_(etcd),
      config_(std::move(config)),
      key_(std::move(key)),
      options_(std::move(options)),
      incarnation_(NewIncarnation()),
      entry_key_(absl::StrCat(options_.prefix, "e/", options_.node)) {
  absl::MutexLock lock(&mu_);
  submitted_ = store_->GetHead().applied;
}

ReplicatedLog::~ReplicatedLog() { Stop(); }

void ReplicatedLog::Stop() {
  std::vector<Queued> queued;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Waiting>> waiting;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !applier_.joinable()) return;
    stopping_ = true;
    if (watch_ != nullptr) watch_->TryCancel();
    queued.swap(queue_);
    queued_bytes_ = 0;
  }
  const absl::Status stopping =
      absl::UnavailableError("this node is stopping; retry on another");
  for (Queued& item : queued) item.done(stopping);
  if (applier_.joinable()) applier_.join();
  if (retention_.joinable()) retention_.join();
  {
    // The put in flight answers within etcd's deadline.
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* proposing) { return *proposing == 0; }, &proposing_));
    waiting.swap(waiting_);
  }
  Drain();
  for (auto& [sequence, callers] : waiting) {
    for (AppendCallback& done : callers->done) {
      if (done) done(stopping);
    }
  }
}

ReplicaState ReplicatedLog::state() {
  ReplicaState state;
  state.head = store_->GetHead();
  absl::MutexLock lock(&mu_);
  state.stopped = stopped_;
  return state;
}

void ReplicatedLog::Refuse(const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  if (stopped_.ok()) stopped_ = why;
}

// --- Proposer ---------------------------------------------------------------

absl::StatusOr<AppendResult> ReplicatedLog::Append(AppendRequest request) {
  absl::Mutex mu;
  std::optional<absl::StatusOr<AppendResult>> result;
  AppendAsync(std::move(request), [&](absl::StatusOr<AppendResult> r) {
    absl::MutexLock lock(&mu);
    result = std::move(r);
  });
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](std::optional<absl::StatusOr<AppendResult>>* r) {
        return r->has_value();
      },
      &result));
  return *std::move(result);
}

void ReplicatedLog::AppendAsync(AppendRequest request, AppendCallback done) {
  absl::StatusOr<int64_t> recorded_at = store_->PrepareReplicated(&request);
  if (!recorded_at.ok()) {
    done(recorded_at.status());
    return;
  }
  Queued item;
  item.append = ToWire(std::move(request), *recorded_at);
  item.bytes = item.append.ByteSizeLong() + 16;
  item.done = std::move(done);
  // The entry around one append: the proposal's fields, the node's name,
  // the signature.
  const size_t overhead = 128 + options_.node.size();
  if (item.bytes + overhead > options_.max_entry_bytes) {
    item.done(absl::InvalidArgumentError(absl::StrCat(
        "the append is ", item.bytes, " bytes; a cluster takes at most ",
        options_.max_entry_bytes - overhead,
        " in one append (etcd's request limit)")));
    return;
  }
  std::vector<Queued> batch;
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused =
          absl::UnavailableError("this node is stopping; retry on another");
    } else if (!stopped_.ok()) {
      refused = absl::FailedPreconditionError(
          absl::StrCat("this node has stopped applying the cluster's log and "
                       "accepts no append: ",
                       stopped_.message()));
    } else {
      queued_bytes_ += item.bytes;
      queue_.push_back(std::move(item));
      // A few puts in flight: etcd batches them into its Raft rounds.
      if (proposing_ >= options_.max_puts_in_flight) return;
      ++proposing_;
      batch = NextBatch();
    }
  }
  if (!refused.ok()) {
    item.done(refused);
    return;
  }
  Propose(std::move(batch));
}

std::vector<ReplicatedLog::Queued> ReplicatedLog::NextBatch() {
  std::vector<Queued> batch;
  size_t bytes = 128 + options_.node.size();
  size_t taken = 0;
  while (
      taken < queue_.size() &&
      (taken == 0 || bytes + queue_[taken].bytes <= options_.max_entry_bytes)) {
    bytes += queue_[taken].bytes;
    ++taken;
  }
  if (taken == queue_.size()) {
    batch.swap(queue_);
  } else {
    batch.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + taken));
    queue_.erase(queue_.begin(), queue_.begin() + taken);
  }
  for (const Queued& item : batch) queued_bytes_ -= item.bytes;
  if (batch.empty()) --proposing_;
  return batch;
}

void ReplicatedLog::Propose(std::vector<Queued> batch) {
  while (!batch.empty()) {
    pb::ReplicatedProposal proposal;
    proposal.set_incarnation(incarnation_);
    auto waiting = std::make_shared<Waiting>();
    waiting->done.reserve(batch.size());
    waiting->remaining = batch.size();
    for (Queued& item : batch) {
      *proposal.add_appends() = std::move(item.append);
      waiting->done.push_back(std::move(item.done));
    }
    uint64_t sequence;
    {
      absl::MutexLock lock(&mu_);
      sequence = next_sequence_++;
      // Registered before the put: the applier may apply it before etcd's
      // answer arrives here.
      waiting_[sequence] = waiting;
    }
    proposal.set_sequence(sequence);
    pb::ReplicatedEntry entry;
    entry.set_node(options_.node);
    proposal.SerializeToString(entry.mutable_proposal());
    absl::StatusOr<std::string> signature =
        key_.SignMessage(absl::StrCat(kProposalContext, entry.proposal()));
    if (!signature.ok()) {
      FailWaiting(sequence, signature.status());
      absl::MutexLock lock(&mu_);
      batch = NextBatch();
      continue;
    }
    entry.set_signature(*std::move(signature));
    etcdserverpb::PutRequest put;
    put.set_key(entry_key_);
    entry.SerializeToString(put.mutable_value());
    etcd_->PutAsync(put, [this, sequence](
                             absl::StatusOr<etcdserverpb::PutResponse> put) {
      if (!put.ok()) {
        // Maybe taken, maybe not: a retry with the same ids is
        // idempotent either way.
        FailWaiting(sequence,
                    absl::UnavailableError(absl::StrCat(
                        "the cluster's sequencer (etcd) did not confirm the "
                        "append; retry with the same event ids: ",
                        put.status().message())));
      }
      std::vector<Queued> next;
      {
        absl::MutexLock lock(&mu_);
        next = NextBatch();
      }
      Propose(std::move(next));
    });
    return;
  }
}

void ReplicatedLog::FailWaiting(uint64_t sequence, const absl::Status& status) {
  std::shared_ptr<Waiting> waiting;
  {
    absl::MutexLock lock(&mu_);
    auto found = waiting_.find(sequence);
    if (found == waiting_.end()) return;
    waiting = std::move(found->second);
    waiting_.erase(found);
  }
  for (AppendCallback& done : waiting->done) {
    if (done) done(status);
  }
}

void ReplicatedLog::Answer(uint64_t sequence, uint32_t index,
                           absl::StatusOr<AppendResult> result) {
  AppendCallback done;
  {
    absl::MutexLock lock(&mu_);
    auto found = waiting_.find(sequence);
    if (found == waiting_.end() || index >= found->second->done.size()) return;
    done = std::move(found->second->done[index]);
    found->second->done[index] = nullptr;
    if (--found->second->remaining == 0) waiting_.erase(found);
  }
  if (done) done(std::move(result));
}

// --- Applier ----------------------------------------------------------------

void ReplicatedLog::ApplyLoop() {
  // Catching up is needed only once etcd no longer holds what is next.
  bool caught_up = true;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!caught_up) {
      absl::Status copied = options_.catch_up();
      if (absl::IsUnavailable(copied) || absl::IsDeadlineExceeded(copied)) {
        std::fprintf(stderr, "missionlogd: catching up: %s; trying again\n",
                     std::string(copied.message()).c_str());
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
        continue;
      }
      if (!copied.ok()) {
        StopApplying(copied);
        return;
      }
      caught_up = true;
      absl::MutexLock lock(&mu_);
      submitted_ = store_->GetHead().applied;
    }
    absl::Status followed = Follow();
    if (absl::IsOutOfRange(followed) && options_.catch_up != nullptr) {
      std::fprintf(stderr, "missionlogd: %s; copying the log from a peer\n",
                   std::string(followed.message()).c_str());
      caught_up = false;
      continue;
    }
    if (!followed.ok()) {
      StopApplying(followed);
      return;
    }
    // The watch ended (etcd member lost, or a fence): open another after a
    // pause, unless stopping.
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(200));
  }
}

absl::Status ReplicatedLog::Follow() {
  if (store_->ApplyingFenced()) {
    // Nothing after the failed append may be applied before it: wait for
    // the rest, then start again after the last one the store applied.
    Drain();
    store_->ResumeApplying();
    absl::MutexLock lock(&mu_);
    submitted_ = store_->GetHead().applied;
  }
  grpc::ClientContext context;
  ReplicaPosition from;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
    watch_ = &context;
    from = submitted_;
  }
  auto stream = etcd_->watch_stub()->Watch(&context);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  const std::string prefix = absl::StrCat(options_.prefix, "e/");
  create->set_key(prefix);
  create->set_range_end(EtcdClient::PrefixEnd(prefix));
  create->set_start_revision(std::max<int64_t>(1, from.revision));
  create->add_filters(etcdserverpb::WatchCreateRequest::NODELETE);
  absl::Status result;
  if (stream->Write(request)) {
    etcdserverpb::WatchResponse response;
    while (result.ok() && stream->Read(&response)) {
      if (response.compact_revision() > 0) {
        result = absl::OutOfRangeError(
            absl::StrCat("etcd no longer holds revision ", from.revision,
                         " (compacted to ", response.compact_revision(), ")"));
        break;
      }
      if (response.canceled()) break;
      for (const etcdserverpb::Event& event : response.events()) {
        result = ApplyEntry(event.kv().mod_revision(), event.kv().value());
        if (!result.ok()) break;
      }
      if (store_->ApplyingFenced()) break;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    watch_ = nullptr;
  }
  context.TryCancel();
  stream->Finish().IgnoreError();
  return result;
}

absl::Status ReplicatedLog::ApplyEntry(int64_t revision,
                                       absl::string_view value) {
  pb::ReplicatedEntry entry;
  pb::ReplicatedProposal proposal;
  auto refuse = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("the entry at etcd revision ", revision, " (from node ",
                     entry.node().empty() ? "?" : entry.node(), ") ", why,
                     "; this node applies nothing after it"));
  };
  if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return refuse("does not parse");
  }
  const ClusterNode* node = config_.Find(entry.node());
  if (node == nullptr) return refuse("names a node not in the configuration");
  if (!node->key.Verify(absl::StrCat(kProposalContext, entry.proposal()),
                        entry.signature())) {
    return refuse("does not carry its node's valid signature");
  }
  if (!proposal.ParseFromString(entry.proposal())) {
    return refuse("holds a proposal that does not parse");
  }
  const bool mine =
      entry.node() == options_.node && proposal.incarnation() == incarnation_;
  const uint64_t sequence = proposal.sequence();
  for (int i = 0; i < proposal.appends_size(); ++i) {
    const ReplicaPosition position{revision, static_cast<uint32_t>(i)};
    pb::ReplicatedAppend* append = proposal.mutable_appends(i);
    const size_t bytes = append->ByteSizeLong();
    {
      absl::MutexLock lock(&mu_);
      if (!(submitted_ < position)) continue;  // applied before
      auto room = [this] {
        mu_.AssertReaderHeld();
        return stopping_ || applying_ == 0 ||
               applying_bytes_ < options_.max_applying_bytes;
      };
      mu_.Await(absl::Condition(&room));
      if (stopping_) return absl::OkStatus();
      submitted_ = position;
      applying_bytes_ += bytes;
      ++applying_;
    }
    const int64_t recorded_at = append->recorded_at_us();
    std::vector<std::string> watched;
    if (options_.on_applied) {
      for (const pb::ReplicatedEvent& event : append->events()) {
        if (event.type() == options_.applied_type) {
          watched.push_back(event.payload());
        }
      }
    }
    store_->ApplyAsync(
        position, FromWire(append), recorded_at,
        [this, position, bytes, mine, sequence, watched = std::move(watched)](
            absl::StatusOr<AppendResult> result) mutable {
          {
            absl::MutexLock lock(&mu_);
            applying_bytes_ -= bytes;
            --applying_;
          }
          if (result.ok() && !result->deduplicated) {
            for (std::string& payload : watched) {
              options_.on_applied(std::move(payload));
            }
          }
          if (mine) Answer(sequence, position.index, std::move(result));
        });
  }
  return absl::OkStatus();
}

void ReplicatedLog::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* applying) { return *applying == 0; }, &applying_));
}

void ReplicatedLog::StopApplying(const absl::Status& status) {
  std::fprintf(stderr, "missionlogd: stopped applying the cluster's log: %s\n",
               std::string(status.message()).c_str());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopped_ = status;
  }
  if (options_.on_stopped) options_.on_stopped(status);
}

// --- Retention --------------------------------------------------------------

void ReplicatedLog::RetentionLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                               options_.retention_interval)) {
        return;
      }
    }
    absl::Status retained = Retain();
    if (!retained.ok() && !absl::IsUnavailable(retained) &&
        !absl::IsDeadlineExceeded(retained)) {
      std::fprintf(stderr, "missionlogd: etcd retention: %s\n",
                   std::string(retained.message()).c_str());
    }
  }
}

absl::Status ReplicatedLog::Retain() {
  const std::string prefix = absl::StrCat(options_.prefix, "applied/");
  etcdserverpb::PutRequest put;
  put.set_key(absl::StrCat(prefix, options_.node));
  put.set_value(absl::StrCat(store_->GetHead().applied.revision));
  absl::StatusOr<etcdserverpb::PutResponse> published = etcd_->Put(put);
  if (!published.ok()) return published.status();
  etcdserverpb::RangeRequest range;
  range.set_key(prefix);
  range.set_range_end(EtcdClient::PrefixEnd(prefix));
  absl::StatusOr<etcdserverpb::RangeResponse> applied = etcd_->Range(range);
  if (!applied.ok()) return applied.status();
  const int64_t now = applied->header().revision();
  // The lowest applied revision of the nodes not too far behind; a node
  // that never said is not waited for (it copies from a peer).
  int64_t lowest = now;
  for (const etcdserverpb::KeyValue& kv : applied->kvs()) {
    int64_t revision = 0;
    if (!absl::SimpleAtoi(kv.value(), &revision)) continue;
    if (now - revision > options_.max_retained_revisions) continue;
    lowest = std::min(lowest, revision);
  }
  if (lowest <= 1) return absl::OkStatus();
  absl::Status compacted = etcd_->Compact(lowest);
  // Another node compacted as far already.
  if (absl::IsOutOfRange(compacted)) return absl::OkStatus();
  return compacted;
}

// --- Reads: this node's store
// -------------------------------------------------

absl::StatusOr<ReadAllResult> ReplicatedLog::ReadAll(
    const ReadAllRequest& request) {
  return store_->ReadAll(request);
}

absl::StatusOr<ReadAllResult> ReplicatedLog::ScanAll(
    const ReadAllRequest& request,
    const std::function<absl::Status(const RecordedEvent&)>& visit) {
  return store_->ScanAll(request, visit);
}

absl::StatusOr<ReadStreamResult> ReplicatedLog::ReadStream(
    const ReadStreamRequest& request) {
  return store_->ReadStream(request);
}

absl::StatusOr<StreamInfo> ReplicatedLog::GetStreamInfo(
    absl::string_view stream) {
  return store_->GetStreamInfo(stream);
}

absl::StatusOr<std::optional<uint64_t>> ReplicatedLog::FindEvent(
    absl::string_view id) {
  return store_->FindEvent(id);
}

Head ReplicatedLog::GetHead() { return store_->GetHead(); }

Stats ReplicatedLog::GetStats() { return store_->GetStats(); }

bool ReplicatedLog::NotifyWhenBeyond(uint64_t position,
                                     std::function<void()> callback) {
  return store_->NotifyWhenBeyond(position, std::move(callback));
}

}  // namespace missionlog
