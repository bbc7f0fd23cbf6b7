#include "eventstore/writer.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/coding.h"
#include "eventstore/keys.h"
#include "eventstore/record.h"
#include "eventstore/status_util.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

constexpr uint64_t kAbsent = UINT64_MAX;
// Beyond this many cached stream heads the cache is dropped between groups.
constexpr size_t kMaxCachedStreams = 1 << 20;
absl::Status ReplicaFencedError() {
  return absl::UnavailableError(
      "an earlier replicated append was not applied; the replica resumes "
      "from the last one it applied");
}
// Payload carried by an ABORTED status: the stream's actual version.
constexpr char kActualVersionUrl[] = "type.missionlog.dev/ActualVersion";

absl::Status WrongExpectedVersion(const PreparedAppend& append,
                                  uint64_t next_version) {
  std::string expected;
  switch (append.expected_version.kind()) {
    case ExpectedVersion::Kind::kAny:
      expected = "any";
      break;
    case ExpectedVersion::Kind::kNoStream:
      expected = "no stream";
      break;
    case ExpectedVersion::Kind::kStreamExists:
      expected = "stream exists";
      break;
    case ExpectedVersion::Kind::kExact:
      expected = absl::StrCat(append.expected_version.version());
      break;
  }
  std::string actual = next_version == 0 ? std::string("no stream")
                                         : absl::StrCat(next_version - 1);
  absl::Status status = absl::AbortedError(
      absl::StrCat("wrong expected version for stream '", append.stream,
                   "': expected ", expected, ", actual ", actual));
  status.SetPayload(
      kActualVersionUrl,
      absl::Cord(next_version == 0 ? std::string("none") : actual));
  return status;
}

bool VersionMatches(const ExpectedVersion& expected, uint64_t next_version) {
  switch (expected.kind()) {
    case ExpectedVersion::Kind::kAny:
      return true;
    case ExpectedVersion::Kind::kNoStream:
      return next_version == 0;
    case ExpectedVersion::Kind::kStreamExists:
      return next_version > 0;
    case ExpectedVersion::Kind::kExact:
      return next_version > 0 && expected.version() == next_version - 1;
  }
  return false;
}

// True if the stored event `stored` is what `event` in `append` would have
// recorded: everything the client controls, plus the author.
bool SameContent(const PreparedAppend& append, const PreparedEvent& event,
                 const RecordedEvent& stored) {
  const EventData& data = event.data;
  return stored.stream() == append.stream && stored.type() == data.type &&
         stored.source() == data.source &&
         stored.occurred_at_us() == data.occurred_at_us &&
         stored.correlation_id() == data.correlation_id &&
         stored.causation_id() == data.causation_id &&
         stored.content_type() == data.content_type &&
         stored.recorded_by() == append.recorded_by &&
         !stored.payload_erased() &&
         stored.payload_sha256() ==
             DigestView(stored.format() == kLeafFormatV1
                            ? Sha256(data.payload)
                            : SaltedPayloadDigest(stored.payload_salt(),
                                                  data.payload));
}

}  // namespace

std::optional<ActualVersion> ActualVersionFromStatus(
    const absl::Status& status) {
  auto payload = status.GetPayload(kActualVersionUrl);  // absl::optional
  if (!payload) return std::nullopt;
  std::string text(*payload);
  ActualVersion actual;
  if (text == "none") return actual;
  uint64_t version = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    version = version * 10 + static_cast<uint64_t>(c - '0');
  }
  actual.stream_exists = true;
  actual.version = version;
  return actual;
}

Writer::Writer(const Options& options, Clock* clock, Storage* storage,
               CommittedHead* head, RecentEvents* recent, Head recovered,
               merkle::CompactRange tree)
    : options_(options),
      clock_(clock),
      storage_(storage),
      head_(head),
      recent_(recent),
      tree_(std::move(tree)),
      next_position_(recovered.next_position),
      last_recorded_at_us_(recovered.last_recorded_at_us),
      applied_(recovered.applied) {
  writer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ml-writer");
    WriterLoop();
  });
  sync_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ml-sync");
    SyncLoop();
  });
  completion_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ml-complete");
    CompletionLoop();
  });
}

Writer::~Writer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_thread_.join();
  to_sync_.Close();
  sync_thread_.join();
  to_complete_.Close();
  completion_thread_.join();
}

