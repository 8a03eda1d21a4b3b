#pragma once
// worker: one thread's engine — a SO_REUSEPORT listener, an epoll loop, a timer wheel, a
// pool of connection records and a pool of buffers, all sized and allocated in the
// constructor (startup). Level 2. It speaks HTTP/1.1 and knows no API: for each complete
// request it asks its answer_service what to send and when (engine/exchange.hpp), and does
// it — writes, timers, keep-alive, lingering, drain, client aborts.
//
// Threads: the worker's own thread calls run(); any thread may call stop(). Nothing else is
// shared with other workers but the server's slot counter and the stats (atomics).
// The request path (run()) is noexcept and never allocates: when records, buffers or file
// descriptors run out, it refuses (closes new connections, 503s) and never grows.
#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/buffer_pool.hpp"
#include "engine/connection.hpp"
#include "engine/event_loop.hpp"
#include "engine/exchange.hpp"
#include "engine/http_parser.hpp"
#include "engine/server.hpp"
#include "engine/timer_wheel.hpp"
#include "engine/timing_trace.hpp"
#include "service/answer_service.hpp"

namespace lms {

class worker {
public:
    // Takes ownership of listen_fd. max_connections records and read_buffers buffers.
    // Throws at startup (std::bad_alloc, std::runtime_error) only.
    worker(server& s, unsigned index, int listen_fd, uint32_t max_connections, uint32_t read_buffers);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // The thread body: serves until stop() and the drain completes.
    void run() noexcept;
    // Any thread: begin the graceful drain (stop accepting, finish held requests).
    void stop() noexcept;

    // After run() returned: writes TRACE_TIMING's table and says where, in one line ("" when
    // tracing is off).
    [[nodiscard]] std::string write_timing() const;

    // Bytes a read buffer holds (parser state + request bytes + padding), for sizing.
    [[nodiscard]] static size_t read_buffer_bytes(const config& c) noexcept;

private:
    struct read_area;

    // worker.cpp: the loop, accepting, events, timers, drain.
    void on_accept() noexcept;
    [[nodiscard]] bool refuse_with_spare_fd() noexcept;
    void pause_accepting() noexcept;
    void resume_accepting() noexcept;
    void on_event(connection& c, uint32_t events) noexcept;
    void on_timer(timer_entry* e) noexcept;
    // The waiting queue (MAX_WAITING): a planned request takes a slot or a place, leaves it,
    // or starts when granted one.
    void enter_queue(connection& c) noexcept;
    void leave_queue(connection& c) noexcept;
    // granted_ns: when the slot was handed over (0: now).
    void start_granted(connection& c, uint64_t granted_ns = 0) noexcept;
    void take_grants() noexcept;
    // Worker 0: links scenario_timer_ at the scenario's due time, or unlinks it when none runs.
    void rearm_scenario() noexcept;
    void on_answer_timer(connection& c) noexcept;
    void begin_drain() noexcept;
    void refresh_clock() noexcept;  // now_ns_ and now_tick_ from the monotonic clock
    void set_timer(connection& c, timer_kind k, uint64_t at_tick) noexcept;
    void close_conn(connection& c, bool aborted) noexcept;
    void reset_connection(connection& c) noexcept;
    std::string_view date() noexcept;

    // connection_io.cpp: reading, parsing, lending buffers, carrying out replies, writing.
    void do_read(connection& c) noexcept;
    void process(connection& c) noexcept;
    void resume(connection& c) noexcept;
    void on_headers(connection& c, read_area& ra) noexcept;
    void handle(connection& c, read_area& ra) noexcept;
    void carry_out(connection& c, const reply& r) noexcept;
    void arm_answer(connection& c, uint64_t due_ns) noexcept;
    void end_answer(connection& c) noexcept;
    [[nodiscard]] exchange_context context(const connection& c) noexcept;
    // Events, with the stream's head first (content_type empty: text/event-stream; charset=utf-8;
    // extra_headers: complete lines, at most 512 bytes).
    void stream_write(connection& c, std::string_view events, bool last, std::string_view content_type,
                      std::string_view extra_headers) noexcept;
    void respond(connection& c, int status, std::string_view content_type, std::string_view body,
                 std::string_view extra_headers) noexcept;
    void respond_error(connection& c, int status, std::string_view message) noexcept;
    void refuse_h2(connection& c) noexcept;
    void send_iov(connection& c, const ::iovec* iov, int count, bool ends_response) noexcept;
    void flush(connection& c) noexcept;
    void finish_response(connection& c) noexcept;
    void linger(connection& c) noexcept;
    [[nodiscard]] bool acquire_in(connection& c) noexcept;
    void release_in(connection& c) noexcept;
    [[nodiscard]] bool reclaim_buffer() noexcept;
    void wait_for_buffer(connection& c) noexcept;
    void leave_wait_list(connection& c) noexcept;
    void resume_waiters() noexcept;
    // Where whole answers and error bodies are rendered (scratch_size_ bytes), with room for
    // their head in front so that head and body leave in one buffer.
    [[nodiscard]] char* answer_area() const noexcept;

    server& srv_;
    worker_stats& stats_;
    const unsigned index_;
    int listen_fd_;
    int wake_fd_ = -1;   // eventfd: stop() from another thread
    int spare_fd_ = -1;  // reserved fd, given up to accept-and-close when out of fds
    event_loop loop_;
    timer_wheel wheel_;
    buffer_pool buffers_;
    answer_service service_;
    http_limits limits_;
    size_t read_capacity_;  // request bytes per read buffer
    std::vector<connection> conns_;
    std::vector<uint32_t> free_;
    conn_list waiters_;  // readable connections waiting for a read buffer, first come first served
    conn_list holders_;  // connections holding a read buffer, oldest first
    std::unique_ptr<char[]> scratch_;  // response rendering: HEAD_ROOM bytes, then scratch_size_
    size_t scratch_size_;
    uint64_t now_ns_ = 0;    // monotonic time of this loop wakeup (refreshed before timers fire)
    uint64_t now_tick_ = 0;  // now_ns_ in wheel ticks
    int64_t now_unix_ = 0;   // unix seconds of this loop wakeup: "created" and Date
    uint32_t open_ = 0;
    bool draining_ = false;
    bool done_ = false;
    timer_entry drain_timer_;    // the drain deadline (not a connection's)
    timer_entry accept_timer_;   // accepting paused (EMFILE without a spare fd) until it fires
    timer_entry reclaim_timer_;  // buffers all lent: when the oldest holder may be reclaimed
    timer_entry scenario_timer_; // worker 0: the running scenario's next boundary (admin_api::tick)
    std::atomic<bool> stop_asked_{false};  // stop() was called (the eventfd also wakes worker 0 for scenarios)
    bool accept_paused_ = false;
    int64_t date_sec_ = 0;
    char date_[29];
    std::unique_ptr<timing_trace> trace_;  // TRACE_TIMING > 0 only
    [[nodiscard]] uint32_t conn_index(const connection& c) const noexcept { return uint32_t(&c - conns_.data()); }
};

}  // namespace lms
