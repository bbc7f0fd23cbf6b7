#include "eventstore/checkpointer.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventstore/status_util.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"

namespace missionlog {
namespace {

absl::StatusOr<Digest> ToDigest(absl::string_view bytes) {
  Digest digest;
  if (!DigestFromBytes(bytes, &digest)) {
    return absl::DataLossError("a tree hash is not 32 bytes");
  }
  return digest;
}

}  // namespace

// The signing thread's wake-up, shared with the store's NotifyWhenBeyond
// callback, which may outlive the Checkpointer.
struct Checkpointer::Wakeup {
  absl::Mutex mu;
  absl::CondVar cv;
  bool stop ABSL_GUARDED_BY(mu) = false;
  bool woken ABSL_GUARDED_BY(mu) = false;
  bool registered ABSL_GUARDED_BY(mu) = false;
};

std::unique_ptr<Checkpointer> Checkpointer::Start(
    EventStore* store, note::Signer signer,
    const CheckpointerOptions& options) {
  std::unique_ptr<Checkpointer> checkpointer(
      new Checkpointer(store, std::move(signer), options));
  {
    absl::MutexLock lock(&checkpointer->sign_mu_);
    checkpointer->status_ = checkpointer->Recover();
    if (!checkpointer->status_.ok() && options.on_error) {
      options.on_error(checkpointer->status_);
    }
  }
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Run(); });
  return checkpointer;
}

Checkpointer::Checkpointer(EventStore* store, note::Signer signer,
                           const CheckpointerOptions& options)
    : store_(store),
      signer_(std::move(signer)),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : Clock::System()),
      wakeup_(std::make_shared<Wakeup>()) {}

Checkpointer::~Checkpointer() { Stop().IgnoreError(); }

// The log's own earlier checkpoints are checked against the tree, not the
// key (which may have been rotated since).
absl::Status Checkpointer::Recover() {
  absl::StatusOr<EventStore::StoredCheckpoint> latest =
      store_->GetCheckpoint(0);
  if (absl::IsNotFound(latest.status())) return absl::OkStatus();
  RETURN_IF_ERROR(latest.status());
  ASSIGN_OR_RETURN(Checkpoint checkpoint,
                   ParseCheckpoint(note::Text(latest->signed_note)));
  const uint64_t committed = store_->GetHead().next_position;
  if (checkpoint.tree_size > committed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to sign: a checkpoint of ", checkpoint.tree_size,
        " events was signed but the log now has ", committed, " (truncated?)"));
  }
  absl::StatusOr<std::string> root = store_->GetTreeRoot(checkpoint.tree_size);
  if (!root.ok() || *root != DigestView(checkpoint.root_hash)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to sign: the tree of size ", checkpoint.tree_size,
        " differs from the checkpoint signed at that size",
        root.ok() ? "" : absl::StrCat(" (", root.status().ToString(), ")")));
  }
  signed_size_ = checkpoint.tree_size;
  signed_root_ = checkpoint.root_hash;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Checkpointer::SignNow() {
  absl::MutexLock lock(&sign_mu_);
  return SignLocked();
}

absl::StatusOr<uint64_t> Checkpointer::SignLocked() {
  RETURN_IF_ERROR(status_);
  if (options_.may_sign && !options_.may_sign()) return signed_size_;
  const Head head = store_->GetHead();
  if (head.next_position == 0 || head.next_position == signed_size_) {
    return signed_size_;
  }
  ASSIGN_OR_RETURN(Digest root, ToDigest(head.root_hash));
  if (signed_size_ > 0) {
    absl::Status consistent;
    absl::StatusOr<std::vector<std::string>> proof =
        store_->GetConsistencyProof(signed_size_, head.next_position);
    std::vector<Digest> hashes;
    if (proof.ok()) {
      for (const std::string& hash : *proof) {
        absl::StatusOr<Digest> digest = ToDigest(hash);
        if (!digest.ok()) {
          consistent = digest.status();
          break;
        }
        hashes.push_back(*digest);
      }
      if (consistent.ok()) {
        consistent = merkle::VerifyConsistency(signed_size_, head.next_position,
                                               hashes, signed_root_, root);
      }
    } else {
      consistent = proof.status();
    }
    if (!consistent.ok()) {
      status_ = absl::FailedPreconditionError(absl::StrCat(
          "refusing to sign: the tree of size ", head.next_position,
          " is not consistent with the checkpoint of size ", signed_size_, ": ",
          consistent.message()));
      if (options_.on_error) options_.on_error(status_);
      return status_;
    }
  }
  Checkpoint checkpoint;
  checkpoint.origin = signer_.name();
  checkpoint.tree_size = head.next_position;
  checkpoint.root_hash = root;
  checkpoint.extensions.push_back(
      TimeExtension(absl::FromUnixMicros(clock_->NowMicros())));
  absl::StatusOr<std::string> signed_note =
      signer_.Sign(FormatCheckpoint(checkpoint));
  absl::Status stored = signed_note.status();
  if (stored.ok())
    stored = store_->PutCheckpoint(head.next_position, *signed_note);
  if (!stored.ok()) {
    // Not sticky: the next attempt may succeed.
    if (options_.on_error) options_.on_error(stored);
    return stored;
  }
  signed_size_ = head.next_position;
  signed_root_ = root;
  if (options_.on_signed) options_.on_signed(signed_size_);
  return signed_size_;
}

absl::Status Checkpointer::status() const {
  absl::MutexLock lock(&sign_mu_);
  return status_;
}

absl::Status Checkpointer::Stop() {
  {
    absl::MutexLock lock(&wakeup_->mu);
    wakeup_->stop = true;
    wakeup_->cv.Signal();
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&sign_mu_);
  if (stopped_) return status_;
  stopped_ = true;
  return SignLocked().status();
}

void Checkpointer::Run() {
  const std::shared_ptr<Wakeup> wakeup = wakeup_;
  bool failed = false;  // the last attempt failed: wait a whole interval
  wakeup->mu.Lock();
  while (!wakeup->stop) {
    if (!failed && !wakeup->registered) {
      uint64_t signed_size;
      {
        absl::MutexLock lock(&sign_mu_);
        signed_size = signed_size_;
      }
      // Woken once the head passes signed_size + max_events - 1.
      const uint64_t threshold =
          signed_size + std::max<uint64_t>(options_.max_events, 1) - 1;
      const bool registered = store_->NotifyWhenBeyond(threshold, [wakeup] {
        absl::MutexLock lock(&wakeup->mu);
        wakeup->registered = false;
        wakeup->woken = true;
        wakeup->cv.Signal();
      });
      wakeup->registered = registered;
      if (!registered) wakeup->woken = true;
    }
    if (failed || !wakeup->woken) {
      wakeup->cv.WaitWithTimeout(&wakeup->mu, options_.interval);
    }
    if (wakeup->stop) break;
    wakeup->woken = false;
    wakeup->mu.Unlock();
    // Failed (the reason went to on_error), or another node signs now:
    // look again after a whole interval.
    failed = !SignNow().ok() || (options_.may_sign && !options_.may_sign());
    wakeup->mu.Lock();
  }
  wakeup->mu.Unlock();
}

}  // namespace missionlog
