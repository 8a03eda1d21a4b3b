#pragma once
// overrides: one request's own behaviour, from its X-Mock-* and X-Return-Error headers
// (when ALLOW_OVERRIDES is on): delay, TTFT, ITL, output tokens, tool calls, reasoning tokens,
// an injected error status.
//
// Level 0. No syscalls, no allocation; reads the parser's header table over the request's
// bytes. Any thread.
#include <cstdint>

#include "engine/http_parser.hpp"

namespace lms {

struct overrides {
    bool has_delay = false;
    bool has_ttft = false;
    bool has_itl = false;
    bool has_tokens = false;
    uint64_t delay_ms = 0;
    uint64_t ttft_ms = 0;
    uint64_t itl_ms = 0;
    uint32_t tokens = 0;
    bool has_tool_calls = false;
    bool has_reasoning_tokens = false;
    uint32_t tool_calls = 0;        // X-Mock-Tool-Calls: 0..MAX_TOOL_CALLS calls in a tool answer
    uint32_t reasoning_tokens = 0;  // X-Mock-Reasoning-Tokens
    int return_error = 0;  // 400..599, 0: none
};

// Fills o from the request's header fields; nullptr, or a static message naming the bad
// header (the caller answers 400 with it). The FIRST field of a name counts, an empty one
// counts as absent (as http_parser::header()).
[[nodiscard]] const char* parse_overrides(const http_parser& p, const char* buf, overrides& o) noexcept;

}  // namespace lms
