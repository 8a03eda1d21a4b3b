// worker: the request's way through one thread (see shared/design.md):
// accept4 -> record from the pool -> read into a lent buffer -> parser (resumes) -> route ->
// slot or 503 -> body parsed once -> buffer returned -> timer -> writev -> slot released once
// -> keep-alive.
//
// Syscalls per delayed request on a warm keep-alive connection: one read, one sendmsg, and
// the epoll_wait/timerfd wakeups shared by every request due in the same millisecond.
// Connections are registered once (EPOLLIN|EPOLLOUT|EPOLLRDHUP, edge-triggered): there is no
// per-request epoll_ctl. With edge triggering a short read means the socket is drained
// (a later arrival raises a new edge), so one read usually suffices.
#include "engine/worker.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

#include "engine/clock.hpp"
#include "engine/listener.hpp"
#include "engine/response.hpp"
#include "observe/routes.hpp"

namespace lms {

namespace {

constexpr uint64_t LISTEN_TAG = event_loop::TIMER_TAG - 1;
constexpr uint64_t WAKE_TAG = event_loop::TIMER_TAG - 2;
constexpr int MAX_EVENTS = 256;
constexpr int ACCEPT_BATCH = 64;        // accepts per wakeup: bounded work, fairness to clients
constexpr uint64_t LINGER_MS = 2000;    // how long an errored connection may keep sending
constexpr uint64_t ACCEPT_PAUSE_MS = 100;  // out of fds with no spare: stop accepting this long
// Read buffers all lent: the oldest partial request gives its buffer back (with a 408) once it
// has held it this long; younger ones are left alone and the newcomer waits for a buffer.
constexpr uint64_t RECLAIM_AFTER_MS = 250;
constexpr int RECLAIM_SCAN = 64;        // holders looked at per reclaim (bounded work)
constexpr size_t HEAD_MAX = 512;        // status line + headers (+ extra headers below)
constexpr size_t HEAD_ROOM = HEAD_MAX + 256;  // before the answer area in scratch_: the head goes there
constexpr size_t SLACK_BYTES = 8192;    // room for chunk framing and a pipelined next request
constexpr size_t PARSER_BYTES = (sizeof(http_parser) + 63) & ~size_t(63);
constexpr size_t SCRATCH_BYTES = 256 * 1024;  // the largest answer: metrics, embeddings, long bodies
constexpr size_t STREAM_OUT_MAX = 32 * 1024;  // events a slow stream reader may fall behind by

// The wheel ticks in 0.1 ms: a deadline is rounded up to the next tick, so answers and
// tokens leave at most a tick plus the loop's own latency after their time, never before.
constexpr uint64_t TICK_NS = 100000;
inline uint64_t now_tick() noexcept { return monotonic_ns() / TICK_NS; }
inline uint64_t ms_ticks(uint64_t ms) noexcept { return ms * (1000000 / TICK_NS); }
inline uint64_t tick_at(uint64_t ns) noexcept { return (ns + TICK_NS - 1) / TICK_NS; }

uint64_t splitmix64(uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

inline uint64_t conn_data(uint32_t index, uint32_t gen) noexcept { return (uint64_t(gen) << 32) | index; }

}  // namespace

// A lent read buffer: the parser's state, then the request's bytes.
struct worker::read_area {
    http_parser parser;
    char* bytes() noexcept { return reinterpret_cast<char*>(this) + PARSER_BYTES; }
};

size_t worker::read_buffer_bytes(const config& c) noexcept {
    return PARSER_BYTES + 8192 + c.max_body_bytes + SLACK_BYTES + chat_body_reader::PADDING;
}

worker::worker(server& s, unsigned index, int listen_fd, uint32_t max_connections, uint32_t read_buffers)
    : srv_(s),
      stats_(s.stats[index]),
      index_(index),
      listen_fd_(listen_fd),
      wheel_(now_tick()),
      buffers_(read_buffers, read_buffer_bytes(s.cfg) - chat_body_reader::PADDING, chat_body_reader::PADDING),
      body_reader_(s.cfg.max_body_bytes),
      conns_(max_connections),
      rng_(1) {
    limits_.max_body_bytes = s.cfg.max_body_bytes;
    read_capacity_ = buffers_.capacity() - PARSER_BYTES;
    scratch_size_ = SCRATCH_BYTES;
    scratch_.reset(new char[HEAD_ROOM + scratch_size_]);
    free_.reserve(max_connections);
    for (uint32_t i = max_connections; i-- > 0;) {
        free_.push_back(i);
    }
    if (int e = loop_.open(); e < 0) {
        throw std::runtime_error(std::string("epoll/timerfd: ") + strerror(-e));
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (wake_fd_ < 0 || loop_.add(wake_fd_, EPOLLIN, WAKE_TAG) < 0 || loop_.add(listen_fd_, EPOLLIN, LISTEN_TAG) < 0) {
        throw std::runtime_error(std::string("worker setup: ") + strerror(errno));
    }
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id_seed_ = splitmix64(uint64_t(ts.tv_nsec) ^ (uint64_t(ts.tv_sec) << 20) ^ uint64_t(getpid()));
    // SEED makes latency draws and faults reproducible; each worker has its own stream.
    rng_ = rng(s.cfg.seed != 0 ? splitmix64(s.cfg.seed + index) : splitmix64(id_seed_ + index));
    out_buf h(overload_headers_, sizeof overload_headers_);
    h.format("Retry-After: {}\r\n", s.cfg.retry_after_s);
    if (s.cfg.should_retry != retry_hint::none) {
        h.append(s.cfg.should_retry == retry_hint::yes ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n");
    }
    overload_headers_len_ = h.len;
    // 429s carry Retry-After and the milliseconds form the OpenAI SDKs read first.
    out_buf r(rate_limit_headers_, sizeof rate_limit_headers_);
    r.format("Retry-After: {}\r\nretry-after-ms: {}\r\n", s.cfg.retry_after_s, uint64_t(s.cfg.retry_after_s) * 1000);
    rate_limit_headers_len_ = r.len;
}

worker::~worker() {
    for (connection& c : conns_) {
        if (c.fd >= 0) {
            ::close(c.fd);
        }
    }
    for (int fd : {listen_fd_, wake_fd_, spare_fd_}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
}

void worker::stop() noexcept {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof one);
}

void worker::run() noexcept {
    epoll_event events[MAX_EVENTS];
    while (!done_) {
        uint64_t next = wheel_.next_wakeup();
        loop_.arm(next == ~uint64_t(0) ? next : next * TICK_NS);
        int n = loop_.wait(events, MAX_EVENTS, -1);
        // The clocks are read once per wakeup, not per request: admission times, "created",
        // Date, buffer ages and the header/idle deadlines of this batch all use the wakeup's
        // time (every request handled in it had arrived by then). Answers sent from timers
        // read the clock afresh (their lateness is measured, see answer_whole).
        refresh_clock();
        now_unix_ = unix_seconds();
        for (int i = 0; i < n; ++i) {
            uint64_t d = events[i].data.u64;
            if (d == event_loop::TIMER_TAG) {
                loop_.timer_fired();
            } else if (d == LISTEN_TAG) {
                on_accept();
            } else if (d == WAKE_TAG) {
                uint64_t v;
                [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof v);
                begin_drain();
            } else {
                connection& c = conns_[uint32_t(d)];
                if (c.gen == uint32_t(d >> 32) && c.phase != conn_phase::free) {
                    on_event(c, events[i].events);
                }
            }
        }
        resume_waiters();
        refresh_clock();  // the batch took time: timers due by now fire now
        if (now_tick_ >= wheel_.next_wakeup()) {
            wheel_.expire(now_tick_, [this](timer_entry* e) { on_timer(e); });
        }
        if (draining_ && open_ == 0) {
            done_ = true;
        }
    }
}

// ---- accepting ------------------------------------------------------------------------

void worker::on_accept() noexcept {
    for (int i = 0; i < ACCEPT_BATCH && listen_fd_ >= 0; ++i) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE) {
                if (!refuse_with_spare_fd()) {
                    pause_accepting();
                    return;
                }
                continue;
            }
            return;  // EAGAIN: the backlog is empty
        }
        if (free_.empty() || !srv_.connections.try_acquire()) {
            // No record here, or the server's connection budget (below the open-file limit)
            // is spent: refuse cleanly (the client sees the close at once, not a hang).
            ::close(fd);
            worker_stats::bump(stats_.connections_refused);
            continue;
        }
        uint32_t idx = free_.back();
        free_.pop_back();
        connection& c = conns_[idx];
        c.fd = fd;
        c.phase = conn_phase::reading;
        c.keep_alive = true;
        c.readable = false;
        c.holds_slot = false;
        c.head_only = false;
        c.in = c.out = nullptr;
        configure_accepted(fd);
        if (loop_.add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, conn_data(idx, c.gen)) < 0) {
            ::close(fd);
            c.fd = -1;
            c.phase = conn_phase::free;
            free_.push_back(idx);
            srv_.connections.release();
            worker_stats::bump(stats_.connections_refused);
            continue;
        }
        ++open_;
        worker_stats::bump(stats_.connections_accepted);
        // The first request must arrive within the header timeout (nginx's client_header_timeout).
        set_timer(c, timer_kind::header, now_tick() + ms_ticks(srv_.cfg.header_timeout_ms));
    }
}

