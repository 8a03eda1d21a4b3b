// load_client: the project's own HTTP/1.1 load generator for bench/run.sh, built for many
// slow requests: one thread, one epoll loop, a fixed record per connection.
//
//   closed loop (--connections N): every connection sends its next request as soon as the
//     answer to the previous one arrives (wrk's model); stop after --duration seconds or after
//     --requests-per-conn answers on every connection.
//   open loop (--rate R): R requests per second on a schedule, each on an idle connection
//     from the pool of N; latency counts from the scheduled time, so a slow server cannot hide
//     behind a slowed-down client (no coordinated omission). Connections are opened as the
//     schedule needs them, up to N. With --drain 1 the answers still due at the end of
//     --duration are waited for.
//
// It spreads connections over the source addresses 127.0.0.1 .. 127.0.0.K (--sources K,
// bind() before connect(), IP_BIND_ADDRESS_NO_PORT so the kernel picks each port per
// destination): one source address gives about 28,000 ports, so 100,000+ connections need 4
// or more (the default is one per 2,000 connections, see default_sources()). It raises
// RLIMIT_NOFILE to the hard limit; past that it says how many connections the limit allows.
// In closed loop, connections can be opened at --connect-rate per second, so that the
// server's accept queue does not shape the first round.
//
// Latency is measured per request, from the request's send (or schedule) to the last byte of
// its answer, minus --delay for 2xx answers (the expected delay: what is left is the server's
// delay error). Reported separately: the first answer on each connection (it includes the
// wait in the server's accept queue while connections ramp up) and the answers on
// established connections (the clean figure); non-2xx answers (e.g. 503s) with their raw
// latency; errors (connect failures, resets, timeouts, malformed answers).
// The last line is machine-readable: "RESULT load key=value ...".
//
// Responses are framed by a small reader (status line, Content-Length, chunked,
// Connection: close); it does not need the server's parser.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

uint64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

struct options {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string path = "/v1/chat/completions";
    std::string body = R"({"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]})";
    uint32_t connections = 100;
    double rate = 0;            // requests/s; 0 = closed loop
    double duration_s = 0;     // stop sending after this many seconds (0: no limit, use requests_per_conn)
    uint32_t requests_per_conn = 0;
    double delay_s = 0;         // subtracted from 2xx latencies
    uint32_t sources = 0;       // 0 = default_sources()
    double connect_rate = 0;    // connections opened per second; 0 = all at once
    double timeout_s = 60;      // per request (and per connect)
    std::string label = "load";
    bool drain = false;         // after --duration, wait for the answers in flight
};

// One source address per 2,000 connections (at most 250): a source address has about 28,000
// ephemeral ports, and connect() slows down sharply (a port search under a lock, ms per call)
// once most of them are taken, TIME_WAIT sockets of earlier runs included.
uint32_t default_sources(uint32_t connections) {
    return std::min<uint32_t>(250, std::max<uint32_t>(1, (connections + 1999) / 2000));
}

void usage() {
    std::fprintf(stderr,
                 "usage: load_client --port P [--host 127.0.0.1] [--path /v1/chat/completions] [--body JSON]\n"
                 "         --connections N [--rate R] [--duration S] [--requests-per-conn K] [--delay S]\n"
                 "         [--sources K] [--connect-rate R] [--timeout S] [--drain 0|1] [--label NAME]\n");
}

bool parse_options(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--help" || i + 1 >= argc) {
            return false;
        }
        const char* v = argv[++i];
        if (k == "--host") o.host = v;
        else if (k == "--port") o.port = std::atoi(v);
        else if (k == "--path") o.path = v;
        else if (k == "--body") o.body = v;
        else if (k == "--connections") o.connections = uint32_t(std::atol(v));
        else if (k == "--rate") o.rate = std::atof(v);
        else if (k == "--duration") o.duration_s = std::atof(v);
        else if (k == "--requests-per-conn") o.requests_per_conn = uint32_t(std::atol(v));
        else if (k == "--delay") o.delay_s = std::atof(v);
        else if (k == "--sources") o.sources = uint32_t(std::atol(v));
        else if (k == "--connect-rate") o.connect_rate = std::atof(v);
        else if (k == "--timeout") o.timeout_s = std::atof(v);
        else if (k == "--label") o.label = v;
        else if (k == "--drain") o.drain = std::atoi(v) != 0;
        else {
            std::fprintf(stderr, "load_client: unknown option %s\n", k.c_str());
            return false;
        }
    }
    // A run needs an end: a duration, or a number of answers per connection.
    return o.connections > 0 && o.port > 0 && (o.duration_s > 0 || o.requests_per_conn > 0);
}

