// The open Subscribe calls, so that a shutdown can end them all (with
// UNAVAILABLE) before the server stops, and their quota is released when
// each ends.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_SERVICES_SUBSCRIPTIONS_H_
#define MISSIONLOG_SERVICES_SUBSCRIPTIONS_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "services/quotas.h"

namespace missionlog {

class SubscribeReactor;

class Subscriptions {
 public:
  // `quotas` must outlive the registry.
  explicit Subscriptions(Quotas* quotas) : quotas_(quotas) {}
  Subscriptions(const Subscriptions&) = delete;
  Subscriptions& operator=(const Subscriptions&) = delete;

  // A subscription registers itself while it is open. False once EndAll
  // has run (the server is shutting down).
  bool Register(SubscribeReactor* reactor);
  // Also closes `caller`'s count of open subscriptions (Quotas).
  void Unregister(SubscribeReactor* reactor, const Caller& caller);

  // Ends every open subscription with UNAVAILABLE ("shutting down") and
  // refuses new ones.
  void EndAll();

  // The lowest position an open subscription was last told of (see
  // SubscribeReactor::examined); `none` when none is open.
  uint64_t SlowestPosition(uint64_t none) ABSL_LOCKS_EXCLUDED(mu_);

  // Subscriptions open now.
  size_t open() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return open_.size();
  }

 private:
  Quotas* const quotas_;
  absl::Mutex mu_;
  absl::flat_hash_set<SubscribeReactor*> open_ ABSL_GUARDED_BY(mu_);
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_SUBSCRIPTIONS_H_
