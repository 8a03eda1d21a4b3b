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
    const config& cfg = srv_.cfg;
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
    // The slot first: a full server answers 503 in microseconds, without parsing the body.
    if (!srv_.slots.try_acquire()) {
        worker_stats::bump(stats_.overload_rejections);
        // Each provider's own overload: OpenAI's 503, Anthropic's 529 overloaded_error.
        reject(d.overload_status, d.overload_status == 529 ? "Overloaded"
                                                           : "The server is overloaded: all MAX_CONCURRENT slots are in use. Retry later.",
               {}, {}, retry_headers);
        return;
    }
    const http_request& rq = p.request();
    generation_request& body = request_;  // reused: the reader resets it (one initialisation, not two)
    auto refuse = [&](int status, std::string_view message, std::string_view param, std::string_view headers,
                      std::string_view code = {}) {
        srv_.slots.release();
        reject(status, message, param, code, headers, body.stream);
    };
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
    const plan_input in{body, ov, cfg, srv_.text_tokens, lf, d.has_original_body, d.dashscope};
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
        const script_status st = build_script(body, plan, srv_.text, *sc, cap, rng_, needed);
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
    plan_schedule(in, plan, rng_);
    out.takes_slot = true;
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
    cur.itl_us = plan.itl_us;
    cur.original_body = plan.original_body;
    cur.created = uint32_t(x.now_unix);
    cur.due_ns = cur.admitted_ns + plan.first_ns;
    worker_stats::bump(stats_.prompt_tokens, cur.original_body ? ORIGINAL_PROMPT_TOKENS : cur.prompt_tokens);
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

}  // namespace lms
