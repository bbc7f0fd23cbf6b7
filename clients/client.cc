#include "clients/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <thread>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "base/pem_file.h"
#include "missionlog/v1/commands.grpc.pb.h"

namespace missionlog {

namespace {

// "a,b,c" (host:port each) as one gRPC target over all of them, tried in
// order (pick_first): when the node in use becomes unreachable, the
// channel moves to the next. Names are resolved here, once (gRPC's "ipv4:"
// scheme takes addresses only). A single target is returned unchanged.
std::string FailoverTarget(const std::string& target, std::string* authority) {
  if (target.find(',') == std::string::npos) return target;
  std::vector<std::string> addresses;
  for (absl::string_view part :
       absl::StrSplit(target, ',', absl::SkipWhitespace())) {
    std::string entry(absl::StripAsciiWhitespace(part));
    const size_t colon = entry.rfind(':');
    if (colon == std::string::npos) return target;  // gRPC will say
    std::string host = entry.substr(0, colon);
    const std::string port = entry.substr(colon + 1);
    if (authority->empty()) *authority = entry;
    in_addr numeric;
    if (host == "localhost") host = "127.0.0.1";
    if (inet_pton(AF_INET, host.c_str(), &numeric) != 1) {
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* found = nullptr;
      if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 ||
          found == nullptr) {
        continue;  // unresolvable now: the others still serve
      }
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET,
                &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text,
                sizeof text);
      freeaddrinfo(found);
      host = text;
    }
    addresses.push_back(absl::StrCat(host, ":", port));
  }
  if (addresses.empty()) return target;
  return absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
}

}  // namespace

absl::Status LoadTlsFiles(const std::string& root_certs_file,
                          const std::string& cert_chain_file,
                          const std::string& private_key_file,
                          ClientOptions* options) {
  if (cert_chain_file.empty() != private_key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key, and a key its certificate");
  }
  if (!root_certs_file.empty()) {
    absl::StatusOr<std::string> read = ReadPemFile(root_certs_file);
    if (!read.ok()) return read.status();
    options->tls_root_certs = *std::move(read);
  }
  if (!cert_chain_file.empty()) {
    absl::StatusOr<std::string> chain = ReadPemFile(cert_chain_file);
    if (!chain.ok()) return chain.status();
    absl::StatusOr<std::string> key = ReadPemFile(private_key_file);
    if (!key.ok()) return key.status();
    options->tls_cert_chain = *std::move(chain);
    options->tls_private_key = *std::move(key);
  }
  return absl::OkStatus();
}

std::unique_ptr<Client> Client::Connect(const std::string& target,
                                        const ClientOptions& options) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_bytes);
  args.SetMaxSendMessageSize(-1);
  // A node that was down is tried again within a second or so (gRPC's
  // default waits 20 s), so a cluster's client returns to it promptly. (The
  // minimum is also each connection attempt's deadline.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_root_certs.empty() && options.tls_cert_chain.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_root_certs;
    ssl.pem_cert_chain = options.tls_cert_chain;
    ssl.pem_private_key = options.tls_private_key;
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  std::string authority;
  const std::string resolved = FailoverTarget(target, &authority);
  if (!authority.empty()) {
    // TLS checks the first node's name; every node's certificate must
    // carry the names clients use (README "Running three nodes").
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  }
  auto channel = grpc::CreateCustomChannel(resolved, credentials, args);
  return std::unique_ptr<Client>(new Client(std::move(channel), options));
}

Client::Client(std::shared_ptr<grpc::Channel> channel,
               const ClientOptions& options)
    : options_(options),
      channel_(std::move(channel)),
      stub_(v1::EventStore::NewStub(channel_)),
      audit_(v1::Audit::NewStub(channel_)),
      generic_(std::make_unique<grpc::GenericStub>(channel_)),
      inquiry_(v1::Inquiry::NewStub(channel_)),
      projections_(v1::Projections::NewStub(channel_)),
      sealing_(v1::Sealing::NewStub(channel_)),
      admin_(v1::Admin::NewStub(channel_)) {}

