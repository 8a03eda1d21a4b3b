// connection_io: the half of the engine that moves bytes — reading into lent buffers,
// parsing, handing complete requests to the answer_service and carrying out its replies,
// framing streams, writing and flushing, lingering after errors. It names no API: what the
// bytes say is the answering side's business.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "engine/clock.hpp"
#include "engine/engine_limits.hpp"
#include "engine/http_response.hpp"
#include "engine/worker.hpp"

namespace lms {

namespace {

// Stream writes up to this size are sent from one flat copy (see stream_write).
constexpr size_t STREAM_FLAT_BYTES = 4096;

// The start of the HTTP/2 connection preface (RFC 9113 §3.4).
constexpr std::string_view H2_PREFACE = "PRI * HTTP/2.0\r\n";

}  // namespace

// A lent read buffer: the parser's state, then the request's bytes.
struct worker::read_area {
    http_parser parser;
    char* bytes() noexcept { return reinterpret_cast<char*>(this) + PARSER_BYTES; }
};

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
            if (trace_ != nullptr && c.in->len == 0) {
                trace_->reading(conn_index(c));
            }
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
                    respond_error(c, 413, "The request body (with its chunk framing) is too large.");
                } else {
                    respond_error(c, 431, "The request header section is too large.");
                }
            }
            return;
        case parse_result::headers_done:
            on_headers(c, *ra);
            break;
        case parse_result::error:
            if (c.in->len >= H2_PREFACE.size() && std::string_view(bytes, H2_PREFACE.size()) == H2_PREFACE) {
                refuse_h2(c);
                return;
            }
            c.keep_alive = false;
            c.current = route::bad_request;
            respond_error(c, ra->parser.error_status(), ra->parser.error_message());
            return;
        case parse_result::complete: {
            size_t used = ra->parser.consumed();
            if (trace_ != nullptr) {
                trace_->complete(conn_index(c));
            }
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
    c.keep_alive = rq.keep_alive && !draining_;
    c.head_only = rq.method == http_method::head;
    c.chunked = rq.version_minor == 1;  // a stream is framed in chunks, or (HTTP/1.0) ends with the connection
    c.headers_sent = false;
    // The delay counts from this request's last byte, not from the loop's wakeup: a burst's
    // later requests were read well after it (one vDSO clock read a request).
    refresh_clock();
    reply r;
    service_.on_request(ra.parser, ra.bytes(), context(c), c.answer, r);
    c.current = r.r;
    if (r.takes_slot) {
        c.holds_slot = true;
    }
    carry_out(c, r);
}

exchange_context worker::context(const connection& c) noexcept {
    return exchange_context{now_ns_, now_unix_, date(), c.keep_alive, draining_, answer_area(), scratch_size_, c.fd};
}

// What the answering side said, done: a response now, ready bytes, a timer, stream events.
void worker::carry_out(connection& c, const reply& r) noexcept {
    if (r.close) {
        c.keep_alive = false;
    }
    switch (r.kind) {
    case reply_kind::respond:
        c.phase = conn_phase::reading;  // respond() moves it on
        respond(c, r.status, r.content_type, r.body, r.headers);
        end_answer(c);
        return;
    case reply_kind::raw: {
        c.phase = conn_phase::reading;  // send_iov() moves it on
        worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(r.status)]);
        iovec one = {const_cast<char*>(r.body.data()), r.body.size()};
        send_iov(c, &one, 1, true);
        end_answer(c);
        return;
    }
    case reply_kind::hold:
        c.phase = conn_phase::waiting;
        arm_answer(c, r.due_ns);
        return;
    case reply_kind::events:
        c.phase = conn_phase::streaming;
        if (!r.body.empty() || r.send_head || r.last) {
            stream_write(c, r.body, r.last, r.content_type, r.headers);
        }
        if (r.reset_after) {
            if (c.phase == conn_phase::streaming) {
                reset_connection(c);
            }
            return;
        }
        if (c.phase == conn_phase::streaming && !r.last) {
            arm_answer(c, r.due_ns);
        }
        return;
    case reply_kind::queue:
        enter_queue(c);
        return;
    case reply_kind::reset:
        // An injected disconnect before any byte: counted with no status.
        worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(STATUS_RESET)]);
        reset_connection(c);
        return;
    }
}

