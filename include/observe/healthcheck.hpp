#pragma once
// healthcheck: the client behind `llm-mock-server healthcheck` (or `--healthcheck`). It asks the
// local server's GET /health and turns the answer into an exit code, so that an image holding
// nothing but the static binary (no shell, no curl) can still be health-checked by a Docker
// HEALTHCHECK, a compose healthcheck or a Kubernetes exec probe.
//
// Level 1 (sockets). Runs in its own short-lived process, never inside the server, so it may
// allocate and print. Numeric addresses only (inet_pton): no getaddrinfo, no NSS, which a static
// glibc binary cannot use in an empty image. Every wait (connect, send, receive) is bounded by one
// deadline, so a stuck or overloaded server cannot hang the caller past timeout_ms.
#include <cstdint>
#include <string>
#include <string_view>

#include "settings/config.hpp"

namespace lms {

// The whole check (connect, request, answer) must finish within this; Docker's and the
// compose file's healthcheck timeout (3 s) leaves a second of margin above it.
constexpr uint64_t HEALTHCHECK_TIMEOUT_MS = 2000;

// The address to dial for a server listening on host: the loopback address of the same family
// for a wildcard ("0.0.0.0" -> "127.0.0.1", "::" -> "::1"), else host itself.
[[nodiscard]] std::string healthcheck_target(const std::string& host);

// The status code of an HTTP/1.x status line at the start of text ("HTTP/1.1 200 OK\r\n..."):
// 100..599; 0 while text does not yet hold a whole status line; -1 when it is not one.
[[nodiscard]] int parse_status_line(std::string_view text) noexcept;

// The value of the first "status":"..." field of a /health body, or empty. The returned view
// points into text.
[[nodiscard]] std::string_view health_status_field(std::string_view text) noexcept;

// GET /health on host:port (numeric), answered within timeout_ms. Returns 0 when the answer is
// HTTP 200, 1 otherwise; why receives one line (no newline) saying which and why.
[[nodiscard]] int check_health(const std::string& host, uint16_t port, uint64_t timeout_ms, std::string& why);

// The healthcheck mode. argv[0] is the mode word ("healthcheck" or "--healthcheck"), followed by
// the server's own flags; the port and host come from them and from env exactly as for the
// server (PORT / --port, default 8080). Prints one line to stdout and returns the exit code:
// 0 healthy, 1 anything else (including a bad setting).
[[nodiscard]] int run_healthcheck(int argc, const char* const* argv, env_lookup env);

}  // namespace lms