Stats Writer::GetStats() {
  Stats stats;
  stats.appends_acknowledged =
      appends_acknowledged_.load(std::memory_order_relaxed);
  stats.events_written = events_written_.load(std::memory_order_relaxed);
  stats.commit_groups = commit_groups_.load(std::memory_order_relaxed);
  stats.wal_syncs = wal_syncs_.load(std::memory_order_relaxed);
  stats.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  stats.append_latency = &append_latency_;
  stats.wal_sync_latency = &wal_sync_latency_;
  absl::MutexLock lock(&mu_);
  stats.appends_stopped = !error_.ok() || reopening_ ? 1 : 0;
  return stats;
}

bool Writer::ReplicaFenced() {
  absl::MutexLock lock(&mu_);
  return replica_fenced_;
}

void Writer::ResumeReplica() {
  absl::MutexLock lock(&mu_);
  replica_fenced_ = false;
}

void Writer::Submit(PreparedAppend append, EventStore::AppendCallback done) {
  auto pending = std::make_unique<Pending>();
  pending->append = std::move(append);
  pending->done = std::move(done);
  pending->submitted_ns = absl::GetCurrentTimeNanos();
  absl::Status refused;
  const bool replicated = pending->append.replicated();
  {
    absl::MutexLock lock(&mu_);
    size_t bytes = pending->append.bytes;
    if (replicated && replica_fenced_) {
      refused = ReplicaFencedError();
    } else if (stopping_) {
      refused = absl::UnavailableError("the event store is closing");
    } else if (reopening_) {
      refused = absl::UnavailableError(
          "the event store is reopening after a write failure; retry shortly");
    } else if (!error_.ok()) {
      refused = absl::UnavailableError(absl::StrCat(
          error_resumable_
              ? "the event store stopped taking appends after a write "
                "failure, and resumes by itself once the disk has room: "
              : "the event store stopped after a write failure; reopen it: ",
          error_.message()));
    } else if (!replicated && inflight_bytes_ > 0 &&
               inflight_bytes_ + bytes > options_.max_inflight_bytes) {
      // A replica's applier bounds its own appends in flight instead.
      refused = absl::ResourceExhaustedError(
          "too many appends are waiting to be committed; retry with backoff");
    } else {
      inflight_bytes_ += bytes;
      queue_.push_back(std::move(pending));
      return;
    }
    if (replicated) replica_fenced_ = true;
  }
  pending->done(refused);
}

std::vector<std::unique_ptr<Writer::Pending>> Writer::TakeQueued() {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  };
  mu_.Await(absl::Condition(&ready));
  std::vector<std::unique_ptr<Pending>> taken;
  size_t group_bytes = 0;
  while (!queue_.empty() &&
         (taken.empty() || group_bytes < options_.max_group_bytes)) {
    group_bytes += queue_.front()->append.bytes;
    taken.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return taken;
}

void Writer::WriterLoop() {
  std::vector<std::unique_ptr<Pending>> deferred;
  while (true) {
    std::vector<std::unique_ptr<Pending>> appends = std::move(deferred);
    deferred.clear();
    if (appends.empty()) appends = TakeQueued();
    if (appends.empty()) break;  // stopping, and nothing left
    std::unique_ptr<Group> group = CommitGroup(std::move(appends), &deferred);
    const size_t weight = group->appends.size();
    to_sync_.Push(std::move(group), weight);
  }
}

