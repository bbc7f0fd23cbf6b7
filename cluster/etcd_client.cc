#include "cluster/etcd_client.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/pem_file.h"

namespace missionlog {

absl::Status EtcdError(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  std::string message =
      absl::StrCat("etcd ", what, ": ", status.error_message());
  // etcd says "etcdserver: mvcc: required revision has been compacted" as
  // OUT_OF_RANGE, and "no leader" / "request timed out" as UNAVAILABLE.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      message);
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(
    const EtcdOptions& options) {
  std::vector<std::string> endpoints =
      absl::StrSplit(options.endpoints, ',', absl::SkipWhitespace());
  if (endpoints.empty()) {
    return absl::InvalidArgumentError("no etcd endpoints");
  }
  // The name TLS checks in every member's certificate.
  std::string server_name = options.server_name;
  if (server_name.empty()) {
    server_name = endpoints.front().substr(0, endpoints.front().rfind(':'));
  }
  // The channel uses one member at a time (pick_first, below), starting
  // with a random one: a cluster's nodes spread their watches and puts
  // over etcd's members instead of all loading the first.
  {
    absl::BitGen random;
    std::rotate(
        endpoints.begin(),
        endpoints.begin() + absl::Uniform<size_t>(random, 0, endpoints.size()),
        endpoints.end());
  }
  grpc::ChannelArguments args;
  // Watch responses carry many entries; appends are large.
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // One member at a time; when it fails, the next.
  args.SetLoadBalancingPolicyName("pick_first");
  // Detect a dead member (or a partition) without waiting for TCP.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // gRPC otherwise waits at least 20 s before retrying a member it could
  // not connect to (this is also each connection attempt's deadline).
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.ca_file.empty() && options.cert_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    if (options.cert_file.empty() != options.key_file.empty()) {
      return absl::InvalidArgumentError(
          "an etcd client certificate needs its key, and a key its "
          "certificate");
    }
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPemFile(options.ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.cert_file.empty()) {
      absl::StatusOr<std::string> chain = ReadPemFile(options.cert_file);
      if (!chain.ok()) return chain.status();
      absl::StatusOr<std::string> key = ReadPemFile(options.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(chain);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
    // The channel's target lists every member; TLS checks this one name.
    args.SetSslTargetNameOverride(server_name);
  }
  // "ipv4:" takes a list of addresses; names are resolved by "dns:" one
  // at a time, so a list of names uses the first (README).
  std::string target = absl::StrCat("ipv4:", absl::StrJoin(endpoints, ","));
  for (const std::string& endpoint : endpoints) {
    const std::string host = endpoint.substr(0, endpoint.rfind(':'));
    if (host.empty() || !(isdigit(host[0]) || host == "localhost")) {
      target = absl::StrCat("dns:///", endpoints.front());
      break;
    }
  }
  target = absl::StrReplaceAll(target, {{"localhost", "127.0.0.1"}});
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::move(channel), options.timeout));
}

EtcdClient::EtcdClient(std::shared_ptr<grpc::Channel> channel,
                       absl::Duration timeout)
    : timeout_(timeout),
      channel_(std::move(channel)),
      kv_(etcdserverpb::KV::NewStub(channel_)),
      watch_(etcdserverpb::Watch::NewStub(channel_)),
      lease_(etcdserverpb::Lease::NewStub(channel_)) {}

void EtcdClient::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  // Fail fast while no member is reachable, instead of waiting out the
  // deadline for a connection: the caller says UNAVAILABLE at once.
  context->set_wait_for_ready(false);
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(
    const etcdserverpb::RangeRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::RangeResponse response;
  absl::Status status =
      EtcdError(kv_->Range(&context, request, &response), "range");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::PutResponse> EtcdClient::Put(
    const etcdserverpb::PutRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::PutResponse response;
  absl::Status status =
      EtcdError(kv_->Put(&context, request, &response), "put");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> EtcdClient::DeleteRange(
    const etcdserverpb::DeleteRangeRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::DeleteRangeResponse response;
  absl::Status status =
      EtcdError(kv_->DeleteRange(&context, request, &response), "delete");
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(
    const etcdserverpb::TxnRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::TxnResponse response;
  absl::Status status =
      EtcdError(kv_->Txn(&context, request, &response), "transaction");
  if (!status.ok()) return status;
  return response;
}

void EtcdClient::PutAsync(
    const etcdserverpb::PutRequest& request,
    std::function<void(absl::StatusOr<etcdserverpb::PutResponse>)> done) {
  struct Call {
    grpc::ClientContext context;
    etcdserverpb::PutResponse response;
    std::function<void(absl::StatusOr<etcdserverpb::PutResponse>)> done;
  };
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  SetDeadline(&call->context);
  kv_->async()->Put(&call->context, &request, &call->response,
                    [call](grpc::Status status) {
                      absl::Status result = EtcdError(status, "put");
                      if (result.ok()) {
                        call->done(std::move(call->response));
                      } else {
                        call->done(result);
                      }
                    });
}

absl::Status EtcdClient::Compact(int64_t revision) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  etcdserverpb::CompactionResponse response;
  return EtcdError(kv_->Compact(&context, request, &response), "compact");
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(int64_t ttl_seconds) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  absl::Status status = EtcdError(
      lease_->LeaseGrant(&context, request, &response), "lease grant");
  if (!status.ok()) return status;
  if (!response.error().empty()) {
    return absl::UnavailableError(
        absl::StrCat("etcd lease grant: ", response.error()));
  }
  return response.id();
}

absl::Status EtcdClient::KeepAlive(int64_t lease) {
  grpc::ClientContext context;
  SetDeadline(&context);
  auto stream = lease_->LeaseKeepAlive(&context);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseKeepAliveResponse response;
  bool answered = stream->Write(request) && stream->Read(&response);
  stream->WritesDone();
  context.TryCancel();
  grpc::Status finished = stream->Finish();
  if (!answered) {
    return EtcdError(finished.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                  "no keep-alive answer")
                                   : finished,
                     "lease keep-alive");
  }
  if (response.ttl() <= 0) {
    return absl::NotFoundError("the etcd lease has expired");
  }
  return absl::OkStatus();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  grpc::ClientContext context;
  SetDeadline(&context);
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  return EtcdError(lease_->LeaseRevoke(&context, request, &response),
                   "lease revoke");
}

std::string EtcdClient::PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

}  // namespace missionlog