void Client::Prepare(grpc::ClientContext* context) const {
  if (!options_.token.empty()) {
    context->AddMetadata("authorization",
                         absl::StrCat("Bearer ", options_.token));
  }
}

void Client::SetDeadline(grpc::ClientContext* context) const {
  Prepare(context);
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
}

template <typename Response, typename Attempt>
absl::StatusOr<Response> Client::Retried(const Attempt& attempt) const {
  absl::Duration backoff = options_.first_backoff;
  absl::Status status;
  for (int n = 1; n <= options_.max_attempts; ++n) {
    grpc::ClientContext context;
    SetDeadline(&context);
    Response response;
    status = attempt(&context, &response);
    if (status.ok()) return response;
    if (status.code() != absl::StatusCode::kUnavailable &&
        status.code() != absl::StatusCode::kDeadlineExceeded) {
      break;
    }
    if (n < options_.max_attempts) {
      std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
      backoff *= 2;
    }
  }
  return status;
}

absl::StatusOr<v1::AppendResponse> Client::Append(v1::AppendRequest request) {
  for (v1::EventData& event : *request.mutable_events()) {
    if (event.id().empty()) event.set_id(NewUuid());
  }
  return Retried<v1::AppendResponse>(
      [&](grpc::ClientContext* context, v1::AppendResponse* response) {
        return FromGrpcStatus(stub_->Append(context, request, response));
      });
}