// Out of file descriptors (rare: the connection budget keeps us below the limit, but the
// process may use fds for other things): the pending connection cannot be accepted, and a
// level-triggered listener would wake us forever. Give up the reserved fd, accept and close
// one connection, take the fd back (the "EMFILE trick" of libev/libuv). The client gets a
// clean close instead of a hang. False when that was not possible (no spare fd, or another
// worker took the freed one): the caller pauses accepting instead of spinning.
bool worker::refuse_with_spare_fd() noexcept {
    if (spare_fd_ < 0) {
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (spare_fd_ < 0) {
            return false;
        }
    }
    ::close(spare_fd_);
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    int err = errno;
    if (fd >= 0) {
        ::close(fd);
        worker_stats::bump(stats_.connections_refused);
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return spare_fd_ >= 0 && (fd >= 0 || err == EAGAIN || err == ECONNABORTED || err == EINTR);
}

// nginx's answer to EMFILE (ngx_disable_accept_events): stop listening for a while. The
// pending connections wait in the listen queue; close_conn takes a spare fd back first.
void worker::pause_accepting() noexcept {
    if (accept_paused_ || listen_fd_ < 0) {
        return;
    }
    loop_.remove(listen_fd_);
    accept_paused_ = true;
    wheel_.insert(&accept_timer_, now_tick() + ms_ticks(ACCEPT_PAUSE_MS));
}

void worker::resume_accepting() noexcept {
    accept_paused_ = false;
    if (listen_fd_ >= 0 && loop_.add(listen_fd_, EPOLLIN, LISTEN_TAG) < 0) {
        pause_accepting();  // cannot even watch it (ENOMEM): try again later
    }
}

// ---- events ---------------------------------------------------------------------------

void worker::on_event(connection& c, uint32_t ev) noexcept {
    if (ev & (EPOLLERR | EPOLLHUP)) {
        close_conn(c, true);
        return;
    }
    if ((ev & EPOLLOUT) && c.out != nullptr) {
        flush(c);
        if (c.phase == conn_phase::free) {
            return;
        }
    }
    if (!(ev & (EPOLLIN | EPOLLRDHUP))) {
        return;
    }
    c.readable = true;
    switch (c.phase) {
    case conn_phase::reading:
        do_read(c);
        break;
    case conn_phase::waiting:
    case conn_phase::streaming:
        // The client went away (FIN) while its answer was pending: abort the generation and
        // free the slot now, as a real LLM server does. Pipelined input (EPOLLIN alone) waits.
        if (ev & EPOLLRDHUP) {
            close_conn(c, true);
        }
        break;
    case conn_phase::lingering: {
        for (;;) {
            ssize_t r = ::read(c.fd, scratch_.get(), scratch_size_);
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                close_conn(c, false);
                return;
            }
            if (r < 0 && errno == EAGAIN) {
                break;
            }
        }
        break;
    }
    default:
        break;  // sending: input waits until the response is out (no unbounded buffering)
    }
}

void worker::on_timer(timer_entry* e) noexcept {
    if (e == &accept_timer_) {
        resume_accepting();
        return;
    }
    if (e == &reclaim_timer_) {
        resume_waiters();
        return;
    }
    if (e == &drain_timer_) {
        // The drain deadline: whatever is still open is cut.
        for (connection& c : conns_) {
            if (c.phase != conn_phase::free) {
                close_conn(c, c.holds_slot);
            }
        }
        done_ = true;
        return;
    }
    connection& c = *reinterpret_cast<connection*>(e);  // timer is the first member
    timer_kind k = c.timer_for;
    c.timer_for = timer_kind::none;
    switch (k) {
    case timer_kind::answer:
        if (c.phase == conn_phase::streaming) {
            stream_step(c);
        } else {
            answer_whole(c, true);
        }
        if (c.phase == conn_phase::reading) {
            resume(c);
        }
        break;
    case timer_kind::header:
        if (c.waiting_buffer) {
            // It sent bytes we never read (no buffer came free in time): still owed an answer.
            leave_wait_list(c);
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, 408, "The request was not received within HEADER_TIMEOUT_SECONDS (the server's read "
                          "buffers were all in use).", "", "");
        } else if (c.in != nullptr && c.in->len > 0) {
            // RFC 9110 §15.5.9: the request was not completed in time.
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, 408, "The request was not received within HEADER_TIMEOUT_SECONDS.", "", "");
        } else {
            close_conn(c, false);  // nothing was sent: close quietly
        }
        break;
    case timer_kind::idle:
    case timer_kind::linger:
        close_conn(c, false);
        break;
    case timer_kind::none:
        break;
    }
}

