#include "eventstore/event_store_impl.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "eventstore/keys.h"
#include "eventstore/prepared_append.h"
#include "eventstore/record.h"
#include "eventstore/status_util.h"

namespace missionlog {

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(
    const Options& options, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<EventStoreImpl> store,
                   EventStoreImpl::Open(options, path));
  return std::unique_ptr<EventStore>(std::move(store));
}

namespace {

Options WithoutRequestLimits(Options options) {
  options.max_payload_bytes = SIZE_MAX;
  options.max_events_per_append = SIZE_MAX;
  options.max_append_bytes = SIZE_MAX;
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStoreImpl>> EventStoreImpl::Open(
    const Options& options, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(options, path));
  ASSIGN_OR_RETURN(Head recovered, storage->RecoverHead());
  ASSIGN_OR_RETURN(merkle::CompactRange tree,
                   storage->RecoverTree(recovered.next_position));
  recovered.root_hash = std::string(DigestView(tree.Root()));
  return std::unique_ptr<EventStoreImpl>(new EventStoreImpl(
      options, path, std::move(storage), recovered, std::move(tree)));
}

EventStoreImpl::EventStoreImpl(const Options& options, const std::string& path,
                               std::unique_ptr<Storage> storage, Head recovered,
                               merkle::CompactRange tree)
    : options_(options),
      apply_options_(WithoutRequestLimits(options)),
      clock_(options.clock != nullptr ? options.clock : Clock::System()),
      storage_(std::move(storage)),
      head_(recovered),
      recent_(recovered.next_position, options.recent_events,
              options.recent_event_bytes),
      reader_(options_, storage_.get(), &head_, &recent_),
      writer_(options_, clock_, storage_.get(), &head_, &recent_, recovered,
              std::move(tree)) {
  if (options_.disk_reserve_bytes > 0) {
    disk_space_ = std::make_unique<DiskSpace>(
        options_.disk_reserve_bytes, options_.disk_check_interval, path,
        [path] { return FreeDiskBytes(path); },
        [this](bool above_reserve) {
          if (above_reserve) RecoverIfStopped();
        });
  }
}

EventStoreImpl::~EventStoreImpl() = default;

template <typename Call>
auto EventStoreImpl::WithStorage(const Call& call) -> decltype(call()) {
  StorageUse use(&gate_);
  if (!use.status().ok()) return use.status();
  if (!storage_->is_open()) {
    return absl::UnavailableError(
        "the event store could not reopen after a write failure; it retries "
        "once the disk has room");
  }
  return call();
}

void EventStoreImpl::RecoverIfStopped() {
  if (!writer_.StoppedForSpace() && !storage_->has_background_error() &&
      storage_->is_open()) {
    return;
  }
  writer_.Reopen([this] {
    gate_.Close();
    absl::Status reopened = storage_->Reopen();
    gate_.Open();
    return reopened;
  });
}

absl::StatusOr<AppendResult> EventStoreImpl::Append(AppendRequest request) {
  absl::Notification done;
  absl::StatusOr<AppendResult> result;
  AppendAsync(std::move(request),
              [&done, &result](absl::StatusOr<AppendResult> outcome) {
                result = std::move(outcome);
                done.Notify();
              });
  done.WaitForNotification();
  return result;
}

void EventStoreImpl::AppendAsync(AppendRequest request, AppendCallback done) {
  if (options_.replica) {
    done(absl::FailedPreconditionError(
        "this store is a cluster's replica: appends reach it through etcd"));
    return;
  }
  absl::StatusOr<PreparedAppend> prepared =
      PrepareAppend(options_, clock_, std::move(request));
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  if (disk_space_ != nullptr) {
    absl::Status admitted = disk_space_->Admit(prepared->bytes);
    if (!admitted.ok()) {
      done(admitted);
      return;
    }
  }
  writer_.Submit(std::move(prepared).value(), std::move(done));
}

absl::StatusOr<int64_t> EventStoreImpl::PrepareReplicated(
    AppendRequest* request) {
  ASSIGN_OR_RETURN(PreparedAppend prepared,
                   PrepareAppend(options_, clock_, std::move(*request)));
  if (disk_space_ != nullptr) {
    RETURN_IF_ERROR(disk_space_->Admit(prepared.bytes));
  }
  request->stream = std::move(prepared.stream);
  request->recorded_by = std::move(prepared.recorded_by);
  request->events.clear();
  request->events.reserve(prepared.events.size());
  for (PreparedEvent& event : prepared.events) {
    request->events.push_back(std::move(event.data));
    request->events.back().id = event.id.ToString();
    request->events.back().payload_salt = std::string(event.salt_view());
  }
  return clock_->NowMicros();
}

void EventStoreImpl::ApplyAsync(ReplicaPosition position, AppendRequest request,
                                int64_t recorded_at_us, AppendCallback done) {
  // Every replica writes the same record: a salt the accepting node did
  // not fix means none (a format-v1 record), never one drawn here.
  for (EventData& event : request.events) {
    if (!event.payload_salt.has_value()) event.payload_salt.emplace();
  }
  absl::StatusOr<PreparedAppend> prepared =
      PrepareAppend(apply_options_, clock_, std::move(request));
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  prepared->recorded_at_us = recorded_at_us;
  prepared->replica = position;
  // No disk-space admission: etcd has ordered it, and a replica that
  // skipped it could apply nothing after it. The reserve keeps room.
  writer_.Submit(std::move(prepared).value(), std::move(done));
}

absl::StatusOr<ReadAllResult> EventStoreImpl::ReadAll(
    const ReadAllRequest& request) {
  return WithStorage([&] { return reader_.ReadAll(request); });
}

absl::StatusOr<ReadAllResult> EventStoreImpl::ScanAll(
    const ReadAllRequest& request,
    const std::function<absl::Status(const RecordedEvent&)>& visit) {
  return WithStorage([&] { return reader_.ScanAll(request, visit); });
}

absl::StatusOr<ReadStreamResult> EventStoreImpl::ReadStream(
    const ReadStreamRequest& request) {
  // A name no append could have used is the caller's mistake, not an
  // empty stream.
  RETURN_IF_ERROR(CheckStreamName(request.stream));
  return WithStorage([&] { return reader_.ReadStream(request); });
}

absl::StatusOr<StreamInfo> EventStoreImpl::GetStreamInfo(
    absl::string_view stream) {
  RETURN_IF_ERROR(CheckStreamName(stream));
  return WithStorage([&] { return reader_.GetStreamInfo(stream); });
}

absl::StatusOr<std::optional<uint64_t>> EventStoreImpl::FindEvent(
    absl::string_view id) {
  return WithStorage([&] { return reader_.FindEvent(id); });
}

Head EventStoreImpl::GetHead() { return head_.Get(); }

Stats EventStoreImpl::GetStats() {
  Stats stats = writer_.GetStats();
  if (disk_space_ != nullptr) {
    stats.disk_reserve_bytes = disk_space_->reserve_bytes();
    stats.disk_free_bytes = disk_space_->free_bytes();
    stats.appends_refused_for_space = disk_space_->refused();
    stats.refusing_for_space = disk_space_->below_reserve() ? 1 : 0;
  }
  // RocksDB's own figures, read under the gate (the database may be
  // reopening); missing ones stay 0.
  WithStorage([&]() -> absl::Status {
    rocksdb::DB* db = storage_->db();
    uint64_t value = 0;
    if (db->GetAggregatedIntProperty("rocksdb.total-sst-files-size", &value)) {
      stats.sst_bytes = value;
    }
    if (db->GetAggregatedIntProperty(
            "rocksdb.estimate-pending-compaction-bytes", &value)) {
      stats.pending_compaction_bytes = value;
    }
    if (db->GetIntProperty("rocksdb.is-write-stopped", &value) && value > 0) {
      stats.write_stopped = 1;
    }
    if (db->GetIntProperty("rocksdb.actual-delayed-write-rate", &value)) {
      stats.delayed_write_rate = value;
    }
    return absl::OkStatus();
  }).IgnoreError();
  return stats;
}

absl::StatusOr<std::string> EventStoreImpl::GetTreeRoot(uint64_t tree_size) {
  return WithStorage([&] { return reader_.TreeRoot(tree_size); });
}

absl::StatusOr<std::vector<std::string>> EventStoreImpl::GetInclusionProof(
    uint64_t position, uint64_t tree_size) {
  return WithStorage(
      [&] { return reader_.InclusionProof(position, tree_size); });
}

absl::StatusOr<std::vector<std::string>> EventStoreImpl::GetConsistencyProof(
    uint64_t old_size, uint64_t new_size) {
  return WithStorage(
      [&] { return reader_.ConsistencyProof(old_size, new_size); });
}

absl::StatusOr<std::vector<std::string>> EventStoreImpl::GetTreeNodes(
    int level, uint64_t from_index, size_t max_nodes) {
  return WithStorage(
      [&] { return reader_.TreeNodes(level, from_index, max_nodes); });
}

absl::Status EventStoreImpl::PutCheckpoint(uint64_t tree_size,
                                           absl::string_view signed_note) {
  return WithStorage([&] { return StoreCheckpoint(tree_size, signed_note); });
}

absl::Status EventStoreImpl::StoreCheckpoint(uint64_t tree_size,
                                             absl::string_view signed_note) {
  if (tree_size > head_.next_position()) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint of size ", tree_size,
                     " is past the committed head ", head_.next_position()));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  rocksdb::Status status = storage_->db()->Put(
      write_options, storage_->checkpoints(), LogKey(tree_size),
      rocksdb::Slice(signed_note.data(), signed_note.size()));
  return status.ok() ? absl::OkStatus()
                     : FromRocksDb(status, "writing a checkpoint");
}