// A response being read: the status line and headers are collected in head[], then the
// body is skipped by length (Content-Length) or by chunk framing.
enum class rstate : uint8_t { head, body, chunk_line, chunk_data, chunk_crlf, trailers };
enum class cstate : uint8_t { unused, connecting, idle, busy, closed };

struct conn {
    static constexpr unsigned HEAD_MAX = 1024;
    int fd = -1;
    cstate st = cstate::unused;
    rstate rs = rstate::head;
    bool close_after = false;
    bool chunked = false;
    uint16_t status = 0;
    uint16_t head_len = 0;
    uint32_t answered = 0;      // answers received on this connection
    uint32_t sent_off = 0;      // bytes of the current request already written
    uint64_t body_left = 0;
    uint64_t started_ns = 0;    // send (or schedule) time of the request in flight; connect time while connecting
    char head[HEAD_MAX];
};

struct sample_set {
    std::vector<int64_t> us;
    void add(int64_t v) { us.push_back(v); }
    // The nearest-rank percentile (p in (0, 100]).
    int64_t pct(double p) {
        if (us.empty()) return 0;
        size_t rank = size_t(std::ceil(p / 100.0 * double(us.size())));
        size_t i = std::min(us.size() - 1, rank > 0 ? rank - 1 : 0);
        std::nth_element(us.begin(), us.begin() + long(i), us.end());
        return us[i];
    }
    int64_t max() const { return us.empty() ? 0 : *std::max_element(us.begin(), us.end()); }
};

class load {
public:
    explicit load(const options& o) : o_(o) {}
    int run();

private:
    bool open_one(uint32_t i);
    void on_event(uint32_t i, uint32_t ev);
    void send_request(uint32_t i, uint64_t started);
    void flush(uint32_t i);
    void read_some(uint32_t i);
    bool feed(uint32_t i, const char* p, size_t n, size_t& used);  // false: malformed
    void answered(uint32_t i);
    void fail(uint32_t i, const char* why);
    void next_request(uint32_t i);
    void check_timeouts(uint64_t t);
    bool sending_allowed(uint64_t t) const {
        return run_ns_ != 0 && (o_.duration_s <= 0 || t < run_ns_ + uint64_t(o_.duration_s * 1e9));
    }

    options o_;
    std::string request_;
    std::vector<conn> conns_;
    std::vector<uint32_t> idle_;       // open loop: connected connections without a request
    std::deque<uint64_t> backlog_;     // open loop: scheduled times still waiting for a connection
    int ep_ = -1;
    uint64_t start_ns_ = 0;     // connections start opening
    uint64_t run_ns_ = 0;       // requests start
    uint32_t connecting_ = 0;
    uint64_t busy_ = 0;         // connections with a request in flight
    uint64_t delay_ns_ = 0;
    uint64_t next_send_ns_ = 0;
    uint32_t opened_ = 0, connected_ = 0, open_now_ = 0, done_conns_ = 0;
    uint64_t sent_ = 0, ok_ = 0, non2xx_ = 0, status503_ = 0;
    uint64_t err_connect_ = 0, err_io_ = 0, err_timeout_ = 0, err_parse_ = 0, err_closed_ = 0;
    uint64_t last_answer_ns_ = 0;
    sample_set first_, established_, non2xx_lat_;
};

