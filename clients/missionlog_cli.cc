// missionlog: the command-line tool for a Missionlog server.
//
//   missionlog [--server=HOST:PORT] [--json] COMMAND [ARGS] [OPTIONS]
//
//   append STREAM TYPE [PAYLOAD|@FILE|-]   append one event (payload from the
//          argument, a file, or stdin); --expected-version=any|no-stream|
//          exists|N, --id=UUID|from-content (a retry is then
//          idempotent), --source=URI, --content-type=TYPE
//   read STREAM | read --all               --from=N, --limit=N, --backward,
//          --stream-prefix=P, --type-prefix=P (with --all)
//   tail                                   follow the log until Ctrl-C;
//          --from=N|now, --stream-prefix=P, --type-prefix=P
//   info STREAM                            a stream's last version
//   head                                   the log's next position
//   prove POSITION [--size=N] [--key=FILE] fetch, print and check an
//          inclusion proof (recomputes the leaf hash and payload digest
//          locally; with --key, against the latest signed checkpoint)
//   checkpoint [--size=N] [--key=FILE]     print a signed checkpoint (and
//          check its signature with --key)
//   verify --key=FILE[,FILE...] [--require-cosigners=N] [--state=FILE] [--full]
//          verify the whole log against
//          the log's public key (see clients/auditor.h); the last verified
//          checkpoint is kept in --state (default missionlog-verify.state)
//   keygen --origin=NAME --out=PREFIX      write a new Ed25519 key pair:
//          PREFIX.key (private, mode 0600) and PREFIX.pub
//   token PRINCIPAL [--tokens-file=FILE]   make a bearer token: the token on
//          stdout, and the line for the server's tokens file (appended to
//          FILE, or printed on stderr)
//
// The server comes from --server, else $MISSIONLOG_SERVER, else
// 127.0.0.1:7600; a cluster's nodes as HOST:PORT,HOST:PORT,... (appends
// and commands move to the next node when one is unreachable). Credentials:
// --token (else $MISSIONLOG_TOKEN); TLS with
// --tls-ca=PEM (else $MISSIONLOG_TLS_CA), a client certificate with
// --tls-cert and --tls-key (else $MISSIONLOG_TLS_CERT, $MISSIONLOG_TLS_KEY),
// and --tls-server-name to check another name in the server's
// certificate. Output is a table, or with --json one JSON object per
// line. Errors are one line on stderr with the gRPC code; exit status 1 for
// a failed call, 2 for bad usage.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/auditor.h"
#include "clients/bearer_token.h"
#include "clients/cli_args.h"
#include "clients/cli_commands.h"
#include "clients/cli_output.h"
#include "clients/client.h"
#include "clients/proofs.h"
#include "domain/event_types.h"
#include "domain/name_uuid.h"
#include "sealing/sealing.h"
#include "tlog/checkpoint.h"
#include "tlog/signed_note.h"