// ---- reading and parsing ----------------------------------------------------------------

void worker::do_read(connection& c) noexcept {
    while (c.phase == conn_phase::reading && c.readable) {
        if (c.in == nullptr) {
            if (c.waiting_buffer) {
                return;  // queued already: resume_waiters() reads it
            }
            if (!acquire_in(c)) {
                wait_for_buffer(c);  // resumed by resume_waiters() when a buffer comes back
                return;
            }
        }
        auto* ra = reinterpret_cast<read_area*>(c.in->data());
        size_t room = read_capacity_ - c.in->len;
        if (room == 0) {
            process(c);  // a full buffer: the parser decides (complete request, or too large)
            if (c.in != nullptr && c.in->len == read_capacity_) {
                return;  // still full: the current request's answer is pending
            }
            continue;
        }
        ssize_t r = ::read(c.fd, ra->bytes() + c.in->len, room);
        if (r > 0) {
            c.in->len += uint32_t(r);
            if (size_t(r) < room) {
                c.readable = false;
            }
            process(c);
            // The first bytes of a request start its header timeout. Armed only when they
            // did not make a whole request: one that completed was answered (or is waiting)
            // and set its own timer, so the common case costs no header timer at all.
            if (c.timer_for == timer_kind::idle && c.phase == conn_phase::reading && c.in != nullptr &&
                c.in->len > 0) {
                set_timer(c, timer_kind::header, now_tick_ + ms_ticks(srv_.cfg.header_timeout_ms));
            }
            continue;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            c.readable = false;
            break;
        }
        // EOF or ECONNRESET: the client is gone. A partial request cannot be answered.
        close_conn(c, c.holds_slot);
        return;
    }
    if (c.phase == conn_phase::reading && c.in != nullptr && c.in->len == 0) {
        release_in(c);
    }
}

void worker::process(connection& c) noexcept {
    while (c.phase == conn_phase::reading && c.in != nullptr && c.in->len > 0) {
        auto* ra = reinterpret_cast<read_area*>(c.in->data());
        char* bytes = ra->bytes();
        switch (ra->parser.parse(bytes, c.in->len)) {
        case parse_result::incomplete:
            if (c.in->len == read_capacity_) {
                // The request does not fit the buffer: bounded memory, refuse it.
                c.keep_alive = false;
                c.current = route::bad_request;
                if (ra->parser.in_body()) {
                    respond_error(c, 413, "The request body (with its chunk framing) is too large.", "", "");
                } else {
                    respond_error(c, 431, "The request header section is too large.", "", "");
                }
            }
            return;
        case parse_result::headers_done:
            on_headers(c, *ra);
            break;
        case parse_result::error:
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, ra->parser.error_status(), ra->parser.error_message(), "", "");
            return;
        case parse_result::complete: {
            size_t used = ra->parser.consumed();
            if (c.timer_for == timer_kind::header || c.timer_for == timer_kind::idle) {
                // No timeout while the request is answered (an idle timer is still armed when
                // the request came whole in one read, see do_read).
                wheel_.cancel(&c.timer);
                c.timer_for = timer_kind::none;
            }
            handle(c, *ra);
            // The request's bytes are no longer needed (body parsed, model copied): move any
            // pipelined bytes to the front and start the next request's parse.
            if (c.in != nullptr) {
                size_t left = c.in->len - used;
                std::memmove(bytes, bytes + used, left);
                c.in->len = uint32_t(left);
                ra->parser.reset();
                if (left == 0) {
                    release_in(c);
                }
            }
            break;
        }
        }
    }
}

// After an answer went out: parse what was pipelined, then read what arrived meanwhile.
void worker::resume(connection& c) noexcept {
    process(c);
    if (c.phase == conn_phase::reading && c.readable) {
        do_read(c);
    }
}

void worker::on_headers(connection& c, read_area& ra) noexcept {
    const http_request& rq = ra.parser.request();
    // RFC 9110 §10.1.1: answer 100 (Continue) so that clients waiting for it send the body
    // now; curl waits a second otherwise. A tiny write: a short one is not worth a buffer.
    if (rq.expect_continue && rq.version_minor == 1 && (rq.chunked || (rq.has_content_length && rq.content_length))) {
        static constexpr char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";
        [[maybe_unused]] ssize_t r = ::send(c.fd, CONTINUE, sizeof CONTINUE - 1, MSG_NOSIGNAL);
    }
}

void worker::handle(connection& c, read_area& ra) noexcept {
    const http_request& rq = ra.parser.request();
    char* bytes = ra.bytes();
    c.keep_alive = rq.keep_alive && !draining_;
    c.head_only = rq.method == http_method::head;
    route_match m = match_route(rq.method, ra.parser.target(bytes));
    c.current = m.r;
    if (m.r == route::not_found) {
        char msg[160];
        out_buf o(msg, sizeof msg);
        o.format("Invalid URL ({} {}).", ra.parser.method_name(bytes), ra.parser.target(bytes).substr(0, 100));
        respond_error(c, 404, o.view(), "", "");
        return;
    }
    if (!m.method_ok) {
        char allow[64];
        out_buf a(allow, sizeof allow);
        a.format("Allow: {}\r\n", m.allow);
        char msg[160];
        out_buf o(msg, sizeof msg);
        o.format("Method {} is not allowed on this path; allowed: {}.", ra.parser.method_name(bytes).substr(0, 32),
                 m.allow);
        respond_error(c, 405, o.view(), "", a.view());
        return;
    }
    switch (m.r) {
    case route::chat:
        handle_generate(c, ra, answer_api::chat);
        return;
    case route::completions:
        handle_generate(c, ra, answer_api::completion);
        return;
    case route::embeddings:
        handle_embeddings(c, ra);
        return;
    case route::models: {
        out_buf b(scratch_.get(), scratch_size_);
        render_models(b, srv_.cfg.models, srv_.start_unix);
        respond(c, 200, "application/json", b.view(), "");
        return;
    }
    case route::health: {
        out_buf b(scratch_.get(), HEALTH_BODY_MAX);
        int status = render_health(b, srv_);
        respond(c, status, "application/json", b.view(), "");
        return;
    }
    case route::metrics: {
        out_buf b(scratch_.get(), METRICS_BODY_MAX);
        render_metrics(b, srv_);
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.view(), "");
        return;
    }
    default:
        return;
    }
}

