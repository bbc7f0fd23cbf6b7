// A real cluster for tests: etcd members (Debian's etcd-server) and
// missionlogd nodes as processes on loopback ports, with scratch
// directories the test owns (README "Running three nodes").
#ifndef MISSIONLOG_TESTS_CLUSTER_PROCESS_H_
#define MISSIONLOG_TESTS_CLUSTER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/server_process.h"

namespace missionlog {
namespace testing {

// `count` different loopback ports, free when asked (bound and released).
std::vector<int> FreePorts(int count);

class EtcdCluster {
 public:
  // Starts `members` etcd members under `dir` and waits until the cluster
  // answers. nullptr (with a test failure) if it does not.
  // With `tls_dir` (deploy/make-certs.sh's output: ca.pem, server.pem and
  // .key), members serve clients over TLS only and require a client
  // certificate signed by that CA.
  static std::unique_ptr<EtcdCluster> Start(const std::string& dir,
                                            int members = 3,
                                            const std::string& tls_dir = "");
  ~EtcdCluster();

  // "127.0.0.1:p1,127.0.0.1:p2,..."
  std::string endpoints() const;
  // kill -9 member `i` and reap it.
  void Kill(int i);
  // Starts member `i` again on its data directory.
  bool Restart(int i);

 private:
  EtcdCluster() = default;
  bool Spawn(int i);

  std::string dir_;
  std::string tls_dir_;
  std::vector<int> client_ports_;
  std::vector<int> peer_ports_;
  std::vector<pid_t> pids_;
};

// Three missionlogd nodes (a, b, c) over an EtcdCluster: keys made and
// listed in a cluster configuration under `dir`, each node's data in
// dir/<name>.
class NodeSet {
 public:
  static std::unique_ptr<NodeSet> Start(
      const std::string& dir, const std::string& etcd_endpoints,
      const std::vector<std::string>& flags = {});
  // All three addresses, comma-separated, starting with node `first`.
  std::string targets(int first = 0) const;
  const std::string& address(int i) const { return addresses_[i]; }
  std::string data_dir(int i) const;
  ServerProcess* node(int i) { return nodes_[i].get(); }
  void Kill(int i);
  bool Restart(int i);

 private:
  NodeSet() = default;
  std::vector<std::string> Flags(int i) const;

  std::string dir_;
  std::string etcd_;
  std::vector<std::string> extra_flags_;
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace testing
}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_CLUSTER_PROCESS_H_
