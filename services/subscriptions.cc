#include "services/subscriptions.h"

#include <algorithm>

#include "services/subscribe_reactor.h"

namespace missionlog {

bool Subscriptions::Register(SubscribeReactor* reactor) {
  absl::MutexLock lock(&mu_);
  if (ending_) return false;
  open_.insert(reactor);
  return true;
}

void Subscriptions::Unregister(SubscribeReactor* reactor,
                               const Caller& caller) {
  quotas_->CloseSubscription(caller);
  absl::MutexLock lock(&mu_);
  open_.erase(reactor);
}

void Subscriptions::EndAll() {
  // Held throughout, so no reactor can finish its OnDone (which
  // unregisters) while it is being told to end. End() never finishes
  // inline: it hands the finishing to a worker.
  absl::MutexLock lock(&mu_);
  ending_ = true;
  for (SubscribeReactor* reactor : open_) {
    reactor->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the server is shutting down"));
  }
}

uint64_t Subscriptions::SlowestPosition(uint64_t none) {
  absl::MutexLock lock(&mu_);
  uint64_t slowest = none;
  for (SubscribeReactor* reactor : open_) {
    slowest = std::min(slowest, reactor->examined());
  }
  return slowest;
}

}  // namespace missionlog
