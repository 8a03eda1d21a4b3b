// answer_plan: the decisions the worker's request handler used to make inline, in the same
// order and with the same draws, so that a seeded run answers as it always did.
#include "answer/answer_plan.hpp"

#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"

namespace lms {

uint64_t token_gap_ns(uint32_t itl_us, const config& cfg, double load, uint32_t others, rng& r) noexcept {
    if (itl_us != NO_ITL_OVERRIDE) {
        return uint64_t(itl_us) * 1000;
    }
    return uint64_t((cfg.itl.sample(r) * load + cfg.itl_per_running * double(others)) * 1e9);
}

uint64_t prefill_ns(const config& cfg, uint32_t prompt_tokens, uint32_t cached_tokens) noexcept {
    const uint32_t uncached = prompt_tokens > cached_tokens ? prompt_tokens - cached_tokens : 0;
    return cfg.prefill_overhead_ms * 1'000'000 + uint64_t(double(uncached) * cfg.prefill_per_1k * 1e6);
}

namespace {

// Reasoning tokens per choice (the rule): REASONING_TOKENS for enable_thinking and for
// medium effort, a quarter for low, four times for high, none for none/minimal or thinking
// off; X-Mock-Reasoning-Tokens overrides them all; thinking_budget caps the result.
void plan_reasoning(const plan_input& in, answer_plan& p) noexcept {
    const generation_request& rq = in.request;
    const uint64_t base = in.cfg.reasoning_tokens;
    uint64_t n = 0;
    bool asked = true;
    if (rq.thinking != reasoning_ask::unset) {
        n = rq.thinking == reasoning_ask::on ? base : 0;
    } else {
        switch (rq.effort) {
        case effort_level::unset: asked = false; break;
        case effort_level::none:
        case effort_level::minimal: n = 0; break;
        case effort_level::low: n = base / 4; break;
        case effort_level::medium: n = base; break;
        case effort_level::high: n = base * 4; break;
        }
    }
    if (in.ov.has_reasoning_tokens) {
        n = in.ov.reasoning_tokens;
        asked = true;
    }
    if (rq.has_thinking_budget && n > rq.thinking_budget) {
        n = rq.thinking_budget;
    }
    p.reasoning_tokens = uint32_t(n > 0xffffu * 4 ? 0xffffu * 4 : n);
    p.reasoning_details = asked || n != 0;
    p.reasoning_shown = n != 0 && (rq.thinking == reasoning_ask::on || rq.show_reasoning || in.shows_effort_reasoning);
}

// Tool calls (the rule): required or a named function always, none never, auto (the
// default with tools) while the conversation has had fewer than TOOL_ROUNDS tool-call turns
// since the last user message. How many: X-Mock-Tool-Calls, else TOOL_CALLS unless
// parallel_tool_calls is false.
void plan_tools(const plan_input& in, answer_plan& p, rng& r) noexcept {
    const generation_request& rq = in.request;
    if (rq.tool_count == 0) {
        return;
    }
    bool call = false;
    switch (rq.tool_choice) {
    case tool_choice_kind::none: call = false; break;
    case tool_choice_kind::required:
    case tool_choice_kind::named: call = true; break;
    case tool_choice_kind::unset:
    case tool_choice_kind::auto_: call = rq.tool_turns < in.cfg.tool_rounds; break;
    }
    if (!call) {
        return;
    }
    uint32_t n = in.ov.has_tool_calls ? in.ov.tool_calls : rq.parallel_tool_calls ? in.cfg.tool_calls : 1;
    p.tool_calls = n > MAX_TOOL_CALLS ? MAX_TOOL_CALLS : n;
    if (p.tool_calls != 0) {
        p.first_tool = rq.tool_choice == tool_choice_kind::named ? rq.tool_choice_index
                                                                  : uint32_t(r.next() % rq.tool_count);
    }
}

// The sum of n gaps: drawn one by one up to 64, beyond that 64 draws scaled (a long hidden
// reasoning must not cost thousands of draws at admission).
uint64_t gaps_ns(uint32_t n, const plan_input& in, uint32_t itl_us, rng& r) noexcept {
    const uint32_t draws = n < 64 ? n : 64;
    uint64_t sum = 0;
    for (uint32_t k = 0; k < draws; ++k) {
        sum += token_gap_ns(itl_us, in.cfg, in.load, in.others_running, r);
    }
    return draws == n ? sum : uint64_t(double(sum) * double(n) / double(draws));
}

}  // namespace

answer_plan plan_answer(const plan_input& in, rng& r) noexcept {
    answer_plan p = plan_decide(in, r);
    if (p.refuse == fault::none) {
        plan_schedule(in, p, r);
    }
    return p;
}

answer_plan plan_decide(const plan_input& in, rng& r) noexcept {
    const config& cfg = in.cfg;
    const generation_request& rq = in.request;
    const overrides& ov = in.ov;
    answer_plan p;
    // Faults: errors at once (no slot kept) ...
    double u = r.uniform();
    if (u < cfg.fault_429 + cfg.fault_500 + cfg.fault_503) {
        p.refuse = u < cfg.fault_429 ? fault::http_429 : u < cfg.fault_429 + cfg.fault_500 ? fault::http_500 : fault::http_503;
        return p;
    }
    // ... and the ones that strike mid-answer.
    double v = r.uniform();
    if (v < cfg.fault_disconnect) {
        p.mid = fault::disconnect;
    } else if (v < cfg.fault_disconnect + cfg.fault_stall) {
        p.mid = fault::stall;
    } else if (rq.stream && v < cfg.fault_disconnect + cfg.fault_stall + cfg.fault_stream_error) {
        p.mid = fault::stream_error;
    }
    p.fault_at = cfg.fault_after_tokens;

    // What to say: the server's text, or the last user message (echo), cut into tokens.
    uint32_t natural = in.text_tokens;
    if (cfg.content == content_mode::echo && !rq.last_user.empty()) {
        p.echo = true;
        natural = count_tokens(rq.last_user);
    }
    if (cfg.output_tokens != 0) {
        natural = cfg.output_tokens;
    }
    if (ov.has_tokens) {
        natural = ov.tokens;
    }
    natural = natural > cfg.max_output_tokens ? cfg.max_output_tokens : natural == 0 ? 1 : natural;
    p.tokens = natural;
    if (rq.has_max_tokens && rq.max_tokens < natural) {
        p.tokens = uint32_t(rq.max_tokens);
        p.finish_length = true;
    }
    p.stream = rq.stream;
    p.include_usage = rq.stream && rq.include_usage;
    p.prompt_tokens = estimate_prompt_tokens(rq.prompt_bytes);
    p.itl_us = ov.has_itl ? uint32_t(ov.itl_ms * 1000) : NO_ITL_OVERRIDE;
    plan_reasoning(in, p);
    plan_tools(in, p, r);
    p.choices = rq.n == 0 ? 1 : rq.n;
    p.logprobs = rq.logprobs;
    p.json = p.tool_calls == 0 && (rq.response_format == response_format_kind::json_object ||
                                   rq.response_format == response_format_kind::json_schema);
    const bool timed = rq.stream || cfg.has_ttft || ov.has_ttft || ov.has_itl;
    p.original_body = in.original_dialect && !timed && cfg.content == content_mode::original &&
                      cfg.output_tokens == 0 && !ov.has_tokens && !rq.has_max_tokens && p.choices == 1 &&
                      p.tool_calls == 0 && !p.json && !p.reasoning_details && rq.stop_count == 0 &&
                      p.logprobs == 0;
    return p;
}

void plan_schedule(const plan_input& in, answer_plan& p, rng& r) noexcept {
    const config& cfg = in.cfg;
    const generation_request& rq = in.request;
    const overrides& ov = in.ov;
    // When: the plain delay, or TTFT (+ ITL per further token for a whole answer), each drawn
    // from its latency model and stretched by the load factor. Streams then schedule every
    // token on absolute times (admitted + TTFT + the ITL draws), so errors never accumulate.
    // Reasoning tokens take time like any other: shown ones are streamed tokens, hidden ones
    // (OpenAI's) push the first content token back by their gaps.
    const bool timed = rq.stream || cfg.has_ttft || ov.has_ttft || ov.has_itl;
    if (!timed) {
        p.first_ns = ov.has_delay ? ov.delay_ms * 1000000 : uint64_t(cfg.delay_model.sample(r) * in.load * 1e9);
    } else {
        p.first_ns = ov.has_ttft ? ov.ttft_ms * 1000000
                                 : uint64_t((cfg.has_ttft ? cfg.ttft : cfg.delay_model).sample(r) * in.load * 1e9);
        if (!rq.stream) {
            for (uint32_t k = 1; k < p.tokens; ++k) {
                p.first_ns += token_gap_ns(p.itl_us, cfg, in.load, in.others_running, r);
            }
            p.first_ns += gaps_ns(p.reasoning_tokens, in, p.itl_us, r);
        } else if (!p.reasoning_shown) {
            p.first_ns += gaps_ns(p.reasoning_tokens, in, p.itl_us, r);
        }
    }
    // Prefill: the prompt's uncached tokens (as usage counts them) before anything, streamed or
    // whole, as on a real server (vLLM's TTFT = queue + prefill + the first decode step).
    p.prefill_ns = prefill_ns(cfg, p.original_body ? ORIGINAL_PROMPT_TOKENS : p.prompt_tokens, in.cached_tokens);
    p.first_ns += p.prefill_ns;
    if (!rq.stream && p.mid == fault::stall) {
        p.first_ns += cfg.fault_stall_ms * 1000000;  // a whole answer stalls as one long delay
    }
    p.keepalive_ns = rq.stream ? cfg.sse_keepalive_ms * 1000000 : 0;
}

}  // namespace lms