absl::StatusOr<std::string> EventStoreImpl::GetSealed(uint64_t position) {
  return WithStorage([&]() -> absl::StatusOr<std::string> {
    std::string value;
    rocksdb::ReadOptions read_options;
    read_options.verify_checksums = true;
    rocksdb::Status status = storage_->db()->Get(
        read_options, storage_->sealed(), LogKey(position), &value);
    if (status.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("the event at position ",
                                              position, " has no sealed data"));
    }
    if (!status.ok()) return FromRocksDb(status, "reading sealed data");
    return value;
  });
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>>
EventStoreImpl::ScanSealed(uint64_t from, uint64_t to) {
  return WithStorage(
      [&]() -> absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> {
        std::vector<std::pair<uint64_t, std::string>> out;
        const std::string end = LogKey(to);
        rocksdb::Slice upper(end);
        rocksdb::ReadOptions read_options;
        read_options.verify_checksums = true;
        read_options.iterate_upper_bound = &upper;
        std::unique_ptr<rocksdb::Iterator> it(
            storage_->db()->NewIterator(read_options, storage_->sealed()));
        for (it->Seek(LogKey(from)); it->Valid(); it->Next()) {
          out.emplace_back(DecodeFixed64(it->key().data()),
                           it->value().ToString());
        }
        if (!it->status().ok()) {
          return FromRocksDb(it->status(), "reading sealed data");
        }
        return out;
      });
}

