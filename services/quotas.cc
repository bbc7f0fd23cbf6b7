#include "services/quotas.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"

namespace missionlog {
namespace {

// Buckets kept for principals that are idle and full are dropped beyond
// this many, so a stream of new principals cannot grow the map forever.
constexpr size_t kMaxIdleBuckets = 4096;

double SteadySeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Quotas::Quotas(std::function<double()> now_seconds)
    : now_seconds_(now_seconds != nullptr ? std::move(now_seconds)
                                          : SteadySeconds) {}

absl::Status Quotas::ChargeAppend(const Caller& caller, size_t events) {
  if (caller.policy == nullptr) return absl::OkStatus();
  const v1::Limits& limits = caller.policy->LimitsOf(caller.principal);
  const double rate = limits.append_events_per_second();
  if (rate <= 0) return absl::OkStatus();
  const double burst = limits.append_burst() > 0 ? limits.append_burst() : rate;
  const double wanted = static_cast<double>(events);
  if (wanted > burst) {
    return absl::ResourceExhaustedError(
        absl::StrCat("an append of ", events,
                     " events is more than principal \"", caller.principal,
                     "\" may append at once (burst ", burst, "); split it"));
  }
  const double now = now_seconds_();
  absl::MutexLock lock(&mu_);
  if (buckets_.size() > kMaxIdleBuckets) {
    // Full buckets carry no state worth keeping.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      auto here = it++;
      if (here->second.tokens + (now - here->second.last_seconds) * rate >=
          burst) {
        buckets_.erase(here);
      }
    }
  }
  auto [it, added] = buckets_.try_emplace(caller.principal);
  Bucket& bucket = it->second;
  if (added) {
    bucket.tokens = burst;
  } else {
    bucket.tokens =
        std::min(burst, bucket.tokens + (now - bucket.last_seconds) * rate);
  }
  bucket.last_seconds = now;
  if (bucket.tokens < wanted) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "principal \"", caller.principal, "\" is over its append rate limit (",
        rate, " events/s); retry later"));
  }
  bucket.tokens -= wanted;
  return absl::OkStatus();
}

absl::Status Quotas::OpenSubscription(const Caller& caller) {
  if (caller.policy == nullptr) return absl::OkStatus();
  const uint32_t limit =
      caller.policy->LimitsOf(caller.principal).max_subscriptions();
  absl::MutexLock lock(&mu_);
  uint32_t& open = subscriptions_[caller.principal];
  if (limit > 0 && open >= limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("principal \"", caller.principal, "\" has ", open,
                     " subscriptions open, its limit"));
  }
  ++open;
  return absl::OkStatus();
}

void Quotas::CloseSubscription(const Caller& caller) {
  if (caller.policy == nullptr) return;
  absl::MutexLock lock(&mu_);
  auto it = subscriptions_.find(caller.principal);
  if (it == subscriptions_.end()) return;
  if (--it->second == 0) subscriptions_.erase(it);
}

StreamSlot& StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Release();
    quotas_ = other.quotas_;
    connection_ = std::move(other.connection_);
    other.quotas_ = nullptr;
  }
  return *this;
}

void StreamSlot::Release() {
  if (quotas_ != nullptr) quotas_->CloseStream(connection_);
  quotas_ = nullptr;
}

absl::StatusOr<StreamSlot> Quotas::OpenStream(const std::string& connection) {
  StreamSlot slot;
  if (max_streams_per_connection_ <= 0) return slot;
  {
    absl::MutexLock lock(&mu_);
    int& open = streams_[connection];
    if (open >= max_streams_per_connection_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "this connection has ", open,
          " streaming calls open, the server's limit "
          "(--max_streams_per_connection); close some or open another "
          "connection"));
    }
    ++open;
  }
  slot.quotas_ = this;
  slot.connection_ = connection;
  return slot;
}

void Quotas::CloseStream(const std::string& connection) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(connection);
  if (it != streams_.end() && --it->second <= 0) streams_.erase(it);
}

}  // namespace missionlog