std::unique_ptr<Writer::Group> Writer::CommitGroup(
    std::vector<std::unique_ptr<Pending>> appends,
    std::vector<std::unique_ptr<Pending>>* deferred) {
  if (next_versions_.size() > kMaxCachedStreams) next_versions_.clear();
  group_ids_.clear();
  absl::Status error;
  bool fenced;
  {
    absl::MutexLock lock(&mu_);
    error = error_;
    fenced = replica_fenced_;
  }

  auto group = std::make_unique<Group>();
  const Head head_before{next_position_, last_recorded_at_us_, "", applied_};
  const merkle::CompactRange tree_before = tree_;
  group->first_position = next_position_;
  size_t group_bytes = 0;
  for (const auto& pending : appends) {
    // Payloads and metadata, plus the fixed header and hash per event.
    group_bytes += pending->append.bytes + pending->append.events.size() * 192;
  }
  group->chunk.reserve(group_bytes);
  // The batch holds the records and the index entries: reserved once
  // rather than grown (and copied) by each Put.
  rocksdb::WriteBatch batch(group_bytes + group_bytes / 4);
  bool replicated = false;
  for (std::unique_ptr<Pending>& pending : appends) {
    const bool from_cluster = pending->append.replicated();
    replicated = replicated || from_cluster;
    if (!error.ok()) {
      pending->result = absl::UnavailableError(error.message());
    } else if (from_cluster && fenced) {
      pending->result = ReplicaFencedError();
    } else if (Stage(pending.get(), &batch, group.get()) == Staged::kDefer) {
      // Only an id staged earlier in this group defers an append, and it
      // then deduplicates: no position depends on when it is answered.
      deferred->push_back(std::move(pending));
      continue;
    }
    if (from_cluster) {
      // Replicated appends come in their cluster's order: the last one
      // decided is where this store stands once the group is durable.
      if (pending->decided) {
        applied_ = std::max(applied_, pending->append.replica);
      } else {
        fenced = true;
      }
    }
    group->appends.push_back(std::move(pending));
  }
  if (applied_ != head_before.applied) {
    std::string applied;
    PutFixed64(&applied, static_cast<uint64_t>(applied_.revision));
    PutFixed32(&applied, applied_.index);
    batch.Put(storage_->meta(), kAppliedKey, applied).PermitUncheckedError();
  }
  if (tree_.size() != tree_before.size() && !options_.benchmark_without_tree) {
    std::string frontier;
    PutFixed64(&frontier, tree_.size());
    for (const Digest& peak : tree_.peaks()) {
      frontier.append(reinterpret_cast<const char*>(peak.data()), peak.size());
    }
    batch.Put(storage_->tree(), kTreeFrontierKey, frontier)
        .PermitUncheckedError();
  }
  if (batch.Count() > 0) {
    rocksdb::WriteOptions write_options;
    write_options.sync = false;  // the sync thread syncs the whole WAL
    absl::Status written = FromRocksDb(
        storage_->db()->Write(write_options, &batch), "writing appends");
    if (!written.ok()) {
      // Nothing of this group is in the store: forget its positions and
      // versions so the published head never covers them. RocksDB has
      // stopped its writes too; out of space, reopening it brings it back
      // (Reopen).
      Fail(
          written,
          /*resumable=*/written.code() == absl::StatusCode::kResourceExhausted);
      next_position_ = head_before.next_position;
      last_recorded_at_us_ = head_before.last_recorded_at_us;
      applied_ = head_before.applied;
      tree_ = tree_before;
      next_versions_.clear();
      group->chunk.clear();
      group->spans.clear();
      for (auto& pending : group->appends) {
        if (pending->result.ok()) pending->result = written;
        pending->decided = false;
      }
      fenced = fenced || replicated;
    }
    group->wrote = true;
    if (written.ok()) {
      commit_groups_.fetch_add(1, std::memory_order_relaxed);
      bytes_written_.fetch_add(group->chunk.size(), std::memory_order_relaxed);
      events_written_.fetch_add(next_position_ - head_before.next_position,
                                std::memory_order_relaxed);
    }
  }
  if (fenced && replicated) {
    absl::MutexLock lock(&mu_);
    replica_fenced_ = true;
  }
  group->head_after = Head{next_position_, last_recorded_at_us_,
                           std::string(DigestView(tree_.Root())), applied_};
  if (!group->spans.empty()) {
    auto chunk = std::make_shared<const std::string>(std::move(group->chunk));
    group->records.reserve(group->spans.size());
    for (const auto& [offset, size] : group->spans) {
      group->records.push_back(SharedRecord{chunk, offset, size});
    }
  }
  return group;
}

Writer::Staged Writer::Stage(Pending* pending, rocksdb::WriteBatch* batch,
                             Group* group) {
  const PreparedAppend& append = pending->append;
  std::vector<uint64_t> found;
  absl::StatusOr<Staged> lookup = FindExistingIds(append, &found);
  if (!lookup.ok()) {
    pending->result = lookup.status();
    return Staged::kDone;
  }
  if (*lookup == Staged::kDefer) return Staged::kDefer;
  size_t existing = static_cast<size_t>(
      std::count_if(found.begin(), found.end(),
                    [](uint64_t position) { return position != kAbsent; }));
  if (existing > 0) {
    pending->result = Deduplicate(append, found);
    // Its refusals are ALREADY_EXISTS; its storage errors never are.
    pending->decided =
        pending->result.ok() ||
        pending->result.status().code() == absl::StatusCode::kAlreadyExists;
    return Staged::kDone;
  }

  absl::StatusOr<uint64_t> next_version = NextVersion(append.stream);
  if (!next_version.ok()) {
    pending->result = next_version.status();
    return Staged::kDone;
  }
  pending->decided = true;
  if (!VersionMatches(append.expected_version, *next_version)) {
    pending->result = WrongExpectedVersion(append, *next_version);
    return Staged::kDone;
  }
  AppendResult result;
  StageEvents(append, *next_version, batch, &result, group);
  pending->result = result;
  return Staged::kDone;
}

