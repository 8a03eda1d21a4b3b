// answer_admission: a generated answer is admitted (answer_service::generate): overrides,
// draining, the slot first (a full server answers its overload in microseconds, without
// parsing the body), the dialect's reader, the provider checks, the plan, the script, the
// schedule, the cursor. Every refusal after the slot gives it back before answering.
#include "service/answer_service.hpp"

#include <cstring>
#include <new>

#include "answer/answer_script.hpp"
#include "answer/tokens.hpp"
#include "dialects/dialect.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_models.hpp"
#include "engine/clock.hpp"
#include "engine/engine_limits.hpp"
#include "service/rate_limiter.hpp"
#include "service/route_table.hpp"

namespace lms {

namespace {

// The dialect's echo of the request's fields, behind the script's bytes; brief when the whole
// does not fit, none (the dialect's defaults) when neither does. True when one was kept.
bool echo_request(const dialect& d, const generation_request& rq, answer_script& s, size_t cap) noexcept {
    for (const bool brief : {false, true}) {
        out_buf o(s.bytes() + s.used, cap - s.used);
        d.request_echo(o, rq, brief);
        if (!o.truncated) {
            s.echo_off = s.used;
            s.echo_len = uint32_t(o.len);
            s.used += uint32_t(o.len);
            return true;
        }
    }
    return false;
}

}  // namespace

void answer_service::generate(const http_parser& p, const char* bytes, const exchange_context& x, const dialect& d,
                              answer_cursor& cur, reply& out) noexcept {
    const config& cfg = snap_->cfg;
    const std::string_view retry_headers(overload_headers_, overload_headers_len_);
    const std::string_view rate_limit_headers(rate_limit_headers_, rate_limit_headers_len_);
    overrides ov;
    auto reject = [&](int status, std::string_view message, std::string_view param = {}, std::string_view code = {},
                      std::string_view headers = {}, bool stream = false) {
        fail(x, d, cur, out, failure{status, message, param, code, headers, stream});
    };
    if (cfg.allow_overrides) {
        if (const char* bad = parse_overrides(p, bytes, ov)) {
            reject(400, bad);
            return;
        }
        if (ov.return_error != 0) {
            reject(ov.return_error, "Error injected by the X-Return-Error request header.", {}, {},
                   ov.return_error == 429                             ? rate_limit_headers
                   : ov.return_error == 503 || ov.return_error == 529 ? retry_headers
                                                                      : std::string_view());
            return;
        }
    }
    if (x.draining) {
        out.close = true;
        reject(503, "The server is shutting down.", {}, {}, retry_headers);
        return;
    }
    // Each provider's own overload: OpenAI's 503, Anthropic's 529 overloaded_error.
    auto overloaded = [&]() {
        worker_stats::bump(stats_.overload_rejections);
        reject(d.overload_status, d.overload_status == 529 ? "Overloaded"
                                                           : "The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.",
               {}, {}, retry_headers);
    };
    // The slot first: a full server answers 503 in microseconds, without parsing the body. With
    // rate limits on, the limits come first (a rate-limited request never holds a slot), and
    // they need the body's tokens: the slot is taken once they pass.
    rate_limiter* const limits = srv_.rate != nullptr && srv_.rate->enabled() ? srv_.rate : nullptr;
    // With the waiting queue (MAX_WAITING) the request is planned first and the engine takes
    // its slot, or queues it, from the reply (reply_kind::queue).
    const bool queue_on = srv_.queue.enabled();
    bool holding = false;
    if (limits == nullptr && !queue_on) {
        if (!srv_.slots.try_acquire()) {
            overloaded();
            return;
        }
        holding = true;
    }
    const http_request& rq = p.request();
    generation_request& body = request_;  // reused: the reader resets it (one initialisation, not two)
    auto refuse = [&](int status, std::string_view message, std::string_view param, std::string_view headers,
                      std::string_view code = {}) {
        if (holding) {
            srv_.release_slot(index_);
        }
        reject(status, message, param, code, headers, body.stream);
    };
    // With the prefix cache on, the reader hashes the prompt's blocks as it counts its text.
    prefix_cache* const prefix = srv_.prefix;
    body.blocks = nullptr;
    if (prefix != nullptr) {
        blocks_.reset(cfg.prefix_block_tokens);
        body.blocks = &blocks_;
    }
    body_error err;
    if (!d.read(body_parser_, bytes + rq.body_off, rq.body_len, body, err)) {
        refuse(400, err.message, err.param, "");
        return;
    }
    std::string_view model = body.model.empty() ? std::string_view("qwen-plus") : body.model;
    if (model.size() > answer_cursor::MODEL_MAX) {
        refuse(400, "Invalid 'model': longer than 96 bytes.", "model", "");
        return;
    }
    if (cfg.strict_models && !model_listed(cfg.models, model)) {
        char msg[200];
        out_buf o(msg, sizeof msg);
        o.append("The model `");
        o.append(model);
        o.append("` does not exist or you do not have access to it.");
        refuse(404, o.view(), "model", "", "model_not_found");
        return;
    }
    const uint32_t prompt_tokens = estimate_prompt_tokens(body.prompt_bytes);
    if (cfg.max_model_len != 0 && prompt_tokens > cfg.max_model_len) {
        char msg[240];
        out_buf o(msg, sizeof msg);
        if (d.dashscope) {
            o.format("<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, {}]",
                     cfg.max_model_len);
            refuse(400, o.view(), "", "");
        } else {
            o.format("This model's maximum context length is {} tokens. However, your messages resulted in {} tokens. "
                     "Please reduce the length of the messages.", cfg.max_model_len, prompt_tokens);
            refuse(400, o.view(), "messages", "", "context_length_exceeded");
        }
        return;
    }
    // DashScope's rule (dashscope.md §0 item 11): thinking needs a stream.
    if (d.dashscope && cfg.dashscope_thinking_stream_only && !body.stream && body.thinking == reasoning_ask::on) {
        refuse(400, "parameter.enable_thinking must be set to false for non-streaming calls", "enable_thinking", "");
        return;
    }
    const double lf = load_multiplier();
    // Requests running besides this one (it holds a slot already unless the queue or the rate
    // limits put the slot after the plan).
    const uint32_t running = srv_.slots.active();
    plan_input in{body, ov, cfg, snap_->text_tokens, lf, d.has_original_body, d.dashscope};
    in.others_running = holding ? (running > 0 ? running - 1 : 0) : running;
    answer_plan plan = plan_decide(in, rng_);
    if (plan.refuse != fault::none) {
        worker_stats::bump(stats_.faults[unsigned(plan.refuse)]);
        if (plan.refuse == fault::http_429) {
            refuse(429, "Rate limit reached for requests (injected). Please try again later.", "", rate_limit_headers);
        } else if (plan.refuse == fault::http_500) {
            refuse(500, "The server had an error while processing your request (injected).", "", "");
        } else {
            refuse(503, "The engine is currently overloaded (injected). Please try again later.", "", retry_headers);
        }
        return;
    }
    if (limits != nullptr) {
        // Charged at admission: one request, and the prompt's estimate plus the most the answer
        // may take (max_tokens capped by MAX_OUTPUT_TOKENS, else its planned length).
        const uint64_t out_tokens = body.has_max_tokens
                                        ? (body.max_tokens < cfg.max_output_tokens ? body.max_tokens : cfg.max_output_tokens)
                                        : plan.tokens;
        const uint64_t key = rate_key_hash(api_key(p, bytes));
        const rate_verdict v = limits->admit(key, uint64_t(plan.prompt_tokens) + out_tokens, x.now_ns);
        cur.rate_key = key;
        verdict_ = v;  // the headers of an answer written now say this; later ones ask state()
        verdict_for_ = cur.id_n;
        verdict_ns_ = x.now_ns;
        if (v.early_retry) {
            worker_stats::bump(stats_.early_retries);
        }
        if (v.wait_observed) {
            stats_.retry_wait_ratio.observe(WAIT_RATIO_BUCKETS, uint64_t(v.wait_ratio * 1e6));
        }
        if (v.outcome != rate_outcome::allowed) {
            rate_limited(x, d, cur, out, v, model, body.stream);
            return;
        }
        if (!queue_on) {
            if (!srv_.slots.try_acquire()) {
                overloaded();  // charged: the request reached the provider, which was full
                return;
            }
            holding = true;
        }
    }
    if (script_wanted(body, plan)) {
        // The echoed text, the choices' runs, tool calls and JSON go into a lent buffer: the
        // request's bytes go back now.
        cur.script = scripts_.acquire();
        if (cur.script == nullptr) {
            refuse(503, "The server has no buffer free for this answer. Retry later.", "", retry_headers);
            return;
        }
        answer_script* sc = ::new (cur.script->data()) answer_script;
        bool needed = true;
        const size_t cap = scripts_.capacity() - sizeof(answer_script);
        const script_status st = build_script(body, plan, snap_->text, *sc, cap, rng_, needed);
        if (st == script_status::ok && body.echo_wanted && d.request_echo != nullptr) {
            needed = echo_request(d, body, *sc, cap) || needed;
        }
        if (st != script_status::ok || !needed) {
            end(cur);
        }
        const std::string_view param = plan.tool_calls != 0 ? "tools" : "response_format";
        if (st == script_status::too_large) {
            refuse(400, "The smallest value valid for the request's JSON Schema (tool parameters or response_format) "
                        "does not fit the mock's answer buffer.", param, "");
            return;
        }
        if (st == script_status::bad_schema) {
            refuse(400, "Invalid schema: no value can satisfy it.", param, "");
            return;
        }
    }
    // The prefix cache is asked once the request is sure to run (vLLM asks when it schedules
    // one): its cached tokens cost no prefill and are reported in the usage. Not for the
    // original service's fixed body, whose usage is fixed.
    if (prefix != nullptr && !plan.original_body) {
        const prefix_lookup lk = prefix->lookup_insert(blocks_, x.now_ns, index_);
        in.cached_tokens = lk.cached_tokens < plan.prompt_tokens ? lk.cached_tokens : plan.prompt_tokens;
    }
    plan_schedule(in, plan, rng_);
    out.takes_slot = !queue_on;
    cur.fault_kind = plan.mid;
    cur.fault_at = plan.fault_at;
    cur.tokens_total = plan.tokens;
    cur.finish_length = plan.finish_length;
    std::memcpy(cur.model, model.data(), model.size());
    cur.model_len = uint8_t(model.size());
    cur.stream = plan.stream;
    cur.include_usage = plan.include_usage;
    cur.prompt_tokens = plan.prompt_tokens;
    cur.tokens_sent = 0;
    cur.tokens_done = 0;
    cur.events = 0;
    cur.reasoning_tokens = plan.reasoning_tokens;
    cur.reasoning_shown = plan.reasoning_shown;
    cur.reasoning_details = plan.reasoning_details;
    cur.choices = uint8_t(plan.choices);
    cur.logprobs = plan.logprobs;
    cur.calls = uint8_t(plan.tool_calls);
    // Most answers are one plain text block: no search for it.
    enter_block(cur, !cur.reasoning_shown && cur.calls == 0 && cur.tokens_total != 0 ? BLOCK_CONTENT
                                                                                     : first_block(cur, BLOCK_REASONING));
    cur.last_token_ns = 0;
    cur.mark_us = 0;
    cur.cached_tokens = in.cached_tokens;
    cur.itl_us = plan.itl_us;
    cur.original_body = plan.original_body;
    cur.created = uint32_t(x.now_unix);
    cur.due_ns = cur.admitted_ns + plan.first_ns;
    worker_stats::bump(stats_.prompt_tokens, cur.original_body ? ORIGINAL_PROMPT_TOKENS : cur.prompt_tokens);
    cur.kv_blocks = 0;
    if (queue_on) {
        out.kind = reply_kind::queue;  // the engine: a slot now, a place in the queue, or full
        out.body = {};
        out.due_ns = cur.due_ns;
        return;
    }
    hold_kv(cur);
    if (!cur.stream) {
        if (plan.first_ns == 0) {
            whole(x, d, cur, out, false);
            return;
        }
        out.kind = reply_kind::hold;
        out.due_ns = cur.due_ns;
        return;
    }
    out.kind = reply_kind::events;
    out.body = {};
    out.due_ns = cur.due_ns;
    if (plan.keepalive_ns != 0 && plan.first_ns > plan.keepalive_ns) {
        // Headers now, then ": keep-alive" comments until the first token.
        out.send_head = true;
        out.due_ns = cur.admitted_ns + plan.keepalive_ns;
    }
}

void answer_service::hold_kv(answer_cursor& cur) noexcept {
    if (srv_.prefix == nullptr) {
        return;
    }
    const uint64_t bt = srv_.cfg.prefix_block_tokens;
    const uint64_t tokens = uint64_t(cur.prompt_tokens) + (uint64_t(cur.tokens_total) + cur.reasoning_tokens) * cur.choices;
    cur.kv_blocks = uint32_t((tokens + bt - 1) / bt);
    srv_.prefix->hold(cur.kv_blocks, index_);
}

// The slot came (at once, or after the wait): the plan's times move by the wait, so the first
// token is due the planned TTFT after the grant and the client sees queue + TTFT, as on vLLM.
// A queued stream sends no keep-alive comments (nothing is sent while it waits).
void answer_service::granted(const exchange_context& x, answer_cursor& cur, reply& out) noexcept {
    acquire_settings();
    const uint64_t waited = x.now_ns > cur.admitted_ns ? x.now_ns - cur.admitted_ns : 0;
    stats_.queue_time.observe(DELAY_BUCKETS, waited / 1000);
    cur.due_ns += waited;
    cur.mark_us = uint32_t(waited / 1000 < UINT32_MAX ? waited / 1000 : UINT32_MAX);
    hold_kv(cur);
    out.takes_slot = true;
    out.kind = cur.stream ? reply_kind::events : reply_kind::hold;
    out.body = {};
    out.due_ns = cur.due_ns;  // a whole answer due now is written by the timer, this loop turn
}

void answer_service::queue_refused(const exchange_context& x, answer_cursor& cur, reply& out, bool timed_out) noexcept {
    acquire_settings();
    const dialect& d = *route_dialect(cur.dialect);
    const config& c = cfg();
    worker_stats::bump(timed_out ? stats_.queue_timeouts : stats_.queue_full);
    const bool too_many = c.queue_full_status == 429;
    const int status = too_many ? 429 : d.overload_status;
    char msg[200];
    out_buf m(msg, sizeof msg);
    if (timed_out) {
        m.format("The request waited MAX_WAIT_SECONDS ({} s) in the queue without a slot. Retry later.",
                 double(c.max_wait_ms) / 1000.0);
    } else if (d.overload_status == 529 && !too_many) {
        m.append("Overloaded");
    } else {
        m.format("The server is overloaded: all MAX_CONCURRENT slots are in use and {} requests are waiting "
                 "(MAX_WAITING). Retry later.", srv_.queue.capacity());
    }
    const std::string_view code = too_many ? std::string_view("rate_limit_exceeded") : std::string_view();
    const std::string_view retry_headers(overload_headers_, overload_headers_len_);
    end(cur);
    fail(x, d, cur, out, failure{status, m.view(), {}, code, retry_headers, cur.stream});
}

// The 429 of a request the limits refused, in OpenAI's words ("Rate limit reached for <model>
// in organization org-mock on requests per min (RPM): Limit 60, Used 60, Requested 1. Please
// try again in 1s.", type requests or tokens, code rate_limit_exceeded), DashScope's
// (limit_requests / insufficient_quota) or Anthropic's (rate_limit_error), with retry-after
// (whole seconds, rounded up) and retry-after-ms (the exact wait, rounded up): a client that
// waits that long gets through. A request larger than the whole TPM can never pass: no
// retry-after.
void answer_service::rate_limited(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out,
                                  const rate_verdict& v, std::string_view model, bool stream) noexcept {
    const bool tokens = v.outcome != rate_outcome::limited_requests;
    worker_stats::bump(tokens ? stats_.rate_limited_tokens : stats_.rate_limited_requests);
    char msg[400];
    out_buf m(msg, sizeof msg);
    char hdr[96];
    out_buf h(hdr, sizeof hdr);
    if (v.outcome != rate_outcome::too_large &&
        (d.rate_headers != rate_header_style::dashscope || cfg().rate_limit_headers_compat)) {
        const uint64_t ms = (v.retry_after_ns + 999999) / 1000000;
        h.format("retry-after: {}\r\nretry-after-ms: {}\r\n", (ms + 999) / 1000, ms);
    }
    std::string_view type, code;
    if (d.rate_headers == rate_header_style::dashscope) {
        code = tokens ? "insufficient_quota" : "limit_requests";
        m.append(tokens ? "You exceeded your current quota, please check your plan and billing details."
                        : "You have exceeded your current request limit.");
    } else if (d.rate_headers == rate_header_style::anthropic) {
        m.append(v.outcome == rate_outcome::too_large
                     ? "This request's tokens exceed your per-minute rate limit: it can never be served; "
                       "reduce the prompt length or max_tokens."
                 : tokens ? "Number of request tokens has exceeded your per-minute rate limit; see the response "
                            "headers for current usage. Please reduce the prompt length or the maximum tokens "
                            "requested, or try again later."
                          : "Number of requests has exceeded your per-minute rate limit; see the response headers for "
                            "current usage. Please try again later.");
    } else {
        type = tokens ? "tokens" : "requests";
        code = "rate_limit_exceeded";
        if (v.outcome == rate_outcome::too_large) {
            m.format("Request too large for {} in organization org-mock on tokens per min (TPM): Limit {}, Requested {}. "
                     "The input or output tokens must be reduced in order to run successfully.",
                     model.substr(0, 96), v.limit_tokens, v.requested_tokens);
        } else {
            const uint64_t limit = tokens ? v.limit_tokens : v.limit_requests;
            const uint64_t used = limit - (tokens ? v.remaining_tokens : v.remaining_requests);
            m.format("Rate limit reached for {} in organization org-mock on {} per min ({}): Limit {}, Used {}, "
                     "Requested {}. Please try again in ", model.substr(0, 96), tokens ? "tokens" : "requests",
                     tokens ? "TPM" : "RPM", limit, used, tokens ? v.requested_tokens : 1);
            append_openai_duration(m, v.retry_after_ns);
            m.append('.');
        }
    }
    fail(x, d, cur, out, failure{429, m.view(), {}, code, h.view(), stream, type});
}

}  // namespace lms