absl::Status EventStoreImpl::ReplaceSealed(uint64_t position,
                                           const std::string& remaining) {
  return WithStorage([&]() -> absl::Status {
    const std::string key = LogKey(position);
    std::string current;
    rocksdb::Status found = storage_->db()->Get(
        rocksdb::ReadOptions(), storage_->sealed(), key, &current);
    if (found.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("the event at position ",
                                              position, " has no sealed data"));
    }
    if (!found.ok()) return FromRocksDb(found, "reading sealed data");
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    rocksdb::Status written =
        remaining.empty()
            ? storage_->db()->Delete(write_options, storage_->sealed(), key)
            : storage_->db()->Put(write_options, storage_->sealed(), key,
                                  remaining);
    if (!written.ok()) return FromRocksDb(written, "erasing sealed data");
    return PurgeOldValues(key, {storage_->sealed()});
  });
}

absl::Status EventStoreImpl::PurgeOldValues(
    const std::string& key,
    std::initializer_list<rocksdb::ColumnFamilyHandle*> families) {
  rocksdb::DB* db = storage_->db();
  // Every family flushed: no live WAL file holds the old value any more
  // (RocksDB deletes a WAL file once every family has flushed past it, and
  // recycles none: Options::recycle_log_file_num is 0).
  std::vector<rocksdb::ColumnFamilyHandle*> all = {
      storage_->log(),  storage_->streams(),     storage_->ids(),
      storage_->tree(), storage_->checkpoints(), storage_->sealed(),
      storage_->meta()};
  rocksdb::Status flushed = db->Flush(rocksdb::FlushOptions(), all);
  if (!flushed.ok()) return FromRocksDb(flushed, "flushing");
  // Then out of every table file that held it: the key's range compacted
  // to the bottom, where the old value and its replacement meet and the
  // old one is dropped.
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction =
      rocksdb::BottommostLevelCompaction::kForce;
  rocksdb::Slice slice(key);
  for (rocksdb::ColumnFamilyHandle* family : families) {
    rocksdb::Status compacted =
        db->CompactRange(compact, family, &slice, &slice);
    if (!compacted.ok()) return FromRocksDb(compacted, "compacting");
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupResult> EventStoreImpl::Backup(
    const std::string& destination, std::function<void()> progress) {
  if (!backup_mu_.TryLock()) {
    return absl::FailedPreconditionError("a backup is already running");
  }
  absl::StatusOr<BackupResult> result =
      WithStorage([&]() -> absl::StatusOr<BackupResult> {
        BackupResult started;
        // Before the copy starts: everything acknowledged so far is in it.
        started.position = head_.Get().next_position;
        absl::StatusOr<StoredCheckpoint> checkpoint = LoadCheckpoint(0);
        if (checkpoint.ok()) {
          started.checkpoint_size = checkpoint->tree_size;
          started.checkpoint_note = checkpoint->signed_note;
        } else if (!absl::IsNotFound(checkpoint.status())) {
          return checkpoint.status();
        }
        return TakeBackup(storage_->db(), storage_->env(), destination,
                          progress, std::move(started));
      });
  backup_mu_.Unlock();
  return result;
}

absl::Status EventStoreImpl::ErasePayload(uint64_t position) {
  return WithStorage([&]() -> absl::Status {
    rocksdb::DB* db = storage_->db();
    const std::string key = LogKey(position);
    std::string value;
    rocksdb::Status found =
        db->Get(rocksdb::ReadOptions(), storage_->log(), key, &value);
    if (found.IsNotFound() || position >= head_.Get().next_position) {
      return absl::NotFoundError(
          absl::StrCat("no committed event at position ", position));
    }
    if (!found.ok()) return FromRocksDb(found, "reading the event");
    RecordParts parts;
    RETURN_IF_ERROR(SplitRecordValue(position, value, &parts));
    if (parts.erased) {
      return absl::NotFoundError(
          absl::StrCat("the payload of the event at position ", position,
                       " is already erased"));
    }
    std::string erased;
    EncodeErasedRecordValue(parts.header, parts.leaf_hash, &erased);
    rocksdb::WriteBatch batch;
    batch.Put(storage_->log(), key, erased).PermitUncheckedError();
    batch.Delete(storage_->sealed(), key).PermitUncheckedError();
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    rocksdb::Status written = db->Write(write_options, &batch);
    if (!written.ok()) return FromRocksDb(written, "erasing the payload");
    erasures_.fetch_add(1, std::memory_order_release);
    recent_.ForgetThrough(position);
    return PurgeOldValues(key, {storage_->log(), storage_->sealed()});
  });
}

absl::StatusOr<EventStore::StoredCheckpoint> EventStoreImpl::GetCheckpoint(
    uint64_t tree_size) {
  return WithStorage([&] { return LoadCheckpoint(tree_size); });
}

absl::StatusOr<EventStore::StoredCheckpoint> EventStoreImpl::LoadCheckpoint(
    uint64_t tree_size) {
  rocksdb::ReadOptions read_options;
  read_options.verify_checksums = true;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(read_options, storage_->checkpoints()));
  if (tree_size == 0) {
    it->SeekToLast();
  } else {
    it->Seek(LogKey(tree_size));
  }
  if (!it->status().ok()) {
    return FromRocksDb(it->status(), "reading checkpoints");
  }
  if (!it->Valid() || it->key().size() != 8 ||
      (tree_size != 0 && DecodeFixed64(it->key().data()) != tree_size)) {
    return absl::NotFoundError(
        tree_size == 0 ? std::string("no checkpoint has been signed yet")
                       : absl::StrCat("no checkpoint of size ", tree_size));
  }
  StoredCheckpoint checkpoint;
  checkpoint.tree_size = DecodeFixed64(it->key().data());
  checkpoint.signed_note = it->value().ToString();
  return checkpoint;
}

absl::StatusOr<uint64_t> EventStoreImpl::OpenProjection(
    absl::string_view name) {
  return WithStorage([&] { return storage_->projections()->Open(name); });
}

absl::Status EventStoreImpl::CommitProjection(
    absl::string_view name, const std::vector<ProjectionChange>& changes,
    uint64_t position) {
  return WithStorage(
      [&] { return storage_->projections()->Commit(name, changes, position); });
}

absl::StatusOr<std::optional<std::string>> EventStoreImpl::GetProjectionValue(
    absl::string_view name, absl::string_view key) {
  return WithStorage([&] { return storage_->projections()->Get(name, key); });
}

absl::Status EventStoreImpl::ScanProjection(
    absl::string_view name, absl::string_view from, absl::string_view prefix,
    const std::function<bool(absl::string_view, absl::string_view)>& visit) {
  return WithStorage(
      [&] { return storage_->projections()->Scan(name, from, prefix, visit); });
}

absl::Status EventStoreImpl::ResetProjection(absl::string_view name) {
  return WithStorage([&] { return storage_->projections()->Reset(name); });
}

}  // namespace missionlog