absl::StatusOr<Writer::Staged> Writer::FindExistingIds(
    const PreparedAppend& append, std::vector<uint64_t>* found) {
  found->assign(append.events.size(), kAbsent);
  std::vector<rocksdb::Slice> keys;
  std::vector<size_t> key_events;
  for (size_t i = 0; i < append.events.size(); ++i) {
    const PreparedEvent& event = append.events[i];
    absl::string_view id = event.id.bytes();
    if (group_ids_.contains(event.id)) return Staged::kDefer;
    // A generated v7 id is new by construction; skip the index probe.
    if (event.id_generated) continue;
    keys.emplace_back(id.data(), id.size());
    key_events.push_back(i);
  }
  if (keys.empty()) return Staged::kDone;
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  storage_->db()->MultiGet(rocksdb::ReadOptions(), storage_->ids(), keys.size(),
                           keys.data(), values.data(), statuses.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    if (statuses[k].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocksDb(statuses[k], "looking up an event id"));
    if (values[k].size() != 8) {
      return absl::DataLossError("id index entry is malformed");
    }
    (*found)[key_events[k]] = DecodeFixed64(values[k].data());
  }
  return Staged::kDone;
}

absl::StatusOr<AppendResult> Writer::Deduplicate(
    const PreparedAppend& append, const std::vector<uint64_t>& found) {
  AppendResult result;
  result.deduplicated = true;
  for (size_t i = 0; i < append.events.size(); ++i) {
    std::string field = absl::StrCat("events[", i, "].id");
    if (found[i] == kAbsent) {
      return absl::AlreadyExistsError(absl::StrCat(
          "the append mixes new events with events appended before; ", field,
          " is new but others are not"));
    }
    std::string value;
    RETURN_IF_ERROR(
        FromRocksDb(storage_->db()->Get(rocksdb::ReadOptions(), storage_->log(),
                                        LogKey(found[i]), &value),
                    absl::StrCat("reading the event at position ", found[i])));
    RecordedEvent stored;
    RETURN_IF_ERROR(
        DecodeRecord(found[i], std::move(value), /*verify=*/true, &stored));
    if (!SameContent(append, append.events[i], stored)) {
      return absl::AlreadyExistsError(
          absl::StrCat(field, ": event ", append.events[i].id.ToString(),
                       " was appended before at position ", found[i],
                       " with different content"));
    }
    if (i == 0) result.first_position = found[i];
    result.last_position = found[i];
    result.stream_version = stored.stream_version();
  }
  return result;
}

absl::StatusOr<uint64_t> Writer::NextVersion(const std::string& stream) {
  auto it = next_versions_.find(stream);
  if (it != next_versions_.end()) return it->second;
  // Everything up to next_position_ has been written to RocksDB or staged in
  // this group; a stream missing from the cache has nothing staged.
  ASSIGN_OR_RETURN(std::optional<Storage::StreamHead> last,
                   storage_->LastInStream(stream, UINT64_MAX));
  uint64_t next = last ? last->version + 1 : 0;
  next_versions_.emplace(stream, next);
  return next;
}

