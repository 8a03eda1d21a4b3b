#pragma once
// worker: one thread's server — a SO_REUSEPORT listener, an epoll loop, a timer wheel, a
// pool of connection records and a pool of buffers, all sized and allocated in the
// constructor (startup). Level 2.
//
// Threads: the worker's own thread calls run(); any thread may call stop(). Nothing else is
// shared with other workers but the server's slot counter and the stats (atomics).
// The request path (run()) is noexcept and never allocates: when records, buffers or file
// descriptors run out, it refuses (closes new connections, 503s) and never grows.
//
// A connection waiting for its delay holds only its record (sizeof(connection), no buffer)
// plus the kernel's socket: read buffers are lent while a request is being read and taken
// back once it is parsed; write buffers only while a response is partly unsent.
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "answer/answer.hpp"
#include "engine/buffer_pool.hpp"
#include "answer/chat_body.hpp"
#include "engine/event_loop.hpp"
#include "engine/http_parser.hpp"
#include "answer/latency_model.hpp"
#include "engine/server.hpp"
#include "engine/timer_wheel.hpp"

namespace lms {

enum class conn_phase : uint8_t {
    free,       // in the free list
    reading,    // idle keep-alive, or a request partly received
    waiting,    // holds a slot, its answer's timer is armed
    streaming,  // holds a slot, sending tokens on timers (text/event-stream)
    sending,    // a response is partly written (out buffer lent)
    lingering,  // shut down for writing after an error; draining input until EOF or timeout
};

enum class timer_kind : uint8_t { none, header, idle, answer, linger };

// One client connection. The timer must stay the first member: the wheel hands back
// timer_entry pointers and the worker converts them to connections.
// Everything an answer in progress needs (a delayed one or a stream) lives here: the tokens
// are cut from the server's text (or the lent echo buffer) as they are sent, so a held
// request or stream needs no buffer of its own.
struct connection {
    static constexpr unsigned MODEL_MAX = 96;  // longest model name echoed back
    static constexpr uint32_t NO_OVERRIDE = 0xffffffffu;

    timer_entry timer;
    pool_buffer* in = nullptr;   // lent read buffer: parser state + bytes of the current request
    pool_buffer* out = nullptr;  // lent write buffer: the unsent tail of a response
    // Links in one of the worker's two lists: connections waiting for a read buffer (in is
    // null), or connections holding one (in is set), oldest first.
    connection* link_prev = nullptr;
    connection* link_next = nullptr;
    uint64_t in_since = 0;       // tick the read buffer was lent (the oldest is reclaimed first)
    uint64_t admitted_ns = 0;    // when the request took its slot (monotonic)
    int64_t created = 0;         // unix seconds, the answer's "created"
    int fd = -1;
    uint32_t gen = 0;            // bumped on close: epoll events of an older generation are dropped
    conn_phase phase = conn_phase::free;
    timer_kind timer_for = timer_kind::none;
    route current = route::not_found;
    bool keep_alive = false;
    bool holds_slot = false;
    bool readable = false;       // input may be pending (edge-triggered epoll: we owe a read)
    bool waiting_buffer = false;
    bool head_only = false;
    // The answer in progress.
    answer_api api = answer_api::chat;
    fault fault_kind = fault::none;
    bool stream = false;
    bool include_usage = false;
    bool original_body = false;   // the original service's exact body (fixed usage)
    bool finish_length = false;   // max_tokens cut the answer: finish_reason "length"
    bool chunked = false;         // stream framed with Transfer-Encoding: chunked (HTTP/1.1)
    bool headers_sent = false;
    uint8_t model_len = 0;
    pool_buffer* echo = nullptr;  // CONTENT_MODE=echo: the text being answered (lent)
    uint64_t due_ns = 0;          // when the answer (or the next token) is scheduled
    uint64_t last_token_ns = 0;
    uint64_t id_n = 0;            // the answer's id is derived from it (same in every chunk)
    uint32_t tokens_total = 0;
    uint32_t tokens_sent = 0;
    uint32_t prompt_tokens = 0;
    uint32_t text_off = 0;        // next token's offset in the text
    uint32_t fault_at = 0;        // tokens sent when a mid-stream fault strikes
    uint32_t itl_us = NO_OVERRIDE;  // X-Mock-ITL for this request
    char model[MODEL_MAX];
};

// An intrusive list of connections through link_prev/link_next. O(1), no allocation.
struct conn_list {
    connection* head = nullptr;
    connection* tail = nullptr;
    void push_back(connection& c) noexcept;
    void remove(connection& c) noexcept;
};

// The last original-body chat answer, rendered up to its id (see send_original_answer).
struct answer_prefix {
    int64_t created = 0;
    int64_t date_sec = 0;
    size_t len = 0;  // bytes of head and body before the id; 0: nothing rendered
    bool keep_alive = false;
    uint8_t id_len = 0;
    uint8_t model_len = 0;
    char model[connection::MODEL_MAX];
    char bytes[4096];  // head + body; the id and the closing '"}' are written behind len
};

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

