#include "eventstore/disk_space.h"

#include <pthread.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace missionlog {
namespace {

std::string Megabytes(uint64_t bytes) {
  return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
}

}  // namespace

absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& path) {
  struct statvfs info;
  if (statvfs(path.c_str(), &info) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot read the free space of ", path, ": ", std::strerror(errno)));
  }
  return static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
}

DiskSpace::DiskSpace(uint64_t reserve_bytes, absl::Duration interval,
                     std::string describe, FreeSpaceFn free_space,
                     ReadingFn on_reading)
    : reserve_bytes_(reserve_bytes),
      interval_(interval),
      describe_(std::move(describe)),
      free_space_(std::move(free_space)),
      on_reading_(std::move(on_reading)) {
  Read();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ml-disk");
    Loop();
  });
}

DiskSpace::~DiskSpace() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void DiskSpace::Read() {
  absl::StatusOr<uint64_t> free = free_space_();
  if (!free.ok()) return;  // keep the last budget; the next reading retries
  free_bytes_.store(*free, std::memory_order_relaxed);
  const int64_t above =
      static_cast<int64_t>(*free) - static_cast<int64_t>(reserve_bytes_);
  budget_.store(above, std::memory_order_relaxed);
}

void DiskSpace::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), interval_);
    if (stopping_) return;
    mu_.Unlock();
    Read();
    on_reading_(budget_.load(std::memory_order_relaxed) >= 0);
    mu_.Lock();
  }
}

absl::Status DiskSpace::Admit(size_t bytes) {
  const int64_t cost = static_cast<int64_t>(bytes);
  if (budget_.fetch_sub(cost, std::memory_order_relaxed) >= cost) {
    return absl::OkStatus();
  }
  // Not taken after all.
  refused_.fetch_add(1, std::memory_order_relaxed);
  const int64_t left =
      budget_.fetch_add(cost, std::memory_order_relaxed) + cost;
  return Refusal(left);
}

absl::Status DiskSpace::Refusal(int64_t budget) const {
  // What is free now, as far as the readings and the appends since tell.
  const uint64_t free =
      reserve_bytes_ + static_cast<uint64_t>(std::max<int64_t>(budget, 0));
  return absl::ResourceExhaustedError(absl::StrCat(
      "not enough disk space: about ", Megabytes(std::min(free, free_bytes())),
      " free on the disk holding ", describe_, ", and ",
      Megabytes(reserve_bytes_),
      " is kept in reserve so that the store can always shut down, restart "
      "and recover; appends resume by themselves once space is freed"));
}

}  // namespace missionlog
