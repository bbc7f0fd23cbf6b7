#include "eventstore/reader.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/coding.h"
#include "base/uuid.h"
#include "eventstore/keys.h"
#include "eventstore/record.h"
#include "eventstore/status_util.h"
#include "tlog/merkle.h"

namespace missionlog {
namespace {

// Positions gathered from the stream index per read, whatever the limit, so
// a read of a huge stream holds bounded memory. Callers continue from the
// last version returned.
constexpr size_t kMaxStreamPositionsPerRead = 1 << 16;

absl::string_view View(const rocksdb::Slice& slice) {
  return absl::string_view(slice.data(), slice.size());
}

bool FiltersByType(const ReadAllRequest& request) {
  return !request.type_prefix.empty() || !request.any_type_prefixes.empty();
}

// Whether `request`'s type filters pass an event of `type`.
bool TypeWanted(const ReadAllRequest& request, absl::string_view type) {
  return absl::StartsWith(type, request.type_prefix) &&
         (request.any_type_prefixes.empty() ||
          std::any_of(request.any_type_prefixes.begin(),
                      request.any_type_prefixes.end(),
                      [type](const std::string& prefix) {
                        return absl::StartsWith(type, prefix);
                      }));
}

}  // namespace

absl::StatusOr<ReadAllResult> Reader::ReadAll(
    const ReadAllRequest& request) const {
  ReadAllResult result;
  const uint64_t committed = head_->next_position();
  if (request.from_position < committed) {
    result.events.reserve(static_cast<size_t>(std::min<uint64_t>(
        {request.limit, committed - request.from_position, 16384})));
  }
  std::vector<RecordedEvent>& events = result.events;
  ASSIGN_OR_RETURN(
      ReadAllResult extent,
      Scan(request,
           [&events](uint64_t position, absl::string_view record, bool verify) {
             events.emplace_back();
             return DecodeRecord(position, std::string(record), verify,
                                 &events.back());
           }));
  result.next_position = extent.next_position;
  result.end_of_log = extent.end_of_log;
  return result;
}

absl::StatusOr<ReadAllResult> Reader::ScanAll(
    const ReadAllRequest& request,
    const std::function<absl::Status(const RecordedEvent&)>& visit) const {
  RecordedEvent event;
  return Scan(request, [&event, &visit](uint64_t position,
                                        absl::string_view record, bool verify) {
    RETURN_IF_ERROR(DecodeRecordCopy(position, record, verify, &event));
    return visit(event);
  });
}

absl::StatusOr<ReadAllResult> Reader::Scan(const ReadAllRequest& request,
                                           RecordSink sink) const {
  ReadAllResult result;
  const uint64_t committed = head_->next_position();
  result.next_position = request.from_position;
  if (request.from_position >= committed) {
    result.next_position = std::max(request.from_position, committed);
    result.end_of_log = true;
    return result;
  }
  Selection selection;
  ASSIGN_OR_RETURN(bool served,
                   ScanRecent(request, committed, sink, &selection, &result));
  if (served) return result;

  std::string upper = LogKey(committed);
  rocksdb::Slice upper_bound(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  read_options.readahead_size = 1 << 20;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(read_options, storage_->log()));
  uint64_t expected = request.from_position;
  for (it->Seek(LogKey(request.from_position));
       it->Valid() && selection.count < request.limit &&
       selection.bytes < max_read_bytes_;
       it->Next()) {
    if (it->key().size() != 8 || DecodeFixed64(it->key().data()) != expected) {
      return absl::DataLossError(
          absl::StrCat("the log has no event at position ", expected));
    }
    RETURN_IF_ERROR(Select(request, expected++, View(it->value()),
                           verify_ && request.verify, sink, &selection));
  }
  RETURN_IF_ERROR(FromRocksDb(it->status(), "reading the log"));
  const bool stopped_early =
      selection.count == request.limit || selection.bytes >= max_read_bytes_;
  if (expected < committed && !it->Valid() && !stopped_early) {
    return absl::DataLossError(
        absl::StrCat("the log has no event at position ", expected));
  }
  result.next_position = expected;
  result.end_of_log = expected >= committed;
  return result;
}

absl::StatusOr<bool> Reader::ScanRecent(const ReadAllRequest& request,
                                        uint64_t committed, RecordSink sink,
                                        Selection* selection,
                                        ReadAllResult* result) const {
  std::vector<SharedRecord> records;
  uint64_t position = request.from_position;
  const bool by_type = FiltersByType(request);
  auto wants = [&request](absl::string_view type) {
    return TypeWanted(request, type);
  };
  // Filtered reads may skip many events per match; fetch in slices.
  while (position < committed && selection->count < request.limit &&
         selection->bytes < max_read_bytes_) {
    if (by_type) {
      // Whole runs of a type the filter refuses, without their records.
      uint64_t next;
      if (!recent_->SkipUnwanted(position, committed, wants, &next)) {
        if (position == request.from_position) return false;
        break;  // fell out of the ring mid-read: return what we have
      }
      position = next;
      if (position == committed) break;
    }
    records.clear();
    if (!recent_->Read(position, committed, 1024, &records)) {
      if (position == request.from_position) return false;
      break;  // fell out of the ring mid-read: return what we have
    }
    for (const SharedRecord& record : records) {
      if (selection->count == request.limit ||
          selection->bytes >= max_read_bytes_) {
        break;
      }
      // The ring holds what this process just wrote: no disk in between, so
      // no hash check is needed to trust it.
      RETURN_IF_ERROR(Select(request, position++, record.view(),
                             /*verify=*/false, sink, selection));
    }
  }
  result->next_position = position;
  result->end_of_log = position >= committed;
  return true;
}

absl::Status Reader::Select(const ReadAllRequest& request, uint64_t position,
                            absl::string_view record, bool verify,
                            RecordSink sink, Selection* selection) const {
  if (!request.stream_prefix.empty() || FiltersByType(request)) {
    RecordParts parts;
    absl::string_view stream, type;
    RETURN_IF_ERROR(SplitRecordValue(position, record, &parts));
    RETURN_IF_ERROR(PeekStreamAndType(position, parts.header, &stream, &type));
    if (!absl::StartsWith(stream, request.stream_prefix) ||
        !TypeWanted(request, type)) {
      return absl::OkStatus();
    }
  }
  RETURN_IF_ERROR(sink(position, record, verify));
  ++selection->count;
  selection->bytes += record.size();
  return absl::OkStatus();
}

absl::StatusOr<ReadStreamResult> Reader::ReadStream(
    const ReadStreamRequest& request) const {
  ReadStreamResult result;
  std::vector<uint64_t> positions;
  RETURN_IF_ERROR(StreamPositions(request, head_->next_position(), &positions,
                                  &result.end_of_stream));
  ASSIGN_OR_RETURN(bool complete, FetchEvents(positions, &result.events));
  if (!complete) result.end_of_stream = false;
  return result;
}

absl::Status Reader::StreamPositions(const ReadStreamRequest& request,
                                     uint64_t committed,
                                     std::vector<uint64_t>* positions,
                                     bool* end_of_stream) const {
  const std::string prefix = StreamKeyPrefix(request.stream);
  const bool forward = request.direction == Direction::kForward;
  std::unique_ptr<rocksdb::Iterator> it(
      storage_->db()->NewIterator(rocksdb::ReadOptions(), storage_->streams()));
  if (forward) {
    it->Seek(StreamKey(request.stream, request.from_version));
  } else {
    it->SeekForPrev(StreamKey(request.stream, request.from_version));
  }
  *end_of_stream = true;
  for (; it->Valid() && it->key().starts_with(prefix);
       forward ? it->Next() : it->Prev()) {
    if (it->key().size() != prefix.size() + 8 || it->value().size() != 8) {
      return absl::DataLossError(absl::StrCat(
          "stream index entry of '", request.stream, "' is malformed"));
    }
    uint64_t position = DecodeFixed64(it->value().data());
    if (position >= committed) {
      if (forward) break;  // the rest is newer still
      continue;            // backward: skip the uncommitted newest entries
    }
    if (positions->size() ==
        std::min(request.limit, kMaxStreamPositionsPerRead)) {
      *end_of_stream = false;
      break;
    }
    positions->push_back(position);
  }
  return FromRocksDb(it->status(), "reading a stream");
}

absl::StatusOr<bool> Reader::FetchEvents(
    const std::vector<uint64_t>& positions,
    std::vector<RecordedEvent>* events) const {
  if (positions.empty()) return true;
  std::vector<std::string> key_bytes;
  key_bytes.reserve(positions.size());
  std::vector<rocksdb::Slice> keys;
  keys.reserve(positions.size());
  for (uint64_t position : positions) {
    key_bytes.push_back(LogKey(position));
    keys.emplace_back(key_bytes.back());
  }
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  storage_->db()->MultiGet(rocksdb::ReadOptions(), storage_->log(), keys.size(),
                           keys.data(), values.data(), statuses.data());
  events->reserve(positions.size());
  size_t bytes = 0;
  for (size_t i = 0; i < positions.size(); ++i) {
    if (bytes >= max_read_bytes_) return false;
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(
          absl::StrCat("the stream index names position ", positions[i],
                       " but the log has no event there"));
    }
    RETURN_IF_ERROR(FromRocksDb(
        statuses[i],
        absl::StrCat("reading the event at position ", positions[i])));
    events->emplace_back();
    RETURN_IF_ERROR(DecodeRecord(positions[i], values[i].ToString(), verify_,
                                 &events->back()));
    bytes += values[i].size();
  }
  return true;
}

