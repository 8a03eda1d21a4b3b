// worker: the engine's loop (see shared/design.md): accept4 -> record from the pool -> read
// into a lent buffer -> parser (resumes) -> the answer_service says what to send and when ->
// timer -> write -> slot released once -> keep-alive. The reading, replying and writing half
// is in connection_io.cpp.
//
// Syscalls per delayed request on a warm keep-alive connection: one read, one send, and
// the epoll_wait/timerfd wakeups shared by every request due in the same millisecond.
// Connections are registered once (EPOLLIN|EPOLLOUT|EPOLLRDHUP, edge-triggered): there is no
// per-request epoll_ctl. With edge triggering a short read means the socket is drained
// (a later arrival raises a new edge), so one read usually suffices.
#include "engine/worker.hpp"
#include "service/admin_api.hpp"
#include "service/live_config.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

#include "engine/clock.hpp"
#include "engine/engine_limits.hpp"
#include "engine/http_response.hpp"
#include "engine/listener.hpp"

namespace lms {

namespace {

constexpr uint64_t LISTEN_TAG = event_loop::TIMER_TAG - 1;
constexpr uint64_t WAKE_TAG = event_loop::TIMER_TAG - 2;
constexpr int MAX_EVENTS = 256;
constexpr int ACCEPT_BATCH = 64;        // accepts per wakeup: bounded work, fairness to clients
constexpr uint64_t ACCEPT_PAUSE_MS = 100;  // out of fds with no spare: stop accepting this long

inline uint64_t now_tick() noexcept { return monotonic_ns() / TICK_NS; }
inline uint64_t conn_data(uint32_t index, uint32_t gen) noexcept { return (uint64_t(gen) << 32) | index; }

}  // namespace

size_t worker::read_buffer_bytes(const config& c) noexcept {
    return PARSER_BYTES + 8192 + c.max_body_bytes + SLACK_BYTES + BODY_PADDING;
}

worker::worker(server& s, unsigned index, int listen_fd, uint32_t max_connections, uint32_t read_buffers)
    : srv_(s),
      stats_(s.stats[index]),
      index_(index),
      listen_fd_(listen_fd),
      wheel_(now_tick()),
      buffers_(read_buffers, read_buffer_bytes(s.cfg) - BODY_PADDING, BODY_PADDING),
      service_(s, index, max_connections),
      conns_(max_connections) {
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
    srv_.wake_fds[index_].store(wake_fd_, std::memory_order_release);
    if (s.cfg.trace_timing != 0) {
        trace_.reset(new timing_trace(s.cfg.trace_timing, max_connections));
    }
}

std::string worker::write_timing() const {
    if (trace_ == nullptr) {
        return {};
    }
    const uint64_t kept = std::min<uint64_t>(trace_->total(), srv_.cfg.trace_timing);
    const std::string name = srv_.cfg.trace_timing_file + "." + std::to_string(index_) + ".tsv";
    if (!trace_->write_file(srv_.cfg.trace_timing_file, index_)) {
        return "TRACE_TIMING: cannot write " + name + ": " + strerror(errno);
    }
    return "TRACE_TIMING: worker " + std::to_string(index_) + " traced " + std::to_string(trace_->total()) +
           " requests, the last " + std::to_string(kept) + " in " + name;
}

void server::wake_worker(unsigned w) noexcept {
    const int fd = wake_fds[w].load(std::memory_order_acquire);
    if (fd >= 0) {
        uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(fd, &one, sizeof one);
    }
}

worker::~worker() {
    if (index_ == 0) {
        srv_.timekeeper_wake_fd.store(-1, std::memory_order_release);
    }
    srv_.wake_fds[index_].store(-1, std::memory_order_release);
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
    stop_asked_.store(true, std::memory_order_release);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof one);
}

