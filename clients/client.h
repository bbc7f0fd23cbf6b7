// The C++ client library: a small typed API over the EventStore stubs, with
// deadlines and safe retries. Errors are absl::Status with the gRPC code.
//
// Thread safety: a Client is safe for concurrent use.
#ifndef MISSIONLOG_CLIENTS_CLIENT_H_
#define MISSIONLOG_CLIENTS_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "missionlog/v1/admin.grpc.pb.h"
#include "missionlog/v1/audit.grpc.pb.h"
#include "missionlog/v1/commands.pb.h"
#include "missionlog/v1/inquiry.grpc.pb.h"
#include "missionlog/v1/sealing.grpc.pb.h"
#include "missionlog/v1/store.grpc.pb.h"

namespace missionlog {

struct ClientOptions {
  // Deadline of each unary call attempt.
  absl::Duration deadline = absl::Seconds(10);
  // Attempts of an append that fails with UNAVAILABLE or DEADLINE_EXCEEDED
  // (the reply may have been lost after the server committed: a retry with
  // the same event ids returns the original positions).
  int max_attempts = 3;
  absl::Duration first_backoff = absl::Milliseconds(100);
  // Largest message the client accepts (Read and Subscribe batches).
  int max_receive_bytes = 64 << 20;

  // TLS: with tls_root_certs (PEM), the channel speaks TLS and checks the
  // server's certificate against them; with a certificate chain and key
  // (PEM) too, it presents them as its client certificate (mTLS).
  // tls_server_name overrides the name checked in the server's
  // certificate (default: the target's host).
  std::string tls_root_certs;
  std::string tls_cert_chain;
  std::string tls_private_key;
  std::string tls_server_name;
  // Sent as "authorization: Bearer <token>" on every call when set.
  std::string token;
};

// Fills the TLS fields of `options` from PEM files (empty paths are
// skipped). NOT_FOUND / INVALID_ARGUMENT naming the file.
absl::Status LoadTlsFiles(const std::string& root_certs_file,
                          const std::string& cert_chain_file,
                          const std::string& private_key_file,
                          ClientOptions* options);

class Client {
 public:
  // Connects lazily: errors show up on the first call. `target` may list
  // several nodes of a cluster, "host:port,host:port,...": the client uses
  // one, and moves to the next when it becomes unreachable (an append or
  // command is then retried there with the same ids; reads are not
  // retried).
  static std::unique_ptr<Client> Connect(const std::string& target,
                                         const ClientOptions& options = {});

  // Appends `request`. Events without an id get a fresh UUID first, so that
  // retries are idempotent.
  absl::StatusOr<v1::AppendResponse> Append(v1::AppendRequest request);

  // Sends `appends` on one AppendStream call, pipelined, and returns each
  // one's result in order (the call's own failure as the outer status).
  // Events without an id get one first.
  absl::StatusOr<std::vector<absl::StatusOr<v1::AppendResponse>>>
  AppendPipelined(std::vector<v1::AppendRequest> appends);

  // Streams a read; `on_batch` sees each response message and returns false
  // to stop early. Returns the last message's `next` and `end`.
  struct ReadEnd {
    uint64_t next = 0;
    bool end = false;
  };
  absl::StatusOr<ReadEnd> Read(
      const v1::ReadRequest& request,
      const std::function<bool(const v1::ReadResponse&)>& on_batch);

  // Subscribes; `on_message` sees each message and returns false to stop
  // (then the result is OK). Otherwise runs until the server ends the call,
  // and returns its status.
  absl::Status Subscribe(
      const v1::SubscribeRequest& request,
      const std::function<bool(const v1::SubscribeResponse&)>& on_message);

  absl::StatusOr<v1::GetStreamInfoResponse> GetStreamInfo(
      const std::string& stream);
  absl::StatusOr<v1::GetHeadResponse> GetHead();

