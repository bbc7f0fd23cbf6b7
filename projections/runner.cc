#include "projections/runner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"

namespace missionlog {

ProjectionRunner::ProjectionRunner(EventLog* log, ProjectionStore* store,
                                   std::unique_ptr<Projection> projection)
    : log_(log),
      store_(store),
      projection_(std::move(projection)),
      type_prefixes_(projection_->type_prefixes()) {
  thread_ = std::thread([this] { Run(); });
}

ProjectionRunner::~ProjectionRunner() {
  Stop();
  thread_.join();
}

void ProjectionRunner::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

bool ProjectionRunner::ShouldWake() const {
  return woken_ || stopping_ || rebuild_requested_;
}

bool ProjectionRunner::Urgent() const {
  return waiters_ > 0 || stopping_ || rebuild_requested_;
}

bool ProjectionRunner::Target::Reached(Target* target) {
  // Called by the mutex with mu_ held.
  ProjectionRunner* r = target->runner;
  r->mu_.AssertHeld();
  return (r->opened_ && r->position_ >= target->position && !r->rebuilding_ &&
          !r->rebuild_requested_) ||
         !r->failure_.ok() || r->stopping_;
}

namespace {

// Failures the store recovers from by itself (the disk-space reserve, a
// write failure it resumes after): the runner retries them.
bool IsTransient(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ||
         status.code() == absl::StatusCode::kUnavailable;
}
constexpr absl::Duration kRetryDelay = absl::Seconds(1);

}  // namespace

// The key under which the runner keeps the projection's version.
constexpr char kVersionKey[] = "~version";

void ProjectionRunner::Run() {
  absl::StatusOr<uint64_t> opened = store_->OpenProjection(name());
  const std::string version = std::to_string(projection_->version());
  if (opened.ok()) {
    absl::StatusOr<std::optional<std::string>> stored =
        store_->GetProjectionValue(name(), kVersionKey);
    if (!stored.ok()) {
      opened = stored.status();
    } else if (*opened > 0 && stored->value_or("") != version) {
      // Written by another layout: replay from the start.
      absl::Status reset = store_->ResetProjection(name());
      opened = reset.ok() ? absl::StatusOr<uint64_t>(0) : reset;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    opened_ = true;
    if (!opened.ok()) {
      failure_ = opened.status();
      return;
    }
    position_ = *opened;
    stored_position_ = *opened;
    if (*opened == 0) rebuilding_ = true;  // answers wait for the replay
  }
  while (true) {
    bool stop = false;
    uint64_t unstored = 0;  // a position to store before stopping
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        stop = true;
        if (position_ > stored_position_ && !rebuilding_) unstored = position_;
      } else if (rebuild_requested_) {
        rebuild_requested_ = false;
        absl::Status reset = store_->ResetProjection(name());
        if (!reset.ok()) {
          failure_ = reset;
          return;
        }
        position_ = 0;
        stored_position_ = 0;
        rebuilding_ = true;
        live_ = false;
      }
    }
    if (stop) {
      // Store how far the projection got, so a restart does not rescan.
      if (unstored > 0) {
        State state(store_, name());
        Store(&state, unstored).IgnoreError();  // at worst it rescans
      }
      return;
    }
    absl::StatusOr<bool> read = Step();
    if (!read.ok()) {
      absl::MutexLock lock(&mu_);
      failure_ = read.status();
      if (!IsTransient(failure_)) return;
      // The store refused the write for now (a full disk, say): report it,
      // then retry the same batch from the same position.
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&stopping), kRetryDelay);
      failure_ = absl::OkStatus();
      continue;
    }
    if (*read) continue;
    // At the head: sleep until the bus passes it (or a stop or rebuild).
    uint64_t position;
    {
      absl::MutexLock lock(&mu_);
      rebuilding_ = false;
      live_ = true;
      rate_ = 0;
      woken_ = false;
      position = position_;
    }
    const bool waiting = log_->NotifyWhenBeyond(position, [this] {
      absl::MutexLock lock(&mu_);
      woken_ = true;
    });
    absl::MutexLock lock(&mu_);
    if (!waiting) continue;  // already beyond
    // The timeout bounds a wait whose callback the closing store dropped.
    mu_.AwaitWithTimeout(absl::Condition(this, &ProjectionRunner::ShouldWake),
                         absl::Seconds(1));
    // Let the bus commit more before folding, unless someone waits.
    if (woken_) {
      mu_.AwaitWithTimeout(absl::Condition(this, &ProjectionRunner::Urgent),
                           kFollowInterval);
    }
  }
}