namespace {

// X-Mock-* and X-Return-Error: one request's own behaviour.
struct overrides {
    bool has_delay = false;
    bool has_ttft = false;
    bool has_itl = false;
    bool has_tokens = false;
    uint64_t delay_ms = 0;
    uint64_t ttft_ms = 0;
    uint64_t itl_ms = 0;
    uint32_t tokens = 0;
    int return_error = 0;
};

// ASCII case-insensitive: name equals lower (a lowercase literal).
bool is_lower_literal(std::string_view name, std::string_view lower) noexcept {
    if (name.size() != lower.size()) {
        return false;
    }
    for (size_t i = 0; i < name.size(); ++i) {
        char ch = name[i];
        if (ch >= 'A' && ch <= 'Z') {
            ch = char(ch + ('a' - 'A'));
        }
        if (ch != lower[i]) {
            return false;
        }
    }
    return true;
}

// nullptr, or a static message naming the bad header.
// One pass over the header fields, with a first-byte and length dispatch so that ordinary
// fields cost a compare or two (five case-insensitive lookups by name cost ~280 instructions
// per request). As with http_parser::header(), the FIRST field of a name counts (an empty
// one counts as absent), and the checks run in the same order: delay, TTFT, ITL, tokens, error.
const char* parse_overrides(const http_parser& p, const char* buf, overrides& o) noexcept {
    enum { delay, ttft, itl, tokens, error, count };
    std::string_view v[count];
    bool seen[count] = {};
    const http_request& rq = p.request();
    for (uint32_t i = 0; i < rq.header_count; ++i) {
        const http_header& h = rq.headers[i];
        if (h.name_len < 10 || (buf[h.name_off] | 0x20) != 'x') {
            continue;
        }
        const std::string_view name(buf + h.name_off, h.name_len);
        int k = count;
        switch (h.name_len) {
        case 10: k = is_lower_literal(name, "x-mock-itl") ? itl : count; break;
        case 11: k = is_lower_literal(name, "x-mock-ttft") ? ttft : count; break;
        case 12: k = is_lower_literal(name, "x-mock-delay") ? delay : count; break;
        case 14: k = is_lower_literal(name, "x-return-error") ? error : count; break;
        case 20: k = is_lower_literal(name, "x-mock-output-tokens") ? tokens : count; break;
        default: break;
        }
        if (k != count && !seen[k]) {
            seen[k] = true;
            v[k] = std::string_view(buf + h.value_off, h.value_len);
        }
    }
    if (v[delay].empty() && v[ttft].empty() && v[itl].empty() && v[tokens].empty() && v[error].empty()) {
        return nullptr;  // the usual case: no override
    }
    struct seconds_header {
        int at;
        bool overrides::*has;
        uint64_t overrides::*ms;
        const char* bad;
    };
    static constexpr seconds_header SECONDS[] = {
        {delay, &overrides::has_delay, &overrides::delay_ms,
         "Invalid X-Mock-Delay header: expected a number of seconds such as 0.5."},
        {ttft, &overrides::has_ttft, &overrides::ttft_ms,
         "Invalid X-Mock-TTFT header: expected a number of seconds such as 0.5."},
        {itl, &overrides::has_itl, &overrides::itl_ms,
         "Invalid X-Mock-ITL header: expected a number of seconds such as 0.02."},
    };
    for (const seconds_header& h : SECONDS) {
        if (v[h.at].empty()) {
            continue;
        }
        if (!parse_seconds_ms(v[h.at], o.*h.ms) || o.*h.ms > 3600 * 1000) {
            return h.bad;
        }
        o.*h.has = true;
    }
    auto number = [](std::string_view s, uint64_t& n) {
        if (s.empty() || s.size() > 9) {
            return false;
        }
        n = 0;
        for (char ch : s) {
            if (ch < '0' || ch > '9') {
                return false;
            }
            n = n * 10 + uint64_t(ch - '0');
        }
        return true;
    };
    uint64_t n;
    if (!v[tokens].empty()) {
        if (!number(v[tokens], n) || n == 0) {
            return "Invalid X-Mock-Output-Tokens header: expected a positive whole number.";
        }
        o.has_tokens = true;
        o.tokens = uint32_t(n);
    }
    if (!v[error].empty()) {
        if (!number(v[error], n) || n < 400 || n > 599) {
            return "Invalid X-Return-Error header: expected an HTTP status from 400 to 599.";
        }
        o.return_error = int(n);
    }
    return nullptr;
}

}  // namespace

double worker::load_multiplier() const noexcept {
    if (srv_.cfg.load_factor == 0) {
        return 1;
    }
    return 1 + srv_.cfg.load_factor * double(srv_.slots.active()) / double(srv_.slots.limit());
}

uint64_t worker::itl_ns(connection& c) noexcept {
    if (c.itl_us != connection::NO_OVERRIDE) {
        return uint64_t(c.itl_us) * 1000;
    }
    return uint64_t(srv_.cfg.itl.sample(rng_) * load_multiplier() * 1e9);
}

std::string_view worker::answer_text(const connection& c) const noexcept {
    return c.echo != nullptr ? std::string_view(c.echo->data(), c.echo->len) : srv_.text;
}

std::string_view worker::answer_id(const connection& c, char out[41]) const noexcept {
    return format_answer_id(c.api, splitmix64(id_seed_ + c.id_n), splitmix64(c.id_n ^ ~id_seed_), out);
}