  // The Audit service. tree_size 0 means the current tree.
  absl::StatusOr<v1::TreeHead> GetTreeHead(uint64_t tree_size);
  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t position,
                                                       uint64_t tree_size);
  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t old_size,
                                                           uint64_t new_size);
  // A signed checkpoint: the latest for tree_size 0.
  absl::StatusOr<v1::SignedCheckpoint> GetCheckpoint(uint64_t tree_size);
  // Streams the entries [from, from + count) (count 0: to the head);
  // `on_batch` may take the batch's contents (swap them out) and returns
  // false to stop early.
  absl::Status GetEntries(
      uint64_t from, uint64_t count,
      const std::function<bool(v1::GetEntriesResponse*)>& on_batch);
  absl::StatusOr<v1::TreeNodes> GetTreeNodes(uint32_t level,
                                             uint64_t from_index,
                                             uint32_t count);
  // An Accountability command (commands.proto): `rpc` names the method
  // (e.g. "RecordDecision") and `request` is its request message
  // (missionlog.v1.<rpc>Request). Retried like appends on UNAVAILABLE and
  // DEADLINE_EXCEEDED: the command id makes a retry idempotent.
  absl::StatusOr<v1::CommandResult> Command(
      const std::string& rpc, const google::protobuf::Message& request);

  // The Inquiry and Projections services (inquiry.proto). A query whose
  // options set neither page_size nor page_token returns its whole answer:
  // every page, fetched in turn, its rows in one response (Timeline: one
  // page of `limit` entries; DecisionLocus: totals, never paged).
  absl::StatusOr<v1::WhoOwnedResponse> WhoOwned(
      const v1::WhoOwnedRequest& request);
  absl::StatusOr<v1::OwnershipHistoryResponse> OwnershipHistory(
      const v1::OwnershipHistoryRequest& request);
  absl::StatusOr<v1::GovernmentOnResponse> GovernmentOn(
      const v1::GovernmentOnRequest& request);
  absl::StatusOr<v1::PostHoldersResponse> PostHolders(
      const v1::PostHoldersRequest& request);
  absl::StatusOr<v1::SpendingResponse> Spending(
      const v1::SpendingRequest& request);
  absl::StatusOr<v1::DecisionsResponse> Decisions(
      const v1::DecisionsRequest& request);
  absl::StatusOr<v1::DecisionLocusResponse> DecisionLocus(
      const v1::DecisionLocusRequest& request);
  absl::StatusOr<v1::ConcernsResponse> Concerns(
      const v1::ConcernsRequest& request);
  absl::StatusOr<v1::DecisionsOverOpenConcernsResponse>
  DecisionsOverOpenConcerns(
      const v1::DecisionsOverOpenConcernsRequest& request);
  absl::StatusOr<v1::WhoWasToldResponse> WhoWasTold(
      const v1::WhoWasToldRequest& request);
  absl::StatusOr<v1::MissionWashingResponse> MissionWashing(
      const v1::MissionWashingRequest& request);
  absl::StatusOr<v1::TimelineResponse> Timeline(
      const v1::TimelineRequest& request);
  absl::StatusOr<v1::ProjectionStatusResponse> ProjectionStatus();
  // Sealing.Unseal: the server records the unsealing, then returns the
  // event and its sealed data (opened with the role's key: sealing.h).
  absl::StatusOr<v1::UnsealResponse> Unseal(const v1::UnsealRequest& request);
  // Sealing.Erase (role ADMIN): recorded, then the values destroyed.
  absl::StatusOr<v1::EraseResponse> Erase(const v1::EraseRequest& request);
  // Admin.Backup (role ADMIN), into a directory on the server's machine.
  absl::StatusOr<v1::BackupResponse> Backup(const std::string& destination);
  absl::StatusOr<v1::RebuildResponse> RebuildProjection(
      const std::string& name);

  // The event at `position`, verbatim.
  absl::StatusOr<v1::RecordedEvent> GetEvent(uint64_t position);

 private:
  Client(std::shared_ptr<grpc::Channel> channel, const ClientOptions& options);
  // Adds the credentials (the bearer token) to `context`.
  void Prepare(grpc::ClientContext* context) const;
  // Prepare, and the deadline of a unary call.
  void SetDeadline(grpc::ClientContext* context) const;
  // One unary call with the deadline set: `call(context, response)`.
  template <typename Response, typename Call>
  absl::StatusOr<Response> Unary(const Call& call) const;
  // `attempt(context, response)` with the deadline set, retried with
  // backoff on UNAVAILABLE and DEADLINE_EXCEEDED (for idempotent calls).
  template <typename Response, typename Attempt>
  absl::StatusOr<Response> Retried(const Attempt& attempt) const;

  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EventStore::Stub> stub_;
  std::unique_ptr<v1::Audit::Stub> audit_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<v1::Inquiry::Stub> inquiry_;
  std::unique_ptr<v1::Projections::Stub> projections_;
  std::unique_ptr<v1::Sealing::Stub> sealing_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// The gRPC status as an absl::Status; the status details (a
// google.rpc.Status) travel as the payload under kRpcStatusPayload.
absl::Status FromGrpcStatus(const grpc::Status& status);
inline constexpr char kRpcStatusPayload[] =
    "type.googleapis.com/google.rpc.Status";

// For an ABORTED append: the stream's actual version, from the details.
std::optional<v1::WrongExpectedVersion> WrongExpectedVersionFrom(
    const absl::Status& status);

// A random (version 4) UUID in canonical text form.
std::string NewUuid();

}  // namespace missionlog

#endif  // MISSIONLOG_CLIENTS_CLIENT_H_