bool load::open_one(uint32_t i) {
    conn& c = conns_[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ++err_connect_;
        c.st = cstate::closed;
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint32_t sources = o_.sources ? o_.sources : default_sources(o_.connections);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | (1 + i % sources));  // 127.0.0.1 .. 127.0.0.K
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(uint16_t(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &dst.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0 ||
        (connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0 && errno != EINPROGRESS)) {
        if (err_connect_ < 3) std::fprintf(stderr, "load_client: bind/connect: %s\n", std::strerror(errno));
        close(fd);
        ++err_connect_;
        c.st = cstate::closed;
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u32 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    c.fd = fd;
    c.st = cstate::connecting;
    ++connecting_;
    c.started_ns = now_ns();
    ++open_now_;
    return true;
}

void load::fail(uint32_t i, const char* why) {
    conn& c = conns_[i];
    if (c.st == cstate::closed || c.st == cstate::unused) {
        return;
    }
    if (c.st == cstate::connecting) --connecting_;
    if (c.st == cstate::busy) --busy_;
    if (why == nullptr) {
        // orderly close by the server between requests ("Connection: close" honoured)
    } else if (std::strcmp(why, "connect") == 0) {
        ++err_connect_;
    } else if (std::strcmp(why, "timeout") == 0) {
        ++err_timeout_;
    } else if (std::strcmp(why, "parse") == 0) {
        ++err_parse_;
    } else if (std::strcmp(why, "closed") == 0) {
        ++err_closed_;
    } else {
        ++err_io_;
    }
    close(c.fd);
    c.fd = -1;
    c.st = cstate::closed;
    --open_now_;
    ++done_conns_;
}

void load::send_request(uint32_t i, uint64_t started) {
    conn& c = conns_[i];
    c.st = cstate::busy;
    ++busy_;
    c.rs = rstate::head;
    c.head_len = 0;
    c.sent_off = 0;
    c.started_ns = started;
    ++sent_;
    flush(i);
}

void load::flush(uint32_t i) {
    conn& c = conns_[i];
    while (c.st == cstate::busy && c.sent_off < request_.size()) {
        ssize_t w = ::send(c.fd, request_.data() + c.sent_off, request_.size() - c.sent_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) fail(i, "io");
            return;  // EAGAIN: EPOLLOUT (edge) resumes it
        }
        c.sent_off += uint32_t(w);
    }
}

void load::next_request(uint32_t i) {
    conn& c = conns_[i];
    uint64_t t = now_ns();
    if (o_.requests_per_conn && c.answered >= o_.requests_per_conn) {
        ::shutdown(c.fd, SHUT_WR);
        close(c.fd);
        c.fd = -1;
        c.st = cstate::closed;
        --open_now_;
        ++done_conns_;
        return;
    }
    if (!sending_allowed(t)) {
        c.st = cstate::idle;
        return;
    }
    if (o_.rate > 0) {
        if (!backlog_.empty()) {
            uint64_t sched = backlog_.front();
            backlog_.pop_front();
            send_request(i, sched);
        } else {
            c.st = cstate::idle;
            idle_.push_back(i);
        }
        return;
    }
    send_request(i, t);
}

void load::answered(uint32_t i) {
    conn& c = conns_[i];
    uint64_t t = now_ns();
    last_answer_ns_ = t;
    int64_t lat_ns = int64_t(t - c.started_ns);
    bool first = c.answered == 0;
    ++c.answered;
    c.st = cstate::idle;  // next_request() or fail() moves it on
    --busy_;
    if (c.status >= 200 && c.status < 300) {
        ++ok_;
        int64_t us = (lat_ns - int64_t(delay_ns_)) / 1000;
        (first ? first_ : established_).add(us);
    } else {
        ++non2xx_;
        if (c.status == 503) ++status503_;
        non2xx_lat_.add(lat_ns / 1000);
    }
    if (c.close_after) {
        fail(i, nullptr);
        return;
    }
    next_request(i);
}

// Consumes bytes of the answer in flight; used = bytes taken (the rest belongs to nothing:
// we never pipeline, so extra bytes are a framing error).
bool load::feed(uint32_t i, const char* p, size_t n, size_t& used) {
    conn& c = conns_[i];
    size_t k = 0;
    while (k < n) {
        switch (c.rs) {
        case rstate::head:
        case rstate::trailers: {
            if (c.head_len == conn::HEAD_MAX) return false;
            c.head[c.head_len++] = p[k++];
            size_t L = c.head_len;
            bool end = (L >= 4 && std::memcmp(c.head + L - 4, "\r\n\r\n", 4) == 0) ||
                       (c.rs == rstate::trailers && L == 2 && std::memcmp(c.head, "\r\n", 2) == 0);
            if (!end) break;
            if (c.rs == rstate::trailers) {
                used = k;
                answered(i);
                return true;
            }
            std::string_view h(c.head, L);
            if (h.size() < 12 || h.substr(0, 5) != "HTTP/") return false;
            c.status = uint16_t(std::atoi(std::string(h.substr(9, 3)).c_str()));
            c.chunked = false;
            c.close_after = h.substr(0, 8) == "HTTP/1.0";
            c.body_left = 0;
            size_t pos = h.find("\r\n") + 2;
            while (pos < L) {
                size_t e = h.find("\r\n", pos);
                std::string_view line = h.substr(pos, e - pos);
                pos = e + 2;
                size_t colon = line.find(':');
                if (colon == std::string_view::npos) continue;
                std::string name(line.substr(0, colon));
                for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
                std::string_view v = line.substr(colon + 1);
                while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
                if (name == "content-length") c.body_left = std::strtoull(std::string(v).c_str(), nullptr, 10);
                else if (name == "transfer-encoding" && v.find("chunked") != std::string_view::npos) c.chunked = true;
                else if (name == "connection") {
                    if (v.find("close") != std::string_view::npos || v.find("Close") != std::string_view::npos)
                        c.close_after = true;
                    else if (v.find("eep-") != std::string_view::npos) c.close_after = false;
                }
            }
            if (c.status == 100) {  // interim answer: read the real one
                c.head_len = 0;
                break;
            }
            c.head_len = 0;
            if (c.chunked) {
                c.rs = rstate::chunk_line;
            } else if (c.body_left == 0) {
                used = k;
                answered(i);
                return true;
            } else {
                c.rs = rstate::body;
            }
            break;
        }
        case rstate::body: {
            size_t take = size_t(std::min<uint64_t>(c.body_left, n - k));
            k += take;
            c.body_left -= take;
            if (c.body_left == 0) {
                used = k;
                answered(i);
                return true;
            }
            break;
        }
        case rstate::chunk_line: {
            if (c.head_len == conn::HEAD_MAX) return false;
            c.head[c.head_len++] = p[k++];
            if (c.head_len >= 2 && c.head[c.head_len - 2] == '\r' && c.head[c.head_len - 1] == '\n') {
                c.head[c.head_len - 2] = '\0';
                c.body_left = std::strtoull(c.head, nullptr, 16);
                c.head_len = 0;
                c.rs = c.body_left == 0 ? rstate::trailers : rstate::chunk_data;
            }
            break;
        }
        case rstate::chunk_data: {
            size_t take = size_t(std::min<uint64_t>(c.body_left, n - k));
            k += take;
            c.body_left -= take;
            if (c.body_left == 0) {
                c.body_left = 2;
                c.rs = rstate::chunk_crlf;
            }
            break;
        }
        case rstate::chunk_crlf:
            ++k;
            if (--c.body_left == 0) c.rs = rstate::chunk_line;
            break;
        }
    }
    used = k;
    return true;
}

void load::read_some(uint32_t i) {
    static char buf[65536];
    for (;;) {
        conn& c = conns_[i];
        if (c.st == cstate::closed) return;
        ssize_t r = ::read(c.fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) fail(i, "io");
            return;
        }
        if (r == 0) {
            // The server closed. Between requests (idle, or an answer already framed), or after
            // the run, this is not an error of the request in flight.
            fail(i, c.st == cstate::busy ? "closed" : nullptr);
            return;
        }
        size_t off = 0;
        while (off < size_t(r)) {
            if (conns_[i].st != cstate::busy) {
                fail(i, "parse");  // bytes with no request in flight
                return;
            }
            size_t used = 0;
            if (!feed(i, buf + off, size_t(r) - off, used)) {
                fail(i, "parse");
                return;
            }
            off += used;
        }
    }
}