void worker::handle_generate(connection& c, read_area& ra, answer_api api) noexcept {
    const config& cfg = srv_.cfg;
    const http_parser& p = ra.parser;
    std::string_view retry_headers(overload_headers_, overload_headers_len_);
    overrides ov;
    if (cfg.allow_overrides) {
        if (const char* bad = parse_overrides(p, ra.bytes(), ov)) {
            respond_error(c, 400, bad, "", "");
            return;
        }
        if (ov.return_error != 0) {
            respond_error(c, ov.return_error, "Error injected by the X-Return-Error request header.", "",
                          ov.return_error == 429   ? std::string_view(rate_limit_headers_, rate_limit_headers_len_)
                          : ov.return_error == 503 ? retry_headers
                                                   : std::string_view());
            return;
        }
    }
    if (draining_) {
        c.keep_alive = false;
        respond_error(c, 503, "The server is shutting down.", "", retry_headers);
        return;
    }
    // The slot first: a full server answers 503 in microseconds, without parsing the body.
    if (!srv_.slots.try_acquire()) {
        worker_stats::bump(stats_.overload_rejections);
        respond_error(c, 503, "The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.", "",
                      retry_headers);
        return;
    }
    c.holds_slot = true;
    const http_request& rq = p.request();
    chat_request body;
    body_error err;
    bool ok = api == answer_api::chat ? body_reader_.read(ra.bytes() + rq.body_off, rq.body_len, body, err)
                                      : body_reader_.read_completion(ra.bytes() + rq.body_off, rq.body_len, body, err);
    auto refuse = [&](int status, std::string_view message, std::string_view param, std::string_view headers) {
        srv_.slots.release();
        c.holds_slot = false;
        respond_error(c, status, message, param, headers);
    };
    if (!ok) {
        refuse(400, err.message, err.param, "");
        return;
    }
    std::string_view model = body.model.empty() ? std::string_view("qwen-plus") : body.model;
    if (model.size() > connection::MODEL_MAX) {
        refuse(400, "Invalid 'model': longer than 96 bytes.", "model", "");
        return;
    }
    // Faults, drawn from the worker's seeded stream: errors at once (no slot kept) ...
    double u = rng_.uniform();
    if (u < cfg.fault_429 + cfg.fault_500 + cfg.fault_503) {
        fault f = u < cfg.fault_429 ? fault::http_429 : u < cfg.fault_429 + cfg.fault_500 ? fault::http_500 : fault::http_503;
        worker_stats::bump(stats_.faults[unsigned(f)]);
        if (f == fault::http_429) {
            refuse(429, "Rate limit reached for requests (injected). Please try again later.", "",
                   std::string_view(rate_limit_headers_, rate_limit_headers_len_));
        } else if (f == fault::http_500) {
            refuse(500, "The server had an error while processing your request (injected).", "", "");
        } else {
            refuse(503, "The engine is currently overloaded (injected). Please try again later.", "", retry_headers);
        }
        return;
    }
    // ... and the ones that strike mid-answer.
    double v = rng_.uniform();
    c.fault_kind = fault::none;
    if (v < cfg.fault_disconnect) {
        c.fault_kind = fault::disconnect;
    } else if (v < cfg.fault_disconnect + cfg.fault_stall) {
        c.fault_kind = fault::stall;
    } else if (body.stream && v < cfg.fault_disconnect + cfg.fault_stall + cfg.fault_stream_error) {
        c.fault_kind = fault::stream_error;
    }
    c.fault_at = cfg.fault_after_tokens;

    // What to say: the server's text, or the last user message (echo), cut into tokens.
    uint32_t natural = srv_.text_tokens;
    if (cfg.content == content_mode::echo && !body.last_user.empty()) {
        c.echo = buffers_.acquire();
        if (c.echo == nullptr) {
            refuse(503, "The server has no buffer free to echo this message. Retry later.", "", retry_headers);
            return;
        }
        size_t n = body.last_user.size() < buffers_.capacity() ? body.last_user.size() : buffers_.capacity();
        std::memcpy(c.echo->data(), body.last_user.data(), n);
        c.echo->len = uint32_t(n);
        natural = count_tokens(answer_text(c));
    }
    if (cfg.output_tokens != 0) {
        natural = cfg.output_tokens;
    }
    if (ov.has_tokens) {
        natural = ov.tokens;
    }
    natural = natural > cfg.max_output_tokens ? cfg.max_output_tokens : natural == 0 ? 1 : natural;
    c.tokens_total = natural;
    c.finish_length = false;
    if (body.has_max_tokens && body.max_tokens < natural) {
        c.tokens_total = uint32_t(body.max_tokens);
        c.finish_length = true;
    }
    std::memcpy(c.model, model.data(), model.size());
    c.model_len = uint8_t(model.size());
    c.api = api;
    c.stream = body.stream;
    c.include_usage = body.stream && body.include_usage;
    c.prompt_tokens = estimate_prompt_tokens(body.prompt_bytes);
    c.tokens_sent = 0;
    c.text_off = 0;
    c.headers_sent = false;
    c.last_token_ns = 0;
    c.chunked = rq.version_minor == 1;
    c.itl_us = ov.has_itl ? uint32_t(ov.itl_ms * 1000) : connection::NO_OVERRIDE;
    const bool timed = c.stream || cfg.has_ttft || ov.has_ttft || ov.has_itl;
    c.original_body = api == answer_api::chat && !timed && cfg.content == content_mode::original &&
                      cfg.output_tokens == 0 && !ov.has_tokens && !body.has_max_tokens;
    c.id_n = (uint64_t(index_) << 48) + id_counter_++;
    c.created = now_unix_;
    c.admitted_ns = now_ns_;
    worker_stats::bump(stats_.prompt_tokens, c.original_body ? 3019 : c.prompt_tokens);

    // When: the plain delay, or TTFT (+ ITL per further token for a whole answer), each drawn
    // from its latency model and stretched by the load factor. Streams then schedule every
    // token on absolute times (admitted + TTFT + the ITL draws), so errors never accumulate.
    const double lf = load_multiplier();
    uint64_t first_ns;
    if (!timed) {
        first_ns = ov.has_delay ? ov.delay_ms * 1000000 : uint64_t(cfg.delay_model.sample(rng_) * lf * 1e9);
    } else {
        first_ns = ov.has_ttft ? ov.ttft_ms * 1000000
                               : uint64_t((cfg.has_ttft ? cfg.ttft : cfg.delay_model).sample(rng_) * lf * 1e9);
        if (!c.stream) {
            for (uint32_t k = 1; k < c.tokens_total; ++k) {
                first_ns += itl_ns(c);
            }
        }
    }
    if (!c.stream && c.fault_kind == fault::stall) {
        first_ns += cfg.fault_stall_ms * 1000000;  // a whole answer stalls as one long delay
    }
    c.due_ns = c.admitted_ns + first_ns;
    if (!c.stream) {
        if (first_ns == 0) {
            answer_whole(c, false);
            return;
        }
        c.phase = conn_phase::waiting;
        set_timer(c, timer_kind::answer, tick_at(c.due_ns));
        return;
    }
    c.phase = conn_phase::streaming;
    uint64_t keepalive_ns = cfg.sse_keepalive_ms * 1000000;
    if (keepalive_ns != 0 && first_ns > keepalive_ns) {
        // Headers now, then ": keep-alive" comments until the first token.
        stream_write(c, {}, false);
        if (c.phase == conn_phase::streaming) {
            set_timer(c, timer_kind::answer, tick_at(c.admitted_ns + keepalive_ns));
        }
        return;
    }
    set_timer(c, timer_kind::answer, tick_at(c.due_ns));
}

void worker::handle_embeddings(connection& c, read_area& ra) noexcept {
    if (srv_.cfg.allow_overrides) {
        overrides ov;
        if (const char* bad = parse_overrides(ra.parser, ra.bytes(), ov)) {
            respond_error(c, 400, bad, "", "");
            return;
        }
        if (ov.return_error != 0) {
            respond_error(c, ov.return_error, "Error injected by the X-Return-Error request header.", "", "");
            return;
        }
    }
    const http_request& rq = ra.parser.request();
    body_error err;
    if (!body_reader_.read_embeddings(ra.bytes() + rq.body_off, rq.body_len, embedding_, err)) {
        respond_error(c, 400, err.message, err.param, "");
        return;
    }
    uint32_t dims = embedding_.dimensions != 0 ? embedding_.dimensions : srv_.cfg.embedding_dimensions;
    std::string_view model = embedding_.model.empty() ? std::string_view("text-embedding-v3") : embedding_.model;
    uint32_t tokens = estimate_prompt_tokens(embedding_.prompt_bytes);
    out_buf b(scratch_.get(), scratch_size_);
    render_embeddings(b, embedding_, dims, model.substr(0, connection::MODEL_MAX), tokens);
    if (b.truncated) {
        respond_error(c, 413, "The embeddings answer would exceed 256 KiB: send fewer inputs or ask for fewer dimensions.",
                      "input", "");
        return;
    }
    worker_stats::bump(stats_.prompt_tokens, tokens);
    respond(c, 200, "application/json", b.view(), "");
}

