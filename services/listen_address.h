// Holding a listening address before the server takes it, so that a second
// missionlogd on an address already in use fails before it writes anything.
//
// gRPC binds with SO_REUSEPORT unless told otherwise, and two processes that
// both set it share a port: the kernel then spreads connections over them
// and the log splits in two. missionlogd turns SO_REUSEPORT off (every
// listener it opens is exclusive) and, before it opens the store or makes a
// signing key, binds the address itself without listening, which fails at
// once with EADDRINUSE if anything else holds it and keeps anything else
// from taking it meanwhile. The reservation is released just before the
// real listener binds; a server that loses the race in that instant fails
// its own bind (exclusive too) and exits.
#ifndef MISSIONLOG_SERVICES_LISTEN_ADDRESS_H_
#define MISSIONLOG_SERVICES_LISTEN_ADDRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace missionlog {

// Not thread-safe; one owner.
class ListenReservation {
 public:
  // Binds every address `address` (gRPC's form: host:port, [v6]:port,
  // unix:path) resolves to. UNAVAILABLE "cannot listen on ADDRESS: address
  // already in use" if another socket holds one of them (for unix:, if a
  // server answers on the path); PERMISSION_DENIED for a port the process
  // may not bind; INVALID_ARGUMENT for an address that does not parse.
  // Port 0 and other schemes reserve nothing (the real bind decides).
  static absl::StatusOr<ListenReservation> Reserve(const std::string& address);

  ListenReservation() = default;
  ListenReservation(ListenReservation&& other) noexcept;
  ListenReservation& operator=(ListenReservation&& other) noexcept;
  ListenReservation(const ListenReservation&) = delete;
  ListenReservation& operator=(const ListenReservation&) = delete;
  ~ListenReservation() { Release(); }

  // Closes the reserving sockets (idempotent).
  void Release();

 private:
  std::vector<int> fds_;
};

// One line for a listener that could not bind `address`: "cannot listen on
// ADDRESS: address already in use" when something holds it now (checked
// again), else "cannot listen on ADDRESS".
std::string ListenFailure(const std::string& address);

}  // namespace missionlog

#endif  // MISSIONLOG_SERVICES_LISTEN_ADDRESS_H_
