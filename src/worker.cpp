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
#include "worker.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

#include "clock.hpp"
#include "listener.hpp"
#include "response.hpp"
#include "routes.hpp"

namespace lms {

namespace {

constexpr uint64_t LISTEN_TAG = event_loop::TIMER_TAG - 1;
constexpr uint64_t WAKE_TAG = event_loop::TIMER_TAG - 2;
constexpr int MAX_EVENTS = 256;
constexpr int ACCEPT_BATCH = 64;        // accepts per wakeup: bounded work, fairness to clients
constexpr uint64_t LINGER_MS = 2000;    // how long an errored connection may keep sending
constexpr size_t HEAD_MAX = 512;        // status line + headers (+ extra headers below)
constexpr size_t SLACK_BYTES = 8192;    // room for chunk framing and a pipelined next request
constexpr size_t PARSER_BYTES = (sizeof(http_parser) + 63) & ~size_t(63);

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
      wheel_(monotonic_ms()),
      buffers_(read_buffers, read_buffer_bytes(s.cfg) - chat_body_reader::PADDING, chat_body_reader::PADDING),
      body_reader_(s.cfg.max_body_bytes),
      conns_(max_connections) {
    limits_.max_body_bytes = s.cfg.max_body_bytes;
    read_capacity_ = buffers_.capacity() - PARSER_BYTES;
    scratch_size_ = METRICS_BODY_MAX + 4096;
    scratch_.reset(new char[scratch_size_]);
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
    out_buf h(overload_headers_, sizeof overload_headers_);
    h.format("Retry-After: {}\r\n", s.cfg.retry_after_s);
    if (s.cfg.should_retry != retry_hint::none) {
        h.append(s.cfg.should_retry == retry_hint::yes ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n");
    }
    overload_headers_len_ = h.len;
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
        loop_.arm(wheel_.next_wakeup());
        int n = loop_.wait(events, MAX_EVENTS, -1);
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
        now_ms_ = monotonic_ms();
        if (now_ms_ >= wheel_.next_wakeup()) {
            wheel_.expire(now_ms_, [this](timer_entry* e) { on_timer(e); });
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
                refuse_with_spare_fd();
                continue;
            }
            return;  // EAGAIN: the backlog is empty
        }
        if (free_.empty()) {
            // No record: refuse cleanly (the client sees the close at once, not a hang).
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
            worker_stats::bump(stats_.connections_refused);
            continue;
        }
        ++open_;
        worker_stats::bump(stats_.connections_accepted);
        // The first request must arrive within the header timeout (nginx's client_header_timeout).
        set_timer(c, timer_kind::header, monotonic_ms() + srv_.cfg.header_timeout_ms);
    }
}

// Out of file descriptors: the pending connection cannot be accepted, and a level-triggered
// listener would wake us forever. Give up the reserved fd, accept and close one connection,
// take the fd back (the "EMFILE trick" of libev/libuv; nginx instead disables accept events
// for a while). The client gets a clean close instead of a hang, and the loop does not spin.
void worker::refuse_with_spare_fd() noexcept {
    if (spare_fd_ >= 0) {
        ::close(spare_fd_);
        spare_fd_ = -1;
    }
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        worker_stats::bump(stats_.connections_refused);
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
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
        answer_chat(c);
        if (c.phase == conn_phase::reading) {
            resume(c);
        }
        break;
    case timer_kind::header:
        if (c.in != nullptr && c.in->len > 0) {
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
            c.in = buffers_.acquire();
            if (c.in == nullptr) {
                wait_for_buffer(c);  // resumed by resume_waiters() when a buffer comes back
                return;
            }
            new (c.in->data()) http_parser(limits_);
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
            if (c.timer_for == timer_kind::idle) {
                set_timer(c, timer_kind::header, monotonic_ms() + srv_.cfg.header_timeout_ms);
            }
            process(c);
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
            if (c.timer_for == timer_kind::header) {
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
        handle_chat(c, ra);
        return;
    case route::health: {
        out_buf b(scratch_.get() + HEAD_MAX * 2, HEALTH_BODY_MAX);
        int status = render_health(b, srv_);
        respond(c, status, "application/json", b.view(), "");
        return;
    }
    case route::metrics: {
        out_buf b(scratch_.get() + HEAD_MAX * 2, METRICS_BODY_MAX);
        render_metrics(b, srv_);
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.view(), "");
        return;
    }
    default:
        return;
    }
}

void worker::handle_chat(connection& c, read_area& ra) noexcept {
    if (draining_) {
        c.keep_alive = false;
        respond_error(c, 503, "The server is shutting down.", "",
                      std::string_view(overload_headers_, overload_headers_len_));
        return;
    }
    // The slot first: a full server answers 503 in microseconds, without parsing the body.
    if (!srv_.slots.try_acquire()) {
        worker_stats::bump(stats_.overload_rejections);
        respond_error(c, 503, "The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.", "",
                      std::string_view(overload_headers_, overload_headers_len_));
        return;
    }
    c.holds_slot = true;
    const http_request& rq = ra.parser.request();
    chat_request body;
    body_error err;
    if (!body_reader_.read(ra.bytes() + rq.body_off, rq.body_len, body, err)) {
        srv_.slots.release();
        c.holds_slot = false;
        respond_error(c, 400, err.message, err.param, "");
        return;
    }
    std::string_view model = body.model.empty() ? std::string_view("qwen-plus") : body.model;
    if (model.size() > connection::MODEL_MAX) {
        srv_.slots.release();
        c.holds_slot = false;
        respond_error(c, 400, "Invalid 'model': longer than 96 bytes.", "model", "");
        return;
    }
    std::memcpy(c.model, model.data(), model.size());
    c.model_len = uint8_t(model.size());
    c.created = unix_seconds();
    c.admitted_ns = monotonic_ns();
    if (srv_.cfg.delay_ms == 0) {
        answer_chat(c);
        return;
    }
    // Deadline from a fresh clock, rounded up: never early, whatever the batch's age.
    uint64_t due_ns = c.admitted_ns + srv_.cfg.delay_ms * 1000000;
    c.phase = conn_phase::waiting;
    set_timer(c, timer_kind::answer, (due_ns + 999999) / 1000000);
}

void worker::answer_chat(connection& c) noexcept {
    char idbuf[41];
    uint64_t n = (uint64_t(index_) << 48) + id_counter_++;
    chat_reply r{format_completion_id(splitmix64(id_seed_ + n), splitmix64(n ^ ~id_seed_), idbuf), c.created,
                 std::string_view(c.model, c.model_len)};
    out_buf b(scratch_.get() + HEAD_MAX * 2, scratch_size_ - HEAD_MAX * 2);
    render_chat_body(b, r);
    uint64_t served_us = (monotonic_ns() - c.admitted_ns) / 1000;
    stats_.observe_delay(served_us, srv_.cfg.delay_ms * 1000);
    c.phase = conn_phase::reading;  // respond() moves it on
    respond(c, 200, "application/json", b.view(), "");
    if (c.holds_slot) {  // respond() may have closed the connection (and released it)
        srv_.slots.release();
        c.holds_slot = false;
    }
}

// ---- writing ----------------------------------------------------------------------------

void worker::respond(connection& c, int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers) noexcept {
    char head[HEAD_MAX + 256];
    out_buf h(head, sizeof head);
    render_head(h, status, content_type, body.size(), c.keep_alive, date(), extra_headers);
    worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(status)]);
    iovec iov[2] = {{head, h.len}, {const_cast<char*>(body.data()), c.head_only ? 0 : body.size()}};
    send_iov(c, iov, 2);
}

