#include "services/domain_gate.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "domain/event_types.h"
#include "domain/validation.h"

namespace missionlog {
namespace {

// Longest subject stream the state rules fold.
constexpr size_t kMaxHistory = 100000;

}  // namespace

bool DomainGate::HasDomainEvents(const AppendRequest& append) {
  for (const EventData& event : append.events) {
    if (domain::IsDomainType(event.type)) return true;
  }
  return false;
}

absl::Status DomainGate::Validate(const AppendRequest& append) {
  bool stream_started = false;  // by an earlier event of this append
  const domain::StreamExists exists =
      [this, &append,
       &stream_started](absl::string_view stream) -> absl::StatusOr<bool> {
    if (stream_started && stream == append.stream) return true;
    absl::StatusOr<StreamInfo> info = store_->GetStreamInfo(stream);
    if (!info.ok()) return info.status();
    return info->exists;
  };
  const domain::SubjectStateOf state_of =
      [this](absl::string_view stream) -> absl::StatusOr<domain::SubjectState> {
    domain::SubjectState state;
    ReadStreamRequest read;
    read.stream = std::string(stream);
    read.limit = 1000;
    size_t folded = 0;
    while (true) {
      absl::StatusOr<ReadStreamResult> result = store_->ReadStream(read);
      if (!result.ok()) return result.status();
      for (const RecordedEvent& event : result->events) {
        state.Apply(event.type(), event.payload());
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
    if (domain::IsDomainType(event.type)) {
      absl::Status status = domain::ValidateEvent(
          append.stream, event.type, event.payload, exists, state_of);
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

void DomainGate::Append(AppendRequest append, EventLog::AppendCallback done) {
  if (!HasDomainEvents(append)) {
    store_->AppendAsync(std::move(append), std::move(done));
    return;
  }
  auto shared = std::make_shared<AppendRequest>(std::move(append));
  auto callback = std::make_shared<EventLog::AppendCallback>(std::move(done));
  const bool scheduled = workers_->Schedule([this, shared, callback] {
    absl::Status valid = Validate(*shared);
    if (!valid.ok()) {
      (*callback)(valid);
      return;
    }
    store_->AppendAsync(std::move(*shared), std::move(*callback));
  });
  if (!scheduled) {
    (*callback)(absl::ResourceExhaustedError(
        "the server's validation queue is full; retry later"));
  }
}

void DomainGate::Sequence::Append(AppendRequest append,
                                  EventLog::AppendCallback done) {
  {
    absl::MutexLock lock(&mu_);
    if (!ordered_ && !HasDomainEvents(append)) {
      // Nothing queued ahead of it: straight to the engine, in order.
      gate_->store_->AppendAsync(std::move(append), std::move(done));
      return;
    }
    ordered_ = true;
    queue_.push_back(Item{std::move(append), std::move(done)});
    if (draining_) return;
    draining_ = true;
  }
  // The task keeps the sequence alive until its drain ends.
  if (!gate_->workers_->Schedule(
          [self = shared_from_this()] { self->Drain(); })) {
    std::deque<Item> failed;
    {
      absl::MutexLock lock(&mu_);
      failed.swap(queue_);
      draining_ = false;
    }
    for (Item& item : failed) {
      item.done(absl::ResourceExhaustedError(
          "the server's validation queue is full; retry later"));
    }
  }
}

void DomainGate::Sequence::Drain() {
  while (true) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) {
        draining_ = false;
        return;
      }
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::Status valid = HasDomainEvents(item.append)
                             ? gate_->Validate(item.append)
                             : absl::OkStatus();
    if (!valid.ok()) {
      item.done(valid);
    } else {
      gate_->store_->AppendAsync(std::move(item.append), std::move(item.done));
    }
  }
}

}  // namespace missionlog
