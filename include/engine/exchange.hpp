#pragma once
// exchange: the whole vocabulary between the engine and the layer that answers. The engine
// hands over a complete request (or a due step of an answer in progress) with the time and
// an area to render into; it gets back what to do: respond now, send ready bytes, hold until
// a time, send stream events (and when to come back), or reset the connection.
//
// Level 0. Plain data. The views in a reply point into the area the engine lent for the call
// (or into memory of the answering layer that stays valid until its next call) and are valid
// until the engine's next call into that layer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "observe/stats.hpp"

namespace lms {

// What the engine knows when it calls.
struct exchange_context {
    uint64_t now_ns;         // monotonic time of this loop wakeup
    int64_t now_unix;        // unix seconds of this loop wakeup
    std::string_view date;   // its IMF-fixdate (29 bytes)
    bool keep_alive;         // the connection stays open after this answer (so far)
    bool draining;           // the server is shutting down
    char* area;              // where to render a body, area_cap bytes; the engine may write
    size_t area_cap;         // up to HEAD_ROOM bytes just before area (the head)
    int peer_fd = -1;        // the client's socket: only for naming its address (the admin log)
};

// Bytes readable past the end of a request body (zeroed padding in the read buffer): the
// readers' JSON parser (simdjson) needs them.
inline constexpr size_t BODY_PADDING = 64;

// The bytes in front of exchange_context::area the engine keeps for a response head.
inline constexpr size_t EXCHANGE_HEAD_ROOM = 2048;

enum class reply_kind : uint8_t {
    respond,  // status, content_type, headers, body: the engine writes the head in front
    raw,      // body holds head and body, whole (status is counted)
    hold,     // nothing yet: call step() at due_ns (the request holds its slot)
    events,   // body holds stream events (maybe none); last, or call step() at due_ns
    reset,    // abort the connection with a reset, nothing sent (an injected disconnect)
    queue,    // planned, no slot yet: the engine takes one or queues it (MAX_WAITING), then
              // calls granted(), or queue_refused() when the queue is full
};

struct reply {
    reply_kind kind = reply_kind::respond;
    route r = route::not_found;  // the request's label in the counters (set by on_request)
    int status = 200;
    bool close = false;          // close the connection after this answer
    bool takes_slot = false;     // the answer holds a server slot until it ends
    bool send_head = false;      // events: send the stream's head now even with no event
    bool last = false;           // events: the stream's last write
    bool reset_after = false;    // events: then reset the connection (an injected disconnect)
    std::string_view content_type;
    std::string_view body;
    std::string_view headers;    // respond, events (the stream's head): zero or more complete "Name: value\r\n" lines
    uint64_t due_ns = 0;         // hold, events (not last): when to call step() next
};

}  // namespace lms
