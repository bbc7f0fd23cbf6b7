#include "tests/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"

namespace missionlog {
namespace testing {
namespace {

// Reads one line from `fd`; false at EOF before a newline.
bool ReadLine(int fd, std::string* line) {
  line->clear();
  char c;
  while (read(fd, &c, 1) == 1) {
    if (c == '\n') return true;
    line->push_back(c);
  }
  return false;
}

}  // namespace

ShellRun RunShell(const std::string& command) {
  ShellRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    run.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(
    const std::string& data_dir, const std::vector<std::string>& flags,
    const std::string& stderr_file) {
  // No HTTP listener unless the test asks for one (tests run in parallel;
  // the default port would be shared).
  std::vector<std::string> args = {MISSIONLOGD_PATH, "--listen=127.0.0.1:0",
                                   "--http_listen=", "--data_dir=" + data_dir};
  args.insert(args.end(), flags.begin(), flags.end());
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe";
    return nullptr;
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Dies with the test, however the test ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    if (!stderr_file.empty()) {
      const int err =
          open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) dup2(err, STDERR_FILENO);
    }
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->pid_ = pid;
  server->stdout_fd_ = fds[0];
  // Lines before "listening on" (e.g. a new signing key) are skipped.
  std::string line;
  std::string said;
  const std::string marker = "listening on ";
  while (ReadLine(fds[0], &line) && line.find(marker) == std::string::npos) {
    said += line + "\n";
  }
  if (line.find(marker) == std::string::npos) {
    ADD_FAILURE() << "missionlogd did not start; it said: " << said;
    return nullptr;
  }
  size_t start = line.find(marker) + marker.size();
  server->address_ = line.substr(start, line.find(' ', start) - start);
  return server;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

namespace {

long StatusField(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

}  // namespace

long ServerProcess::ResidentKib() const { return StatusField(pid_, "VmRSS"); }

long ServerProcess::PeakResidentKib() const {
  return StatusField(pid_, "VmHWM");
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::string ServerProcess::WaitForLine(const std::string& marker) {
  std::string line;
  while (ReadLine(stdout_fd_, &line)) {
    passed_over_ += line + "\n";
    if (line.find(marker) != std::string::npos) return line;
  }
  return "";
}

std::string ServerProcess::RestOfOutput() {
  std::string output = std::move(passed_over_);
  char buffer[4096];
  ssize_t n;
  while ((n = read(stdout_fd_, buffer, sizeof(buffer))) > 0) {
    output.append(buffer, static_cast<size_t>(n));
  }
  return output;
}

grpc::Status RawCall(const std::string& address, const std::string& method,
                     const std::string& bytes, std::string* reply) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (reply != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    for (const grpc::Slice& s : slices) {
      reply->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

absl::StatusOr<int> CheckHealth(const std::string& address,
                                const std::string& service) {
  // HealthCheckRequest { string service = 1; }
  std::string request;
  if (!service.empty()) {
    request.push_back('\x0a');
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  std::string reply;
  grpc::Status status =
      RawCall(address, "/grpc.health.v1.Health/Check", request, &reply);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        status.error_message());
  }
  // HealthCheckResponse { ServingStatus status = 1; } (0 is not sent).
  if (reply.empty()) return 0;
  if (reply.size() != 2 || reply[0] != '\x08') {
    return absl::InternalError("not a HealthCheckResponse");
  }
  return static_cast<int>(reply[1]);
}

}  // namespace testing
}  // namespace missionlog
