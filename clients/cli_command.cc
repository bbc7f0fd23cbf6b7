// `missionlog command`: one Accountability command (commands.proto), its
// event given as protobuf JSON, e.g.
//   missionlog command RecordDecision --stream=dhsc/decision/d-1
//     --command-id=d-1 '{"title": "...", "decision": "...", ...}'
// (one command line)
// `missionlog command list` names every action, its event message and
// the event's type (domain/event_types.h);
// `missionlog command --file=F` sends a file of commands, one JSON object
// per line ({"action", "stream", "command_id", "event"}; '#' lines are
// comments), stopping at the first failure. Command ids make re-running a
// file harmless.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "clients/cli_commands.h"
#include "clients/cli_output.h"
#include "domain/event_types.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "missionlog/v1/commands.pb.h"

namespace missionlog {
namespace {

const google::protobuf::ServiceDescriptor* Service() {
  return v1::Command::descriptor()->file()->FindServiceByName("Accountability");
}

// The event message a method's request carries.
const google::protobuf::Descriptor* EventOf(
    const google::protobuf::MethodDescriptor* method) {
  const google::protobuf::FieldDescriptor* event =
      method->input_type()->FindFieldByName("event");
  return event == nullptr ? nullptr : event->message_type();
}

// "RecordDecision", "record-decision" and "recorddecision" all name
// RecordDecision.
const google::protobuf::MethodDescriptor* FindAction(const std::string& name) {
  const std::string wanted =
      absl::AsciiStrToLower(absl::StrReplaceAll(name, {{"-", ""}, {"_", ""}}));
  const google::protobuf::ServiceDescriptor* service = Service();
  for (int i = 0; i < service->method_count(); ++i) {
    if (absl::AsciiStrToLower(service->method(i)->name()) == wanted) {
      return service->method(i);
    }
  }
  return nullptr;
}

int List(bool json) {
  for (domain::EventType type : domain::AllEventTypes()) {
    const std::string action(domain::ActionName(type));
    const std::string& event =
        domain::Prototype(type)->GetDescriptor()->full_name();
    const std::string type_name(domain::TypeName(type));
    if (json) {
      std::printf("{\"action\":%s,\"event\":%s,\"type\":%s}\n",
                  JsonString(action).c_str(), JsonString(event).c_str(),
                  JsonString(type_name).c_str());
    } else {
      std::printf("%-34s %-44s %s\n", action.c_str(), event.c_str(),
                  type_name.c_str());
    }
  }
  return 0;
}

// Builds the request of `method` from its command and the event's JSON.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const google::protobuf::MethodDescriptor* method,
    const v1::Command& command, const std::string& event_json) {
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  const google::protobuf::Reflection* reflection = request->GetReflection();
  const google::protobuf::Descriptor* type = method->input_type();
  reflection->MutableMessage(request.get(), type->FindFieldByName("command"))
      ->CopyFrom(command);
  google::protobuf::Message* event =
      reflection->MutableMessage(request.get(), type->FindFieldByName("event"));
  auto parsed = google::protobuf::util::JsonStringToMessage(event_json, event);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the event is not a valid ", EventOf(method)->full_name(),
                     " in JSON: ", parsed.ToString()));
  }
  return request;
}

// One line of a commands file: {"action": ..., "stream": ...,
// "command_id": ..., "event": {...}}.
struct FileCommand {
  const google::protobuf::MethodDescriptor* method = nullptr;
  v1::Command command;
  std::string event_json;
};

absl::StatusOr<FileCommand> ParseLine(const std::string& line) {
  google::protobuf::Struct object;
  auto parsed = google::protobuf::util::JsonStringToMessage(line, &object);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a JSON object: ", parsed.ToString()));
  }
  const auto text = [&](const std::string& key) {
    auto it = object.fields().find(key);
    return it == object.fields().end() ? std::string()
                                       : it->second.string_value();
  };
  FileCommand out;
  out.method = FindAction(text("action"));
  if (out.method == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown action \"", text("action"), "\""));
  }
  out.command.set_stream(text("stream"));
  out.command.set_command_id(text("command_id"));
  out.command.set_source("urn:missionlog:cli");
  auto event = object.fields().find("event");
  if (event == object.fields().end()) {
    return absl::InvalidArgumentError("no \"event\"");
  }
  std::string event_json;
  auto printed =
      google::protobuf::util::MessageToJsonString(event->second, &event_json);
  if (!printed.ok()) return absl::InvalidArgumentError(printed.ToString());
  out.event_json = std::move(event_json);
  return out;
}

