// healthcheck: one connection, one request, one verdict. Plain blocking-free sockets with
// poll() against a single deadline: the check is run every few seconds by Docker or a kubelet,
// and must never outlive its timeout, whatever the server does (accepts and says nothing,
// answers half a status line, or is not there at all).
#include "observe/healthcheck.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "engine/clock.hpp"

namespace lms {

namespace {

// A /health answer is well under 1 KiB; whatever does not fit is not needed for the verdict.
constexpr size_t ANSWER_BYTES = 4096;

// Closes the descriptor on every way out of check_health.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

// Waits for events on fd until deadline_ms (monotonic). Returns revents, 0 on timeout, -errno.
// EINTR is retried here, and only here.
int wait_for(int fd, short events, uint64_t deadline_ms) noexcept {
    for (;;) {
        uint64_t now = monotonic_ms();
        if (now >= deadline_ms) {
            return 0;
        }
        pollfd p{fd, events, 0};
        int n = ::poll(&p, 1, int(deadline_ms - now));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            return 0;
        }
        return p.revents;
    }
}

}  // namespace

std::string healthcheck_target(const std::string& host) {
    if (host == "0.0.0.0") {
        return "127.0.0.1";
    }
    if (host == "::" || host == "0:0:0:0:0:0:0:0") {
        return "::1";
    }
    return host;
}

int parse_status_line(std::string_view text) noexcept {
    // RFC 9112 section 4: status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF.
    constexpr std::string_view prefix = "HTTP/1.";
    size_t n = std::min(text.size(), prefix.size());
    if (text.substr(0, n) != prefix.substr(0, n)) {
        return -1;
    }
    size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
        return 0;
    }
    std::string_view line = text.substr(0, eol);
    // "HTTP/1.x" then SP then three digits, then SP or the end of the line.
    if (line.size() < 12 || line[8] != ' ') {
        return -1;
    }
    int code = 0;
    for (size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            return -1;
        }
        code = code * 10 + (line[i] - '0');
    }
    if (line.size() > 12 && line[12] != ' ' && line[12] != '\r') {
        return -1;
    }
    return code >= 100 && code <= 599 ? code : -1;
}

std::string_view health_status_field(std::string_view text) noexcept {
    constexpr std::string_view key = "\"status\":\"";
    size_t at = text.find(key);
    if (at == std::string_view::npos) {
        return {};
    }
    size_t start = at + key.size();
    size_t end = text.find('"', start);
    if (end == std::string_view::npos || end - start > 32) {
        return {};
    }
    return text.substr(start, end - start);
}

int check_health(const std::string& host, uint16_t port, uint64_t timeout_ms, std::string& why) {
    std::string target = healthcheck_target(host);
    bool v6 = target.find(':') != std::string::npos;
    std::string where = fmt::format("{}{}{}:{}", v6 ? "[" : "", target, v6 ? "]" : "", port);
    sockaddr_storage ss{};
    socklen_t len;
    auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, target.c_str(), &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, target.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        len = sizeof *in6;
    } else {
        why = fmt::format("unhealthy: {} is not a numeric IPv4 or IPv6 address", target);
        return 1;
    }
    if (port == 0) {
        why = "unhealthy: port 0 names no server; set PORT or --port";
        return 1;
    }

    uint64_t deadline = monotonic_ms() + timeout_ms;
    fd_guard sock{::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (sock.fd < 0) {
        why = fmt::format("unhealthy: cannot create a socket: {}", strerror(errno));
        return 1;
    }
    if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
        why = fmt::format("unhealthy: cannot connect to {}: {}", where, strerror(errno));
        return 1;
    }
    int ev = wait_for(sock.fd, POLLOUT, deadline);
    if (ev <= 0) {
        why = ev == 0 ? fmt::format("unhealthy: no connection to {} within {} ms", where, timeout_ms)
                      : fmt::format("unhealthy: waiting for {}: {}", where, strerror(-ev));
        return 1;
    }
    int err = 0;
    socklen_t elen = sizeof err;
    if (::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
        err = errno;
    }
    if (err != 0) {
        why = fmt::format("unhealthy: cannot connect to {}: {}", where, strerror(err));
        return 1;
    }

    // Connection: close lets the answer end with EOF; the request fits any socket buffer.
    std::string request = fmt::format("GET /health HTTP/1.1\r\nHost: {}\r\nUser-Agent: llm-mock-server-healthcheck\r\n"
                                      "Connection: close\r\n\r\n",
                                      where);
    size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = ::send(sock.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += size_t(n);
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            why = fmt::format("unhealthy: sending to {}: {}", where, strerror(errno));
            return 1;
        }
        if (wait_for(sock.fd, POLLOUT, deadline) <= 0) {
            why = fmt::format("unhealthy: {} took no request within {} ms", where, timeout_ms);
            return 1;
        }
    }

    // Read until EOF, a full buffer or the deadline; the status line alone decides, the body
    // only explains a refusal ("overloaded").
    char answer[ANSWER_BYTES];
    size_t got = 0;
    bool timed_out = false;
    while (got < sizeof answer) {
        ssize_t n = ::recv(sock.fd, answer + got, sizeof answer - got, 0);
        if (n > 0) {
            got += size_t(n);
            continue;
        }
        if (n == 0) {
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            if (got == 0) {
                why = fmt::format("unhealthy: reading from {}: {}", where, strerror(errno));
                return 1;
            }
            break;  // e.g. ECONNRESET after the answer: judge what arrived
        }
        if (wait_for(sock.fd, POLLIN, deadline) <= 0) {
            timed_out = true;
            break;
        }
    }
    std::string_view text(answer, got);
    int code = parse_status_line(text);
    if (code == 0 || (code < 0 && got == 0)) {
        why = timed_out ? fmt::format("unhealthy: {} sent no answer to GET /health within {} ms", where, timeout_ms)
                        : fmt::format("unhealthy: {} closed the connection before answering GET /health", where);
        return 1;
    }
    if (code < 0) {
        why = fmt::format("unhealthy: {} did not answer GET /health with HTTP/1.x", where);
        return 1;
    }
    std::string_view status = health_status_field(text);
    std::string detail = status.empty() ? std::string() : fmt::format(" (status {})", status);
    if (code == 200) {
        why = fmt::format("healthy: GET http://{}/health answered 200{}", where, detail);
        return 0;
    }
    why = fmt::format("unhealthy: GET http://{}/health answered {}{}", where, code, detail);
    return 1;
}

int run_healthcheck(int argc, const char* const* argv, env_lookup env) {
    config cfg;
    std::string msg;
    switch (parse_config(argc, argv, env, cfg, msg)) {
    case config_status::help:
        std::fputs("usage: llm-mock-server healthcheck [--port N] [--host ADDR]\n"
                   "  asks GET /health of the server on this machine (PORT, default 8080; HOST, a\n"
                   "  wildcard means loopback) and exits 0 when it answers 200, 1 otherwise.\n",
                   stdout);
        return 0;
    case config_status::version:
    case config_status::help_markdown:
    case config_status::error:
        std::printf("unhealthy: %s\n", msg.empty() ? "unexpected argument" : msg.c_str());
        return 1;
    case config_status::ok:
        break;
    }
    std::string why;
    int rc = check_health(cfg.host, cfg.port, HEALTHCHECK_TIMEOUT_MS, why);
    std::printf("%s\n", why.c_str());
    return rc;
}

}  // namespace lms
