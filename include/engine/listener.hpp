#pragma once
// listener: the listening socket of a worker and the options of accepted sockets. Level 1.
// Numeric addresses only (inet_pton): no getaddrinfo, no NSS, so a static binary works in an
// empty image. Errors are -errno values; messages are built by the caller at startup.
#include <cstdint>
#include <string>

namespace lms {

// A non-blocking listening socket on host:port with SO_REUSEADDR and SO_REUSEPORT (one per
// worker: the kernel spreads connections), backlog as given (capped by somaxconn).
// Returns the fd or -errno (-EINVAL for an address inet_pton does not take).
[[nodiscard]] int open_listener(const std::string& host, uint16_t port, int backlog) noexcept;

// The port a socket is bound to (to report the port picked for port 0), or 0.
[[nodiscard]] uint16_t bound_port(int fd) noexcept;

// TCP_NODELAY and SO_KEEPALIVE on an accepted socket.
void configure_accepted(int fd) noexcept;

// Startup only: makes the process's file descriptor table hold fds 0..count-1 now, so that
// accept() never grows it while requests are held. Linux grows the table by doubling, and a
// process with several threads waits out an RCU grace period at each growth (expand_fdtable:
// synchronize_rcu()), stalling the accepting worker 10-30 ms at 256, 512, 1024 ... open fds.
// The table never shrinks. Returns the table's fds now (count, or less if refused).
int reserve_fd_table(int count) noexcept;

}  // namespace lms