// Sends every command of a file, in order; stops at the first failure.
int RunFile(Client* client, const std::string& path, bool json) {
  std::ifstream file(path);
  if (!file) return UsageError("cannot read " + path);
  std::string line;
  int number = 0, done = 0, repeated = 0;
  while (std::getline(file, line)) {
    ++number;
    const std::string trimmed(absl::StripAsciiWhitespace(line));
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const std::string where = absl::StrCat(path, " line ", number);
    absl::StatusOr<FileCommand> command = ParseLine(trimmed);
    if (!command.ok())
      return UsageError(absl::StrCat(where, ": ", command.status().message()));
    auto request =
        BuildRequest(command->method, command->command, command->event_json);
    if (!request.ok())
      return UsageError(absl::StrCat(where, ": ", request.status().message()));
    absl::StatusOr<v1::CommandResult> result =
        client->Command(command->method->name(), **request);
    if (!result.ok()) {
      return CallError(absl::StrCat(where, ": ", command->method->name()),
                       result.status());
    }
    ++(result->deduplicated() ? repeated : done);
    if (json) {
      std::printf(
          "{\"line\":%d,\"action\":%s,\"stream\":%s,\"position\":%llu,"
          "\"deduplicated\":%s}\n",
          number, JsonString(command->method->name()).c_str(),
          JsonString(command->command.stream()).c_str(),
          static_cast<unsigned long long>(result->position()),
          result->deduplicated() ? "true" : "false");
    }
  }
  if (!json) {
    std::printf("%s: %d commands carried out, %d done before\n", path.c_str(),
                done, repeated);
  }
  return 0;
}

}  // namespace

int CommandCommand(Client* client, const Args& args, bool json) {
  if (args.positional.size() == 2 && args.positional[1] == "list") {
    return List(json);
  }
  if (args.positional.size() == 1 && args.Has("file")) {
    return RunFile(client, args.Get("file", ""), json);
  }
  if (args.positional.size() < 2 || args.positional.size() > 3 ||
      !args.Has("stream")) {
    return UsageError(
        "command takes ACTION --stream=STREAM [--command-id=ID] "
        "[EVENT_JSON|@FILE|-] (see: missionlog command list)");
  }
  const google::protobuf::MethodDescriptor* method =
      FindAction(args.positional[1]);
  if (method == nullptr) {
    return UsageError(absl::StrCat("unknown action '", args.positional[1],
                                   "' (see: missionlog command list)"));
  }
  std::string event_json = "{}";
  if (args.positional.size() == 3 &&
      !ReadPayload(args.positional[2], &event_json)) {
    return UsageError("cannot read " + args.positional[2]);
  }
  v1::Command command;
  command.set_stream(args.Get("stream", ""));
  const bool generated_id = !args.Has("command-id");
  command.set_command_id(args.Get("command-id", NewUuid()));
  command.set_source(args.Get("source", "urn:missionlog:cli"));
  command.set_correlation_id(args.Get("correlation-id", ""));
  command.set_causation_id(args.Get("causation-id", ""));
  if (args.Has("expected-version") &&
      !ParseExpectedVersion(args.Get("expected-version", ""),
                            command.mutable_expected_version())) {
    return UsageError("--expected-version takes any, no-stream, exists or N");
  }
  auto request = BuildRequest(method, command, event_json);
  if (!request.ok()) return UsageError(std::string(request.status().message()));
  absl::StatusOr<v1::CommandResult> result =
      client->Command(method->name(), **request);
  if (!result.ok()) return CallError(method->name(), result.status());
  if (json) {
    std::printf(
        "{\"event_id\":%s,\"stream\":%s,\"position\":%llu,"
        "\"stream_version\":%llu,\"deduplicated\":%s,\"command_id\":%s}\n",
        JsonString(result->event_id()).c_str(),
        JsonString(command.stream()).c_str(),
        static_cast<unsigned long long>(result->position()),
        static_cast<unsigned long long>(result->stream_version()),
        result->deduplicated() ? "true" : "false",
        JsonString(command.command_id()).c_str());
    return 0;
  }
  std::printf("%s: %s on %s at position %llu (stream version %llu)%s\n",
              method->name().c_str(), EventOf(method)->name().c_str(),
              command.stream().c_str(),
              static_cast<unsigned long long>(result->position()),
              static_cast<unsigned long long>(result->stream_version()),
              result->deduplicated() ? " [already done: same command id]" : "");
  std::printf(
      "  event %s, command id %s%s\n", result->event_id().c_str(),
      command.command_id().c_str(),
      generated_id ? " (generated; pass --command-id to retry safely)" : "");
  return 0;
}

}  // namespace missionlog
