#include "services/listen_address.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace missionlog {
namespace {

absl::Status InUse(const std::string& address) {
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", address, ": address already in use"));
}

// A unix socket path is taken if a server answers on it (gRPC would unlink
// the path and steal it from the running server otherwise).
absl::Status CheckUnixPath(const std::string& address,
                           const std::string& path) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", address, ": bad socket path"));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::OkStatus();  // the real bind will say
  const bool answered =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return answered ? InUse(address) : absl::OkStatus();
}

// Splits host:port or [v6]:port. False if it does not parse.
bool SplitHostPort(const std::string& address, std::string* host,
                   std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  *port = address.substr(colon + 1);
  if (absl::StartsWith(*host, "[")) {
    if (!absl::EndsWith(*host, "]")) return false;
    *host = host->substr(1, host->size() - 2);
  }
  int number;
  return absl::SimpleAtoi(*port, &number) && number >= 0 && number <= 65535;
}

}  // namespace

ListenReservation::ListenReservation(ListenReservation&& other) noexcept
    : fds_(std::move(other.fds_)) {
  other.fds_.clear();
}

ListenReservation& ListenReservation::operator=(
    ListenReservation&& other) noexcept {
  if (this != &other) {
    Release();
    fds_ = std::move(other.fds_);
    other.fds_.clear();
  }
  return *this;
}

void ListenReservation::Release() {
  for (int fd : fds_) close(fd);
  fds_.clear();
}

absl::StatusOr<ListenReservation> ListenReservation::Reserve(
    const std::string& address) {
  ListenReservation reservation;
  if (absl::StartsWith(address, "unix:")) {
    absl::Status status = CheckUnixPath(address, address.substr(5));
    if (!status.ok()) return status;
    return reservation;
  }
  std::string host, port;
  if (!SplitHostPort(address, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on ", address, ": not host:port or unix:path"));
  }
  if (port == "0") return reservation;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* resolved = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints,
                  &resolved) != 0) {
    return reservation;  // gRPC resolves (or refuses) it itself
  }
  absl::Status status;
  for (addrinfo* ai = resolved; ai != nullptr && status.ok();
       ai = ai->ai_next) {
    int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (ai->ai_family == AF_INET6) {
      // As gRPC binds [::]: both families, so a holder of either clashes.
      int off = 0;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      reservation.fds_.push_back(fd);
      continue;
    }
    const int error = errno;
    close(fd);
    if (error == EADDRINUSE) {
      status = InUse(address);
    } else if (error == EACCES) {
      status = absl::PermissionDeniedError(
          absl::StrCat("cannot listen on ", address, ": permission denied"));
    }
    // Anything else (an address family this host lacks): the real bind
    // decides.
  }
  freeaddrinfo(resolved);
  if (!status.ok()) return status;
  return reservation;
}

std::string ListenFailure(const std::string& address) {
  absl::StatusOr<ListenReservation> again = ListenReservation::Reserve(address);
  if (!again.ok()) return std::string(again.status().message());
  return absl::StrCat("cannot listen on ", address);
}

}  // namespace missionlog
