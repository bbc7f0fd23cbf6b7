// A client of etcd's v3 gRPC API (proto/etcd/rpc.proto: the subset
// Missionlog uses): one channel over every endpoint of the etcd cluster
// (gRPC moves to another member when one fails), TLS with a client
// certificate when configured, a deadline on every call.
//
// Thread safety: safe for concurrent use.
#ifndef MISSIONLOG_CLUSTER_ETCD_CLIENT_H_
#define MISSIONLOG_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etcd/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace missionlog {

struct EtcdOptions {
  // host:port of each member, comma-separated.
  std::string endpoints;
  // PEM files: the CA of etcd's server certificates, and this node's client
  // certificate and key. Empty: plaintext (etcd on loopback only).
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The name checked in every member's server certificate; empty: the
  // first endpoint's host (so with several members, each member's
  // certificate must carry a name, or an IP address, they all share).
  std::string server_name;
  // Deadline of each unary call.
  absl::Duration timeout = absl::Seconds(5);
};

// `status` of a call to etcd as an absl::Status with the same code,
// saying which call (`what`) failed.
absl::Status EtcdError(const grpc::Status& status, absl::string_view what);

class EtcdClient {
 public:
  // NOT_FOUND / INVALID_ARGUMENT for unreadable TLS files. Connects lazily.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(
      const EtcdOptions& options);

  // Unary calls. Errors carry gRPC's code: UNAVAILABLE when no member
  // answers (or the cluster has no leader), DEADLINE_EXCEEDED, and
  // OUT_OF_RANGE for a compacted revision.
  absl::StatusOr<etcdserverpb::RangeResponse> Range(
      const etcdserverpb::RangeRequest& request);
  absl::StatusOr<etcdserverpb::PutResponse> Put(
      const etcdserverpb::PutRequest& request);
  absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      const etcdserverpb::DeleteRangeRequest& request);
  absl::StatusOr<etcdserverpb::TxnResponse> Txn(
      const etcdserverpb::TxnRequest& request);
  absl::Status Compact(int64_t revision);
  absl::StatusOr<int64_t> GrantLease(int64_t ttl_seconds);
  // One keep-alive round trip; NOT_FOUND if the lease has expired.
  absl::Status KeepAlive(int64_t lease);
  absl::Status RevokeLease(int64_t lease);

  // Put without waiting: `done` runs once, on a gRPC thread; it must not
  // block.
  void PutAsync(
      const etcdserverpb::PutRequest& request,
      std::function<void(absl::StatusOr<etcdserverpb::PutResponse>)> done);

  // For a watch: the Watch service's stub (the caller runs the stream on a
  // thread of its own).
  etcdserverpb::Watch::Stub* watch_stub() { return watch_.get(); }

  // The range end that makes [prefix, end) every key starting with prefix.
  static std::string PrefixEnd(const std::string& prefix);

 private:
  EtcdClient(std::shared_ptr<grpc::Channel> channel, absl::Duration timeout);
  void SetDeadline(grpc::ClientContext* context) const;

  const absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_CLUSTER_ETCD_CLIENT_H_
