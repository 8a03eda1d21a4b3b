#pragma once
// answer_plan: what to say and when, decided once per request from the neutral request, the
// settings and the request's overrides — refuse at once (which fault), or how many tokens of
// which text, whether a fault strikes mid-answer, and the schedule: the whole answer's time,
// or the first token's (TTFT) and then every further token on absolute times (ITL draws).
// And answer_cursor: the compact, fixed-size record a connection keeps of where its answer
// stands; the text itself is cut from the server's text (or the lent echo buffer) as it goes.
//
// Level 0. Pure: time and the random stream are arguments; the same inputs and the same
// seeded stream give the same plan. No syscalls, no allocation. Any thread (the rng is the
// caller's).
#include <cstdint>

#include "answer/generation_request.hpp"
#include "answer/latency_model.hpp"
#include "answer/overrides.hpp"
#include "engine/buffer_pool.hpp"
#include "observe/stats.hpp"
#include "settings/config.hpp"

namespace lms {

inline constexpr uint32_t NO_ITL_OVERRIDE = 0xffffffffu;

struct plan_input {
    const generation_request& request;
    const overrides& ov;
    const config& cfg;
    uint32_t text_tokens;   // the server's answer text, in tokens
    double load;            // latency multiplier: 1 + LOAD_FACTOR x slot usage
    bool original_dialect;  // the dialect has the original service's fixed body
    bool shows_effort_reasoning = false;  // reasoning asked by reasoning_effort is shown as text (DashScope)
    uint32_t others_running = 0;          // requests running besides this one (ITL_PER_RUNNING_STREAM)
    uint32_t cached_tokens = 0;           // prompt tokens the prefix cache holds (no prefill cost)
};

struct answer_plan {
    fault refuse = fault::none;   // http_429 / http_500 / http_503: answer that at once
    fault mid = fault::none;      // disconnect / stall / stream_error: strikes mid-answer
    uint32_t fault_at = 0;        // tokens sent when a mid-stream fault strikes
    bool echo = false;            // the text is the request's last user message
    bool stream = false;
    bool include_usage = false;
    bool finish_length = false;   // max_tokens cut the answer: finish_reason "length"
    bool original_body = false;   // the original service's fixed body (fixed usage)
    uint32_t tokens = 0;          // completion tokens
    uint32_t prompt_tokens = 0;
    uint32_t itl_us = NO_ITL_OVERRIDE;  // X-Mock-ITL
    uint64_t first_ns = 0;        // admission -> the whole answer, or the first token (prefill included)
    uint64_t prefill_ns = 0;      // of first_ns: PREFILL_OVERHEAD_SECONDS + uncached prompt tokens x the rate
    uint64_t keepalive_ns = 0;    // streams: ": keep-alive" comments this often before it
    // Agents: each choice's reasoning before its answer, and tool calls instead of content.
    uint32_t reasoning_tokens = 0;
    bool reasoning_shown = false;    // as reasoning_content text (else only counted and waited for)
    bool reasoning_details = false;  // usage says completion_tokens_details
    bool json = false;               // the content is JSON (response_format json_object / json_schema)
    uint32_t choices = 1;
    uint32_t tool_calls = 0;         // > 0: the answer is this many tool calls
    uint32_t first_tool = 0;         // the named tool, or where the round-robin over the tools starts
    uint8_t logprobs = 0;            // 0: none; else 1 + top_logprobs
};

// The whole plan: plan_decide, then plan_schedule. Draws, in this order: the at-once fault, the
// mid-answer fault, the first tool (tool answers only), the first delay (plain or TTFT), and for
// a whole timed answer one ITL per further token (reasoning included).
[[nodiscard]] answer_plan plan_answer(const plan_input& in, rng& r) noexcept;
// What to say: faults, tokens, reasoning, tool calls, choices (no delay yet).
[[nodiscard]] answer_plan plan_decide(const plan_input& in, rng& r) noexcept;
// When: first_ns (and keepalive_ns) for p.tokens content tokens after p.reasoning_tokens; a
// caller that fixes p.tokens after plan_decide (tool arguments, JSON) schedules then.
void plan_schedule(const plan_input& in, answer_plan& p, rng& r) noexcept;

// The gap before the next streamed token: X-Mock-ITL, or an ITL draw stretched by load, plus
// ITL_PER_RUNNING_STREAM for each of the others requests running besides this one.
[[nodiscard]] uint64_t token_gap_ns(uint32_t itl_us, const config& cfg, double load, uint32_t others,
                                    rng& r) noexcept;
// The prefill time of a prompt of prompt_tokens, cached_tokens of them in the prefix cache.
[[nodiscard]] uint64_t prefill_ns(const config& cfg, uint32_t prompt_tokens, uint32_t cached_tokens) noexcept;

// The blocks of each choice, in order: its reasoning, its content, then tool call i as block
// BLOCK_CALL + i (tool answers have no content block).
inline constexpr uint8_t BLOCK_REASONING = 0;
inline constexpr uint8_t BLOCK_CONTENT = 1;
inline constexpr uint8_t BLOCK_CALL = 2;
inline constexpr uint8_t BLOCK_DONE = 0xff;  // every block sent

// Kept small: a held request costs this (inside its connection record) plus its socket.
struct answer_cursor {
    static constexpr unsigned MODEL_MAX = 96;  // longest model name echoed back

