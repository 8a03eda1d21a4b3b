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
//
//   streaming (--stream 1): every request is a `"stream": true` chat completion (closed loop,
//     --requests-per-conn streams per keep-alive connection, or --duration). The SSE events
//     are split out of the chunked body as they arrive and each `data:` event is timestamped
//     on receipt: CLOCK_MONOTONIC read right after the read() that completed it (events
//     completed by the same read share that time). A content token is an event whose
//     `"content":"` is not empty (the role event's empty content and the finish event's empty
//     delta are not tokens). Against the model the server was told to use (--ttft, --itl
//     seconds; --tokens per stream, sent as max_tokens) it reports, in ms:
//       TTFT error  = receipt of the first content token - the request's send() - TTFT, signed
//                     (negative: early);
//       gap error   = each gap between consecutive content tokens of a stream - ITL, as |error|
//                     (a token that is late by d makes its gap d too long and the next one d
//                     too short, so the signed errors cancel out; the absolute value does not);
//                     the signed extremes are printed too;
//       lateness    = receipt of token k - (send + TTFT + k x ITL), signed: the error against the
//                     absolute schedule, which a server that schedules on absolute times keeps
//                     from accumulating.
//     The same three are also computed from the kernel's arrival stamp of each read
//     (SO_TIMESTAMPNS; on loopback, when the server's write delivered the bytes): a diagnostic
//     that leaves out the load tool's own delay in getting to the read.
//     A stream is complete when its answer ends with `data: [DONE]`, no error event, and (with
//     --tokens) exactly that many content tokens; anything else counts as a bad stream.
//     --ramp S spreads the first request of connection i to S x i / N after the start, so that
//     token deadlines do not all fall in the same millisecond (a gateway's steady load).
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
    bool stream = false;        // SSE chat streams, timed per token (see the top)
    double ttft_s = 0;          // streaming: expected time to first token
    double itl_s = 0;           // streaming: expected inter-token latency
    uint32_t tokens = 0;        // streaming: max_tokens sent, and content tokens expected per stream (0: not checked)
    double ramp_s = 0;          // first requests spread over this many seconds
    bool busy_poll = false;     // never sleep in epoll (the load tool then uses its whole core)
    std::string answers_log;    // each 2xx answer's "send_ns finish_ns kernel_ns connect_ns ip:port seq", one a line
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
                 "         [--sources K] [--connect-rate R] [--timeout S] [--drain 0|1] [--label NAME] [--ramp S]\n"
                 "       streaming: --stream 1 --ttft S --itl S [--tokens N] (with --requests-per-conn K or --duration S)\n"
                 "       --answers-log FILE: each 2xx answer's send and finish times and the kernel's arrival stamp of its\n"
                 "         last read (CLOCK_MONOTONIC ns; 0 when the kernel gave none), the connection's connect() time,\n"
                 "         its local address (ip:port) and the answer's index on it, one answer a line; with --stream 1,\n"
                 "         a stream's line is its first token's (finish = the first content token's receipt)\n");
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
        else if (k == "--stream") o.stream = std::atoi(v) != 0;
        else if (k == "--ttft") o.ttft_s = std::atof(v);
        else if (k == "--itl") o.itl_s = std::atof(v);
        else if (k == "--tokens") o.tokens = uint32_t(std::atol(v));
        else if (k == "--ramp") o.ramp_s = std::atof(v);
        else if (k == "--busy-poll") o.busy_poll = std::atoi(v) != 0;
        else if (k == "--answers-log") o.answers_log = v;
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
    uint64_t connect_ns = 0;    // connect() was called
    uint32_t local_ip = 0;      // --answers-log: the connection's own address (host order), to join a server's trace
    uint16_t local_port = 0;
    bool ramp_wait = false;     // connected, its first request not yet due (--ramp)
    // Streaming: the stream in flight.
    bool done_seen = false;     // data: [DONE] received
    bool sse_error = false;     // an error event received
    uint32_t tokens = 0;        // content token events received
    uint64_t last_token_ns = 0; // receipt time of the previous content token
    uint64_t last_token_kx_ns = 0;  // the same, by the kernel's arrival stamp (0: none)
    char head[HEAD_MAX];
};