// A whole (non-streamed) answer, at its time.
void worker::answer_whole(connection& c, bool from_timer) noexcept {
    if (c.fault_kind == fault::disconnect) {
        worker_stats::bump(stats_.faults[unsigned(fault::disconnect)]);
        reset_connection(c);
        return;
    }
    if (c.fault_kind == fault::stall) {
        worker_stats::bump(stats_.faults[unsigned(fault::stall)]);
    }
    char idbuf[41];
    std::string_view id = answer_id(c, idbuf);
    std::string_view model(c.model, c.model_len);
    if (c.original_body && send_original_answer(c, id, from_timer)) {
        return;
    }
    out_buf b(answer_area(), scratch_size_);
    if (c.original_body) {
        render_chat_body(b, chat_reply{id, c.created, model});
    } else {
        answer_meta m{c.api, id, c.created, model, false};
        render_full_body(b, m, answer_text(c), c.tokens_total, c.finish_length ? "length" : "stop",
                         usage_counts{c.prompt_tokens, c.tokens_total});
    }
    // Served now: from a timer, the clock read afresh (a batch of timers takes time, and the
    // lateness histogram must show it); at delay 0, the admission time itself.
    uint64_t now = from_timer ? monotonic_ns() : c.admitted_ns;
    stats_.observe_delay((now - c.admitted_ns) / 1000, (c.due_ns - c.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, c.original_body ? 104 : c.tokens_total);
    worker_stats::bump(c.finish_length ? stats_.finished_length : stats_.finished_stop);
    c.phase = conn_phase::reading;  // respond() moves it on
    if (b.truncated) {
        respond_error(c, 500, "The answer does not fit the server's answer buffer.", "", "");
    } else {
        respond(c, 200, "application/json", b.view(), "");
    }
    end_answer(c);
}

// The original service's body, sent from the pre-rendered answer: answers of the same second
// (created and Date), model and keep-alive are the same bytes up to their id, so the head and
// the body up to the id are rendered once and each answer adds only its id. The bytes are
// those of answer_whole's general path (same render_head and render_chat_body); false, with
// nothing sent, when the answer does not fit (that path then answers).
bool worker::send_original_answer(connection& c, std::string_view id, bool from_timer) noexcept {
    if (c.head_only) {
        return false;
    }
    static constexpr std::string_view TAIL = "\"}";  // render_chat_body ends with the id and this
    const std::string_view model(c.model, c.model_len);
    const std::string_view d = date();
    answer_prefix& a = prefix_;
    if (a.len == 0 || a.created != c.created || a.date_sec != date_sec_ || a.keep_alive != c.keep_alive ||
        a.id_len != id.size() || std::string_view(a.model, a.model_len) != model) {
        out_buf b(answer_area(), scratch_size_);
        render_chat_body(b, chat_reply{id, c.created, model});
        const size_t tail = id.size() + TAIL.size();
        out_buf h(a.bytes, sizeof a.bytes - tail);
        render_head(h, 200, "application/json", b.len, c.keep_alive, d, "");
        if (b.truncated || b.len < tail) {
            a.len = 0;
            return false;
        }
        h.append(b.view().substr(0, b.len - tail));
        if (h.truncated) {
            a.len = 0;
            return false;
        }
        a.len = h.len;
        a.created = c.created;
        a.date_sec = date_sec_;
        a.keep_alive = c.keep_alive;
        a.id_len = uint8_t(id.size());
        std::memcpy(a.model, model.data(), model.size());
        a.model_len = c.model_len;
    }
    std::memcpy(a.bytes + a.len, id.data(), id.size());
    std::memcpy(a.bytes + a.len + id.size(), TAIL.data(), TAIL.size());
    // What answer_whole's general path records, in the same order.
    uint64_t now = from_timer ? monotonic_ns() : c.admitted_ns;
    stats_.observe_delay((now - c.admitted_ns) / 1000, (c.due_ns - c.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, 104);
    worker_stats::bump(c.finish_length ? stats_.finished_length : stats_.finished_stop);
    c.phase = conn_phase::reading;  // send_iov() moves it on
    worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(200)]);
    iovec one = {a.bytes, a.len + id.size() + TAIL.size()};
    send_iov(c, &one, 1, true);
    end_answer(c);
    return true;
}

// The slot and the echo text go back when the answer is out (or the client is gone).
void worker::end_answer(connection& c) noexcept {
    if (c.holds_slot) {
        srv_.slots.release();
        c.holds_slot = false;
    }
    if (c.echo != nullptr) {
        buffers_.release(c.echo);
        c.echo = nullptr;
    }
}