void worker::run() noexcept {
    epoll_event events[MAX_EVENTS];
    if (index_ == 0 && srv_.admin != nullptr) {
        // The timekeeper: a scenario's boundaries land on this wheel (one started before the
        // workers, from SCENARIO_FILE, is armed here; later ones wake this loop).
        srv_.timekeeper_wake_fd.store(wake_fd_, std::memory_order_release);
        refresh_clock();
        rearm_scenario();
    }
    while (!done_) {
        uint64_t next = wheel_.next_wakeup();
        loop_.arm(next == ~uint64_t(0) ? next : next * TICK_NS);
        if (srv_.live != nullptr) {
            srv_.live->quiesce(index_);  // asleep, it reads no settings snapshot
        }
        int n = loop_.wait(events, MAX_EVENTS, -1);
        // The clocks are read once per wakeup, not per request: admission times, "created",
        // Date, buffer ages and the header/idle deadlines of this batch all use the wakeup's
        // time (every request handled in it had arrived by then). Answers sent from timers
        // read the clock afresh (their lateness is measured, see answer_service::whole).
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
                if (stop_asked_.load(std::memory_order_acquire)) {
                    begin_drain();
                }
                if (index_ == 0 && srv_.admin != nullptr) {
                    rearm_scenario();  // the scenario's due time moved (started, stopped, replaced)
                }
                // (a slot granted to one of this worker's waiters: taken below)
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
        // Slots granted to this worker's waiters: by another worker (which woke us), or by
        // this one in the answers just written. Their timers may be due now: one more expire.
        if (srv_.queue.enabled() && srv_.queue.has_grants(index_)) {
            take_grants();
            if (now_tick_ >= wheel_.next_wakeup()) {
                wheel_.expire(now_tick_, [this](timer_entry* e) { on_timer(e); });
            }
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
        if (trace_ != nullptr) {
            trace_->accepted(idx, fd);
        }
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
    case conn_phase::queued:
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

// ---- the waiting queue (MAX_WAITING) ----------------------------------------------------

// The answering side planned the request and asked for a slot (reply_kind::queue).
void worker::enter_queue(connection& c) noexcept {
    const wait_queue::waiter me{uint32_t(&c - conns_.data()), c.gen, uint16_t(index_), c.answer.admitted_ns};
    uint32_t node = wait_queue::NO_NODE;
    switch (srv_.queue.enqueue(srv_.slots, me, node)) {
    case wait_queue::entry::slot:
        c.holds_slot = true;
        start_granted(c);
        return;
    case wait_queue::entry::queued: {
        c.phase = conn_phase::queued;
        c.queue_node = node;
        const uint64_t wait_ms = service_.max_wait_ms();
        if (wait_ms != 0) {
            set_timer(c, timer_kind::queue, tick_at(c.answer.admitted_ns + wait_ms * 1'000'000));
        }
        return;
    }
    case wait_queue::entry::full: {
        reply r;
        service_.queue_refused(context(c), c.answer, r, false);
        carry_out(c, r);
        return;
    }
    }
}

// c leaves the queue (its client left, or MAX_WAIT_SECONDS): a slot already granted to it is
// now held (c.holds_slot).
void worker::leave_queue(connection& c) noexcept {
    if (c.queue_node != wait_queue::NO_NODE) {
        if (srv_.queue.cancel(c.queue_node) == wait_queue::left::granted) {
            c.holds_slot = true;
        }
        c.queue_node = wait_queue::NO_NODE;
    }
    c.phase = conn_phase::reading;  // moved on by whoever called
}

// c holds its slot: its answer starts, shifted by the wait.
void worker::start_granted(connection& c, uint64_t granted_ns) noexcept {
    if (trace_ != nullptr && c.phase == conn_phase::queued) {  // it waited (not a slot taken at once)
        trace_->granted(conn_index(c));
    }
    if (c.timer_for == timer_kind::queue) {
        wheel_.cancel(&c.timer);
        c.timer_for = timer_kind::none;
    }
    reply r;
    exchange_context x = context(c);
    if (granted_ns != 0 && granted_ns < x.now_ns) {
        x.now_ns = granted_ns;  // the wait ended at the release, wherever it was
    }
    service_.granted(x, c.answer, r);
    carry_out(c, r);
}

void worker::take_grants() noexcept {
    // Each grant carries its release's time (the wait ends there); the clock is read afresh for
    // the timers the grants set.
    refresh_clock();
    wait_queue::waiter got[64];
    size_t n;
    while ((n = srv_.queue.take_grants(index_, got, 64)) != 0) {
        for (size_t i = 0; i < n; ++i) {
            connection& c = conns_[got[i].conn];
            if (c.gen != got[i].gen || c.phase != conn_phase::queued) {
                srv_.release_slot(index_);  // not ours any more (cannot happen: leaving cancels)
                continue;
            }
            c.queue_node = wait_queue::NO_NODE;
            c.holds_slot = true;
            start_granted(c, got[i].granted_ns);
        }
    }
}

void worker::rearm_scenario() noexcept {
    const uint64_t due = srv_.admin->due_ns();
    if (due == admin_api::NONE) {
        wheel_.cancel(&scenario_timer_);
        return;
    }
    // Rounded up to the tick: a boundary is never published before its time.
    wheel_.cancel(&scenario_timer_);
    wheel_.insert(&scenario_timer_, due / TICK_NS + (due % TICK_NS != 0));
}

void worker::on_timer(timer_entry* e) noexcept {
    if (e == &scenario_timer_) {
        srv_.admin->tick(monotonic_ns());
        rearm_scenario();
        return;
    }
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
        on_answer_timer(c);
        break;
    case timer_kind::header:
        if (c.waiting_buffer) {
            // It sent bytes we never read (no buffer came free in time): still owed an answer.
            leave_wait_list(c);
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, 408, "The request was not received within HEADER_TIMEOUT_SECONDS (the server's read "
                          "buffers were all in use).");
        } else if (c.in != nullptr && c.in->len > 0) {
            // RFC 9110 §15.5.9: the request was not completed in time.
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, 408, "The request was not received within HEADER_TIMEOUT_SECONDS.");
        } else {
            close_conn(c, false);  // nothing was sent: close quietly
        }
        break;
    case timer_kind::idle:
    case timer_kind::linger:
        close_conn(c, false);
        break;
    case timer_kind::queue:
        // MAX_WAIT_SECONDS: refused like a full queue, unless the slot came meanwhile.
        if (c.phase == conn_phase::queued) {
            leave_queue(c);
            if (c.holds_slot) {
                start_granted(c);
            } else {
                reply r;
                service_.queue_refused(context(c), c.answer, r, true);
                carry_out(c, r);
                if (c.phase == conn_phase::reading) {
                    resume(c);
                }
            }
        }
        break;
    case timer_kind::none:
        break;
    }
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
    if (c.phase == conn_phase::queued) {
        leave_queue(c);  // gone at once; a slot granted meanwhile is now held, released below
        if (aborted && !c.holds_slot) {
            worker_stats::bump(stats_.client_aborts);
        }
    }
    if (c.holds_slot) {
        srv_.release_slot(index_);
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
    service_.end(c.answer);
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

// An injected disconnect: a reset, as when a real server's process dies mid-answer.
void worker::reset_connection(connection& c) noexcept {
    ::linger l{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close_conn(c, false);
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
