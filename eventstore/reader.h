// Reads of the committed log: by global position ($all, with filters) and by
// stream. Every read is capped at the published committed head, so it never
// sees the writer's unsynced tail or a partially committed append.
#ifndef MISSIONLOG_EVENTSTORE_READER_H_
#define MISSIONLOG_EVENTSTORE_READER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "eventstore/committed_head.h"
#include "eventstore/event_store.h"
#include "eventstore/recent_events.h"
#include "eventstore/storage.h"
#include "tlog/merkle.h"

namespace missionlog {

// Safe for concurrent use; holds no mutable state.
class Reader {
 public:
  // `storage` and `head` must outlive the reader.
  // `storage`, `head` and `recent` must outlive the reader.
  Reader(const Options& options, const Storage* storage,
         const CommittedHead* head, const RecentEvents* recent)
      : verify_(options.verify_reads),
        max_read_bytes_(options.max_read_bytes),
        storage_(storage),
        head_(head),
        recent_(recent) {}

  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) const;
  // EventStore::ScanAll.
  absl::StatusOr<ReadAllResult> ScanAll(
      const ReadAllRequest& request,
      const std::function<absl::Status(const RecordedEvent&)>& visit) const;
  absl::StatusOr<ReadStreamResult> ReadStream(
      const ReadStreamRequest& request) const;
  absl::StatusOr<StreamInfo> GetStreamInfo(absl::string_view stream) const;
  absl::StatusOr<std::optional<uint64_t>> FindEvent(absl::string_view id) const;

  // The Merkle tree (see EventStore::GetTreeRoot and the proofs).
  absl::StatusOr<std::string> TreeRoot(uint64_t tree_size) const;
  absl::StatusOr<std::vector<std::string>> InclusionProof(
      uint64_t position, uint64_t tree_size) const;
  absl::StatusOr<std::vector<std::string>> TreeNodes(int level,
                                                     uint64_t from_index,
                                                     size_t max_nodes) const;
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(
      uint64_t old_size, uint64_t new_size) const;

 private:
  // Takes each record a read of the log selects: its position, its stored
  // bytes (valid during the call) and whether to verify its hashes.
  using RecordSink =
      absl::FunctionRef<absl::Status(uint64_t, absl::string_view, bool)>;
  // What a read has selected so far, for its limits.
  struct Selection {
    size_t count = 0;
    size_t bytes = 0;
  };
  // The read of ReadAll and ScanAll: hands each selected record to `sink`;
  // the result has the position reached (and no events).
  absl::StatusOr<ReadAllResult> Scan(const ReadAllRequest& request,
                                     RecordSink sink) const;
  // Scan served from the ring of recent events; false if the ring no
  // longer holds `request.from_position` (then storage serves it).
  absl::StatusOr<bool> ScanRecent(const ReadAllRequest& request,
                                  uint64_t committed, RecordSink sink,
                                  Selection* selection,
                                  ReadAllResult* result) const;
  // Hands `record` (stored at `position`) to `sink` if it passes the
  // request's filters, and counts it.
  absl::Status Select(const ReadAllRequest& request, uint64_t position,
                      absl::string_view record, bool verify, RecordSink sink,
                      Selection* selection) const;
  // Roots of tree ranges, read from storage.
  merkle::RangeRoot StoredRoots() const;
  // OUT_OF_RANGE if `tree_size` is past the committed head.
  absl::Status CheckTreeSize(uint64_t tree_size) const;
  // Collects the positions of a stream read from the stream index.
  absl::Status StreamPositions(const ReadStreamRequest& request,
                               uint64_t committed,
                               std::vector<uint64_t>* positions,
                               bool* end_of_stream) const;
  // Fetches and decodes the events at `positions`, in that order, stopping
  // early once they hold max_read_bytes_ (false if it stopped early).
  absl::StatusOr<bool> FetchEvents(const std::vector<uint64_t>& positions,
                                   std::vector<RecordedEvent>* events) const;

  const bool verify_;
  const size_t max_read_bytes_;
  const Storage* const storage_;
  const CommittedHead* const head_;
  const RecentEvents* const recent_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_EVENTSTORE_READER_H_
