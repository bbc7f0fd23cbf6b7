#include "domain/sealer.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/uuid.h"
#include "domain/event_types.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "missionlog/v1/sealing.pb.h"

namespace missionlog {
namespace domain {
namespace {

namespace pb = google::protobuf;

bool IsSealed(const pb::FieldDescriptor* field) {
  return field->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
         field->message_type() == v1::SealedValue::descriptor() &&
         field->options().GetExtension(v1::sealed);
}

// Calls `visit(path, SealedValue*)` for every sealed field set in
// `message`, depth first (repeated fields' paths end in "[i]").
template <typename Visit>
void ForEachSealed(pb::Message* message, const std::string& prefix,
                   const Visit& visit) {
  const pb::Reflection* reflection = message->GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->type() != pb::FieldDescriptor::TYPE_MESSAGE) continue;
    const std::string path = prefix.empty()
                                 ? field->full_name()
                                 : absl::StrCat(prefix, ".", field->name());
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(*message, field); ++i) {
        pb::Message* item =
            reflection->MutableRepeatedMessage(message, field, i);
        const std::string item_path = absl::StrCat(path, "[", i, "]");
        if (IsSealed(field)) {
          visit(item_path, static_cast<v1::SealedValue*>(item));
        } else {
          ForEachSealed(item, item_path, visit);
        }
      }
    } else {
      pb::Message* item = reflection->MutableMessage(message, field);
      if (IsSealed(field)) {
        visit(path, static_cast<v1::SealedValue*>(item));
      } else {
        ForEachSealed(item, path, visit);
      }
    }
  }
}

// Whether messages of `descriptor` can hold a sealed field (at any depth).
bool MayHoldSealed(const pb::Descriptor* descriptor,
                   std::vector<const pb::Descriptor*>* seen) {
  if (std::find(seen->begin(), seen->end(), descriptor) != seen->end()) {
    return false;
  }
  seen->push_back(descriptor);
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (IsSealed(field)) return true;
    if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
        MayHoldSealed(field->message_type(), seen)) {
      return true;
    }
  }
  return false;
}

// The domain's types whose messages can hold a sealed field, found once
// from the descriptors: only their payloads are parsed to look.
bool TypeMaySeal(EventType type) {
  static const std::vector<EventType>* const sealing = [] {
    auto* types = new std::vector<EventType>;
    for (EventType each : AllEventTypes()) {
      std::vector<const pb::Descriptor*> seen;
      if (MayHoldSealed(Prototype(each)->GetDescriptor(), &seen)) {
        types->push_back(each);
      }
    }
    return types;
  }();
  return std::find(sealing->begin(), sealing->end(), type) != sealing->end();
}

std::unique_ptr<pb::Message> Parse(const std::string& type,
                                   const std::string& payload) {
  const EventType event_type = TypeOf(type);
  if (event_type == EventType::kUnknown || !TypeMaySeal(event_type)) {
    return nullptr;
  }
  std::unique_ptr<pb::Message> message(Prototype(event_type)->New());
  if (!message->ParseFromString(payload)) return nullptr;
  return message;
}

}  // namespace

absl::StatusOr<Sealer> Sealer::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<sealing::RoleKeys> keys;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    absl::StatusOr<sealing::RoleKeys> key = sealing::ParsePublicRoleKey(text);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", number, ": ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no public role key in it"));
  }
  return Sealer(std::move(keys));
}

bool Sealer::HasValuesToSeal(const AppendRequest& append) {
  for (const EventData& event : append.events) {
    std::unique_ptr<pb::Message> message = Parse(event.type, event.payload);
    if (message == nullptr) continue;
    bool found = false;
    ForEachSealed(message.get(), "",
                  [&](const std::string&, v1::SealedValue* value) {
                    found = found || !value->value().empty();
                  });
    if (found) return true;
  }
  return false;
}

absl::Status Sealer::Seal(AppendRequest* append) const {
  if (unsealers_.empty()) {
    return absl::FailedPreconditionError(
        "this server has no unsealing key (--unsealer_keys), so it cannot "
        "accept sealed fields");
  }
  if (absl::Status started = sealing::Init(); !started.ok()) return started;
  for (EventData& event : append->events) {
    std::unique_ptr<pb::Message> message = Parse(event.type, event.payload);
    if (message == nullptr) continue;
    if (event.id.empty()) {
      event.id = Uuid::NewV7(absl::ToUnixMillis(absl::Now())).ToString();
    }
    const std::string data_key = sealing::NewDataKey();
    v1::SealedData sealed;
    ForEachSealed(
        message.get(), "",
        [&](const std::string& path, v1::SealedValue* value) {
          if (value->value().empty()) return;
          const sealing::Opening opening = sealing::NewOpening(value->value());
          const std::string commitment = sealing::Commitment(path, opening);
          v1::SealedData::Field* field = sealed.add_fields();
          field->set_path(path);
          field->set_commitment(commitment);
          field->set_encrypted_opening(sealing::EncryptOpening(
              data_key, event.id, path, commitment, opening));
          value->clear_value();
          value->set_commitment(commitment);
        });
    if (sealed.fields_size() == 0) continue;
    for (const sealing::RoleKeys& role : unsealers_) {
      v1::SealedData::WrappedKey* key = sealed.add_keys();
      key->set_role(role.role);
      key->set_role_public_key(role.public_key);
      key->set_wrapped(sealing::WrapDataKey(data_key, role.public_key));
    }
    // Deterministic serialization: the payload's digest is what the log
    // commits to.
    std::string payload;
    {
      pb::io::StringOutputStream out(&payload);
      pb::io::CodedOutputStream coded(&out);
      coded.SetSerializationDeterministic(true);
      message->SerializeToCodedStream(&coded);
    }
    event.payload = std::move(payload);
    sealed.SerializeToString(&event.sealed);
  }
  return absl::OkStatus();
}

}  // namespace domain
}  // namespace missionlog
