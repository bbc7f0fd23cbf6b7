// The per-principal and per-connection limits of the access policy
// (v1::Limits): an append rate (a token bucket per principal), open
// subscriptions per principal, and long-lived streaming calls per client
// connection. A caller in development mode (no policy) has no limits but
// the per-connection one.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_QUOTAS_H_
#define MISSIONLOG_SERVICES_QUOTAS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/authenticator.h"

namespace missionlog {

class Quotas;

// A long-lived streaming call (AppendStream, Subscribe) counted against
// its connection's limit until the slot is destroyed. Move-only.
class StreamSlot {
 public:
  StreamSlot() = default;
  StreamSlot(StreamSlot&& other) noexcept { *this = std::move(other); }
  StreamSlot& operator=(StreamSlot&& other) noexcept;
  StreamSlot(const StreamSlot&) = delete;
  StreamSlot& operator=(const StreamSlot&) = delete;
  ~StreamSlot() { Release(); }

 private:
  friend class Quotas;
  void Release();
  Quotas* quotas_ = nullptr;
  std::string connection_;
};

class Quotas {
 public:
  // `now_seconds`: a steady clock in seconds (tests pass their own).
  explicit Quotas(std::function<double()> now_seconds = nullptr);
  Quotas(const Quotas&) = delete;
  Quotas& operator=(const Quotas&) = delete;

  // Streaming calls one client connection may have open at once (0: no
  // limit). Set before serving.
  void set_max_streams_per_connection(int limit) {
    max_streams_per_connection_ = limit;
  }

  // Takes `events` from the caller's append allowance: RESOURCE_EXHAUSTED
  // (nothing taken) if its rate limit does not allow them now.
  absl::Status ChargeAppend(const Caller& caller, size_t events);

  // Counts an open subscription of the caller: RESOURCE_EXHAUSTED (not
  // counted) if it has its limit open already. Each OK is paired with one
  // CloseSubscription.
  absl::Status OpenSubscription(const Caller& caller);
  void CloseSubscription(const Caller& caller);

  // Counts a streaming call on `connection` (a peer address):
  // RESOURCE_EXHAUSTED if the connection has its limit open already.
  absl::StatusOr<StreamSlot> OpenStream(const std::string& connection);

 private:
  friend class StreamSlot;
  void CloseStream(const std::string& connection);

  struct Bucket {
    double tokens = 0;
    double last_seconds = 0;
  };

  const std::function<double()> now_seconds_;
  int max_streams_per_connection_ = 0;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> subscriptions_
      ABSL_GUARDED_BY(mu_);
  // Open streaming calls by connection.
  absl::flat_hash_map<std::string, int> streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_QUOTAS_H_