namespace missionlog {
namespace {}  // namespace

const char kUsage[] =
    "usage: missionlog [--server=HOST:PORT[,HOST:PORT...]] [--json] "
    "[--token=T] "
    "[--tls-ca=PEM [--tls-cert=PEM --tls-key=PEM] [--tls-server-name=N]] "
    "COMMAND [ARGS]\n"
    "  append STREAM TYPE [PAYLOAD|@FILE|-] [--expected-version=any|"
    "no-stream|exists|N] [--id=UUID|from-content] [--source=URI] "
    "[--content-type=TYPE]\n"
    "    (without --id each run appends a new event: a script that may retry "
    "after a lost reply passes --id, or --id=from-content to name the "
    "event after the stream, type, source, expected version and payload)\n"
    "  read STREAM [--from=VERSION] [--limit=N] [--backward]\n"
    "  read --all [--from=POSITION] [--limit=N] [--stream-prefix=P] "
    "[--type-prefix=P]\n"
    "  tail [--from=POSITION|now] [--stream-prefix=P] [--type-prefix=P]\n"
    "  info STREAM\n"
    "  head\n"
    "  prove POSITION [--size=N] [--key=FILE]\n"
    "  checkpoint [--size=N] [--key=FILE]\n"
    "  verify --key=FILE[,FILE...] [--require-cosigners=N] [--state=FILE] "
    "[--full | --sample=N]\n"
    "  keygen --origin=NAME --out=PREFIX | keygen --role=UNSEALER "
    "--out=PREFIX\n"
    "  unseal POSITION --reason=TEXT --key=ROLE_SECRET_KEY_FILE "
    "[--field=PATH]\n"
    "  erase POSITION --legal-basis=TEXT [--field=PATH | --whole-payload]\n"
    "  backup DEST   (role ADMIN; DEST is a directory on the server's "
    "machine)\n"
    "  restore BACKUP_DIR DATA_DIR   (offline: missionlogd --restore_from)\n"
    "  token PRINCIPAL [--tokens-file=FILE]\n"
    "  command ACTION --stream=STREAM --command-id=ID [EVENT_JSON|@FILE|-] "
    "[--expected-version=...]\n"
    "  command list\n"
    "  import ifg-ministers DIR\n"
    "  import spend-25k FILE_OR_DIR... [--organisation=SLUG]\n"
    "  import ocds FILE_OR_DIR...\n"
    "  import govuk-orgs BEFORE.json AFTER.json [--changed-on=YYYY-MM-DD]\n"
    "  query government-on DATE [--post=TEXT] [--organisation=STREAM] "
    "[--rank=SoS,MoS]\n"
    "  query post-holders POST [--from=DATE] [--to=DATE]\n"
    "  query who-owned SUBJECT DATE\n"
    "  query ownership-history SUBJECT\n"
    "  query spending [--mission=STREAM] [--organisation=SLUG] "
    "[--supplier=NAME] [--fiscal-year=YYYY-YY]\n"
    "  query decisions [--mission=] [--organisation=] [--forum=] "
    "[--level=] [--decided-by=] [--from=] [--to=]\n"
    "  query decision-locus MISSION [--from=DATE] [--to=DATE]\n"
    "  query concerns [--status=open|closed] [--about=] [--raised-to=] "
    "[--overdue-on=DATE]\n"
    "  query decisions-over-open-concerns SUBJECT\n"
    "  query who-was-told PERSON [--before=DATE]\n"
    "  query mission-washing MISSION\n"
    "  query timeline SUBJECT [--limit=N] [--page-token=T]\n"
    "    (every query: [--as-of=POSITION] [--min-position=POSITION])\n"
    "  projections status | projections rebuild NAME [--no-wait]\n";

namespace {

int Append(Client* client, const Args& args, bool json) {
  if (args.positional.size() < 3 || args.positional.size() > 4) {
    return UsageError("append takes STREAM TYPE [PAYLOAD|@FILE|-]");
  }
  v1::AppendRequest request;
  request.set_stream(args.positional[1]);
  v1::EventData* event = request.add_events();
  event->set_type(args.positional[2]);
  std::string payload;
  if (args.positional.size() == 4 &&
      !ReadPayload(args.positional[3], &payload)) {
    return UsageError("cannot read payload " + args.positional[3]);
  }
  event->set_data(payload);
  event->set_datacontenttype(args.Get("content-type", "application/json"));
  event->set_source(args.Get("source", "urn:missionlog:cli"));
  if (args.Has("expected-version") &&
      !ParseExpectedVersion(args.Get("expected-version", ""),
                            request.mutable_expected_version())) {
    return UsageError("--expected-version takes any, no-stream, exists or N");
  }
  const std::string id = args.Get("id", "");
  if (id == "from-content") {
    // The same invocation, run again, names the same event: a retry after
    // a lost reply adds nothing. The expected version is part of the name,
    // so the same content appended on purpose at another version is a new
    // event; with --expected-version=any, it is the same one.
    event->set_id(NameBasedUuid(absl::StrCat(
        "cli-append\n", request.stream(), "\n", event->type(), "\n",
        event->source(), "\n", event->datacontenttype(), "\n",
        args.Get("expected-version", "any"), "\n", event->data())));
  } else {
    event->set_id(id.empty() ? NewUuid() : id);
  }
  absl::StatusOr<v1::AppendResponse> result = client->Append(request);
  if (!result.ok()) return CallError("append", result.status());
  if (json) {
    std::printf("%s\n", AppendResultJson(*result, event->id()).c_str());
  } else {
    std::printf(
        "appended event %s to %s at position %llu (stream version "
        "%llu)%s\n",
        event->id().c_str(), request.stream().c_str(),
        static_cast<unsigned long long>(result->first_position()),
        static_cast<unsigned long long>(result->stream_version()),
        result->deduplicated() ? " [already there: retry]" : "");
  }
  return 0;
}

int Read(Client* client, const Args& args, bool json) {
  v1::ReadRequest request;
  uint64_t number = 0;
  if (args.Has("limit")) {
    if (!ParseNumber(args.Get("limit", ""), &number)) {
      return UsageError("--limit takes a number");
    }
    request.set_limit(number);
  }
  if (args.Has("from") && !ParseNumber(args.Get("from", ""), &number)) {
    return UsageError("--from takes a number");
  }
  if (args.Has("all")) {
    if (args.positional.size() != 1)
      return UsageError("read --all takes no STREAM");
    v1::ReadRequest::AllSource* all = request.mutable_all();
    if (args.Has("from")) all->set_from_position(number);
    all->mutable_filter()->set_stream_prefix(args.Get("stream-prefix", ""));
    all->mutable_filter()->set_type_prefix(args.Get("type-prefix", ""));
  } else {
    if (args.positional.size() != 2)
      return UsageError("read takes STREAM or --all");
    v1::ReadRequest::StreamSource* stream = request.mutable_stream();
    stream->set_stream(args.positional[1]);
    stream->set_backward(args.Has("backward"));
    if (args.Has("from")) stream->set_from_version(number);
  }
  EventPrinter printer(json);
  absl::StatusOr<Client::ReadEnd> end =
      client->Read(request, [&printer](const v1::ReadResponse& batch) {
        for (const auto& event : batch.events()) printer.Print(event);
        return true;
      });
  if (!end.ok()) return CallError("read", end.status());
  printer.Finish();
  return 0;
}

int Tail(Client* client, const Args& args, bool json) {
  v1::SubscribeRequest request;
  std::string from = args.Get("from", "now");
  uint64_t position = 0;
  if (from == "now") {
    request.set_from_now(true);
  } else if (ParseNumber(from, &position)) {
    request.set_from_position(position);
  } else {
    return UsageError("--from takes a position or now");
  }
  request.mutable_filter()->set_stream_prefix(args.Get("stream-prefix", ""));
  request.mutable_filter()->set_type_prefix(args.Get("type-prefix", ""));
  EventPrinter printer(json, /*streaming=*/true);
  absl::Status status =
      client->Subscribe(request, [&](const v1::SubscribeResponse& message) {
        for (const auto& event : message.events().events()) {
          printer.Print(event);
        }
        if (message.has_caught_up() && !json) {
          std::fprintf(
              stderr, "-- caught up at position %llu; following --\n",
              static_cast<unsigned long long>(message.caught_up().position()));
        }
        return true;
      });
  return CallError("tail", status);
}

int Info(Client* client, const Args& args, bool json) {
  if (args.positional.size() != 2) return UsageError("info takes STREAM");
  absl::StatusOr<v1::GetStreamInfoResponse> info =
      client->GetStreamInfo(args.positional[1]);
  if (!info.ok()) return CallError("info", info.status());
  if (json) {
    std::printf("%s\n", StreamInfoJson(args.positional[1], *info).c_str());
  } else if (!info->exists()) {
    std::printf("%s: no events\n", args.positional[1].c_str());
  } else {
    std::printf("%s: last version %llu at position %llu\n",
                args.positional[1].c_str(),
                static_cast<unsigned long long>(info->last_version()),
                static_cast<unsigned long long>(info->last_position()));
  }
  return 0;
}

int Head(Client* client, bool json) {
  absl::StatusOr<v1::GetHeadResponse> head = client->GetHead();
  if (!head.ok()) return CallError("head", head.status());
  if (json) {
    std::printf("%s\n", HeadJson(*head).c_str());
  } else {
    std::printf("%llu events; next position %llu; last recorded %s\n",
                static_cast<unsigned long long>(head->next_position()),
                static_cast<unsigned long long>(head->next_position()),
                head->next_position() == 0
                    ? "never"
                    : FormatMicros(head->last_recorded_at_us()).c_str());
  }
  return 0;
}

// The verifier key in --key's file.
absl::StatusOr<note::Verifier> LoadVerifier(const Args& args) {
  absl::StatusOr<std::string> key = note::ReadKeyFile(args.Get("key", ""));
  if (!key.ok()) return key.status();
  return note::Verifier::FromKey(*key);
}

// The checkpoint at `size` (0: latest), opened with `key`.
absl::StatusOr<Checkpoint> SignedCheckpointOf(Client* client, uint64_t size,
                                              const note::Verifier& key) {
  absl::StatusOr<v1::SignedCheckpoint> stored = client->GetCheckpoint(size);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::string> text = note::Open(stored->note(), key);
  if (!text.ok()) return text.status();
  return ParseCheckpoint(*text);
}

int Prove(Client* client, const Args& args, bool json) {
  uint64_t position = 0;
  uint64_t size = 0;
  if (args.positional.size() != 2 ||
      !ParseNumber(args.positional[1], &position) ||
      (args.Has("size") && !ParseNumber(args.Get("size", ""), &size))) {
    return UsageError("prove takes POSITION [--size=N] [--key=FILE]");
  }
  v1::TreeHead head;
  if (args.Has("key")) {
    absl::StatusOr<note::Verifier> key = LoadVerifier(args);
    if (!key.ok()) return CallError("reading --key", key.status());
    absl::StatusOr<Checkpoint> checkpoint =
        SignedCheckpointOf(client, size, *key);
    if (!checkpoint.ok()) return CallError("checkpoint", checkpoint.status());
    head.set_tree_size(checkpoint->tree_size);
    head.set_root_hash(std::string(DigestView(checkpoint->root_hash)));
  } else {
    absl::StatusOr<v1::TreeHead> unsigned_head = client->GetTreeHead(size);
    if (!unsigned_head.ok()) return CallError("prove", unsigned_head.status());
    head = *unsigned_head;
  }
  absl::StatusOr<v1::InclusionProof> proof =
      client->GetInclusionProof(position, head.tree_size());
  if (!proof.ok()) return CallError("prove", proof.status());
  absl::StatusOr<v1::RecordedEvent> event = client->GetEvent(position);
  if (!event.ok()) return CallError("prove", event.status());
  absl::Status verified = VerifyEventInclusion(*event, *proof, head);
  if (!verified.ok()) return CallError("verification", verified);
  const std::string root = absl::BytesToHexString(head.root_hash());
  const char* against = args.Has("key") ? "signed checkpoint" : "tree head";
  if (json) {
    std::string hashes;
    for (const std::string& hash : proof->hashes()) {
      absl::StrAppend(&hashes, hashes.empty() ? "" : ",", "\"",
                      absl::BytesToHexString(hash), "\"");
    }
    std::printf(
        "{\"position\":%llu,\"tree_size\":%llu,\"root\":\"%s\","
        "\"leaf_hash\":\"%s\",\"proof\":[%s],\"signed\":%s,"
        "\"verified\":true}\n",
        static_cast<unsigned long long>(position),
        static_cast<unsigned long long>(head.tree_size()), root.c_str(),
        absl::BytesToHexString(event->leaf_hash()).c_str(), hashes.c_str(),
        args.Has("key") ? "true" : "false");
  } else {
    std::printf("event %llu, leaf hash %s\n",
                static_cast<unsigned long long>(position),
                absl::BytesToHexString(event->leaf_hash()).c_str());
    for (const std::string& hash : proof->hashes()) {
      std::printf("  proof  %s\n", absl::BytesToHexString(hash).c_str());
    }
    std::printf(
        "verified: in the %s of %llu events (root %s); leaf hash and payload "
        "digest recomputed, %d-hash inclusion proof checked\n",
        against, static_cast<unsigned long long>(head.tree_size()),
        root.c_str(), proof->hashes_size());
  }
  return 0;
}

int CheckpointCommand(Client* client, const Args& args, bool json) {
  uint64_t size = 0;
  if (args.positional.size() != 1 ||
      (args.Has("size") && !ParseNumber(args.Get("size", ""), &size))) {
    return UsageError("checkpoint takes [--size=N] [--key=FILE]");
  }
  absl::StatusOr<v1::SignedCheckpoint> stored = client->GetCheckpoint(size);
  if (!stored.ok()) return CallError("checkpoint", stored.status());
  bool verified = false;
  if (args.Has("key")) {
    absl::StatusOr<note::Verifier> key = LoadVerifier(args);
    if (!key.ok()) return CallError("reading --key", key.status());
    absl::StatusOr<std::string> text = note::Open(stored->note(), *key);
    if (!text.ok()) return CallError("signature check", text.status());
    verified = true;
  }
  if (json) {
    std::printf("{\"tree_size\":%llu,\"note\":%s,\"signature_verified\":%s}\n",
                static_cast<unsigned long long>(stored->tree_size()),
                JsonString(stored->note()).c_str(),
                verified ? "true" : "false");
  } else {
    std::fputs(stored->note().c_str(), stdout);
    if (verified) std::fprintf(stderr, "signature verified\n");
  }
  return 0;
}

// A role's key pair (README "Sealed fields"): PREFIX.key (secret, 0600;
// it stays with the role's holder) and PREFIX.pub (for --unsealer_keys).
int RoleKeygen(const Args& args) {
  const std::string role = args.Get("role", "");
  const std::string out = args.Get("out", "");
  if (role != "UNSEALER" || out.empty() || args.positional.size() != 1) {
    return UsageError("keygen --role=UNSEALER --out=PREFIX");
  }
  absl::Status started = sealing::Init();
  if (!started.ok()) return CallError("keygen", started);
  const sealing::RoleKeys keys = sealing::NewRoleKeys(role);
  const std::string secret_path = out + ".key";
  const std::string public_path = out + ".pub";
  int fd = open(secret_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return CallError("keygen", absl::FailedPreconditionError(absl::StrCat(
                                   secret_path, ": exists or cannot be made")));
  }
  const std::string secret = keys.SecretText() + "\n";
  const bool wrote = write(fd, secret.data(), secret.size()) ==
                         static_cast<ssize_t>(secret.size()) &&
                     fsync(fd) == 0;
  close(fd);
  std::FILE* pub = std::fopen(public_path.c_str(), "wx");
  if (!wrote || pub == nullptr) {
    return CallError("keygen", absl::FailedPreconditionError(absl::StrCat(
                                   public_path, ": exists or cannot be made")));
  }
  std::fprintf(pub, "%s\n", keys.PublicText().c_str());
  std::fclose(pub);
  std::printf(
      "wrote %s (secret: keep it with the %s, never on the server) and %s "
      "(public: list it in the server's --unsealer_keys file)\n",
      secret_path.c_str(), role.c_str(), public_path.c_str());
  return 0;
}

// Unseals an event's sealed fields: the server records the unsealing
// first; the data key is unwrapped and each opening decrypted and checked
// here, with the role's secret key, which never leaves this machine.
int Unseal(Client* client, const Args& args, bool json) {
  uint64_t position = 0;
  const std::string reason = args.Get("reason", "");
  if (args.positional.size() != 2 ||
      !absl::SimpleAtoi(args.positional[1], &position) || reason.empty() ||
      !args.Has("key")) {
    return UsageError(
        "unseal takes POSITION --reason=TEXT --key=ROLE_SECRET_KEY_FILE "
        "[--field=PATH]");
  }
  std::ifstream in(args.Get("key", ""));
  std::string key_text;
  std::getline(in, key_text);
  absl::StatusOr<sealing::RoleKeys> role =
      sealing::ParseSecretRoleKey(key_text);
  if (!role.ok()) return CallError("reading --key", role.status());
  absl::Status started = sealing::Init();
  if (!started.ok()) return CallError("unseal", started);
  v1::UnsealRequest request;
  request.set_position(position);
  request.set_reason(reason);
  if (args.Has("field")) request.add_paths(args.Get("field", ""));
  absl::StatusOr<v1::UnsealResponse> response = client->Unseal(request);
  if (!response.ok()) return CallError("unseal", response.status());
  std::optional<std::string> data_key;
  for (const v1::SealedData::WrappedKey& wrapped : response->keys()) {
    if (wrapped.role_public_key() != role->public_key) continue;
    absl::StatusOr<std::string> key =
        sealing::UnwrapDataKey(wrapped.wrapped(), *role);
    if (!key.ok()) return CallError("unseal", key.status());
    data_key = *key;
  }
  if (!data_key.has_value()) {
    return CallError("unseal",
                     absl::PermissionDeniedError(
                         "the event's data key is not wrapped for this key"));
  }
  const v1::RecordedEvent& event = response->event();
  for (const v1::SealedData::Field& field : response->fields()) {
    absl::StatusOr<sealing::Opening> opening =
        sealing::DecryptOpening(*data_key, event.id(), field.path(),
                                field.commitment(), field.encrypted_opening());
    // The commitment must be the one the logged payload holds.
    if (opening.ok() &&
        event.data().find(field.commitment()) == std::string::npos) {
      opening = absl::DataLossError(
          "the commitment is not the one in the event's payload");
    }
    if (!opening.ok())
      return CallError("unseal " + field.path(), opening.status());
    if (json) {
      std::printf(
          "{\"position\":%llu,\"unsealed_position\":%llu,"
          "\"path\":%s,\"value\":%s}\n",
          static_cast<unsigned long long>(position),
          static_cast<unsigned long long>(response->unsealed_position()),
          JsonString(field.path()).c_str(), JsonString(opening->value).c_str());
    } else {
      std::printf("%s = %s\n", field.path().c_str(), opening->value.c_str());
    }
  }
  if (!json) {
    std::printf(
        "(opened against the event's commitments; the unsealing is on the "
        "record at position %llu)\n",
        static_cast<unsigned long long>(response->unsealed_position()));
  }
  return 0;
}

// Lawful erasure of sealed values (role ADMIN): on the record, then gone.
int Erase(Client* client, const Args& args, bool json) {
  uint64_t position = 0;
  const std::string basis = args.Get("legal-basis", "");
  const bool whole = args.Has("whole-payload");
  if (args.positional.size() != 2 ||
      !absl::SimpleAtoi(args.positional[1], &position) || basis.empty() ||
      (whole && args.Has("field"))) {
    return UsageError(
        "erase takes POSITION --legal-basis=TEXT [--field=PATH | "
        "--whole-payload]");
  }
  v1::EraseRequest request;
  request.set_position(position);
  request.set_legal_basis(basis);
  request.set_whole_payload(whole);
  if (args.Has("field")) request.add_paths(args.Get("field", ""));
  absl::StatusOr<v1::EraseResponse> response = client->Erase(request);
  if (!response.ok()) return CallError("erase", response.status());
  if (whole) {
    if (json) {
      std::printf(
          "{\"position\":%llu,\"erased_position\":%llu,\"whole_payload\":"
          "true}\n",
          static_cast<unsigned long long>(position),
          static_cast<unsigned long long>(response->erased_position()));
    } else {
      std::printf(
          "erased the whole payload of event %llu (recorded at position "
          "%llu); its header, leaf and every proof are unchanged\n",
          static_cast<unsigned long long>(position),
          static_cast<unsigned long long>(response->erased_position()));
    }
    return 0;
  }
  for (const std::string& path : response->paths()) {
    if (json) {
      std::printf("{\"position\":%llu,\"erased_position\":%llu,\"path\":%s}\n",
                  static_cast<unsigned long long>(position),
                  static_cast<unsigned long long>(response->erased_position()),
                  JsonString(path).c_str());
    } else {
      std::printf("erased %s of event %llu (recorded at position %llu)\n",
                  path.c_str(), static_cast<unsigned long long>(position),
                  static_cast<unsigned long long>(response->erased_position()));
    }
  }
  return 0;
}

// An online backup (role ADMIN), written by the server into DEST on its
// own machine.
int Backup(Client* client, const Args& args, bool json) {
  if (args.positional.size() != 2) {
    return UsageError(
        "backup takes DEST (a directory on the server's machine)");
  }
  absl::StatusOr<v1::BackupResponse> taken = client->Backup(args.positional[1]);
  if (!taken.ok()) return CallError("backup", taken.status());
  if (json) {
    std::printf(
        "{\"backup_id\":%u,\"position\":%llu,\"checkpoint_size\":%llu,"
        "\"bytes\":%llu,\"files\":%u,\"backups_kept\":%u}\n",
        taken->backup_id(), static_cast<unsigned long long>(taken->position()),
        static_cast<unsigned long long>(taken->checkpoint().tree_size()),
        static_cast<unsigned long long>(taken->bytes()), taken->files(),
        taken->backups_kept());
  } else {
    std::printf(
        "backup %u in %s: every event below position %llu, and the "
        "checkpoint of %llu events signed then; %llu bytes in %u files, "
        "checked against their checksums (%u backups kept there)\n"
        "the signing key is not in it: keep log.key backed up on its own\n",
        taken->backup_id(), args.positional[1].c_str(),
        static_cast<unsigned long long>(taken->position()),
        static_cast<unsigned long long>(taken->checkpoint().tree_size()),
        static_cast<unsigned long long>(taken->bytes()), taken->files(),
        taken->backups_kept());
  }
  return 0;
}

// Offline, on the server's machine: the daemon does it (it owns the store's
// format), found beside this program or on the PATH.
int Restore(const char* self, const Args& args) {
  if (args.positional.size() != 3) {
    return UsageError("restore takes BACKUP_DIR DATA_DIR");
  }
  std::string daemon = "missionlogd";
  const std::string me = self;
  const size_t slash = me.rfind('/');
  if (slash != std::string::npos) {
    const std::string beside = me.substr(0, slash + 1) + "missionlogd";
    if (access(beside.c_str(), X_OK) == 0) daemon = beside;
  }
  const std::string from = "--restore_from=" + args.positional[1];
  const std::string to = "--data_dir=" + args.positional[2];
  execlp(daemon.c_str(), daemon.c_str(), from.c_str(), to.c_str(),
         static_cast<char*>(nullptr));
  std::fprintf(stderr,
               "missionlog: restore runs missionlogd, which is not beside "
               "this program nor on the PATH: run missionlogd %s %s\n",
               from.c_str(), to.c_str());
  return 1;
}

int Keygen(const Args& args) {
  if (args.Has("role")) return RoleKeygen(args);
  const std::string origin = args.Get("origin", "");
  const std::string out = args.Get("out", "");
  if (origin.empty() || out.empty() || args.positional.size() != 1) {
    return UsageError("keygen takes --origin=NAME --out=PREFIX");
  }
  absl::StatusOr<note::Signer> signer = note::Signer::Generate(origin);
  if (!signer.ok()) return CallError("keygen", signer.status());
  absl::Status written =
      note::WriteKeyFiles(*signer, out + ".key", out + ".pub");
  if (!written.ok()) return CallError("keygen", written);
  std::printf(
      "wrote %s.key (private: give it to missionlogd --signing_key) "
      "and %s.pub (public: give it to auditors)\n%s\n",
      out.c_str(), out.c_str(), signer->VerifierKey().c_str());
  return 0;
}

int Token(const Args& args, bool json) {
  if (args.positional.size() != 2) {
    return UsageError("token takes PRINCIPAL [--tokens-file=FILE]");
  }
  absl::StatusOr<BearerToken> made = MakeBearerToken(args.positional[1]);
  if (!made.ok()) return UsageError(std::string(made.status().message()));
  const std::string file = args.Get("tokens-file", "");
  if (!file.empty()) {
    // Owner-only, like a key file: the hashes admit no one, but the list of
    // principals is nobody else's business.
    int fd = open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    const std::string line = made->tokens_file_line + "\n";
    if (fd < 0 || write(fd, line.data(), line.size()) !=
                      static_cast<ssize_t>(line.size())) {
      if (fd >= 0) close(fd);
      return CallError("token", absl::InternalError(absl::StrCat(
                                    file, ": cannot append the token")));
    }
    close(fd);
  }
  if (json) {
    std::printf("{\"principal\":%s,\"token\":%s,\"tokens_file_line\":%s}\n",
                JsonString(args.positional[1]).c_str(),
                JsonString(made->token).c_str(),
                JsonString(made->tokens_file_line).c_str());
    return 0;
  }
  std::printf("%s\n", made->token.c_str());
  if (file.empty()) {
    std::fprintf(stderr,
                 "add this line to the server's tokens file (--tokens), then "
                 "send missionlogd SIGHUP:\n%s\n",
                 made->tokens_file_line.c_str());
  } else {
    std::fprintf(stderr,
                 "added to %s; send missionlogd SIGHUP to admit it. Give the "
                 "token above to %s only: it is not stored anywhere.\n",
                 file.c_str(), args.positional[1].c_str());
  }
  return 0;
}

// The client's options from the connection flags and environment.
absl::StatusOr<ClientOptions> ConnectionOptions(const Args& args) {
  auto setting = [&](const char* flag, const char* env) {
    const char* value = std::getenv(env);
    return args.Get(flag, value != nullptr ? value : "");
  };
  ClientOptions options;
  options.token = setting("token", "MISSIONLOG_TOKEN");
  options.tls_server_name = args.Get("tls-server-name", "");
  absl::Status loaded =
      LoadTlsFiles(setting("tls-ca", "MISSIONLOG_TLS_CA"),
                   setting("tls-cert", "MISSIONLOG_TLS_CERT"),
                   setting("tls-key", "MISSIONLOG_TLS_KEY"), &options);
  if (!loaded.ok()) return loaded;
  if (options.tls_root_certs.empty() && !options.tls_cert_chain.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert needs --tls-ca (the CA that signed the server's "
        "certificate)");
  }
  return options;
}

// A one-line progress bar on stderr, redrawn at most ten times a second.
int Verify(Client* client, const Args& args, bool json) {
  if (!args.Has("key") || args.positional.size() != 1) {
    return UsageError(
        "verify takes --key=FILE[,FILE...] [--require-cosigners=N] "
        "[--state=FILE] [--full]");
  }
  // A cluster's checkpoints carry one signature per node: one key file
  // per node, and how many of them must have signed.
  std::vector<note::Verifier> keys;
  for (absl::string_view file :
       absl::StrSplit(args.Get("key", ""), ',', absl::SkipEmpty())) {
    absl::StatusOr<std::string> line = note::ReadKeyFile(std::string(file));
    absl::StatusOr<note::Verifier> key =
        line.ok() ? note::Verifier::FromKey(*line)
                  : absl::StatusOr<note::Verifier>(line.status());
    if (!key.ok()) return CallError("reading --key", key.status());
    keys.push_back(*std::move(key));
  }
  int required = 1;
  if (args.Has("require-cosigners") &&
      (!absl::SimpleAtoi(args.Get("require-cosigners", ""), &required) ||
       required < 1 || required > static_cast<int>(keys.size()))) {
    return UsageError(
        "--require-cosigners takes a number from 1 to the number of keys");
  }
  const std::string state_path = args.Get("state", "missionlog-verify.state");
  absl::StatusOr<std::optional<TrustedState>> state =
      LoadTrustedState(state_path);
  if (!state.ok()) return CallError("reading --state", state.status());
  ProgressBar bar(!json && isatty(STDERR_FILENO), "entries");
  VerifyOptions options;
  options.full = args.Has("full");
  if (args.Has("sample") &&
      !absl::SimpleAtoi(args.Get("sample", ""), &options.sample)) {
    return UsageError("--sample takes a number of older entries to check");
  }
  options.required_signatures = required;
  options.progress = [&bar](uint64_t done, uint64_t total) {
    bar.Update(done, total);
  };
  absl::StatusOr<VerifyReport> report =
      VerifyLog(client, keys, &*state, options);
  bar.Clear();
  if (!report.ok()) {
    if (json) {
      std::printf("{\"verified\":false,\"code\":\"%s\",\"error\":%s}\n",
                  absl::StatusCodeToString(report.status().code()).c_str(),
                  JsonString(report.status().message()).c_str());
    }
    std::fprintf(stderr, "missionlog: verify FAILED: %s\n",
                 std::string(report.status().message()).c_str());
    return 1;
  }
  absl::Status saved = SaveTrustedState(state_path, **state);
  if (!saved.ok()) return CallError("saving --state", saved);
  // Erasures the verified log records (their values are gone; the log, its
  // hashes and proofs are as they were).
  uint64_t erasures = 0;
  {
    v1::ReadRequest read;
    read.mutable_all()->mutable_filter()->set_type_prefix(domain::kErasedType);
    absl::StatusOr<Client::ReadEnd> end =
        client->Read(read, [&](const v1::ReadResponse& batch) {
          for (const v1::RecordedEvent& event : batch.events()) {
            if (event.position() < report->tree_size) ++erasures;
          }
          return true;
        });
    if (!end.ok()) return CallError("counting erasures", end.status());
  }
  const double seconds = absl::ToDoubleSeconds(report->elapsed);
  const double rate = seconds > 0 ? report->entries / seconds : 0;
  const std::string root =
      absl::BytesToHexString(DigestView(report->root_hash));
  const std::string time =
      report->checkpoint_time
          ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *report->checkpoint_time,
                             absl::UTCTimeZone())
          : "";
  if (json) {
    std::printf(
        "{\"verified\":true,\"origin\":%s,\"tree_size\":%llu,\"root\":"
        "\"%s\",\"checkpoint_time\":%s,\"previously_trusted\":%llu,"
        "\"from\":%llu,\"entries\":%llu,\"tree_nodes\":%llu,"
        "\"server_head\":%llu,\"seconds\":%.3f,\"entries_per_s\":%.0f,"
        "\"signatures\":%d,\"erasures\":%llu,\"erased_payloads\":%llu,"
        "\"sampled\":%llu}\n",
        JsonString(report->origin).c_str(),
        static_cast<unsigned long long>(report->tree_size), root.c_str(),
        JsonString(time).c_str(),
        static_cast<unsigned long long>(report->previously_trusted),
        static_cast<unsigned long long>(report->from),
        static_cast<unsigned long long>(report->entries),
        static_cast<unsigned long long>(report->tree_nodes),
        static_cast<unsigned long long>(report->server_head), seconds, rate,
        report->signatures, static_cast<unsigned long long>(erasures),
        static_cast<unsigned long long>(report->erased_payloads),
        static_cast<unsigned long long>(report->sampled));
  } else {
    std::printf(
        "verified %s: checkpoint of %llu events (root %s, signed %s; %d of "
        "%zu keys signed it)\n",
        report->origin.c_str(),
        static_cast<unsigned long long>(report->tree_size), root.c_str(),
        time.empty() ? "at an unknown time" : time.c_str(), report->signatures,
        keys.size());
    if (report->entries == 0) {
      std::printf("  no new entries since the checkpoint trusted before\n");
    } else {
      std::printf(
          "  %llu entries at positions %llu..%llu recomputed (%.0f/s); %llu "
          "stored tree nodes matched\n",
          static_cast<unsigned long long>(report->entries),
          static_cast<unsigned long long>(report->from),
          static_cast<unsigned long long>(report->tree_size - 1), rate,
          static_cast<unsigned long long>(report->tree_nodes));
    }
    if (report->previously_trusted > 0) {
      std::printf(
          "  consistent with the checkpoint of %llu events trusted "
          "before\n",
          static_cast<unsigned long long>(report->previously_trusted));
    }
    if (report->sampled > 0) {
      std::printf(
          "  %llu older entries, chosen at random, rechecked with their "
          "inclusion proofs\n",
          static_cast<unsigned long long>(report->sampled));
    }
    if (report->server_head > report->tree_size) {
      std::printf("  %llu newer events are not yet covered by a checkpoint\n",
                  static_cast<unsigned long long>(report->server_head -
                                                  report->tree_size));
    }
    if (erasures > 0) {
      std::printf(
          "  %llu erasures recorded: those values are destroyed; every "
          "entry and proof still verifies\n",
          static_cast<unsigned long long>(erasures));
    }
    if (report->erased_payloads > 0) {
      std::printf(
          "  %llu of the entries checked have an erased payload, each "
          "accounted for by an Erased event\n",
          static_cast<unsigned long long>(report->erased_payloads));
    }
    std::printf("  now trusted: %s\n", state_path.c_str());
  }
  return 0;
}

int Main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  if (args.positional.empty() || args.Has("help")) {
    std::fputs(kUsage,
               args.positional.empty() && !args.Has("help") ? stderr : stdout);
    return args.Has("help") ? 0 : 2;
  }
  const char* env = std::getenv("MISSIONLOG_SERVER");
  std::string server = args.Get(
      "server", env != nullptr && *env != '\0' ? env : "127.0.0.1:7600");
  const bool json = args.Has("json");
  const std::string& command = args.positional[0];
  if (command == "token") return Token(args, json);
  if (command == "restore") return Restore(argv[0], args);
  absl::StatusOr<ClientOptions> options = ConnectionOptions(args);
  if (!options.ok()) return UsageError(std::string(options.status().message()));
  std::unique_ptr<Client> client = Client::Connect(server, *options);
  if (command == "append") return Append(client.get(), args, json);
  if (command == "read") return Read(client.get(), args, json);
  if (command == "tail") return Tail(client.get(), args, json);
  if (command == "info") return Info(client.get(), args, json);
  if (command == "head") return Head(client.get(), json);
  if (command == "prove") return Prove(client.get(), args, json);
  if (command == "checkpoint") {
    return CheckpointCommand(client.get(), args, json);
  }
  if (command == "verify") return Verify(client.get(), args, json);
  if (command == "keygen") return Keygen(args);
  if (command == "unseal") return Unseal(client.get(), args, json);
  if (command == "erase") return Erase(client.get(), args, json);
  if (command == "backup") return Backup(client.get(), args, json);
  if (command == "command") return CommandCommand(client.get(), args, json);
  if (command == "import") return ImportCommand(client.get(), args, json);
  if (command == "query") return QueryCommand(client.get(), args, json);
  if (command == "projections") {
    return ProjectionsCommand(client.get(), args, json);
  }
  return UsageError("unknown command '" + command + "'");
}

}  // namespace
}  // namespace missionlog

int main(int argc, char** argv) { return missionlog::Main(argc, argv); }