void worker::respond_error(connection& c, int status, std::string_view message, std::string_view param,
                           std::string_view extra_headers) noexcept {
    error_kind k = error_kind_for(status);
    out_buf b(scratch_.get() + HEAD_MAX * 2, 2048);
    render_error_body(b, message, k.type, param, k.code);
    respond(c, status, "application/json", b.view(), extra_headers);
}

void worker::send_iov(connection& c, const iovec* iov, int count) noexcept {
    size_t total = 0;
    for (int i = 0; i < count; ++i) {
        total += iov[i].iov_len;
    }
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = size_t(count);
    ssize_t w;
    do {
        w = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN) {
        close_conn(c, c.holds_slot);  // EPIPE / ECONNRESET: the client is gone
        return;
    }
    size_t sent = w < 0 ? 0 : size_t(w);
    if (sent == total) {
        finish_response(c);
        return;
    }
    // Partly written: lend a buffer for the tail and wait for EPOLLOUT.
    c.out = buffers_.acquire();
    if (c.out == nullptr || total - sent > buffers_.capacity()) {
        close_conn(c, c.holds_slot);  // no memory to hold it: refuse rather than grow
        return;
    }
    char* p = c.out->data();
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
    c.out->len = uint32_t(total - sent);
    c.out->off = 0;
    c.phase = conn_phase::sending;
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
              monotonic_ms() + (pending ? srv_.cfg.header_timeout_ms : srv_.cfg.idle_timeout_ms));
}