namespace {

std::vector<std::string> ToStrings(const std::vector<Digest>& digests) {
  std::vector<std::string> strings;
  strings.reserve(digests.size());
  for (const Digest& digest : digests) {
    strings.emplace_back(DigestView(digest));
  }
  return strings;
}

}  // namespace

merkle::RangeRoot Reader::StoredRoots() const {
  const Storage* storage = storage_;
  return [storage](uint64_t begin, uint64_t end) {
    return storage->SubtreeRoot(begin, end);
  };
}

absl::Status Reader::CheckTreeSize(uint64_t tree_size) const {
  const uint64_t committed = head_->next_position();
  if (tree_size > committed) {
    return absl::OutOfRangeError(absl::StrCat(
        "tree size ", tree_size, " is past the log's ", committed, " events"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Reader::TreeRoot(uint64_t tree_size) const {
  RETURN_IF_ERROR(CheckTreeSize(tree_size));
  ASSIGN_OR_RETURN(Digest root, storage_->SubtreeRoot(0, tree_size));
  return std::string(DigestView(root));
}

absl::StatusOr<std::vector<std::string>> Reader::InclusionProof(
    uint64_t position, uint64_t tree_size) const {
  RETURN_IF_ERROR(CheckTreeSize(tree_size));
  if (position >= tree_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "position ", position, " is not in a tree of size ", tree_size));
  }
  ASSIGN_OR_RETURN(std::vector<Digest> proof,
                   merkle::InclusionProof(position, tree_size, StoredRoots()));
  return ToStrings(proof);
}

absl::StatusOr<std::vector<std::string>> Reader::ConsistencyProof(
    uint64_t old_size, uint64_t new_size) const {
  RETURN_IF_ERROR(CheckTreeSize(new_size));
  if (old_size == 0 || old_size > new_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no consistency proof from size ", old_size, " to ", new_size));
  }
  ASSIGN_OR_RETURN(std::vector<Digest> proof,
                   merkle::ConsistencyProof(old_size, new_size, StoredRoots()));
  return ToStrings(proof);
}

absl::StatusOr<std::vector<std::string>> Reader::TreeNodes(
    int level, uint64_t from_index, size_t max_nodes) const {
  if (!IsStoredTreeLevel(level) || level > 63) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree level ", level, " is not stored: only multiples of ",
                     kTreeTileHeight, " are (keys.h)"));
  }
  // Only nodes complete within the committed tree: a node of a larger tree
  // may already be written but is not yet covered by the published head.
  const uint64_t complete = head_->next_position() >> level;
  std::vector<std::string> nodes;
  if (from_index >= complete) return nodes;
  const uint64_t count = std::min<uint64_t>(complete - from_index, max_nodes);
  ASSIGN_OR_RETURN(std::vector<Digest> stored,
                   storage_->StoredNodes(level, from_index, count));
  nodes.reserve(stored.size());
  for (const Digest& node : stored) nodes.emplace_back(DigestView(node));
  return nodes;
}

