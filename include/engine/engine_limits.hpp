#pragma once
// engine_limits: the engine's named limits and its clock arithmetic, shared by the worker's
// two halves (worker.cpp, connection_io.cpp). Level 0: constants and pure functions.
#include <cstddef>
#include <cstdint>

#include "engine/exchange.hpp"
#include "engine/http_parser.hpp"

namespace lms {

inline constexpr uint64_t LINGER_MS = 2000;    // how long an errored connection may keep sending
// Read buffers all lent: the oldest partial request gives its buffer back (with a 408) once it
// has held it this long; younger ones are left alone and the newcomer waits for a buffer.
inline constexpr uint64_t RECLAIM_AFTER_MS = 250;
inline constexpr int RECLAIM_SCAN = 64;        // holders looked at per reclaim (bounded work)
inline constexpr size_t HEAD_MAX = 1536;       // status line + headers (the per-request lines: up to 1,280)
inline constexpr size_t HEAD_ROOM = EXCHANGE_HEAD_ROOM;  // before the answer area: the head goes there
static_assert(HEAD_ROOM >= HEAD_MAX + 256);
inline constexpr size_t SLACK_BYTES = 8192;    // room for chunk framing and a pipelined next request
inline constexpr size_t PARSER_BYTES = (sizeof(http_parser) + 63) & ~size_t(63);
inline constexpr size_t SCRATCH_BYTES = 256 * 1024;  // the largest answer: metrics, embeddings, long bodies
inline constexpr size_t STREAM_OUT_MAX = 32 * 1024;  // events a slow stream reader may fall behind by

// The wheel ticks in 0.1 ms: a deadline is rounded up to the next tick, so answers and
// tokens leave at most a tick plus the loop's own latency after their time, never before.
inline constexpr uint64_t TICK_NS = 100000;
inline uint64_t ms_ticks(uint64_t ms) noexcept { return ms * (1000000 / TICK_NS); }
inline uint64_t tick_at(uint64_t ns) noexcept { return (ns + TICK_NS - 1) / TICK_NS; }

}  // namespace lms