// After an error the client may still be sending (a body we refused): closing now would
// turn our answer into a reset. Shut down our side and drain theirs for a while (nginx's
// lingering_close).
void worker::linger(connection& c) noexcept {
    release_in(c);
    ::shutdown(c.fd, SHUT_WR);
    c.phase = conn_phase::lingering;
    set_timer(c, timer_kind::linger, monotonic_ms() + LINGER_MS);
}

// ---- bookkeeping ------------------------------------------------------------------------

void worker::set_timer(connection& c, timer_kind k, uint64_t at_ms) noexcept {
    wheel_.cancel(&c.timer);
    c.timer_for = k;
    wheel_.insert(&c.timer, at_ms);
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
    if (c.waiting_buffer) {
        (c.wait_prev ? c.wait_prev->wait_next : wait_head_) = c.wait_next;
        (c.wait_next ? c.wait_next->wait_prev : wait_tail_) = c.wait_prev;
        c.wait_prev = c.wait_next = nullptr;
        c.waiting_buffer = false;
    }
    release_in(c);
    if (c.out != nullptr) {
        buffers_.release(c.out);
        c.out = nullptr;
    }
    ::close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    ++c.gen;
    c.phase = conn_phase::free;
    free_.push_back(uint32_t(&c - conns_.data()));
    --open_;
    worker_stats::bump(stats_.connections_closed);
}

void worker::release_in(connection& c) noexcept {
    if (c.in != nullptr) {
        reinterpret_cast<read_area*>(c.in->data())->parser.~http_parser();
        buffers_.release(c.in);
        c.in = nullptr;
    }
}

void worker::wait_for_buffer(connection& c) noexcept {
    c.waiting_buffer = true;
    c.wait_next = nullptr;
    c.wait_prev = wait_tail_;
    (wait_tail_ ? wait_tail_->wait_next : wait_head_) = &c;
    wait_tail_ = &c;
}

void worker::resume_waiters() noexcept {
    while (wait_head_ != nullptr && buffers_.in_use() < buffers_.count()) {
        connection& c = *wait_head_;
        wait_head_ = c.wait_next;
        (wait_head_ ? wait_head_->wait_prev : wait_tail_) = nullptr;
        c.wait_next = c.wait_prev = nullptr;
        c.waiting_buffer = false;
        do_read(c);
    }
}

void worker::begin_drain() noexcept {
    if (draining_) {
        return;
    }
    draining_ = true;
    if (listen_fd_ >= 0) {
        loop_.remove(listen_fd_);
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
    wheel_.insert(&drain_timer_, monotonic_ms() + srv_.cfg.shutdown_timeout_ms);
}

std::string_view worker::date() noexcept {
    int64_t t = unix_seconds();
    if (t != date_sec_) {
        date_sec_ = t;
        format_http_date(t, date_);
    }
    return {date_, sizeof date_};
}

}  // namespace lms
