#include "eventstore/event_store_impl.h"

#include <utility>

#include "absl/synchronization/notification.h"
#include "eventstore/prepared_append.h"
#include "eventstore/status_util.h"

namespace missionlog {

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(
    const Options& options, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<EventStoreImpl> store,
                   EventStoreImpl::Open(options, path));
  return std::unique_ptr<EventStore>(std::move(store));
}

absl::StatusOr<std::unique_ptr<EventStoreImpl>> EventStoreImpl::Open(
    const Options& options, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                   Storage::Open(options, path));
  ASSIGN_OR_RETURN(Head recovered, storage->RecoverHead());
  const Storage* stored = storage.get();
  ASSIGN_OR_RETURN(
      merkle::CompactRange tree,
      merkle::CompactRange::Recover(recovered.next_position,
                                    [stored](uint64_t begin, uint64_t end) {
                                      return stored->SubtreeRoot(begin, end);
                                    }));
  recovered.root_hash = std::string(DigestView(tree.Root()));
  return std::unique_ptr<EventStoreImpl>(new EventStoreImpl(
      options, std::move(storage), recovered, std::move(tree)));
}

EventStoreImpl::EventStoreImpl(const Options& options,
                               std::unique_ptr<Storage> storage, Head recovered,
                               merkle::CompactRange tree)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::System()),
      storage_(std::move(storage)),
      head_(recovered),
      recent_(recovered.next_position, options.recent_events,
              options.recent_event_bytes),
      reader_(options_, storage_.get(), &head_, &recent_),
      writer_(options_, clock_, storage_.get(), &head_, &recent_, recovered,
              std::move(tree)) {}

EventStoreImpl::~EventStoreImpl() = default;

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
  absl::StatusOr<PreparedAppend> prepared =
      PrepareAppend(options_, clock_, std::move(request));
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  writer_.Submit(std::move(prepared).value(), std::move(done));
}

absl::StatusOr<ReadAllResult> EventStoreImpl::ReadAll(
    const ReadAllRequest& request) {
  return reader_.ReadAll(request);
}

absl::StatusOr<ReadStreamResult> EventStoreImpl::ReadStream(
    const ReadStreamRequest& request) {
  return reader_.ReadStream(request);
}

absl::StatusOr<StreamInfo> EventStoreImpl::GetStreamInfo(
    absl::string_view stream) {
  return reader_.GetStreamInfo(stream);
}

Head EventStoreImpl::GetHead() { return head_.Get(); }

absl::StatusOr<std::string> EventStoreImpl::GetTreeRoot(uint64_t tree_size) {
  return reader_.TreeRoot(tree_size);
}

absl::StatusOr<std::vector<std::string>> EventStoreImpl::GetInclusionProof(
    uint64_t position, uint64_t tree_size) {
  return reader_.InclusionProof(position, tree_size);
}

absl::StatusOr<std::vector<std::string>> EventStoreImpl::GetConsistencyProof(
    uint64_t old_size, uint64_t new_size) {
  return reader_.ConsistencyProof(old_size, new_size);
}

}  // namespace missionlog