// An injected disconnect: a reset, as when a real server's process dies mid-answer.
void worker::reset_connection(connection& c) noexcept {
    ::linger l{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close_conn(c, false);
}

// One timer event of a stream: a keep-alive comment before the first token, or every token
// now due (one, unless the loop fell behind), and after the last one the finish chunk, the
// usage chunk when asked for, and [DONE] — all in one write.
void worker::stream_step(connection& c) noexcept {
    const uint64_t now = monotonic_ns();
    out_buf ev(scratch_.get(), scratch_size_ / 2);
    if (now < c.due_ns && c.tokens_sent == 0) {
        ev.append(": keep-alive\n\n");
        stream_write(c, ev.view(), false);
        if (c.phase == conn_phase::streaming) {
            uint64_t next = now + srv_.cfg.sse_keepalive_ms * 1000000;
            set_timer(c, timer_kind::answer, tick_at(next < c.due_ns ? next : c.due_ns));
        }
        return;
    }
    char idbuf[41];
    answer_meta m{c.api, answer_id(c, idbuf), c.created, std::string_view(c.model, c.model_len), c.include_usage};
    std::string_view text = answer_text(c);
    bool last = false;
    while (c.tokens_sent < c.tokens_total && c.due_ns <= now && ev.len < scratch_size_ / 4) {
        if (c.fault_kind != fault::none && c.tokens_sent == c.fault_at) {
            fault f = c.fault_kind;
            c.fault_kind = fault::none;
            worker_stats::bump(stats_.faults[unsigned(f)]);
            if (f == fault::stall) {
                c.due_ns = now + srv_.cfg.fault_stall_ms * 1000000;  // the schedule resumes from here
                break;
            }
            if (f == fault::disconnect) {
                if (ev.len != 0) {
                    stream_write(c, ev.view(), false);
                }
                if (c.phase == conn_phase::streaming) {
                    reset_connection(c);
                }
                return;
            }
            render_error_event(ev, "The server had an error while generating the answer (injected).", "server_error",
                               "server_error");
            last = true;
            break;
        }
        if (c.tokens_sent == 0 && c.api == answer_api::chat) {
            render_role_event(ev, m);
        }
        size_t off = c.text_off < text.size() ? c.text_off : 0;
        size_t len = token_length(text, off);
        render_token_event(ev, m, text.substr(off, len));
        c.text_off = uint32_t(off + len);
        if (c.tokens_sent == 0) {
            stats_.ttft.observe(DELAY_BUCKETS, (now - c.admitted_ns) / 1000);
        } else {
            stats_.itl.observe(ITL_BUCKETS, (now - c.last_token_ns) / 1000);
        }
        stats_.late.observe(LATE_BUCKETS, (now - c.due_ns) / 1000);
        c.last_token_ns = now;
        ++c.tokens_sent;
        worker_stats::bump(stats_.generated_tokens);
        c.due_ns += itl_ns(c);
    }
    if (!last && c.tokens_sent == c.tokens_total) {
        render_finish_event(ev, m, c.finish_length ? "length" : "stop");
        if (c.include_usage) {
            render_usage_event(ev, m, usage_counts{c.prompt_tokens, c.tokens_sent});
        }
        render_done_event(ev);
        worker_stats::bump(c.finish_length ? stats_.finished_length : stats_.finished_stop);
        last = true;
    }
    if (last) {
        stats_.delay.observe(DELAY_BUCKETS, (now - c.admitted_ns) / 1000);
    }
    stream_write(c, ev.view(), last);
    if (c.phase == conn_phase::streaming) {
        set_timer(c, timer_kind::answer, tick_at(c.due_ns));
    }
}

// Frames events for the wire — the response head before the first event, then one HTTP
// chunk per write (HTTP/1.1) or raw bytes until close (HTTP/1.0) — and sends them.
void worker::stream_write(connection& c, std::string_view events, bool last) noexcept {
    char head[HEAD_MAX];
    out_buf h(head, sizeof head);
    if (!c.headers_sent) {
        if (!c.chunked) {
            c.keep_alive = false;  // HTTP/1.0: the stream ends with the connection
        }
        h.format("HTTP/1.1 200 OK\r\nServer: llm-mock-server\r\nDate: {}\r\nContent-Type: text/event-stream; "
                 "charset=utf-8\r\nCache-Control: no-cache\r\n{}{}",
                 date(), c.chunked ? "Transfer-Encoding: chunked\r\n" : "",
                 c.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
        c.headers_sent = true;
        worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(200)]);
    }
    char size_line[24];
    out_buf sl(size_line, sizeof size_line);
    if (c.chunked && !events.empty()) {
        sl.format("{:x}\r\n", events.size());
    }
    static constexpr char CRLF[] = "\r\n";
    static constexpr char LAST_CHUNK[] = "0\r\n\r\n";
    iovec iov[5];
    int n = 0;
    auto add = [&](const char* p, size_t len) {
        if (len != 0) {
            iov[n++] = {const_cast<char*>(p), len};
        }
    };
    add(head, h.len);
    add(size_line, sl.len);
    add(events.data(), events.size());
    if (c.chunked && !events.empty()) {
        add(CRLF, 2);
    }
    if (c.chunked && last) {
        add(LAST_CHUNK, 5);
    }
    if (last) {
        end_answer(c);
    }
    if (n != 0) {
        send_iov(c, iov, n, last);
    } else if (last) {
        finish_response(c);
    }
}

// ---- writing ----------------------------------------------------------------------------

void worker::respond(connection& c, int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers) noexcept {
    char head[HEAD_MAX + 256];
    out_buf h(head, sizeof head);
    render_head(h, status, content_type, body.size(), c.keep_alive, date(), extra_headers);
    worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(status)]);
    const size_t body_len = c.head_only ? 0 : body.size();
    if (body.data() == answer_area() && h.len <= HEAD_ROOM) {
        // Rendered in the answer area: the head goes just before it, and one send() with one
        // buffer costs the kernel less than sendmsg() with two.
        char* start = answer_area() - h.len;
        std::memcpy(start, head, h.len);
        iovec one = {start, h.len + body_len};
        send_iov(c, &one, 1, true);
        return;
    }
    iovec iov[2] = {{head, h.len}, {const_cast<char*>(body.data()), body_len}};
    send_iov(c, iov, 2, true);
}

void worker::respond_error(connection& c, int status, std::string_view message, std::string_view param,
                           std::string_view extra_headers) noexcept {
    error_kind k = error_kind_for(status);
    out_buf b(answer_area(), 2048);
    render_error_body(b, message, k.type, param, k.code);
    respond(c, status, "application/json", b.view(), extra_headers);
}

// Sends iov. A tail that does not go out waits in a lent buffer until EPOLLOUT (flush()).
// ends_response: once all is out, finish_response() (keep-alive, linger or close); until
// then the connection is in phase sending. A stream's intermediate writes pass false.
void worker::send_iov(connection& c, const iovec* iov, int count, bool ends_response) noexcept {
    size_t total = 0;
    for (int i = 0; i < count; ++i) {
        total += iov[i].iov_len;
    }
    size_t sent = 0;
    if (c.out == nullptr) {
        msghdr msg{};
        msg.msg_iov = const_cast<iovec*>(iov);
        msg.msg_iovlen = size_t(count);
        ssize_t w;
        do {
            w = count == 1 ? ::send(c.fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                           : ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
        } while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN) {
            close_conn(c, c.holds_slot);  // EPIPE / ECONNRESET: the client is gone
            return;
        }
        sent = w < 0 ? 0 : size_t(w);
        if (sent == total) {
            if (ends_response) {
                finish_response(c);
            }
            return;
        }
        c.out = buffers_.acquire();
        if (c.out == nullptr) {
            close_conn(c, c.holds_slot);  // no memory to hold the tail: refuse rather than grow
            return;
        }
    } else if (c.out->off != 0) {
        // Earlier bytes still wait (a slow stream reader): compact, then append.
        std::memmove(c.out->data(), c.out->data() + c.out->off, c.out->len - c.out->off);
        c.out->len -= c.out->off;
        c.out->off = 0;
    }
    size_t limit = c.phase == conn_phase::streaming ? STREAM_OUT_MAX : buffers_.capacity();
    if (c.out->len + (total - sent) > limit) {
        close_conn(c, c.holds_slot);  // the client does not read: bounded memory, cut it
        return;
    }
    char* p = c.out->data() + c.out->len;
    size_t skip = sent;
    for (int i = 0; i < count; ++i) {
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        std::memcpy(p, static_cast<const char*>(iov[i].iov_base) + skip, len - skip);
        p += len - skip;
        skip = 0;
    }
    c.out->len += uint32_t(total - sent);
    if (ends_response) {
        c.phase = conn_phase::sending;
    }
}

void worker::flush(connection& c) noexcept {
    while (c.out->off < c.out->len) {
        ssize_t w = ::send(c.fd, c.out->data() + c.out->off, c.out->len - c.out->off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                close_conn(c, c.holds_slot);
            }
            return;
        }
        c.out->off += uint32_t(w);
    }
    buffers_.release(c.out);
    c.out = nullptr;
    if (c.phase == conn_phase::streaming) {
        return;  // the stream goes on: its timer is armed
    }
    finish_response(c);
    if (c.phase == conn_phase::reading) {
        resume(c);
    }
}