absl::StatusOr<v1::CommandResult> Client::Command(
    const std::string& rpc, const google::protobuf::Message& request) {
  const std::string method =
      absl::StrCat("/", v1::Accountability::service_full_name(), "/", rpc);
  grpc::Slice slice(request.SerializeAsString());
  const grpc::ByteBuffer request_bytes(&slice, 1);
  return Retried<v1::CommandResult>([&](grpc::ClientContext* context,
                                        v1::CommandResult* result) {
    grpc::ByteBuffer response_bytes;
    grpc::Status call_status;
    absl::Notification done;
    generic_->UnaryCall(context, method, grpc::StubOptions(), &request_bytes,
                        &response_bytes, [&](grpc::Status status) {
                          call_status = std::move(status);
                          done.Notify();
                        });
    done.WaitForNotification();
    absl::Status status = FromGrpcStatus(call_status);
    if (!status.ok()) return status;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response_bytes.Dump(&slices).ok()) {
      for (const grpc::Slice& slice : slices) {
        bytes.append(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
      }
    }
    if (!result->ParseFromString(bytes)) {
      return absl::InternalError("the server's CommandResult is malformed");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<absl::StatusOr<v1::AppendResponse>>>
Client::AppendPipelined(std::vector<v1::AppendRequest> appends) {
  grpc::ClientContext context;
  Prepare(&context);
  auto stream = stub_->AppendStream(&context);
  std::thread writer([&stream, &appends] {
    for (size_t i = 0; i < appends.size(); ++i) {
      v1::AppendStreamRequest request;
      request.set_request_id(std::to_string(i));
      *request.mutable_append() = std::move(appends[i]);
      for (v1::EventData& event : *request.mutable_append()->mutable_events()) {
        if (event.id().empty()) event.set_id(NewUuid());
      }
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  std::vector<absl::StatusOr<v1::AppendResponse>> results;
  v1::AppendStreamResponse response;
  while (stream->Read(&response)) {
    if (response.request_id() != std::to_string(results.size())) {
      context.TryCancel();
      writer.join();
      stream->Finish().ok();
      return absl::InternalError("AppendStream answered out of order");
    }
    if (response.has_result()) {
      results.push_back(response.result());
    } else {
      absl::Status error(static_cast<absl::StatusCode>(response.error().code()),
                         response.error().message());
      error.SetPayload(kRpcStatusPayload,
                       absl::Cord(response.error().SerializeAsString()));
      results.push_back(error);
    }
  }
  writer.join();
  absl::Status status = FromGrpcStatus(stream->Finish());
  if (!status.ok()) return status;
  return results;
}

absl::StatusOr<Client::ReadEnd> Client::Read(
    const v1::ReadRequest& request,
    const std::function<bool(const v1::ReadResponse&)>& on_batch) {
  grpc::ClientContext context;
  Prepare(&context);
  std::unique_ptr<grpc::ClientReader<v1::ReadResponse>> reader =
      stub_->Read(&context, request);
  v1::ReadResponse response;
  ReadEnd end;
  while (reader->Read(&response)) {
    if (response.done()) {
      end.next = response.next();
      end.end = response.end();
    }
    if (!on_batch(response)) {
      context.TryCancel();
      reader->Finish().ok();
      return end;
    }
  }
  absl::Status status = FromGrpcStatus(reader->Finish());
  if (!status.ok()) return status;
  return end;
}

absl::Status Client::Subscribe(
    const v1::SubscribeRequest& request,
    const std::function<bool(const v1::SubscribeResponse&)>& on_message) {
  grpc::ClientContext context;
  Prepare(&context);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub_->Subscribe(&context, request);
  v1::SubscribeResponse message;
  while (reader->Read(&message)) {
    if (!on_message(message)) {
      context.TryCancel();
      reader->Finish().ok();
      return absl::OkStatus();
    }
  }
  return FromGrpcStatus(reader->Finish());
}

template <typename Response, typename Call>
absl::StatusOr<Response> Client::Unary(const Call& call) const {
  grpc::ClientContext context;
  SetDeadline(&context);
  Response response;
  absl::Status status = FromGrpcStatus(call(&context, &response));
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::GetStreamInfoResponse> Client::GetStreamInfo(
    const std::string& stream) {
  v1::GetStreamInfoRequest request;
  request.set_stream(stream);
  return Unary<v1::GetStreamInfoResponse>(
      [&](grpc::ClientContext* context, v1::GetStreamInfoResponse* response) {
        return stub_->GetStreamInfo(context, request, response);
      });
}

absl::StatusOr<v1::GetHeadResponse> Client::GetHead() {
  return Unary<v1::GetHeadResponse>(
      [&](grpc::ClientContext* context, v1::GetHeadResponse* response) {
        return stub_->GetHead(context, v1::GetHeadRequest(), response);
      });
}

namespace {

// The whole answer of an Inquiry query: unless the caller pages it
// (page_size or page_token set), every page's rows after the first's.
template <typename Response, typename Request, typename Row, typename Fetch>
absl::StatusOr<Response> AllPages(
    Request request,
    google::protobuf::RepeatedPtrField<Row>* (Response::*rows)(),
    const Fetch& fetch) {
  absl::StatusOr<Response> answer = fetch(request);
  if (!answer.ok() || request.options().page_size() != 0 ||
      !request.options().page_token().empty()) {
    return answer;
  }
  while (!answer->info().next_page_token().empty()) {
    request.mutable_options()->set_page_token(answer->info().next_page_token());
    absl::StatusOr<Response> page = fetch(request);
    if (!page.ok()) return page.status();
    for (Row& row : *((*page).*rows)()) {
      ((*answer).*rows)()->Add(std::move(row));
    }
    answer->mutable_info()->set_next_page_token(page->info().next_page_token());
  }
  return answer;
}

}  // namespace

// One call (DecisionLocus's totals come whole; a Timeline's limit bounds
// its answer).
#define MISSIONLOG_INQUIRY_CALL(Rpc, Request, Response)                  \
  absl::StatusOr<v1::Response> Client::Rpc(const v1::Request& request) { \
    return Unary<v1::Response>(                                          \
        [&](grpc::ClientContext* context, v1::Response* response) {      \
          return inquiry_->Rpc(context, request, response);              \
        });                                                              \
  }
// Every page, its `rows` merged.
#define MISSIONLOG_PAGED_INQUIRY_CALL(Rpc, Request, Response, rows)       \
  absl::StatusOr<v1::Response> Client::Rpc(const v1::Request& request) {  \
    return AllPages(                                                      \
        request, &v1::Response::mutable_##rows,                           \
        [this](const v1::Request& page) {                                 \
          return Unary<v1::Response>(                                     \
              [&](grpc::ClientContext* context, v1::Response* response) { \
                return inquiry_->Rpc(context, page, response);            \
              });                                                         \
        });                                                               \
  }
MISSIONLOG_PAGED_INQUIRY_CALL(WhoOwned, WhoOwnedRequest, WhoOwnedResponse,
                              owners)
MISSIONLOG_PAGED_INQUIRY_CALL(OwnershipHistory, OwnershipHistoryRequest,
                              OwnershipHistoryResponse, intervals)
MISSIONLOG_PAGED_INQUIRY_CALL(GovernmentOn, GovernmentOnRequest,
                              GovernmentOnResponse, posts)
MISSIONLOG_PAGED_INQUIRY_CALL(PostHolders, PostHoldersRequest,
                              PostHoldersResponse, holdings)
MISSIONLOG_PAGED_INQUIRY_CALL(Spending, SpendingRequest, SpendingResponse, rows)
MISSIONLOG_PAGED_INQUIRY_CALL(Decisions, DecisionsRequest, DecisionsResponse,
                              decisions)
MISSIONLOG_INQUIRY_CALL(DecisionLocus, DecisionLocusRequest,
                        DecisionLocusResponse)
MISSIONLOG_PAGED_INQUIRY_CALL(Concerns, ConcernsRequest, ConcernsResponse,
                              concerns)
MISSIONLOG_PAGED_INQUIRY_CALL(DecisionsOverOpenConcerns,
                              DecisionsOverOpenConcernsRequest,
                              DecisionsOverOpenConcernsResponse, decisions)
MISSIONLOG_PAGED_INQUIRY_CALL(WhoWasTold, WhoWasToldRequest, WhoWasToldResponse,
                              told)
MISSIONLOG_PAGED_INQUIRY_CALL(MissionWashing, MissionWashingRequest,
                              MissionWashingResponse, unbacked)
MISSIONLOG_INQUIRY_CALL(Timeline, TimelineRequest, TimelineResponse)
#undef MISSIONLOG_PAGED_INQUIRY_CALL
#undef MISSIONLOG_INQUIRY_CALL

absl::StatusOr<v1::ProjectionStatusResponse> Client::ProjectionStatus() {
  return Unary<v1::ProjectionStatusResponse>(
      [&](grpc::ClientContext* context, v1::ProjectionStatusResponse* out) {
        return projections_->Status(context, v1::ProjectionStatusRequest(),
                                    out);
      });
}

// Not retried: each call is recorded (an unsealing, an erasure).
absl::StatusOr<v1::UnsealResponse> Client::Unseal(
    const v1::UnsealRequest& request) {
  return Unary<v1::UnsealResponse>(
      [&](grpc::ClientContext* context, v1::UnsealResponse* out) {
        return sealing_->Unseal(context, request, out);
      });
}

absl::StatusOr<v1::EraseResponse> Client::Erase(
    const v1::EraseRequest& request) {
  return Unary<v1::EraseResponse>(
      [&](grpc::ClientContext* context, v1::EraseResponse* out) {
        return sealing_->Erase(context, request, out);
      });
}

// Not retried: a backup runs for as long as it takes.
absl::StatusOr<v1::BackupResponse> Client::Backup(
    const std::string& destination) {
  v1::BackupRequest request;
  request.set_destination(destination);
  return Unary<v1::BackupResponse>(
      [&](grpc::ClientContext* context, v1::BackupResponse* out) {
        context->set_deadline(std::chrono::system_clock::now() +
                              std::chrono::hours(24));
        return admin_->Backup(context, request, out);
      });
}

absl::StatusOr<v1::RebuildResponse> Client::RebuildProjection(
    const std::string& name) {
  v1::RebuildRequest request;
  request.set_name(name);
  return Unary<v1::RebuildResponse>(
      [&](grpc::ClientContext* context, v1::RebuildResponse* out) {
        return projections_->Rebuild(context, request, out);
      });
}

absl::StatusOr<v1::TreeHead> Client::GetTreeHead(uint64_t tree_size) {
  v1::GetTreeHeadRequest request;
  request.set_tree_size(tree_size);
  return Unary<v1::TreeHead>(
      [&](grpc::ClientContext* context, v1::TreeHead* response) {
        return audit_->GetTreeHead(context, request, response);
      });
}

absl::StatusOr<v1::InclusionProof> Client::GetInclusionProof(
    uint64_t position, uint64_t tree_size) {
  v1::GetInclusionProofRequest request;
  request.set_position(position);
  request.set_tree_size(tree_size);
  return Unary<v1::InclusionProof>(
      [&](grpc::ClientContext* context, v1::InclusionProof* response) {
        return audit_->GetInclusionProof(context, request, response);
      });
}

absl::StatusOr<v1::ConsistencyProof> Client::GetConsistencyProof(
    uint64_t old_size, uint64_t new_size) {
  v1::GetConsistencyProofRequest request;
  request.set_old_size(old_size);
  request.set_new_size(new_size);
  return Unary<v1::ConsistencyProof>(
      [&](grpc::ClientContext* context, v1::ConsistencyProof* response) {
        return audit_->GetConsistencyProof(context, request, response);
      });
}

absl::StatusOr<v1::SignedCheckpoint> Client::GetCheckpoint(uint64_t tree_size) {
  v1::GetCheckpointRequest request;
  request.set_tree_size(tree_size);
  return Unary<v1::SignedCheckpoint>(
      [&](grpc::ClientContext* context, v1::SignedCheckpoint* response) {
        return audit_->GetCheckpoint(context, request, response);
      });
}

absl::Status Client::GetEntries(
    uint64_t from, uint64_t count,
    const std::function<bool(v1::GetEntriesResponse*)>& on_batch) {
  v1::GetEntriesRequest request;
  request.set_from(from);
  request.set_count(count);
  grpc::ClientContext context;
  Prepare(&context);
  std::unique_ptr<grpc::ClientReader<v1::GetEntriesResponse>> reader =
      audit_->GetEntries(&context, request);
  v1::GetEntriesResponse response;
  while (reader->Read(&response)) {
    if (!on_batch(&response)) {
      context.TryCancel();
      reader->Finish().ok();
      return absl::OkStatus();
    }
  }
  return FromGrpcStatus(reader->Finish());
}

absl::StatusOr<v1::TreeNodes> Client::GetTreeNodes(uint32_t level,
                                                   uint64_t from_index,
                                                   uint32_t count) {
  v1::GetTreeNodesRequest request;
  request.set_level(level);
  request.set_from_index(from_index);
  request.set_count(count);
  return Unary<v1::TreeNodes>(
      [&](grpc::ClientContext* context, v1::TreeNodes* response) {
        return audit_->GetTreeNodes(context, request, response);
      });
}

absl::StatusOr<v1::RecordedEvent> Client::GetEvent(uint64_t position) {
  v1::ReadRequest request;
  request.mutable_all()->set_from_position(position);
  request.set_limit(1);
  std::optional<v1::RecordedEvent> found;
  absl::StatusOr<ReadEnd> end =
      Read(request, [&found, position](const v1::ReadResponse& batch) {
        for (const auto& event : batch.events()) {
          if (event.position() == position) found = event;
        }
        return true;
      });
  if (!end.ok()) return end.status();
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no event at position ", position));
  }
  return *found;
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  if (!status.error_details().empty()) {
    result.SetPayload(kRpcStatusPayload, absl::Cord(status.error_details()));
  }
  return result;
}

std::optional<v1::WrongExpectedVersion> WrongExpectedVersionFrom(
    const absl::Status& status) {
  auto payload = status.GetPayload(kRpcStatusPayload);  // absl::optional
  if (!payload) return std::nullopt;
  v1::RpcStatus details;
  if (!details.ParseFromString(std::string(*payload))) return std::nullopt;
  for (const auto& any : details.details()) {
    v1::WrongExpectedVersion wrong;
    if (any.UnpackTo(&wrong)) return wrong;
  }
  return std::nullopt;
}

std::string NewUuid() {
  thread_local absl::BitGen gen;
  uint64_t high = absl::Uniform<uint64_t>(gen);
  uint64_t low = absl::Uniform<uint64_t>(gen);
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32,
                         (high >> 16) & 0xffff, high & 0xffff, low >> 48,
                         low & 0xffffffffffffULL);
}

}  // namespace missionlog