absl::StatusOr<StreamInfo> Reader::GetStreamInfo(
    absl::string_view stream) const {
  ASSIGN_OR_RETURN(std::optional<Storage::StreamHead> last,
                   storage_->LastInStream(stream, head_->next_position()));
  StreamInfo info;
  if (last) {
    info.exists = true;
    info.last_version = last->version;
    info.last_position = last->position;
  }
  return info;
}

absl::StatusOr<std::optional<uint64_t>> Reader::FindEvent(
    absl::string_view id) const {
  std::optional<Uuid> uuid = Uuid::Parse(id);
  if (!uuid) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", id, "\" is not a UUID"));
  }
  std::string value;
  rocksdb::Status status = storage_->db()->Get(
      rocksdb::ReadOptions(), storage_->ids(),
      rocksdb::Slice(uuid->bytes().data(), uuid->bytes().size()), &value);
  if (status.IsNotFound()) return std::optional<uint64_t>();
  RETURN_IF_ERROR(FromRocksDb(status, "looking up an event id"));
  if (value.size() != 8) {
    return absl::DataLossError("id index entry is malformed");
  }
  const uint64_t position = DecodeFixed64(value.data());
  // Written in the same batch as the event, but not yet visible to readers
  // until the head passes it.
  if (position >= head_->next_position()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(position);
}

}  // namespace missionlog
