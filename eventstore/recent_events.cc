#include "eventstore/recent_events.h"

#include <algorithm>
#include <utility>

#include "eventstore/record.h"

namespace missionlog {

void RecentEvents::Append(uint64_t first, std::vector<SharedRecord> records) {
  // The group's runs of one type, found before taking the lock.
  std::vector<TypeRun> runs;
  uint64_t position = first;
  for (const SharedRecord& record : records) {
    RecordParts parts;
    absl::string_view stream, type;
    const bool known =
        SplitRecordValue(position, record.view(), &parts).ok() &&
        PeekStreamAndType(position, parts.header, &stream, &type).ok();
    if (!runs.empty() && runs.back().GoesOnWith(known, type)) {
      ++runs.back().count;
    } else {
      runs.push_back(TypeRun{position, 1, std::string(type), known});
    }
    ++position;
  }

  absl::MutexLock lock(&mu_);
  if (first != first_position_ + records_.size()) {
    // Not contiguous (cannot happen while the writer is healthy): start over
    // from `first` rather than serve a wrong position.
    records_.clear();
    runs_.clear();
    bytes_ = 0;
    first_position_ = first;
  }
  for (SharedRecord& record : records) {
    bytes_ += record.size;
    records_.push_back(std::move(record));
  }
  for (TypeRun& run : runs) {
    // A run that goes on from the last group's joins it.
    if (!runs_.empty() && runs_.back().GoesOnWith(run.known, run.type)) {
      runs_.back().count += run.count;
    } else {
      runs_.push_back(std::move(run));
    }
  }
  while (!records_.empty() &&
         (records_.size() > max_events_ || bytes_ > max_bytes_)) {
    bytes_ -= records_.front().size;
    records_.pop_front();
    ++first_position_;
  }
  DropFront();
}

void RecentEvents::DropFront() {
  while (!runs_.empty() &&
         runs_.front().first + runs_.front().count <= first_position_) {
    runs_.pop_front();
  }
  if (!runs_.empty() && runs_.front().first < first_position_) {
    runs_.front().count -= first_position_ - runs_.front().first;
    runs_.front().first = first_position_;
  }
}

bool RecentEvents::Read(uint64_t from, uint64_t end, size_t max_events,
                        std::vector<SharedRecord>* records) const {
  absl::MutexLock lock(&mu_);
  const uint64_t ring_end = first_position_ + records_.size();
  if (from < first_position_ || end > ring_end || from > end) return false;
  const uint64_t stop = std::min<uint64_t>({end, ring_end, from + max_events});
  for (uint64_t position = from; position < stop; ++position) {
    records->push_back(records_[position - first_position_]);
  }
  return true;
}

bool RecentEvents::SkipUnwanted(
    uint64_t from, uint64_t end,
    absl::FunctionRef<bool(absl::string_view type)> wants,
    uint64_t* next) const {
  absl::MutexLock lock(&mu_);
  const uint64_t ring_end = first_position_ + records_.size();
  if (from < first_position_ || end > ring_end || from > end) return false;
  // The run holding `from`: the last that begins at or before it.
  auto run = std::upper_bound(
      runs_.begin(), runs_.end(), from,
      [](uint64_t position, const TypeRun& r) { return position < r.first; });
  uint64_t position = from;
  if (run != runs_.begin()) --run;
  for (; position < end && run != runs_.end(); ++run) {
    if (!run->known || wants(run->type)) break;
    position = std::min(end, run->first + run->count);
  }
  *next = position;
  return true;
}

void RecentEvents::ForgetThrough(uint64_t position) {
  absl::MutexLock lock(&mu_);
  while (!records_.empty() && first_position_ <= position) {
    bytes_ -= records_.front().size;
    records_.pop_front();
    ++first_position_;
  }
  DropFront();
}

}  // namespace missionlog
