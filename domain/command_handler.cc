#include "domain/command_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/event_types.h"
#include "domain/validation.h"

namespace missionlog {
namespace domain {
namespace {

// Longest subject stream the state rules fold.
constexpr size_t kMaxHistory = 100000;

absl::Status QueueFull() {
  return absl::ResourceExhaustedError(
      "the server's validation queue is full; retry later");
}

}  // namespace

// One append in flight. `append` is kept as the client sent it; each
// attempt pins its own copy's expected version.
struct CommandHandler::Call {
  AppendRequest append;
  EventLog::AppendCallback done;
  int attempts = 0;
  // This attempt's append requires the version its rules were checked on.
  bool pinned = false;
};

bool CommandHandler::HasDomainEvents(const AppendRequest& append) {
  for (const EventData& event : append.events) {
    if (IsDomainType(event.type)) return true;
  }
  return false;
}

void CommandHandler::Append(AppendRequest append,
                            EventLog::AppendCallback done) {
  if (!HasDomainEvents(append)) {
    log_->AppendAsync(std::move(append), std::move(done));
    return;
  }
  auto call = std::make_shared<Call>();
  call->append = std::move(append);
  call->done = std::move(done);
  if (!workers_->Schedule([this, call] { Attempt(call); })) {
    call->done(QueueFull());
  }
}

absl::StatusOr<AppendResult> CommandHandler::SealedRetry(
    const AppendRequest& append) {
  AppendResult result;
  result.deduplicated = true;
  for (size_t i = 0; i < append.events.size(); ++i) {
    const std::string& id = append.events[i].id;
    absl::StatusOr<std::optional<uint64_t>> found =
        id.empty() ? absl::StatusOr<std::optional<uint64_t>>(std::nullopt)
                   : log_->FindEvent(id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::AlreadyExistsError(
          "a retry of an append with sealed fields must repeat every event "
          "id of the original");
    }
    ReadAllRequest read;
    read.from_position = **found;
    read.limit = 1;
    absl::StatusOr<ReadAllResult> stored = log_->ReadAll(read);
    if (!stored.ok()) return stored.status();
    if (stored->events.empty() || stored->events[0].stream() != append.stream ||
        stored->events[0].type() != append.events[i].type) {
      return absl::AlreadyExistsError(absl::StrCat(
          "event id ", id, " was appended before with different content"));
    }
    if (i == 0) result.first_position = **found;
    result.last_position = **found;
    result.stream_version = stored->events[0].stream_version();
  }
  return result;
}

void CommandHandler::Attempt(std::shared_ptr<Call> call) {
  ++call->attempts;
  call->pinned = false;
  AppendRequest append = call->append;
  const std::string& first_id = append.events.front().id;
  bool retry_of_logged = false;
  if (!first_id.empty()) {
    absl::StatusOr<std::optional<uint64_t>> found = log_->FindEvent(first_id);
    if (!found.ok()) {
      call->done(found.status());
      return;
    }
    retry_of_logged = found->has_value();
  }
  if (!retry_of_logged) {
    // New: check the rules against a known version of the stream. NO_STREAM
    // and an exact version pin one already; ANY and STREAM_EXISTS do not.
    const ExpectedVersion::Kind kind = append.expected_version.kind();
    if (kind == ExpectedVersion::Kind::kAny ||
        kind == ExpectedVersion::Kind::kStreamExists) {
      absl::StatusOr<StreamInfo> info = log_->GetStreamInfo(append.stream);
      if (!info.ok()) {
        call->done(info.status());
        return;
      }
      if (info->exists) {
        append.expected_version = ExpectedVersion::Exact(info->last_version);
        call->pinned = true;
      } else if (kind == ExpectedVersion::Kind::kAny) {
        append.expected_version = ExpectedVersion::NoStream();
        call->pinned = true;
      }
    }
    absl::Status valid = Validate(append);
    if (!valid.ok()) {
      call->done(valid);
      return;
    }
    // Sealed values never reach the log in clear.
    if (Sealer::HasValuesToSeal(append)) {
      absl::Status sealed =
          sealer_ != nullptr
              ? sealer_->Seal(&append)
              : absl::FailedPreconditionError(
                    "this server has no unsealing key (--unsealer_keys), so "
                    "it cannot accept sealed fields");
      if (!sealed.ok()) {
        call->done(sealed);
        return;
      }
    }
  } else if (Sealer::HasValuesToSeal(append)) {
    // A retry of a sealed append: its stored payload holds commitments
    // made with a salt no one has, so it cannot be compared with this
    // one; the ids and the stream say it is the same append.
    call->done(SealedRetry(append));
    return;
  }
  // Already there: the engine answers with the original positions, or
  // ALREADY_EXISTS if the id was used for something else.
  log_->AppendAsync(std::move(append),
                    [this, call](absl::StatusOr<AppendResult> result) {
                      Done(call, std::move(result));
                    });
}

void CommandHandler::Done(std::shared_ptr<Call> call,
                          absl::StatusOr<AppendResult> result) {
  const bool raced = call->pinned && !result.ok() &&
                     result.status().code() == absl::StatusCode::kAborted;
  if (raced) {
    if (call->attempts < kMaxAttempts &&
        workers_->Schedule([this, call] { Attempt(call); })) {
      return;
    }
    // The client asked for no version: say why, keep the actual version.
    absl::Status changed = absl::AbortedError(
        absl::StrCat("stream ", call->append.stream,
                     " kept changing while the domain's rules were checked (",
                     call->attempts, " attempts); retry"));
    result.status().ForEachPayload(
        [&changed](absl::string_view url, const absl::Cord& payload) {
          changed.SetPayload(url, payload);
        });
    call->done(changed);
    return;
  }
  call->done(std::move(result));
}

absl::Status CommandHandler::Validate(const AppendRequest& append) {
  bool stream_started = false;  // by an earlier event of this append
  const StreamExists exists =
      [this, &append,
       &stream_started](absl::string_view stream) -> absl::StatusOr<bool> {
    if (stream_started && stream == append.stream) return true;
    absl::StatusOr<StreamInfo> info = log_->GetStreamInfo(stream);
    if (!info.ok()) return info.status();
    return info->exists;
  };
  const SubjectStateOf state_of =
      [this](absl::string_view stream) -> absl::StatusOr<SubjectState> {
    SubjectState state;
    ReadStreamRequest read;
    read.stream = std::string(stream);
    read.limit = 1000;
    size_t folded = 0;
    while (true) {
      absl::StatusOr<ReadStreamResult> result = log_->ReadStream(read);
      if (!result.ok()) return result.status();
      for (const RecordedEvent& event : result->events) {
        // An erased payload is folded as nothing (README "Sealed fields").
        if (!event.payload_erased()) {
          state.Apply(event.type(), event.payload());
        }
      }
      folded += result->events.size();
      if (result->end_of_stream || result->events.empty()) break;
      if (folded >= kMaxHistory) {
        return absl::ResourceExhaustedError(
            absl::StrCat("stream ", stream, " has more than ", kMaxHistory,
                         " events: too long to validate against"));
      }
      read.from_version = result->events.back().stream_version() + 1;
    }
    return state;
  };
  for (size_t i = 0; i < append.events.size(); ++i) {
    const EventData& event = append.events[i];
    if (IsDomainType(event.type)) {
      absl::Status status = ValidateEvent(append.stream, event.type,
                                          event.payload, exists, state_of);
      if (!status.ok()) {
        if (append.events.size() == 1) return status;
        return absl::Status(status.code(),
                            absl::StrCat("events[", i, "].", status.message()));
      }
    }
    stream_started = true;
  }
  return absl::OkStatus();
}

void CommandHandler::Sequence::Append(AppendRequest append,
                                      EventLog::AppendCallback done) {
  {
    absl::MutexLock lock(&mu_);
    if (!ordered_ && !HasDomainEvents(append)) {
      // Nothing queued ahead of it: straight to the engine, in order.
      handler_->log_->AppendAsync(std::move(append), std::move(done));
      return;
    }
    ordered_ = true;
    queue_.push_back(Item{std::move(append), std::move(done)});
    if (draining_) return;
    draining_ = true;
  }
  ScheduleDrain();
}

void CommandHandler::Sequence::Drain() {
  while (true) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      // The front waits while the sequence has an unanswered append to its
      // stream: its rules must see that append (Answered resumes).
      if (queue_.empty() || in_flight_.contains(queue_.front().append.stream)) {
        draining_ = false;
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_[item.append.stream];
    }
    const std::string stream = item.append.stream;
    auto done =
        [self = shared_from_this(), stream,
         done = std::move(item.done)](absl::StatusOr<AppendResult> result) {
          done(std::move(result));
          self->Answered(stream);
        };
    if (!HasDomainEvents(item.append)) {
      handler_->log_->AppendAsync(std::move(item.append), std::move(done));
      continue;
    }
    auto call = std::make_shared<Call>();
    call->append = std::move(item.append);
    call->done = std::move(done);
    // This worker checks it now, so that it reaches the engine before the
    // appends queued after it.
    handler_->Attempt(call);
  }
}

void CommandHandler::Sequence::ScheduleDrain() {
  // The task keeps the sequence alive until its drain ends.
  if (handler_->workers_->Schedule(
          [self = shared_from_this()] { self->Drain(); })) {
    return;
  }
  std::deque<Item> failed;
  {
    absl::MutexLock lock(&mu_);
    failed.swap(queue_);
    draining_ = false;
  }
  for (Item& item : failed) item.done(QueueFull());
}

void CommandHandler::Sequence::Answered(const std::string& stream) {
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(stream);
    if (--it->second == 0) in_flight_.erase(it);
    if (draining_ || queue_.empty() ||
        in_flight_.contains(queue_.front().append.stream)) {
      return;
    }
    draining_ = true;
  }
  ScheduleDrain();
}

}  // namespace domain
}  // namespace missionlog