    // What the answer says beyond the server's text (the echoed message, each choice's run,
    // tool calls, JSON: an answer_script), lent from the worker's pool; null for plain answers.
    pool_buffer* script = nullptr;
    uint64_t admitted_ns = 0;     // when the request took its slot (monotonic)
    uint64_t due_ns = 0;          // when the answer (or the next token) is scheduled
    uint64_t last_token_ns = 0;
    uint64_t id_n = 0;            // the answer's id is derived from it (same in every event)
    uint64_t rate_key = 0;        // the API key's hash when a rate limit applies (its headers); 0: none
    uint32_t created = 0;         // unix seconds (until 2106), the answer's "created"
    uint32_t tokens_total = 0;    // content tokens per choice (tool answers: all calls' arguments)
    uint32_t tokens_sent = 0;     // the token index in the current block
    uint32_t tokens_done = 0;     // token steps taken in all blocks (one per step for all choices)
    uint32_t prompt_tokens = 0;
    uint32_t text_off = 0;        // next token's offset in the current block's text
    uint32_t fault_at = 0;
    uint32_t itl_us = NO_ITL_OVERRIDE;
    uint32_t reasoning_tokens = 0;  // per choice, before its content
    uint32_t events = 0;          // events a numbering dialect has sent (answer_meta::events)
    // us from admission: the wait for a slot (MAX_WAITING; the plan moved by it) until a
    // stream's first token, then that token's time (vLLM's prefill and decode phases).
    uint32_t mark_us = 0;
    uint32_t cached_tokens = 0;   // of prompt_tokens, found in the prefix cache
    uint32_t kv_blocks = 0;       // prefix-cache blocks this running request holds (kv_cache_usage_perc)
    uint8_t dialect = 0;          // which dialect speaks: its row in the route table
    uint8_t choices = 1;
    uint8_t block = BLOCK_REASONING;  // the block being produced
    uint8_t calls = 0;            // tool calls (their names and arguments are in the script)
    uint8_t logprobs = 0;         // 0: none; else 1 + top_logprobs
    fault fault_kind = fault::none;
    bool stream : 1 = false;      // one byte for the six flags
    bool include_usage : 1 = false;
    bool original_body : 1 = false;
    bool finish_length : 1 = false;
    bool reasoning_shown : 1 = false;
    bool reasoning_details : 1 = false;
    uint8_t model_len = 0;
    char model[MODEL_MAX];
};

}  // namespace lms