// Streaming: the SSE event being received on a connection, kept up to EVENT_MAX bytes (the
// classification needs only the start of an event; ours are about 250 bytes).
struct sse_event {
    static constexpr unsigned EVENT_MAX = 1024;
    uint32_t len = 0;           // bytes kept in buf
    uint32_t line_len = 0;      // bytes of the current line so far (kept or not), '\r' excluded
    char buf[EVENT_MAX];
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
    int64_t min() const { return us.empty() ? 0 : *std::min_element(us.begin(), us.end()); }
};

class load {
public:
    load(const options& o, bool body_given) : o_(o), body_given_(body_given) {}
    int run();

private:
    bool open_one(uint32_t i);
    void on_event(uint32_t i, uint32_t ev);
    void send_request(uint32_t i, uint64_t started);
    void flush(uint32_t i);
    void read_some(uint32_t i, uint32_t ev);
    bool feed(uint32_t i, const char* p, size_t n, size_t& used);  // false: malformed
    void sse_feed(uint32_t i, const char* p, size_t n);
    void sse_event_done(uint32_t i);
    void stream_answered(uint32_t i);
    uint64_t ramp_due(uint32_t i) const {
        return run_ns_ + uint64_t(o_.ramp_s * 1e9 * double(i) / double(o_.connections));
    }
    int stream_report(double cpu_s, double wall_s, uint64_t in_flight);
    void answered(uint32_t i);
    void fail(uint32_t i, const char* why);
    void next_request(uint32_t i);
    void check_timeouts(uint64_t t);
    bool sending_allowed(uint64_t t) const {
        return run_ns_ != 0 && (o_.duration_s <= 0 || t < run_ns_ + uint64_t(o_.duration_s * 1e9));
    }

