#include "eventstore/prepared_append.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace missionlog {
namespace {

constexpr size_t kMaxStreamBytes = 256;
constexpr size_t kMaxTypeBytes = 256;
constexpr size_t kMaxSourceBytes = 1024;
constexpr size_t kMaxShortFieldBytes = 256;

// Payload salts come from OpenSSL's DRBG, drawn 4 KiB at a time per
// thread: each RAND_bytes call costs ~3 µs (its locks, fork check and
// provider layers), which was 12% of the engine's CPU per single-event
// append. Each byte is handed out once and wiped from the pool; the
// process never forks (a child would otherwise repeat its parent's bytes).
bool DrawRandomBytes(unsigned char* out, size_t n) {
  struct Pool {
    std::array<unsigned char, 4096> bytes;
    size_t used = sizeof(bytes);
  };
  thread_local Pool pool;
  while (n > 0) {
    if (pool.used == pool.bytes.size()) {
      if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) !=
          1) {
        return false;
      }
      pool.used = 0;
    }
    const size_t take = std::min(n, pool.bytes.size() - pool.used);
    std::memcpy(out, pool.bytes.data() + pool.used, take);
    std::memset(pool.bytes.data() + pool.used, 0, take);
    pool.used += take;
    out += take;
    n -= take;
  }
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// Checks a text field: valid UTF-8, no control characters, size bounds.
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       bool required, size_t max_bytes) {
  if (required && value.empty()) return Invalid(field, "must not be empty");
  if (value.size() > max_bytes) {
    return Invalid(field, absl::StrCat("is ", value.size(),
                                       " bytes; the limit is ", max_bytes));
  }
  if (!IsPrintableUtf8(value)) {
    return Invalid(field, "must be valid UTF-8 without control characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckStreamName(absl::string_view stream,
                             absl::string_view field) {
  return CheckText(field, stream, true, kMaxStreamBytes);
}

namespace {

absl::Status CheckEvent(const Options& options, size_t index,
                        const EventData& event) {
  std::string prefix = absl::StrCat("events[", index, "].");
  absl::Status status;
  if (!(status = CheckText(prefix + "type", event.type, true, kMaxTypeBytes))
           .ok() ||
      !(status =
            CheckText(prefix + "source", event.source, false, kMaxSourceBytes))
           .ok() ||
      !(status = CheckText(prefix + "correlation_id", event.correlation_id,
                           false, kMaxShortFieldBytes))
           .ok() ||
      !(status = CheckText(prefix + "causation_id", event.causation_id, false,
                           kMaxShortFieldBytes))
           .ok() ||
      !(status = CheckText(prefix + "content_type", event.content_type, false,
                           kMaxShortFieldBytes))
           .ok()) {
    return status;
  }
  if (event.payload.size() > options.max_payload_bytes) {
    return Invalid(prefix + "payload", absl::StrCat("is ", event.payload.size(),
                                                    " bytes; the limit is ",
                                                    options.max_payload_bytes));
  }
  return absl::OkStatus();
}

size_t EventBytes(const EventData& event) {
  return event.id.size() + event.type.size() + event.source.size() +
         event.correlation_id.size() + event.causation_id.size() +
         event.content_type.size() + event.payload.size() + event.sealed.size();
}

}  // namespace

absl::StatusOr<PreparedAppend> PrepareAppend(const Options& options,
                                             Clock* clock,
                                             AppendRequest request) {
  absl::Status status = CheckStreamName(request.stream);
  if (!status.ok()) return status;
  status =
      CheckText("recorded_by", request.recorded_by, false, kMaxShortFieldBytes);
  if (!status.ok()) return status;
  if (request.events.empty()) {
    return Invalid("events", "an append needs at least one event");
  }
  if (request.events.size() > options.max_events_per_append) {
    return Invalid("events", absl::StrCat(request.events.size(),
                                          " events; the limit per append is ",
                                          options.max_events_per_append));
  }

  PreparedAppend prepared;
  prepared.bytes = request.stream.size() + request.recorded_by.size();
  for (size_t i = 0; i < request.events.size(); ++i) {
    status = CheckEvent(options, i, request.events[i]);
    if (!status.ok()) return status;
    prepared.bytes += EventBytes(request.events[i]);
  }
  if (prepared.bytes > options.max_append_bytes) {
    return Invalid("events", absl::StrCat("the append is ", prepared.bytes,
                                          " bytes; the limit is ",
                                          options.max_append_bytes));
  }

  prepared.events.resize(request.events.size());
  absl::flat_hash_set<absl::string_view> seen_ids;
  int64_t now_millis = -1;
  std::string salts;
  for (size_t i = 0; i < request.events.size(); ++i) {
    EventData& source = request.events[i];
    PreparedEvent& event = prepared.events[i];
    if (source.id.empty()) {
      if (now_millis < 0) now_millis = clock->NowMicros() / 1000;
      event.id = Uuid::NewV7(now_millis);
      event.id_generated = true;
    } else {
      std::optional<Uuid> id = Uuid::Parse(source.id);
      if (!id) {
        return Invalid(absl::StrCat("events[", i, "].id"),
                       "must be a UUID in canonical 8-4-4-4-12 hex form");
      }
      event.id = *id;
    }
    if (source.payload_salt.has_value()) {
      const std::string& salt = *source.payload_salt;
      if (!salt.empty() && salt.size() != kPayloadSaltSize) {
        return Invalid(absl::StrCat("events[", i, "].payload_salt"),
                       "must be empty or 16 bytes");
      }
      event.salted = !salt.empty();
      std::copy(salt.begin(), salt.end(), event.salt.begin());
    } else if (options.record_format != 1) {
      if (salts.empty()) {
        // One draw for the whole append (DrawRandomBytes).
        salts.resize(request.events.size() * kPayloadSaltSize);
        if (!DrawRandomBytes(reinterpret_cast<unsigned char*>(&salts[0]),
                             salts.size())) {
          return absl::InternalError("no random bytes for payload salts");
        }
      }
      std::copy_n(salts.data() + i * kPayloadSaltSize, kPayloadSaltSize,
                  event.salt.begin());
      event.salted = true;
    }
    event.payload_sha256 =
        event.salted ? SaltedPayloadDigest(event.salt_view(), source.payload)
                     : Sha256(source.payload);
    event.data = std::move(source);
  }
  for (size_t i = 0; i < prepared.events.size(); ++i) {
    if (!seen_ids.insert(prepared.events[i].id.bytes()).second) {
      return Invalid(absl::StrCat("events[", i, "].id"),
                     "repeats an earlier event id in the same append");
    }
  }
  prepared.stream = std::move(request.stream);
  prepared.expected_version = request.expected_version;
  prepared.recorded_by = std::move(request.recorded_by);
  prepared.bytes += prepared.events.size() * sizeof(PreparedEvent);
  return prepared;
}

}  // namespace missionlog