void worker::finish_response(connection& c) noexcept {
    c.head_only = false;  // per request: the next answer (even a framing error) has its body
    if (!c.keep_alive) {
        if (c.current == route::bad_request) {
            linger(c);
        } else {
            close_conn(c, false);
        }
        return;
    }
    c.phase = conn_phase::reading;
    bool pending = c.in != nullptr && c.in->len > 0;
    set_timer(c, pending ? timer_kind::header : timer_kind::idle,
              now_tick_ + ms_ticks(pending ? srv_.cfg.header_timeout_ms : srv_.cfg.idle_timeout_ms));
}

// After an error the client may still be sending (a body we refused): closing now would
// turn our answer into a reset. Shut down our side and drain theirs for a while (nginx's
// lingering_close).
void worker::linger(connection& c) noexcept {
    release_in(c);
    ::shutdown(c.fd, SHUT_WR);
    c.phase = conn_phase::lingering;
    set_timer(c, timer_kind::linger, now_tick_ + ms_ticks(LINGER_MS));
}

// ---- bookkeeping ------------------------------------------------------------------------

char* worker::answer_area() const noexcept {
    return scratch_.get() + HEAD_ROOM;
}

void worker::refresh_clock() noexcept {
    now_ns_ = monotonic_ns();
    now_tick_ = now_ns_ / TICK_NS;
}

void worker::set_timer(connection& c, timer_kind k, uint64_t at_tick) noexcept {
    wheel_.cancel(&c.timer);
    c.timer_for = k;
    wheel_.insert(&c.timer, at_tick);
}

void worker::close_conn(connection& c, bool aborted) noexcept {
    if (c.holds_slot) {
        srv_.slots.release();
        c.holds_slot = false;
        if (aborted) {
            worker_stats::bump(stats_.client_aborts);
        }
    }
    wheel_.cancel(&c.timer);
    c.timer_for = timer_kind::none;
    leave_wait_list(c);
    release_in(c);
    if (c.out != nullptr) {
        buffers_.release(c.out);
        c.out = nullptr;
    }
    if (c.echo != nullptr) {
        buffers_.release(c.echo);
        c.echo = nullptr;
    }
    ::close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    srv_.connections.release();
    if (spare_fd_ < 0) {
        spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // lost to an EMFILE race: take it back
    }
    ++c.gen;
    c.phase = conn_phase::free;
    free_.push_back(uint32_t(&c - conns_.data()));
    --open_;
    worker_stats::bump(stats_.connections_closed);
}

void conn_list::push_back(connection& c) noexcept {
    c.link_next = nullptr;
    c.link_prev = tail;
    (tail ? tail->link_next : head) = &c;
    tail = &c;
}

void conn_list::remove(connection& c) noexcept {
    (c.link_prev ? c.link_prev->link_next : head) = c.link_next;
    (c.link_next ? c.link_next->link_prev : tail) = c.link_prev;
    c.link_prev = c.link_next = nullptr;
}

// A read buffer for c's next request; a full pool first tries to reclaim one.
bool worker::acquire_in(connection& c) noexcept {
    c.in = buffers_.acquire();
    if (c.in == nullptr && reclaim_buffer()) {
        c.in = buffers_.acquire();
    }
    if (c.in == nullptr) {
        return false;
    }
    new (c.in->data()) http_parser(limits_);
    c.in_since = now_tick_;
    holders_.push_back(c);
    return true;
}

void worker::release_in(connection& c) noexcept {
    if (c.in != nullptr) {
        reinterpret_cast<read_area*>(c.in->data())->parser.~http_parser();
        buffers_.release(c.in);
        c.in = nullptr;
        holders_.remove(c);
    }
}

// Every read buffer is lent (slow clients can do that on purpose: slowloris). Bounded memory
// means we cannot lend more, and waiting for the header timeout would stall every new client
// behind them. So the oldest partial request that has held its buffer RECLAIM_AFTER_MS gives
// it back: it is answered 408 and its connection lingers, as at its header timeout, only
// sooner (Apache's mod_reqtimeout and nginx's client_header_timeout cut slow requests by time
// alone; we add pressure). Younger holders are left alone (a burst of honest requests waits a
// moment instead of failing); the reclaim timer comes back when the oldest is old enough.
bool worker::reclaim_buffer() noexcept {
    connection* v = holders_.head;
    for (int n = 0; v != nullptr && n < RECLAIM_SCAN; v = v->link_next, ++n) {
        if (v->phase == conn_phase::reading) {
            break;  // a request being read (others hold pipelined bytes behind an answer)
        }
    }
    if (v == nullptr || v->phase != conn_phase::reading) {
        return false;
    }
    uint64_t ripe = v->in_since + ms_ticks(RECLAIM_AFTER_MS);
    if (ripe > now_tick_) {
        if (!timer_wheel::is_linked(&reclaim_timer_)) {
            wheel_.insert(&reclaim_timer_, ripe);
        }
        return false;
    }
    worker_stats::bump(stats_.read_buffer_reclaims);
    v->keep_alive = false;
    v->current = route::bad_request;
    respond_error(*v, 408, "The request was not completed in time: the server's read buffers are all in use and "
                  "this was the slowest request.", "", "");
    return buffers_.in_use() < buffers_.count();
}

void worker::wait_for_buffer(connection& c) noexcept {
    c.waiting_buffer = true;
    waiters_.push_back(c);
}

void worker::leave_wait_list(connection& c) noexcept {
    if (c.waiting_buffer) {
        waiters_.remove(c);
        c.waiting_buffer = false;
    }
}

void worker::resume_waiters() noexcept {
    while (waiters_.head != nullptr) {
        if (buffers_.in_use() == buffers_.count() && !reclaim_buffer()) {
            break;
        }
        connection& c = *waiters_.head;
        leave_wait_list(c);
        do_read(c);
    }
}

void worker::begin_drain() noexcept {
    if (draining_) {
        return;
    }
    draining_ = true;
    if (accept_paused_) {
        wheel_.cancel(&accept_timer_);
        accept_paused_ = false;
    } else if (listen_fd_ >= 0) {
        loop_.remove(listen_fd_);
    }
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
    for (connection& c : conns_) {
        if (c.phase == conn_phase::free) {
            continue;
        }
        if (c.phase == conn_phase::reading && (c.in == nullptr || c.in->len == 0)) {
            close_conn(c, false);  // idle: nothing to answer
        } else {
            c.keep_alive = false;  // answer what is held, then close
        }
    }
    wheel_.insert(&drain_timer_, now_tick() + ms_ticks(srv_.cfg.shutdown_timeout_ms));
}

std::string_view worker::date() noexcept {
    int64_t t = now_unix_;
    if (t != date_sec_) {
        date_sec_ = t;
        format_http_date(t, date_);
    }
    return {date_, sizeof date_};
}

}  // namespace lms