// The answer's (or the stream's next) timer, at due_ns; the trace notes the plan.
void worker::arm_answer(connection& c, uint64_t due_ns) noexcept {
    if (trace_ != nullptr) {
        trace_->planned(conn_index(c), due_ns);
    }
    set_timer(c, timer_kind::answer, tick_at(due_ns));
}

// The slot and what the answer borrowed go back when the answer is out (or the client is gone).
void worker::end_answer(connection& c) noexcept {
    if (c.holds_slot) {
        srv_.release_slot(index_);
        c.holds_slot = false;
    }
    service_.end(c.answer);
}

// An answer's timer: the answering side says what is due now.
void worker::on_answer_timer(connection& c) noexcept {
    reply r;
    service_.step(context(c), c.answer, r);
    carry_out(c, r);
    if (c.phase == conn_phase::reading) {
        resume(c);
    }
}

// RFC 9113 §3.4 and §7: a client speaking HTTP/2 with prior knowledge opens with the
// connection preface ("PRI * HTTP/2.0..."). It cannot read an HTTP/1.1 answer, so it gets
// what it can read: our (empty) SETTINGS, then GOAWAY with HTTP_1_1_REQUIRED; then we close.
void worker::refuse_h2(connection& c) noexcept {
    static constexpr unsigned char FRAMES[] = {
        0, 0, 0, 0x04, 0, 0, 0, 0, 0,                    // SETTINGS, no parameters, stream 0
        0, 0, 8, 0x07, 0, 0, 0, 0, 0,                    // GOAWAY, 8 bytes, stream 0
        0, 0, 0, 0,                                      // last stream id 0
        0, 0, 0, 0x0d,                                   // HTTP_1_1_REQUIRED
    };
    worker_stats::bump(stats_.requests[unsigned(route::bad_request)][status_index(505)]);
    c.keep_alive = false;
    c.current = route::bad_request;
    iovec one = {const_cast<unsigned char*>(FRAMES), sizeof FRAMES};
    send_iov(c, &one, 1, true);
}

void worker::respond_error(connection& c, int status, std::string_view message) noexcept {
    respond(c, status, "application/json", service_.error_body(status, message, answer_area(), scratch_size_), "");
}
void worker::stream_write(connection& c, std::string_view events, bool last, std::string_view content_type,
                          std::string_view extra_headers) noexcept {
    char head[HEAD_MAX + 512];
    out_buf h(head, sizeof head);
    if (!c.headers_sent) {
        if (!c.chunked) {
            c.keep_alive = false;  // HTTP/1.0: the stream ends with the connection
        }
        h.format("HTTP/1.1 200 OK\r\nServer: llm-mock-server\r\nDate: {}\r\nContent-Type: {}\r\nCache-Control: "
                 "no-cache\r\n{}{}{}",
                 date(), content_type.empty() ? std::string_view("text/event-stream; charset=utf-8") : content_type,
                 c.chunked ? "Transfer-Encoding: chunked\r\n" : "", extra_headers.substr(0, HEAD_MAX - 256),
                 c.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
        c.headers_sent = true;
        worker_stats::bump(stats_.requests[unsigned(c.current)][status_index(200)]);
    }
    char size_line[24];
    out_buf sl(size_line, sizeof size_line);
    if (c.chunked && !events.empty()) {
        sl.len = format_hex(events.size(), size_line);  // not fmt: this runs once per token
        sl.append("\r\n");
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
    // A token's chunk is 3-5 small pieces (size line, event, CRLF, maybe the head and the last
    // chunk): copied into one buffer they go out with send() instead of sendmsg() over an
    // iovec, which costs the kernel less per write (the reference writes one buffer too).
    char flat[STREAM_FLAT_BYTES];
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
        total += iov[i].iov_len;
    }
    if (n > 1 && total <= sizeof flat) {
        size_t at = 0;
        for (int i = 0; i < n; ++i) {
            std::memcpy(flat + at, iov[i].iov_base, iov[i].iov_len);
            at += iov[i].iov_len;
        }
        iov[0] = {flat, total};
        n = 1;
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
        if (trace_ != nullptr) {
            trace_->written(conn_index(c), c.answer.admitted_ns, uint8_t(c.current));
        }
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

char* worker::answer_area() const noexcept {
    return scratch_.get() + HEAD_ROOM;
}

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
                  "this was the slowest request.");
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

}  // namespace lms
