#include "tests/cluster_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cluster/etcd_client.h"
#include "gtest/gtest.h"
#include "tlog/signed_note.h"

namespace missionlog {
namespace testing {

std::vector<int> FreePorts(int count) {
  // Held together until all are chosen, so that no port is given twice.
  std::vector<int> fds;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ADD_FAILURE() << "no free loopback port";
    }
    fds.push_back(fd);
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

namespace {

// Whether the etcd member serving clients on `port` answers its /health
// endpoint with "health": "true".
bool Healthy(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const char request[] = "GET /health HTTP/1.0\r\n\r\n";
    if (write(fd, request, sizeof request - 1) > 0) {
      char buffer[1024];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof buffer)) > 0)
        response.append(buffer, n);
    }
  }
  close(fd);
  return response.find("\"health\":\"true\"") != std::string::npos;
}

}  // namespace

std::unique_ptr<EtcdCluster> EtcdCluster::Start(const std::string& dir,
                                                int members,
                                                const std::string& tls_dir) {
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster());
  cluster->dir_ = dir;
  cluster->tls_dir_ = tls_dir;
  const std::vector<int> ports = FreePorts(2 * members);
  for (int i = 0; i < members; ++i) {
    cluster->client_ports_.push_back(ports[2 * i]);
    cluster->peer_ports_.push_back(ports[2 * i + 1]);
    cluster->pids_.push_back(-1);
  }
  for (int i = 0; i < members; ++i) {
    if (!cluster->Spawn(i)) return nullptr;
  }
  // Ready once every member says so on its HTTP /health endpoint, and a
  // write is committed (a leader was elected).
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  for (int port : cluster->client_ports_) {
    while (tls_dir.empty()
               ? !Healthy(port)
               : RunShell(absl::StrCat("ETCDCTL_API=3 etcdctl --endpoints=",
                                       "127.0.0.1:", port, " --cacert=",
                                       tls_dir, "/ca.pem --cert=", tls_dir,
                                       "/missionlogd.pem --key=", tls_dir,
                                       "/missionlogd.key endpoint health "
                                       ">/dev/null 2>&1"))
                         .exit_code != 0) {
      if (absl::Now() > give_up) {
        ADD_FAILURE() << "etcd on port " << port << " never became healthy";
        return nullptr;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EtcdOptions options;
  options.endpoints = cluster->endpoints();
  if (!tls_dir.empty()) {
    options.ca_file = tls_dir + "/ca.pem";
    options.cert_file = tls_dir + "/missionlogd.pem";
    options.key_file = tls_dir + "/missionlogd.key";
  }
  options.timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<EtcdClient>> client =
      EtcdClient::Connect(options);
  if (!client.ok()) return nullptr;
  etcdserverpb::PutRequest put;
  put.set_key("/ready");
  absl::Status status;
  while (!(status = (*client)->Put(put).status()).ok()) {
    if (absl::Now() > give_up) {
      ADD_FAILURE() << "etcd did not elect a leader within 30 s: " << status;
      return nullptr;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  for (size_t i = 0; i < pids_.size(); ++i) Kill(static_cast<int>(i));
}

std::string EtcdCluster::endpoints() const {
  std::vector<std::string> endpoints;
  for (int port : client_ports_) {
    endpoints.push_back(absl::StrCat("127.0.0.1:", port));
  }
  return absl::StrJoin(endpoints, ",");
}

bool EtcdCluster::Spawn(int i) {
  std::vector<std::string> initial;
  for (size_t m = 0; m < peer_ports_.size(); ++m) {
    initial.push_back(
        absl::StrCat("e", m, "=http://127.0.0.1:", peer_ports_[m]));
  }
  const std::string client = absl::StrCat(tls_dir_.empty() ? "http" : "https",
                                          "://127.0.0.1:", client_ports_[i]);
  const std::string peer = absl::StrCat("http://127.0.0.1:", peer_ports_[i]);
  std::vector<std::string> args = {
      "etcd",
      "--name=" + absl::StrCat("e", i),
      "--data-dir=" + absl::StrCat(dir_, "/etcd", i),
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=" + absl::StrJoin(initial, ","),
      "--initial-cluster-state=new",
      "--initial-cluster-token=missionlog-test",
      "--max-request-bytes=10485760",
  };
  if (!tls_dir_.empty()) {
    args.push_back("--cert-file=" + tls_dir_ + "/server.pem");
    args.push_back("--key-file=" + tls_dir_ + "/server.key");
    args.push_back("--client-cert-auth");
    args.push_back("--trusted-ca-file=" + tls_dir_ + "/ca.pem");
  }
  const std::string log = absl::StrCat(dir_, "/etcd", i, ".log");
  pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test, however the test ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  if (pid < 0) {
    ADD_FAILURE() << "fork";
    return false;
  }
  pids_[i] = pid;
  return true;
}

void EtcdCluster::Kill(int i) {
  if (pids_[i] <= 0) return;
  kill(pids_[i], SIGKILL);
  waitpid(pids_[i], nullptr, 0);
  pids_[i] = -1;
}

bool EtcdCluster::Restart(int i) {
  Kill(i);
  return Spawn(i);
}

std::unique_ptr<NodeSet> NodeSet::Start(const std::string& dir,
                                        const std::string& etcd_endpoints,
                                        const std::vector<std::string>& flags) {
  std::unique_ptr<NodeSet> set(new NodeSet());
  set->dir_ = dir;
  set->etcd_ = etcd_endpoints;
  set->extra_flags_ = flags;
  std::string config;
  const std::vector<int> ports = FreePorts(3);
  for (int i = 0; i < 3; ++i) {
    const std::string name(1, static_cast<char>('a' + i));
    absl::StatusOr<note::Signer> key =
        note::Signer::Generate("localhost/missionlog-cluster");
    if (!key.ok() ||
        !note::WriteKeyFiles(*key, absl::StrCat(dir, "/", name, ".key"),
                             absl::StrCat(dir, "/", name, ".pub"))
             .ok()) {
      ADD_FAILURE() << "cannot write node keys";
      return nullptr;
    }
    set->addresses_.push_back(absl::StrCat("127.0.0.1:", ports[i]));
    absl::StrAppend(&config, "node ", name, " ", set->addresses_[i], " ",
                    key->VerifierKey(), "\n");
  }
  const std::string path = dir + "/cluster.conf";
  FILE* file = fopen(path.c_str(), "w");
  fputs(config.c_str(), file);
  fclose(file);
  for (int i = 0; i < 3; ++i) {
    set->nodes_.push_back(nullptr);
    if (!set->Restart(i)) return nullptr;
  }
  return set;
}

std::string NodeSet::targets(int first) const {
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) order.push_back(addresses_[(first + i) % 3]);
  return absl::StrJoin(order, ",");
}

std::string NodeSet::data_dir(int i) const {
  return absl::StrCat(dir_, "/", std::string(1, static_cast<char>('a' + i)));
}

std::vector<std::string> NodeSet::Flags(int i) const {
  const std::string name(1, static_cast<char>('a' + i));
  std::vector<std::string> flags = {
      "--listen=" + addresses_[i],
      "--signing_key=" + absl::StrCat(dir_, "/", name, ".key"),
      "--cluster=" + dir_ + "/cluster.conf",
      "--node=" + name,
      "--etcd_endpoints=" + etcd_,
      "--etcd_max_request_bytes=10485760",
      "--shutdown_grace_seconds=0",
  };
  flags.insert(flags.end(), extra_flags_.begin(), extra_flags_.end());
  return flags;
}

void NodeSet::Kill(int i) {
  if (nodes_[i] != nullptr) nodes_[i]->Stop(SIGKILL);
  nodes_[i].reset();
}

bool NodeSet::Restart(int i) {
  Kill(i);
  nodes_[i] = ServerProcess::Start(data_dir(i), Flags(i));
  return nodes_[i] != nullptr;
}

}  // namespace testing
}  // namespace missionlog