void Writer::StageEvents(const PreparedAppend& append, uint64_t first_version,
                         rocksdb::WriteBatch* batch, AppendResult* result,
                         Group* group) {
  // Never decreasing; a replicated append brings the accepting node's
  // clock reading, so every replica computes the same value.
  int64_t recorded_at = std::max(
      append.recorded_at_us ? *append.recorded_at_us : clock_->NowMicros(),
      last_recorded_at_us_);
  last_recorded_at_us_ = recorded_at;
  result->first_position = next_position_;
  uint64_t version = first_version;
  for (const PreparedEvent& event : append.events) {
    uint64_t position = next_position_++;
    const EventData& data = event.data;
    RecordHeader header;
    header.position = position;
    header.stream_version = version;
    header.recorded_at_us = recorded_at;
    header.occurred_at_us = data.occurred_at_us;
    header.event_id = event.id.bytes();
    header.payload_size = static_cast<uint32_t>(data.payload.size());
    header.format = event.salted ? kLeafFormatV2 : kLeafFormatV1;
    header.payload_sha256 = &event.payload_sha256;
    header.stream = append.stream;
    header.type = data.type;
    header.source = data.source;
    header.recorded_by = append.recorded_by;
    header.correlation_id = data.correlation_id;
    header.causation_id = data.causation_id;
    header.content_type = data.content_type;
    scratch_header_.clear();
    EncodeRecordHeader(header, &scratch_header_);
    const Digest leaf = LeafHash(scratch_header_);
    // The Merkle tree grows in the same WriteBatch: it never lags the log.
    if (!options_.benchmark_without_tree)
      tree_.Append(
          leaf, [this, batch](int level, uint64_t index, const Digest& hash) {
            if (!IsStoredTreeLevel(level)) return;
            batch
                ->Put(storage_->tree(), TreeKey(level, index),
                      rocksdb::Slice(reinterpret_cast<const char*>(hash.data()),
                                     hash.size()))
                .PermitUncheckedError();
          });
    // Built once into the group's chunk: the WriteBatch copies it, the
    // bus's ring shares the chunk.
    const size_t offset = group->chunk.size();
    EncodeRecordValue(scratch_header_, leaf, event.salt_view(), data.payload,
                      &group->chunk);
    const size_t size = group->chunk.size() - offset;
    group->spans.emplace_back(static_cast<uint32_t>(offset),
                              static_cast<uint32_t>(size));
    rocksdb::Slice value(group->chunk.data() + offset, size);

    // The same 8 bytes are the log key and the value of both index entries.
    char position_bytes[8];
    EncodeFixed64(position_bytes, position);
    rocksdb::Slice position_slice(position_bytes, 8);
    scratch_key_.assign(append.stream);
    scratch_key_.push_back('\0');
    PutFixed64(&scratch_key_, version);
    absl::string_view id = event.id.bytes();
    // WriteBatch::Put fails only past 4 GiB; groups are far smaller.
    batch->Put(storage_->log(), position_slice, value).PermitUncheckedError();
    batch->Put(storage_->streams(), scratch_key_, position_slice)
        .PermitUncheckedError();
    batch
        ->Put(storage_->ids(), rocksdb::Slice(id.data(), id.size()),
              position_slice)
        .PermitUncheckedError();
    // Sealed fields' openings: beside the event, never in the log.
    if (!data.sealed.empty()) {
      batch->Put(storage_->sealed(), position_slice, data.sealed)
          .PermitUncheckedError();
    }
    group_ids_.emplace(event.id, position);
    ++version;
  }
  next_versions_[append.stream] = version;
  result->last_position = next_position_ - 1;
  result->stream_version = version - 1;
}

void Writer::Fail(const absl::Status& status, bool resumable) {
  absl::MutexLock lock(&mu_);
  if (!error_.ok()) return;
  error_ = status;
  error_resumable_ = resumable;
}

bool Writer::StoppedForSpace() {
  absl::MutexLock lock(&mu_);
  return !error_.ok() && error_resumable_;
}

void Writer::Reopen(const std::function<absl::Status()>& reopen) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || (!error_.ok() && !error_resumable_)) return;
    // No append is admitted while reopening_; wait for those in the
    // pipeline to be answered. Then the writer thread is idle, and its
    // state (positions, tree, cached versions) is ours until reopening_
    // clears.
    reopening_ = true;
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return inflight_bytes_ == 0 || stopping_;
    };
    mu_.Await(absl::Condition(&drained));
  }
  absl::Status reopened = reopen();
  if (reopened.ok()) reopened = Reload();
  absl::MutexLock lock(&mu_);
  reopening_ = false;
  if (reopened.ok()) {
    error_ = absl::OkStatus();
    error_resumable_ = false;
  } else if (error_.ok() || error_resumable_) {
    error_ = reopened;  // the database may be closed: no appends until then
    error_resumable_ = true;
  }
}

