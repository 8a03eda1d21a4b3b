// answer_plan: the decisions the worker's request handler used to make inline, in the same
// order and with the same draws, so that a seeded run answers as it always did.
#include "answer/answer_plan.hpp"

#include "answer/tokens.hpp"

namespace lms {

uint64_t token_gap_ns(uint32_t itl_us, const config& cfg, double load, rng& r) noexcept {
    if (itl_us != NO_ITL_OVERRIDE) {
        return uint64_t(itl_us) * 1000;
    }
    return uint64_t(cfg.itl.sample(r) * load * 1e9);
}

answer_plan plan_answer(const plan_input& in, rng& r) noexcept {
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
    const bool timed = rq.stream || cfg.has_ttft || ov.has_ttft || ov.has_itl;
    p.original_body = in.original_dialect && !timed && cfg.content == content_mode::original &&
                      cfg.output_tokens == 0 && !ov.has_tokens && !rq.has_max_tokens;

    // When: the plain delay, or TTFT (+ ITL per further token for a whole answer), each drawn
    // from its latency model and stretched by the load factor. Streams then schedule every
    // token on absolute times (admitted + TTFT + the ITL draws), so errors never accumulate.
    if (!timed) {
        p.first_ns = ov.has_delay ? ov.delay_ms * 1000000 : uint64_t(cfg.delay_model.sample(r) * in.load * 1e9);
    } else {
        p.first_ns = ov.has_ttft ? ov.ttft_ms * 1000000
                                 : uint64_t((cfg.has_ttft ? cfg.ttft : cfg.delay_model).sample(r) * in.load * 1e9);
        if (!rq.stream) {
            for (uint32_t k = 1; k < p.tokens; ++k) {
                p.first_ns += token_gap_ns(p.itl_us, cfg, in.load, r);
            }
        }
    }
    if (!rq.stream && p.mid == fault::stall) {
        p.first_ns += cfg.fault_stall_ms * 1000000;  // a whole answer stalls as one long delay
    }
    p.keepalive_ns = rq.stream ? cfg.sse_keepalive_ms * 1000000 : 0;
    return p;
}

}  // namespace lms
