#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "engine/clock.hpp"
#include "observe/healthcheck.hpp"

using namespace lms;

namespace {

// A one-connection fake server on 127.0.0.1: accepts, reads the request head, then plays its
// script (the answer, written in pieces of `piece` bytes; or silence; or a bare close).
struct fake_server {
    int lfd = -1;
    uint16_t port = 0;
    std::thread t;
    std::string request;

    enum class mode { answer, silent, close_at_once };

    fake_server(std::string answer, mode m = mode::answer, size_t piece = 0) {
        lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(lfd, 4) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
        t = std::thread([this, answer, m, piece] {
            int c = ::accept(lfd, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            if (m != mode::close_at_once) {
                char buf[1024];
                while (request.find("\r\n\r\n") == std::string::npos) {
                    ssize_t n = ::recv(c, buf, sizeof buf, 0);
                    if (n <= 0) {
                        break;
                    }
                    request.append(buf, size_t(n));
                }
            }
            if (m == mode::silent) {
                char buf[16];
                while (::recv(c, buf, sizeof buf, 0) > 0) {  // until the client gives up
                }
            } else if (m == mode::answer) {
                size_t step = piece ? piece : answer.size();
                for (size_t at = 0; at < answer.size(); at += step) {
                    (void)!::send(c, answer.data() + at, std::min(step, answer.size() - at), MSG_NOSIGNAL);
                    if (piece) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    }
                }
            }
            ::close(c);
        });
    }
    ~fake_server() {
        if (t.joinable()) {
            t.join();
        }
        ::close(lfd);
    }
};

const std::string OK_ANSWER =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n"
    "{\"status\":\"healthy\"}\n";
const std::string OVERLOADED_ANSWER =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 25\r\nConnection: close\r\n\r\n{\"status\":\"overloaded\"}\n";

uint16_t closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);  // bound, never listened: nothing there now
    return ntohs(a.sin_port);
}

const char* no_env(const char*) {
    return nullptr;
}

}  // namespace

TEST_CASE("healthcheck: status line") {
    CHECK(parse_status_line("HTTP/1.1 200 OK\r\n") == 200);
    CHECK(parse_status_line("HTTP/1.0 503 Service Unavailable\r\nx") == 503);
    CHECK(parse_status_line("HTTP/1.1 204\r\n") == 204);  // reason phrase is optional
    CHECK(parse_status_line("HTTP/1.1 200 OK") == 0);      // not whole yet
    CHECK(parse_status_line("HTT") == 0);
    CHECK(parse_status_line("") == 0);
    CHECK(parse_status_line("SSH-2.0-OpenSSH\r\n") == -1);
    CHECK(parse_status_line("HTTP/2 200\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 20 OK\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 2000 OK\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 099 x\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1 600 x\r\n") == -1);
    CHECK(parse_status_line("HTTP/1.1  200 OK\r\n") == -1);
}

TEST_CASE("healthcheck: status field and target address") {
    CHECK(health_status_field("{\"status\":\"overloaded\",\"x\":1}") == "overloaded");
    CHECK(health_status_field("{\"x\":1}").empty());
    CHECK(health_status_field("{\"status\":\"unterminated").empty());
    CHECK(healthcheck_target("0.0.0.0") == "127.0.0.1");
    CHECK(healthcheck_target("::") == "::1");
    CHECK(healthcheck_target("127.0.0.2") == "127.0.0.2");
    CHECK(healthcheck_target("::1") == "::1");
}

TEST_CASE("healthcheck: 200 is healthy, in one piece or byte by byte") {
    for (size_t piece : {size_t(0), size_t(1), size_t(7)}) {
        std::string why;
        int rc;
        std::string request;
        {
            fake_server s(OK_ANSWER, fake_server::mode::answer, piece);
            rc = check_health("0.0.0.0", s.port, 2000, why);
            s.t.join();  // the request is complete once the server thread is done
            request = s.request;
        }
        INFO(why);
        CHECK(rc == 0);
        CHECK(why.rfind("healthy: GET http://127.0.0.1:", 0) == 0);
        CHECK(why.find("answered 200 (status healthy)") != std::string::npos);
        CHECK(request.rfind("GET /health HTTP/1.1\r\n", 0) == 0);
        CHECK(request.find("\r\nConnection: close\r\n") != std::string::npos);
        CHECK(request.find("\r\nHost: 127.0.0.1:") != std::string::npos);
    }
}

TEST_CASE("healthcheck: 503 overloaded is unhealthy and says why") {
    fake_server s(OVERLOADED_ANSWER);
    std::string why;
    CHECK(check_health("127.0.0.1", s.port, 2000, why) == 1);
    CHECK(why.find("answered 503 (status overloaded)") != std::string::npos);
}

TEST_CASE("healthcheck: nothing listening") {
    std::string why;
    CHECK(check_health("127.0.0.1", closed_port(), 2000, why) == 1);
    INFO(why);
    CHECK(why.find("cannot connect to 127.0.0.1:") != std::string::npos);
    CHECK(why.find("refused") != std::string::npos);
}

TEST_CASE("healthcheck: a silent server cannot hold it past the timeout") {
    fake_server s("", fake_server::mode::silent);
    std::string why;
    uint64_t t0 = monotonic_ms();
    CHECK(check_health("127.0.0.1", s.port, 200, why) == 1);
    uint64_t took = monotonic_ms() - t0;
    CHECK(took >= 190);
    CHECK(took < 1000);
    CHECK(why.find("sent no answer to GET /health within 200 ms") != std::string::npos);
}

TEST_CASE("healthcheck: closed without an answer, or answered in another protocol") {
    {
        fake_server s("", fake_server::mode::close_at_once);
        std::string why;
        CHECK(check_health("127.0.0.1", s.port, 2000, why) == 1);
        INFO(why);
        CHECK(why.rfind("unhealthy: ", 0) == 0);
    }
    {
        fake_server s("SSH-2.0-OpenSSH_9.2\r\n");
        std::string why;
        CHECK(check_health("127.0.0.1", s.port, 2000, why) == 1);
        CHECK(why.find("did not answer GET /health with HTTP/1.x") != std::string::npos);
    }
}

TEST_CASE("healthcheck: bad addresses and ports are refused before dialling") {
    std::string why;
    CHECK(check_health("localhost", 8080, 2000, why) == 1);
    CHECK(why.find("not a numeric") != std::string::npos);
    CHECK(check_health("127.0.0.1", 0, 2000, why) == 1);
    CHECK(why.find("port 0") != std::string::npos);
}

TEST_CASE("healthcheck: mode takes the server's flags") {
    fake_server s(OK_ANSWER);
    std::string port = std::to_string(s.port);
    const char* argv[] = {"healthcheck", "--port", port.c_str()};
    CHECK(run_healthcheck(3, argv, no_env) == 0);
    const char* bad[] = {"--healthcheck", "--port", "http"};
    CHECK(run_healthcheck(3, bad, no_env) == 1);
}