absl::Status Writer::Reload() {
  // Recovery replayed everything that reached the WAL, including groups
  // written but not synced when the write failed (answered UNAVAILABLE;
  // their retries find them): the store's own head is the truth.
  ASSIGN_OR_RETURN(Head head, storage_->RecoverHead());
  ASSIGN_OR_RETURN(merkle::CompactRange tree,
                   storage_->RecoverTree(head.next_position));
  next_position_ = head.next_position;
  // A replica's recorded_at must follow from its log alone, so that every
  // replica computes the same; a single store also never goes backwards
  // past what it had handed out before the failure.
  last_recorded_at_us_ = options_.replica ? head.last_recorded_at_us
                                          : std::max(last_recorded_at_us_,
                                                     head.last_recorded_at_us);
  applied_ = head.applied;
  tree_ = std::move(tree);
  next_versions_.clear();
  head.root_hash = std::string(DigestView(tree_.Root()));
  head.last_recorded_at_us = last_recorded_at_us_;
  // The bus's ring lacks those groups: readers past its end read storage,
  // and its next append starts it over (RecentEvents::Append).
  head_->Publish(head);
  return absl::OkStatus();
}

void Writer::SyncLoop() {
  size_t last_acknowledged = 0;
  absl::Duration last_sync = absl::ZeroDuration();
  while (true) {
    // Adaptive group commit (PostgreSQL's commit_delay, MySQL's
    // binlog_group_commit_sync_delay, but self-tuning): the appenders just
    // answered usually append again within microseconds, so wait up to half
    // a sync for them to join this sync instead of the one after it. Under
    // steady load that merges two half-full syncs into one full one; with
    // nothing answered, or sync off, there is no wait.
    const absl::Duration delay =
        std::min(last_sync / 2, options_.max_group_commit_delay);
    std::deque<std::unique_ptr<Group>> groups =
        to_sync_.TakeAllAfterMore(last_acknowledged, delay);
    if (groups.empty()) return;  // closed and drained
    bool wrote = std::any_of(groups.begin(), groups.end(),
                             [](const auto& group) { return group->wrote; });
    // Once a write or sync has failed, nothing after it may be acknowledged:
    // not even an idempotent retry whose original sat in the failed group.
    absl::Status synced;
    {
      absl::MutexLock lock(&mu_);
      if (!error_.ok()) {
        synced = absl::UnavailableError(absl::StrCat(
            "not acknowledged: the event store stopped after a write failure "
            "before this append was durable; retry it with the same event "
            "ids (it returns the original positions if it was recorded after "
            "all): ",
            error_.message()));
      }
    }
    last_sync = absl::ZeroDuration();
    if (synced.ok() && wrote && options_.sync) {
      const absl::Time start = absl::Now();
      synced = storage_->SyncWal();
      last_sync = absl::Now() - start;
      wal_syncs_.fetch_add(1, std::memory_order_relaxed);
      wal_sync_latency_.ObserveMicros(absl::ToInt64Microseconds(last_sync));
    }
    last_acknowledged = 0;
    for (const auto& group : groups) {
      last_acknowledged += group->appends.size();
    }
    if (synced.ok()) {
      for (auto& group : groups) {
        if (!group->records.empty()) {
          recent_->Append(group->first_position, std::move(group->records));
        }
      }
      head_->Publish(groups.back()->head_after);
    } else {
      Fail(synced, /*resumable=*/false);
      absl::MutexLock lock(&mu_);
      replica_fenced_ = true;
    }
    for (auto& group : groups) {
      if (!synced.ok()) {
        for (auto& pending : group->appends) {
          if (pending->result.ok()) pending->result = synced;
          pending->decided = false;
        }
      }
      to_complete_.Push(std::move(group));
    }
  }
}

void Writer::CompletionLoop() {
  while (true) {
    std::deque<std::unique_ptr<Group>> groups = to_complete_.TakeAll();
    if (groups.empty()) return;  // closed and drained
    size_t released = 0;
    for (const auto& group : groups) {
      for (const auto& pending : group->appends) {
        released += pending->append.bytes;
      }
    }
    {
      absl::MutexLock lock(&mu_);
      inflight_bytes_ -= released;
    }
    const int64_t now_ns = absl::GetCurrentTimeNanos();
    for (auto& group : groups) {
      for (auto& pending : group->appends) {
        if (pending->result.ok()) {
          appends_acknowledged_.fetch_add(1, std::memory_order_relaxed);
          append_latency_.ObserveMicros((now_ns - pending->submitted_ns) /
                                        1000);
        }
        pending->done(std::move(pending->result));
      }
    }
  }
}

}  // namespace missionlog