    // Bytes a read buffer holds (parser state + request bytes + padding), for sizing.
    [[nodiscard]] static size_t read_buffer_bytes(const config& c) noexcept;

private:
    struct read_area;

    void on_accept() noexcept;
    [[nodiscard]] bool refuse_with_spare_fd() noexcept;
    void pause_accepting() noexcept;
    void resume_accepting() noexcept;
    void on_event(connection& c, uint32_t events) noexcept;
    void on_timer(timer_entry* e) noexcept;
    void do_read(connection& c) noexcept;
    void process(connection& c) noexcept;
    void resume(connection& c) noexcept;
    void on_headers(connection& c, read_area& ra) noexcept;
    void handle(connection& c, read_area& ra) noexcept;
    void handle_generate(connection& c, read_area& ra, answer_api api) noexcept;
    void handle_embeddings(connection& c, read_area& ra) noexcept;
    void answer_whole(connection& c, bool from_timer) noexcept;
    [[nodiscard]] bool send_original_answer(connection& c, std::string_view id, bool from_timer) noexcept;
    void stream_step(connection& c) noexcept;
    void stream_write(connection& c, std::string_view events, bool last) noexcept;
    void end_answer(connection& c) noexcept;
    void reset_connection(connection& c) noexcept;
    [[nodiscard]] std::string_view answer_text(const connection& c) const noexcept;
    [[nodiscard]] std::string_view answer_id(const connection& c, char out[41]) const noexcept;
    [[nodiscard]] uint64_t itl_ns(connection& c) noexcept;
    [[nodiscard]] double load_multiplier() const noexcept;
    void respond(connection& c, int status, std::string_view content_type, std::string_view body,
                 std::string_view extra_headers) noexcept;
    void respond_error(connection& c, int status, std::string_view message, std::string_view param,
                       std::string_view extra_headers) noexcept;
    void send_iov(connection& c, const ::iovec* iov, int count, bool ends_response) noexcept;
    void flush(connection& c) noexcept;
    void finish_response(connection& c) noexcept;
    void linger(connection& c) noexcept;
    void set_timer(connection& c, timer_kind k, uint64_t at_ms) noexcept;
    void refresh_clock() noexcept;  // now_ns_ and now_tick_ from the monotonic clock
    void close_conn(connection& c, bool aborted) noexcept;
    [[nodiscard]] bool acquire_in(connection& c) noexcept;
    void release_in(connection& c) noexcept;
    [[nodiscard]] bool reclaim_buffer() noexcept;
    void wait_for_buffer(connection& c) noexcept;
    void leave_wait_list(connection& c) noexcept;
    void resume_waiters() noexcept;
    void begin_drain() noexcept;
    std::string_view date() noexcept;

    server& srv_;
    worker_stats& stats_;
    const unsigned index_;
    int listen_fd_;
    int wake_fd_ = -1;   // eventfd: stop() from another thread
    int spare_fd_ = -1;  // reserved fd, given up to accept-and-close when out of fds
    event_loop loop_;
    timer_wheel wheel_;
    buffer_pool buffers_;
    chat_body_reader body_reader_;
    embedding_request embedding_;  // one /v1/embeddings request being answered
    http_limits limits_;
    size_t read_capacity_;  // request bytes per read buffer
    std::vector<connection> conns_;
    std::vector<uint32_t> free_;
    conn_list waiters_;  // readable connections waiting for a read buffer, first come first served
    conn_list holders_;  // connections holding a read buffer, oldest first
    std::unique_ptr<char[]> scratch_;  // response rendering: HEAD_ROOM bytes, then scratch_size_
    size_t scratch_size_;
    // Where whole answers and error bodies are rendered (scratch_size_ bytes), with room for
    // their head in front so that head and body leave in one buffer.
    [[nodiscard]] char* answer_area() const noexcept;
    uint64_t now_ns_ = 0;    // monotonic time of this loop wakeup (refreshed before timers fire)
    uint64_t now_tick_ = 0;  // now_ns_ in wheel ticks
    int64_t now_unix_ = 0;   // unix seconds of this loop wakeup: "created" and Date
    uint32_t open_ = 0;
    bool draining_ = false;
    bool done_ = false;
    timer_entry drain_timer_;    // the drain deadline (not a connection's)
    timer_entry accept_timer_;   // accepting paused (EMFILE without a spare fd) until it fires
    timer_entry reclaim_timer_;  // buffers all lent: when the oldest holder may be reclaimed
    bool accept_paused_ = false;
    rng rng_;
    uint64_t id_seed_;
    uint64_t id_counter_ = 0;
    int64_t date_sec_ = 0;
    char date_[29];
    answer_prefix prefix_;
    char overload_headers_[96];
    size_t overload_headers_len_ = 0;
    char rate_limit_headers_[96];
    size_t rate_limit_headers_len_ = 0;
};

}  // namespace lms
