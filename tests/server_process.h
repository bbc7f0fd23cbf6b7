// Runs the real missionlogd binary for integration tests: on a free
// loopback port, with a data directory the test owns.
#ifndef MISSIONLOG_TESTS_SERVER_PROCESS_H_
#define MISSIONLOG_TESTS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace missionlog {
namespace testing {

// What a shell command printed (stdout and stderr together, if the command
// redirects them so) and its exit status (-1 if it did not exit normally).
struct ShellRun {
  int exit_code = -1;
  std::string output;
};
ShellRun RunShell(const std::string& command);

// One unary call to `method` ("/package.Service/Method") with `bytes` as
// the request message, as a client without our stubs sends it: the
// status, and the reply's bytes in `reply` (if not null) when OK.
grpc::Status RawCall(const std::string& address, const std::string& method,
                     const std::string& bytes, std::string* reply);

// grpc.health.v1.Health/Check for `service` ("" for the server): 1
// SERVING, 2 NOT_SERVING; otherwise the call's error (NOT_FOUND for a name
// the server does not know).
absl::StatusOr<int> CheckHealth(const std::string& address,
                                const std::string& service);

class ServerProcess {
 public:
  // Starts missionlogd --listen=127.0.0.1:0 --data_dir=`data_dir` plus
  // `flags`, and waits for the line that says where it listens; its
  // stderr goes to `stderr_file` if given. nullptr (with a test failure)
  // if it does not start.
  static std::unique_ptr<ServerProcess> Start(
      const std::string& data_dir, const std::vector<std::string>& flags = {},
      const std::string& stderr_file = "");

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // Kills the server if it is still running.
  ~ServerProcess();

  // host:port to connect to.
  const std::string& address() const { return address_; }
  // The server's resident memory now and at its peak (VmRSS, VmHWM), in
  // KiB; -1 if it cannot be read.
  long ResidentKib() const;
  long PeakResidentKib() const;

  // Sends `signal` and waits for the process. Returns its exit status, or
  // 128 + the signal that killed it.
  int Stop(int signal);
  // Sends `signal` and returns at once (e.g. SIGHUP).
  void Signal(int signal);
  // Reads the server's stdout until a line containing `marker`, and
  // returns that line; "" at EOF. Lines passed over are kept for
  // RestOfOutput.
  std::string WaitForLine(const std::string& marker);
  // What the server printed on stdout after its first line (read to EOF,
  // so call after Stop).
  std::string RestOfOutput();

 private:
  ServerProcess() = default;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string passed_over_;  // by WaitForLine
  std::string address_;
};

}  // namespace testing
}  // namespace missionlog

#endif  // MISSIONLOG_TESTS_SERVER_PROCESS_H_
