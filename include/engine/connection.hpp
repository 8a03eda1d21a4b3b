#pragma once
// connection: one client connection's record in a worker's fixed pool, and the intrusive
// lists that link records. Level 2 (engine). Owned and touched by its worker's thread only.
//
// A connection waiting for its answer holds only this record (no buffer) plus the kernel's
// socket: read buffers are lent while a request is being read and taken back once it is
// parsed; write buffers only while a response is partly unsent. The answer in progress is a
// compact cursor the engine never reads: the answering side keeps it.
#include <cstdint>

#include "answer/answer_plan.hpp"
#include "engine/buffer_pool.hpp"
#include "engine/timer_wheel.hpp"
#include "observe/stats.hpp"

namespace lms {

enum class conn_phase : uint8_t {
    free,       // in the free list
    reading,    // idle keep-alive, or a request partly received
    waiting,    // holds a slot, its answer's timer is armed
    queued,     // planned, waiting for a slot in the wait_queue (no slot, no buffer held)
    streaming,  // holds a slot, sending tokens on timers (text/event-stream)
    sending,    // a response is partly written (out buffer lent)
    lingering,  // shut down for writing after an error; draining input until EOF or timeout
};

enum class timer_kind : uint8_t { none, header, idle, answer, linger, queue };

// One client connection. The timer must stay the first member: the wheel hands back
// timer_entry pointers and the worker converts them to connections.
struct connection {
    timer_entry timer;
    pool_buffer* in = nullptr;   // lent read buffer: parser state + bytes of the current request
    pool_buffer* out = nullptr;  // lent write buffer: the unsent tail of a response
    // Links in one of the worker's two lists: connections waiting for a read buffer (in is
    // null), or connections holding one (in is set), oldest first.
    connection* link_prev = nullptr;
    connection* link_next = nullptr;
    uint64_t in_since = 0;       // tick the read buffer was lent (the oldest is reclaimed first)
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
    bool chunked = false;        // a stream framed with Transfer-Encoding: chunked (HTTP/1.1)
    bool headers_sent = false;   // a stream's head is out
    uint32_t queue_node = UINT32_MAX;  // conn_phase::queued: its ticket in srv.queue (wait_queue::NO_NODE)
    answer_cursor answer;        // where the answer in progress stands (the answering side's)
};

// An intrusive list of connections through link_prev/link_next. O(1), no allocation.
struct conn_list {
    connection* head = nullptr;
    connection* tail = nullptr;
    void push_back(connection& c) noexcept;
    void remove(connection& c) noexcept;
};

}  // namespace lms
