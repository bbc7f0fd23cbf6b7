#include "eventstore/recent_events.h"

#include <algorithm>
#include <utility>

namespace missionlog {

void RecentEvents::Append(uint64_t first, std::vector<SharedRecord> records) {
  absl::MutexLock lock(&mu_);
  if (first != first_position_ + records_.size()) {
    // Not contiguous (cannot happen while the writer is healthy): start over
    // from `first` rather than serve a wrong position.
    records_.clear();
    bytes_ = 0;
    first_position_ = first;
  }
  for (SharedRecord& record : records) {
    bytes_ += record.size;
    records_.push_back(std::move(record));
  }
  while (!records_.empty() &&
         (records_.size() > max_events_ || bytes_ > max_bytes_)) {
    bytes_ -= records_.front().size;
    records_.pop_front();
    ++first_position_;
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

void RecentEvents::ForgetThrough(uint64_t position) {
  absl::MutexLock lock(&mu_);
  while (!records_.empty() && first_position_ <= position) {
    bytes_ -= records_.front().size;
    records_.pop_front();
    ++first_position_;
  }
}

}  // namespace missionlog