    options o_;
    bool body_given_ = false;
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
    struct answer_time {
        uint64_t sent, done, kernel;  // kernel: the last read's arrival stamp (0: none)
        uint64_t connect;             // the connection's connect() call
        uint32_t ip, seq;             // the connection's local address and the answer's index on it
        uint16_t port;
    };
    std::vector<answer_time> answer_times_;  // --answers-log
    uint32_t ramp_cursor_ = 0;  // --ramp: connections before this one have been released
    // Streaming.
    std::vector<sse_event> sse_;
    uint64_t rx_ns_ = 0;        // CLOCK_MONOTONIC right after the read whose bytes are being fed
    uint64_t ttft_ns_ = 0, itl_ns_ = 0;
    uint64_t token_events_ = 0, streams_ok_ = 0, streams_bad_ = 0;
    uint64_t bad_tokens_ = 0, bad_no_done_ = 0, bad_error_event_ = 0;
    sample_set ttft_err_, gap_err_, late_;  // ns, signed (see the top)
    // The same by the kernel's arrival stamp (SO_TIMESTAMPNS) instead of the clock after the
    // read: on loopback that is when the server's write delivered the bytes, so these leave out
    // the load tool's own delay in getting to the read (a diagnostic; the figures above rule).
    uint64_t kx_ns_ = 0;              // arrival stamp of the read in progress, CLOCK_MONOTONIC (0: none)
    uint64_t realtime_offset_ns_ = 0; // CLOCK_REALTIME - CLOCK_MONOTONIC at the start
    sample_set k_ttft_err_, k_gap_err_, k_late_;
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
    if (o_.stream || !o_.answers_log.empty()) setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);  // kernel arrival stamps
    uint32_t sources = o_.sources ? o_.sources : default_sources(o_.connections);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | (1 + i % sources));  // 127.0.0.1 .. 127.0.0.K
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(uint16_t(o_.port));
    inet_pton(AF_INET, o_.host.c_str(), &dst.sin_addr);
    const uint64_t connect_start = now_ns();  // before the call: on loopback the server may accept within it
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
    c.connect_ns = connect_start;
    if (!o_.answers_log.empty()) {
        sockaddr_in me{};
        socklen_t len = sizeof me;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len) == 0) {
            c.local_ip = ntohl(me.sin_addr.s_addr);
            c.local_port = ntohs(me.sin_port);
        }
    }
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
    c.done_seen = false;
    c.sse_error = false;
    c.tokens = 0;
    c.last_token_ns = 0;
    c.last_token_kx_ns = 0;
    if (o_.stream) {
        sse_[i].len = 0;
        sse_[i].line_len = 0;
    }
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
    if (o_.ramp_s > 0 && c.answered == 0 && t < ramp_due(i)) {
        c.st = cstate::idle;  // released by run() at ramp_due(i)
        c.ramp_wait = true;
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
    if (o_.stream) stream_answered(i);
    if (c.status >= 200 && c.status < 300) {
        ++ok_;
        int64_t us = (lat_ns - int64_t(delay_ns_)) / 1000;
        (first ? first_ : established_).add(us);
        if (!o_.answers_log.empty() && !o_.stream) answer_times_.push_back({c.started_ns, t, kx_ns_, c.connect_ns, c.local_ip, c.answered - 1, c.local_port});
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
            if (o_.stream) sse_feed(i, p + k, take);
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
            if (o_.stream) sse_feed(i, p + k, take);
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

// Streaming: body bytes of the answer in flight (chunk framing already removed), split into
// SSE events at each empty line ("\n\n" or "\r\n\r\n"). O(n) per byte fed, with memchr.
void load::sse_feed(uint32_t i, const char* p, size_t n) {
    sse_event& e = sse_[i];
    while (n > 0) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', n));
        size_t take = nl ? size_t(nl - p) + 1 : n;
        size_t keep = std::min<size_t>(take, sse_event::EVENT_MAX - e.len);
        std::memcpy(e.buf + e.len, p, keep);
        e.len += uint32_t(keep);
        size_t line = nl ? take - 1 : take;
        if (line > 0 && p[line - 1] == '\r') --line;
        e.line_len += uint32_t(line);
        p += take;
        n -= take;
        if (nl == nullptr) break;
        if (e.line_len == 0) {  // an empty line ends the event
            sse_event_done(i);
            e.len = 0;
        }
        e.line_len = 0;
    }
}

// One whole SSE event received at rx_ns_: [DONE], an error, a token (content, reasoning or a
// tool call's arguments), or other (the role event, a call's first event, the finish event,
// the usage event, ": keep-alive" comments).
void load::sse_event_done(uint32_t i) {
    conn& c = conns_[i];
    std::string_view ev(sse_[i].buf, sse_[i].len);
    if (ev.substr(0, 6) == "event:") {
        // Named events (Anthropic, the Responses API): the data line follows the event line.
        const size_t nl = ev.find('\n');
        ev = nl == std::string_view::npos ? std::string_view() : ev.substr(nl + 1);
    }
    if (ev.substr(0, 5) != "data:") {
        return;  // a comment, or an empty line
    }
    std::string_view data = ev.substr(5);
    if (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    // The end: chat's [DONE], Anthropic's message_stop, the Responses API's completed/incomplete.
    if (data.starts_with("[DONE]") || data.starts_with("{\"type\":\"message_stop\"") ||
        data.starts_with("{\"type\":\"response.completed\"") || data.starts_with("{\"type\":\"response.incomplete\"")) {
        c.done_seen = true;
        return;
    }
    if (data.starts_with("{\"error\":") || data.starts_with("{\"type\":\"error\"") ||
        data.starts_with("{\"type\": \"error\"") || data.starts_with("{\"type\":\"response.failed\"")) {
        c.sse_error = true;
        return;
    }
    // A token is a non-empty content, reasoning_content or tool-call arguments fragment (all on
    // the ITL schedule); the first delta of a call ("arguments":"") and the role event are not.
    auto token_in = [&](std::string_view key) {
        size_t at = data.find(key);
        return at != std::string_view::npos && at + key.size() < data.size() && data[at + key.size()] != '"';
    };
    // Anthropic: a content_block_delta's text, thinking or partial_json; the Responses API: a
    // *.delta event's delta (its *.done events repeat the whole text, and are not tokens).
    const bool anthropic = data.starts_with("{\"type\":\"content_block_delta\"");
    const bool responses = data.starts_with("{\"type\":\"response.") && data.find(".delta\"") != std::string_view::npos;
    const bool token = anthropic   ? token_in("\"text\":\"") || token_in("\"thinking\":\"") || token_in("\"partial_json\":\"")
                       : responses ? token_in("\"delta\":\"")
                                   : token_in("\"content\":\"") || token_in("\"reasoning_content\":\"") ||
                                         token_in("\"arguments\":\"");
    if (!token) {
        return;
    }
    const uint64_t t = rx_ns_;
    if (c.tokens == 0) {
        ttft_err_.add(int64_t(t - c.started_ns) - int64_t(ttft_ns_));
        if (!o_.answers_log.empty()) {  // a stream's line is its first token's (its TTFT), not its end
            answer_times_.push_back({c.started_ns, t, kx_ns_, c.connect_ns, c.local_ip, c.answered, c.local_port});
        }
    } else {
        gap_err_.add(int64_t(t - c.last_token_ns) - int64_t(itl_ns_));
    }
    late_.add(int64_t(t - c.started_ns) - int64_t(ttft_ns_ + c.tokens * itl_ns_));
    if (kx_ns_ != 0) {
        const uint64_t k = kx_ns_;
        if (c.tokens == 0) {
            k_ttft_err_.add(int64_t(k - c.started_ns) - int64_t(ttft_ns_));
        } else if (c.last_token_kx_ns != 0) {
            k_gap_err_.add(int64_t(k - c.last_token_kx_ns) - int64_t(itl_ns_));
        }
        k_late_.add(int64_t(k - c.started_ns) - int64_t(ttft_ns_ + c.tokens * itl_ns_));
    }
    c.last_token_kx_ns = kx_ns_;
    c.last_token_ns = t;
    ++c.tokens;
    ++token_events_;
}

// Streaming: the answer in flight has ended (framing); was the stream whole?
void load::stream_answered(uint32_t i) {
    conn& c = conns_[i];
    if (c.status < 200 || c.status >= 300) {
        return;  // counted as non-2xx
    }
    bool tokens_ok = o_.tokens == 0 || c.tokens == o_.tokens;
    if (c.done_seen && !c.sse_error && tokens_ok) {
        ++streams_ok_;
        return;
    }
    ++streams_bad_;
    if (c.sse_error) ++bad_error_event_;
    else if (!c.done_seen) ++bad_no_done_;
    else ++bad_tokens_;
    if (streams_bad_ <= 3) {
        std::fprintf(stderr, "load_client: stream on connection %u: %u content tokens (expected %u), [DONE] %s%s\n", i,
                     c.tokens, o_.tokens, c.done_seen ? "seen" : "missing", c.sse_error ? ", an error event" : "");
    }
}

void load::read_some(uint32_t i, uint32_t ev) {
    static char buf[65536];
    for (;;) {
        conn& c = conns_[i];
        if (c.st == cstate::closed) return;
        ssize_t r;
        if (o_.stream || !o_.answers_log.empty()) {
            // recvmsg for the kernel's arrival stamp of the last segment read (SO_TIMESTAMPNS,
            // CLOCK_REALTIME), beside the clock read that defines receipt.
            alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(timespec))];
            iovec iov{buf, sizeof buf};
            msghdr mh{};
            mh.msg_iov = &iov;
            mh.msg_iovlen = 1;
            mh.msg_control = ctl;
            mh.msg_controllen = sizeof ctl;
            r = ::recvmsg(c.fd, &mh, 0);
            rx_ns_ = now_ns();  // the receipt time of every event this read completes
            kx_ns_ = 0;
            for (cmsghdr* cm = r > 0 ? CMSG_FIRSTHDR(&mh) : nullptr; cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                    kx_ns_ = uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec) - realtime_offset_ns_;
                }
            }
        } else {
            r = ::read(c.fd, buf, sizeof buf);
        }
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
        // Streaming: a short read drained the socket; bytes arriving after the epoll_wait that
        // reported it raise a new edge, so the usual read to EAGAIN would only cost a syscall
        // per token. Unless the peer has closed (no new edge would come for that).
        if (o_.stream && size_t(r) < sizeof buf && !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
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
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) read_some(i, ev);
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
    if (o_.stream) {
        if (!body_given_) {
            o_.body = R"({"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}],"stream":true)";
            if (o_.tokens > 0) o_.body += ",\"max_tokens\":" + std::to_string(o_.tokens);
            o_.body += "}";
        }
        sse_.resize(o_.connections);
        ttft_ns_ = uint64_t(o_.ttft_s * 1e9);
        itl_ns_ = uint64_t(o_.itl_s * 1e9);
        // Room for every sample of a --requests-per-conn run up front: a vector growing in the
        // middle of the run would stall the loop and show up as token lateness.
        uint64_t expect = o_.requests_per_conn ? uint64_t(o_.connections) * o_.requests_per_conn : o_.connections;
        uint64_t per = o_.tokens ? o_.tokens : 64;
        ttft_err_.us.reserve(size_t(expect));
        gap_err_.us.reserve(size_t(std::min<uint64_t>(expect * per, 64u << 20)));
        late_.us.reserve(size_t(std::min<uint64_t>(expect * per, 64u << 20)));
        k_ttft_err_.us.reserve(size_t(expect));
        k_gap_err_.us.reserve(size_t(std::min<uint64_t>(expect * per, 64u << 20)));
        k_late_.us.reserve(size_t(std::min<uint64_t>(expect * per, 64u << 20)));
    }
    if (o_.stream || !o_.answers_log.empty()) {
        timespec rt, mono;
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_MONOTONIC, &mono);
        realtime_offset_ns_ = (uint64_t(rt.tv_sec) * 1000000000u + uint64_t(rt.tv_nsec)) -
                              (uint64_t(mono.tv_sec) * 1000000000u + uint64_t(mono.tv_nsec));
    }
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
    // The longest an answer should take: the delay, or a whole stream.
    const double answer_s = o_.stream ? o_.ttft_s + o_.itl_s * std::max<uint32_t>(o_.tokens, 1) : o_.delay_s;
    const uint64_t run_limit_ns = uint64_t(
        ((o_.duration_s > 0 ? o_.duration_s + (o_.drain ? answer_s + 5 : 0) : 0) + (o_.requests_per_conn ? o_.requests_per_conn * (answer_s + 5) + 10 + o_.ramp_s : 0) +
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
        // --ramp: release the first requests that have come due (connections that connect
        // after their time send at once, in next_request()).
        while (o_.ramp_s > 0 && ramp_cursor_ < opened_ && ramp_due(ramp_cursor_) <= t) {
            conn& c = conns_[ramp_cursor_];
            if (c.ramp_wait && c.st == cstate::idle) {
                c.ramp_wait = false;
                if (sending_allowed(t)) send_request(ramp_cursor_, now_ns());
            }
            ++ramp_cursor_;
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
        if (o_.ramp_s > 0 && ramp_cursor_ < opened_) wake = std::min(wake, std::max(ramp_due(ramp_cursor_), t));
        if (o_.duration_s > 0 && sending) wake = std::min(wake, run_ns_ + uint64_t(o_.duration_s * 1e9));
        uint64_t left = wake > t && !o_.busy_poll ? wake - t : 0;
        timespec ts{time_t(left / 1000000000u), long(left % 1000000000u)};
        int n = epoll_pwait2(ep_, events.data(), int(events.size()), &ts, nullptr);
        for (int k = 0; k < n; ++k) {
            on_event(events[k].data.u32, events[k].events);
        }
    }
    uint64_t end_ns = now_ns();
    if (!o_.answers_log.empty()) {
        FILE* f = std::fopen(o_.answers_log.c_str(), "w");
        if (f == nullptr) {
            std::fprintf(stderr, "load_client: cannot write %s\n", o_.answers_log.c_str());
        } else {
            for (const answer_time& a : answer_times_) {
                std::fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u.%u.%u.%u:%u %u\n", a.sent, a.done,
                             a.kernel, a.connect, a.ip >> 24, (a.ip >> 16) & 255, (a.ip >> 8) & 255, a.ip & 255, a.port, a.seq);
            }
            std::fclose(f);
        }
    }
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
    if (o_.stream) {
        return stream_report(cpu_s, wall_s, in_flight);
    }
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

// Streaming: the text report and the RESULT line (see the top for what each figure is).
int load::stream_report(double cpu_s, double wall_s, uint64_t in_flight) {
    const uint64_t errors = err_connect_ + err_io_ + err_timeout_ + err_parse_ + err_closed_;
    // From the first request to the last answer: the span the token events were received in.
    const double secs = last_answer_ns_ > run_ns_ ? double(last_answer_ns_ - run_ns_) * 1e-9 : wall_s;
    sample_set gap_abs;
    gap_abs.us.reserve(gap_err_.us.size());
    for (int64_t v : gap_err_.us) gap_abs.us.push_back(v < 0 ? -v : v);
    auto ms = [](int64_t ns) { return double(ns) / 1e6; };
    const double ttft_p50 = ms(ttft_err_.pct(50)), ttft_p99 = ms(ttft_err_.pct(99)), ttft_max = ms(ttft_err_.max()),
                 ttft_min = ms(ttft_err_.min());
    const double gap_p50 = ms(gap_abs.pct(50)), gap_p99 = ms(gap_abs.pct(99)), gap_max = ms(gap_abs.max());
    const double gap_smin = ms(gap_err_.min()), gap_smax = ms(gap_err_.max());
    const double late_p50 = ms(late_.pct(50)), late_p99 = ms(late_.pct(99)), late_max = ms(late_.max());
    std::printf("%s: %u connections (%u connected) from %u source address(es), streaming, expected TTFT %.3f s, ITL "
                "%.3f s, %u tokens per stream%s\n",
                o_.label.c_str(), o_.connections, connected_,
                o_.sources ? o_.sources : default_sources(o_.connections), o_.ttft_s, o_.itl_s, o_.tokens,
                o_.tokens ? "" : " (not checked)");
    std::printf("  streams complete %" PRIu64 ", bad %" PRIu64 " (token count %" PRIu64 ", no [DONE] %" PRIu64
                ", error event %" PRIu64 "), non-2xx %" PRIu64 ", errors %" PRIu64 " (connect %" PRIu64 ", io %" PRIu64
                ", timeout %" PRIu64 ", framing %" PRIu64 ", closed %" PRIu64 "), in flight at the end %" PRIu64 "\n",
                streams_ok_, streams_bad_, bad_tokens_, bad_no_done_, bad_error_event_, non2xx_, errors, err_connect_,
                err_io_, err_timeout_, err_parse_, err_closed_, in_flight);
    std::printf("  %" PRIu64 " content token events, %.0f/s over %.2f s; client CPU %.2f s (%.0f%% of one core)\n",
                token_events_, double(token_events_) / secs, secs, cpu_s, 100.0 * cpu_s / wall_s);
    std::printf("  TTFT error ms (signed, %zu streams): p50 %.3f p99 %.3f max %.3f min %.3f\n", ttft_err_.us.size(),
                ttft_p50, ttft_p99, ttft_max, ttft_min);
    std::printf("  inter-token gap error ms (|gap - ITL|, %zu gaps): p50 %.3f p99 %.3f max %.3f; signed min %.3f max "
                "%.3f\n",
                gap_err_.us.size(), gap_p50, gap_p99, gap_max, gap_smin, gap_smax);
    std::printf("  token lateness against the schedule ms (signed, receipt - send - TTFT - k x ITL): p50 %.3f p99 %.3f "
                "max %.3f\n",
                late_p50, late_p99, late_max);
    sample_set k_gap_abs;
    k_gap_abs.us.reserve(k_gap_err_.us.size());
    for (int64_t v : k_gap_err_.us) k_gap_abs.us.push_back(v < 0 ? -v : v);
    const double k_ttft_p50 = ms(k_ttft_err_.pct(50)), k_ttft_p99 = ms(k_ttft_err_.pct(99));
    const double k_gap_p50 = ms(k_gap_abs.pct(50)), k_gap_p99 = ms(k_gap_abs.pct(99));
    const double k_late_p50 = ms(k_late_.pct(50)), k_late_p99 = ms(k_late_.pct(99));
    std::printf("  by the kernel's arrival stamps (SO_TIMESTAMPNS: the load tool's own delay left out; %zu tokens "
                "stamped): TTFT error p50 %.3f p99 %.3f, gap error p50 %.3f p99 %.3f, lateness p50 %.3f p99 %.3f\n",
                k_late_.us.size(), k_ttft_p50, k_ttft_p99, k_gap_p50, k_gap_p99, k_late_p50, k_late_p99);
    std::printf("RESULT stream label=%s connections=%u connected=%u streams_ok=%" PRIu64 " streams_bad=%" PRIu64
                " non2xx=%" PRIu64 " errors=%" PRIu64 " in_flight=%" PRIu64 " token_events=%" PRIu64
                " seconds=%.3f token_rate=%.1f client_cpu_s=%.3f ttft_err_p50_ms=%.3f ttft_err_p99_ms=%.3f"
                " ttft_err_max_ms=%.3f ttft_err_min_ms=%.3f gap_err_p50_ms=%.3f gap_err_p99_ms=%.3f gap_err_max_ms=%.3f"
                " gap_err_signed_min_ms=%.3f gap_err_signed_max_ms=%.3f late_p50_ms=%.3f late_p99_ms=%.3f"
                " late_max_ms=%.3f ttft_samples=%zu gap_samples=%zu k_ttft_err_p50_ms=%.3f k_ttft_err_p99_ms=%.3f"
                " k_gap_err_p50_ms=%.3f k_gap_err_p99_ms=%.3f k_late_p50_ms=%.3f k_late_p99_ms=%.3f k_stamped=%zu\n",
                o_.label.c_str(), o_.connections, connected_, streams_ok_, streams_bad_, non2xx_, errors, in_flight,
                token_events_, secs, double(token_events_) / secs, cpu_s, ttft_p50, ttft_p99, ttft_max, ttft_min,
                gap_p50, gap_p99, gap_max, gap_smin, gap_smax, late_p50, late_p99, late_max, ttft_err_.us.size(),
                gap_err_.us.size(), k_ttft_p50, k_ttft_p99, k_gap_p50, k_gap_p99, k_late_p50, k_late_p99,
                k_late_.us.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_options(argc, argv, o)) {
        usage();
        return 2;
    }
    bool body_given = false;
    for (int i = 1; i < argc; ++i) body_given = body_given || std::strcmp(argv[i], "--body") == 0;
    load l(o, body_given);
    return l.run();
}