void load::on_event(uint32_t i, uint32_t ev) {
    conn& c = conns_[i];
    if (c.st == cstate::connecting) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (ev & (EPOLLERR | EPOLLHUP))) {
            if (err_connect_ < 3) std::fprintf(stderr, "load_client: connect: %s\n", std::strerror(err));
            fail(i, "connect");
            return;
        }
        ++connected_;
        --connecting_;
        c.st = cstate::idle;
        next_request(i);
        return;
    }
    if (ev & EPOLLOUT) flush(i);
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) read_some(i);
}

void load::check_timeouts(uint64_t t) {
    uint64_t limit = uint64_t(o_.timeout_s * 1e9);
    for (uint32_t i = 0; i < opened_; ++i) {
        conn& c = conns_[i];
        if ((c.st == cstate::busy || c.st == cstate::connecting) && t > c.started_ns && t - c.started_ns > limit) {
            fail(i, c.st == cstate::connecting ? "connect" : "timeout");
        }
    }
}

int load::run() {
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (uint64_t(o_.connections) + 16 > rl.rlim_cur) {
        std::fprintf(stderr, "load_client: the open-file limit (%llu) allows %llu connections, not %u\n",
                     (unsigned long long)rl.rlim_cur, (unsigned long long)(rl.rlim_cur - 16), o_.connections);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    request_ = "POST " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(o_.body.size()) + "\r\n\r\n" +
               o_.body;
    conns_.resize(o_.connections);
    idle_.reserve(o_.connections);
    delay_ns_ = uint64_t(o_.delay_s * 1e9);
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    start_ns_ = now_ns();
    run_ns_ = start_ns_;
    next_send_ns_ = start_ns_;
    uint64_t last_timeout_check = start_ns_;
    std::vector<epoll_event> events(1024);
    const uint64_t run_limit_ns = uint64_t(
        ((o_.duration_s > 0 ? o_.duration_s + (o_.drain ? o_.delay_s + 5 : 0) : 0) + (o_.requests_per_conn ? o_.requests_per_conn * (o_.delay_s + 5) + 10 : 0) +
         o_.connections / std::max(1.0, o_.connect_rate > 0 ? o_.connect_rate : 1e9)) * 1e9 + o_.timeout_s * 1e9);
    for (;;) {
        uint64_t t = now_ns();
        // Open connections (all at once, or at connect_rate per second).
        // Closed loop: open connections (all at once, or at connect_rate per second). Open loop
        // opens them on demand, below.
        uint32_t want = o_.connect_rate > 0
                            ? uint32_t(std::min<double>(o_.connections, 1 + double(t - start_ns_) * 1e-9 * o_.connect_rate))
                            : o_.connections;
        if (o_.rate > 0 || !sending_allowed(t)) want = opened_;
        while (opened_ < want) {
            open_one(opened_++);
        }
        // Open loop: release the requests whose scheduled time has come, each on an idle
        // connection, else queued for the next one to come free while a new connection opens
        // (up to --connections). Opening connections as the load needs them keeps them from
        // idling unused: a server may close a connection that sends nothing for a while
        // (llm-mock-server's HEADER_TIMEOUT_SECONDS, nginx's client_header_timeout).
        if (o_.rate > 0 && sending_allowed(t)) {
            uint64_t step = uint64_t(1e9 / o_.rate);
            while (next_send_ns_ <= t) {
                if (!idle_.empty()) {
                    uint32_t i = idle_.back();
                    idle_.pop_back();
                    if (conns_[i].st == cstate::idle) send_request(i, next_send_ns_);
                    else backlog_.push_back(next_send_ns_);
                } else {
                    backlog_.push_back(next_send_ns_);
                    if (opened_ < o_.connections) open_one(opened_++);
                }
                next_send_ns_ += step;
            }
        }
        if (t - last_timeout_check > 100'000'000) {
            check_timeouts(t);
            last_timeout_check = t;
        }
        bool sending = sending_allowed(t);
        if (!sending && o_.requests_per_conn == 0) {
            // Duration runs end here (like wrk: what is still in flight is not waited for),
            // unless --drain asks to wait for the answers still due.
            if (!o_.drain || busy_ == 0) break;
        }
        if (o_.requests_per_conn && opened_ == o_.connections && done_conns_ == o_.connections) break;
        if (t - start_ns_ > run_limit_ns) {
            std::fprintf(stderr, "load_client: run limit reached; stopping\n");
            break;
        }
        // Sleep until the next thing to do: the next scheduled request (open loop, to the
        // nanosecond: epoll_pwait2), the next connection to open, the end of the run, or a
        // timeout check.
        uint64_t wake = t + 100'000'000;
        if (o_.rate > 0 && sending) wake = std::min(wake, std::max(next_send_ns_, t));
        if (o_.connect_rate > 0 && opened_ < o_.connections) wake = std::min(wake, t + 1'000'000);
        if (o_.duration_s > 0 && sending) wake = std::min(wake, run_ns_ + uint64_t(o_.duration_s * 1e9));
        uint64_t left = wake > t ? wake - t : 0;
        timespec ts{time_t(left / 1000000000u), long(left % 1000000000u)};
        int n = epoll_pwait2(ep_, events.data(), int(events.size()), &ts, nullptr);
        for (int k = 0; k < n; ++k) {
            on_event(events[k].data.u32, events[k].events);
        }
    }
    uint64_t end_ns = now_ns();
    rusage ru1;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu_s = double(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                   double(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
    double wall_s = double(end_ns - start_ns_) * 1e-9;
    uint64_t in_flight = 0;
    for (uint32_t i = 0; i < opened_; ++i) {
        if (conns_[i].st == cstate::busy) ++in_flight;
        if (conns_[i].fd >= 0) close(conns_[i].fd);
    }
    sample_set all;
    all.us = first_.us;
    all.us.insert(all.us.end(), established_.us.begin(), established_.us.end());
    uint64_t errors = err_connect_ + err_io_ + err_timeout_ + err_parse_ + err_closed_;
    double secs = o_.duration_s > 0 && o_.requests_per_conn == 0 ? o_.duration_s : wall_s;
    auto ms = [](int64_t us) { return double(us) / 1000.0; };

    std::printf("%s: %u connections (%u connected) from %u source address(es), %s, delay %.3f s subtracted\n",
                o_.label.c_str(), o_.connections, connected_,
                o_.sources ? o_.sources : default_sources(o_.connections),
                o_.rate > 0 ? "open loop" : "closed loop", o_.delay_s);
    std::printf("  answers 2xx %" PRIu64 ", non-2xx %" PRIu64 " (503: %" PRIu64 "), errors %" PRIu64
                " (connect %" PRIu64 ", io %" PRIu64 ", timeout %" PRIu64 ", framing %" PRIu64 ", closed %" PRIu64
                "), in flight at the end %" PRIu64 "\n",
                ok_, non2xx_, status503_, errors, err_connect_, err_io_, err_timeout_, err_parse_, err_closed_, in_flight);
    std::printf("  %.0f answers/s over %.2f s; client CPU %.2f s (%.0f%% of one core)\n", double(ok_ + non2xx_) / secs,
                secs, cpu_s, 100.0 * cpu_s / wall_s);
    if (!backlog_.empty()) {
        std::printf("  open loop: %zu scheduled requests found no free connection before the end (not sent)\n",
                    backlog_.size());
    }
    std::printf("  2xx latency minus delay, ms: all p50 %.3f p99 %.3f max %.3f | first per connection p50 %.3f p99 "
                "%.3f max %.3f | established p50 %.3f p99 %.3f max %.3f\n",
                ms(all.pct(50)), ms(all.pct(99)), ms(all.max()), ms(first_.pct(50)), ms(first_.pct(99)),
                ms(first_.max()), ms(established_.pct(50)), ms(established_.pct(99)), ms(established_.max()));
    if (non2xx_) {
        std::printf("  non-2xx latency, ms: p50 %.3f p99 %.3f max %.3f\n", ms(non2xx_lat_.pct(50)),
                    ms(non2xx_lat_.pct(99)), ms(non2xx_lat_.max()));
    }
    std::printf("RESULT load label=%s connections=%u connected=%u ok=%" PRIu64 " non2xx=%" PRIu64 " s503=%" PRIu64
                " errors=%" PRIu64 " in_flight=%" PRIu64 " seconds=%.3f rps=%.1f client_cpu_s=%.3f"
                " all_p50_ms=%.3f all_p99_ms=%.3f all_max_ms=%.3f first_p50_ms=%.3f first_p99_ms=%.3f first_max_ms=%.3f"
                " est_p50_ms=%.3f est_p99_ms=%.3f est_max_ms=%.3f n2_p50_ms=%.3f n2_p99_ms=%.3f n2_max_ms=%.3f"
                " n2_rate=%.1f unsent=%zu\n",
                o_.label.c_str(), o_.connections, connected_, ok_, non2xx_, status503_, errors, in_flight, secs,
                double(ok_ + non2xx_) / secs, cpu_s, ms(all.pct(50)), ms(all.pct(99)), ms(all.max()), ms(first_.pct(50)),
                ms(first_.pct(99)), ms(first_.max()), ms(established_.pct(50)), ms(established_.pct(99)),
                ms(established_.max()), ms(non2xx_lat_.pct(50)), ms(non2xx_lat_.pct(99)), ms(non2xx_lat_.max()),
                double(non2xx_) / secs, backlog_.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_options(argc, argv, o)) {
        usage();
        return 2;
    }
    load l(o);
    return l.run();
}