absl::StatusOr<bool> ProjectionRunner::Step() {
  uint64_t from;
  {
    absl::MutexLock lock(&mu_);
    from = position_;
  }
  ReadAllRequest request;
  request.from_position = from;
  request.limit = kBatch;
  request.any_type_prefixes = type_prefixes_;
  const absl::Time start = absl::Now();
  State state(store_, name());
  absl::StatusOr<ReadAllResult> read = log_->ScanAll(
      request, [this, &state](const RecordedEvent& event) -> absl::Status {
        // An erased payload says nothing any more: no view derives from
        // it (the erasure rebuilds them, sealing_service.h).
        if (event.payload_erased() || !projection_->Wants(event)) {
          return absl::OkStatus();
        }
        absl::Status applied = projection_->Apply(event, &state);
        if (applied.ok()) return applied;
        return absl::Status(
            applied.code(),
            absl::StrCat("projection ", name(), " at position ",
                         event.position(), ": ", applied.message()));
      });
  if (!read.ok()) return read.status();
  if (read->next_position <= from) return false;
  absl::Status flushed = projection_->Flush(&state);
  if (!flushed.ok()) return flushed;
  // The first batch stores the layout version whatever it changed.
  if (!state.empty() || stored_position_ == 0 ||
      read->next_position - stored_position_ >= kMaxUnstored) {
    absl::Status stored = Store(&state, read->next_position);
    if (!stored.ok()) return stored;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  absl::MutexLock lock(&mu_);
  position_ = read->next_position;
  rate_ = seconds > 0 ? (read->next_position - from) / seconds : 0;
  return true;
}

absl::Status ProjectionRunner::Store(State* state, uint64_t position) {
  state->Put(kVersionKey, std::to_string(projection_->version()));
  RETURN_IF_ERROR(
      store_->CommitProjection(name(), state->TakeChanges(), position));
  stored_position_ = position;
  return absl::OkStatus();
}

RunnerStatus ProjectionRunner::Status() {
  RunnerStatus status;
  status.name = name();
  status.head = log_->GetHead().next_position;
  absl::MutexLock lock(&mu_);
  status.position = position_;
  if (!failure_.ok()) {
    status.state = "failed";
    status.error = failure_.ToString();
  } else if (rebuilding_ || rebuild_requested_) {
    status.state = "rebuilding";
  } else if (!live_) {
    // Not yet at the head since it opened: replaying what it missed. Once
    // there it is live, following the bus up to kFollowInterval behind
    // (the lag says by how much), so under steady appends it does not
    // flicker between the two.
    status.state = "catching_up";
  } else {
    status.state = "live";
  }
  status.events_per_second = status.state == "live" ? 0 : rate_;
  return status;
}

void ProjectionRunner::Rebuild() {
  absl::MutexLock lock(&mu_);
  rebuild_requested_ = true;
}

absl::StatusOr<uint64_t> ProjectionRunner::Readable() {
  absl::MutexLock lock(&mu_);
  if (!failure_.ok()) {
    return absl::Status(
        failure_.code(),
        absl::StrCat("projection ", name(), " failed: ", failure_.message()));
  }
  if (rebuilding_ || rebuild_requested_) {
    return absl::UnavailableError(absl::StrCat(
        "projection ", name(), " is rebuilding: at position ", position_,
        " of ", log_->GetHead().next_position, "; retry later"));
  }
  return position_;
}

absl::Status ProjectionRunner::WaitFor(uint64_t position, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  Target target{this, position};
  ++waiters_;
  mu_.AwaitWithDeadline(absl::Condition(&Target::Reached, &target), deadline);
  --waiters_;
  if (!failure_.ok()) return failure_;
  if (stopping_) return absl::UnavailableError("the server is stopping");
  if (!opened_ || position_ < position || rebuilding_ || rebuild_requested_) {
    return absl::DeadlineExceededError(
        absl::StrCat("projection ", name(), " reached position ", position_,
                     ", not ", position, ", before the deadline"));
  }
  return absl::OkStatus();
}

}  // namespace missionlog
