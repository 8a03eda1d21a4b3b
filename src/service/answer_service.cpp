// answer_service: the request's way through the answering side (see shared/design.md):
// route -> overrides -> slot or 503 -> the dialect's reader (one simdjson pass) -> the answer
// plan -> the cursor; then on each timer the dialect renders what is due.
//
// The slot is taken before the body is parsed: a full server answers 503 in microseconds.
// Every refusal after that gives the slot back before answering.
#include "service/answer_service.hpp"

#include <cstring>
#include <ctime>
#include <new>
#include <unistd.h>

#include "answer/answer_script.hpp"
#include "answer/tokens.hpp"
#include "dialects/dialect.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_embeddings.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_models.hpp"
#include "engine/engine_limits.hpp"
#include "engine/clock.hpp"
#include "observe/health_metrics.hpp"
#include "service/route_table.hpp"

namespace lms {

namespace {

constexpr size_t ERROR_BODY_MAX = 2048;

// The providers' 401 messages (OpenAI's; DashScope's, dashscope.md §6.3).
constexpr std::string_view OPENAI_NO_KEY =
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
    "(i.e. Authorization: Bearer YOUR_KEY).";
constexpr std::string_view OPENAI_BAD_KEY =
    "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.";
static_assert(json_body_parser::PADDING == BODY_PADDING, "the read buffer pads bodies for simdjson");


void respond(reply& out, int status, std::string_view content_type, std::string_view body,
             std::string_view headers = {}) noexcept {
    out.kind = reply_kind::respond;
    out.status = status;
    out.content_type = content_type;
    out.body = body;
    out.headers = headers;
}

}  // namespace

answer_service::answer_service(server& s, unsigned index, uint32_t max_connections)
    : srv_(s), stats_(s.stats[index]), scripts_(max_connections, SCRIPT_BYTES, 0), index_(index), body_parser_(s.cfg.max_body_bytes), rng_(1) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id_seed_ = splitmix64(uint64_t(ts.tv_nsec) ^ (uint64_t(ts.tv_sec) << 20) ^ uint64_t(getpid()));
    // Epoch milliseconds from the monotonic clock (DashScope's req-arrive-time and
    // resp-start-time): one offset, read once.
    timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    realtime_offset_ns_ = (int64_t(ts.tv_sec) - int64_t(mono.tv_sec)) * 1000000000 + (ts.tv_nsec - mono.tv_nsec);
    // REQUIRE_API_KEY: the accepted keys, views into the settings (which live as long as the server).
    std::string_view keys = s.cfg.require_api_key;
    while (!keys.empty() && api_key_count_ < MAX_API_KEYS) {
        const size_t comma = keys.find(',');
        std::string_view k = keys.substr(0, comma);
        while (!k.empty() && k.front() == ' ') {
            k.remove_prefix(1);
        }
        while (!k.empty() && k.back() == ' ') {
            k.remove_suffix(1);
        }
        if (!k.empty()) {
            api_keys_[api_key_count_++] = k;
        }
        keys = comma == std::string_view::npos ? std::string_view() : keys.substr(comma + 1);
    }
    // SEED makes latency draws and faults reproducible; each worker has its own stream.
    rng_ = rng(s.cfg.seed != 0 ? splitmix64(s.cfg.seed + index) : splitmix64(id_seed_ + index));
    out_buf h(overload_headers_, sizeof overload_headers_);
    h.format("Retry-After: {}\r\n", s.cfg.retry_after_s);
    if (s.cfg.should_retry != retry_hint::none) {
        h.append(s.cfg.should_retry == retry_hint::yes ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n");
    }
    overload_headers_len_ = h.len;
    // 429s carry Retry-After and the milliseconds form the OpenAI SDKs read first.
    out_buf r(rate_limit_headers_, sizeof rate_limit_headers_);
    r.format("Retry-After: {}\r\nretry-after-ms: {}\r\n", s.cfg.retry_after_s, uint64_t(s.cfg.retry_after_s) * 1000);
    rate_limit_headers_len_ = r.len;
    if (!s.cfg.cors_allow_origin.empty()) {
        out_buf c(cors_line_, sizeof cors_line_);
        c.append("Access-Control-Allow-Origin: ");
        c.append(s.cfg.cors_allow_origin);
        c.append("\r\nAccess-Control-Expose-Headers: x-request-id, retry-after, retry-after-ms\r\n");
        cors_line_len_ = c.truncated ? 0 : c.len;
    }
}

std::string_view answer_service::error_body(int status, std::string_view message, char* area, size_t cap) noexcept {
    out_buf b(area, cap < ERROR_BODY_MAX ? cap : ERROR_BODY_MAX);
    render_openai_error(b, status, message, "");
    return b.view();
}

void answer_service::on_request(const http_parser& p, const char* bytes, const exchange_context& x,
                                answer_cursor& cur, reply& out) noexcept {
    const std::string_view target = p.target(bytes);
    route_match m = match_route(p.request().method, target);
    out.r = m.r;
    // Every answer (errors too) has its request id: the cursor names it from here on.
    cur.id_n = (uint64_t(index_) << 48) + id_counter_++;
    cur.admitted_ns = x.now_ns;
    // The provider whose words, ids and headers an answer that is not generated takes.
    const dialect& provider = target.substr(0, 16) == "/compatible-mode" ? DASHSCOPE_CHAT : OPENAI_CHAT;
    if (m.r == route::not_found) {
        char msg[160];
        out_buf o(msg, sizeof msg);
        o.format("Invalid URL ({} {}).", p.method_name(bytes), target.substr(0, 100));
        fail(x, provider, cur, out, failure{404, o.view()});
        return;
    }
    if (!m.method_ok) {
        if (p.request().method == http_method::options && cors_line_len_ != 0) {
            preflight(p, bytes, m, x, out);
            return;
        }
        // The Allow line lives in the area behind the error body (the reply's views must
        // outlive this call).
        out_buf a(x.area + ERROR_BODY_MAX, 64);
        a.format("Allow: {}\r\n", m.allow);
        char msg[160];
        out_buf o(msg, sizeof msg);
        o.format("Method {} is not allowed on this path; allowed: {}.", p.method_name(bytes).substr(0, 32), m.allow);
        fail(x, provider, cur, out, failure{405, o.view(), {}, {}, a.view()});
        return;
    }
    if (m.h == handler_kind::health || m.h == handler_kind::metrics) {
        out_buf b(x.area, m.h == handler_kind::health ? HEALTH_BODY_MAX : METRICS_BODY_MAX);
        if (m.h == handler_kind::health) {
            int status = render_health(b, srv_);
            respond(out, status, "application/json", b.view());
        } else {
            render_metrics(b, srv_);
            respond(out, 200, "text/plain; version=0.0.4; charset=utf-8", b.view());
        }
        return;
    }
    const dialect& d = m.d != nullptr ? *m.d : provider;
    bool missing = false;
    if (!key_accepted(p, bytes, missing)) {
        const std::string_view own = missing ? d.missing_key_message : d.bad_key_message;
        fail(x, d, cur, out,
             failure{401, !own.empty() ? own : missing ? OPENAI_NO_KEY : OPENAI_BAD_KEY, {}, "invalid_api_key"});
        return;
    }
    switch (m.h) {
    case handler_kind::generate:
        cur.dialect = m.row;
        generate(p, bytes, x, d, cur, out);
        return;
    case handler_kind::embeddings:
        embeddings(p, bytes, x, d, cur, out);
        return;
    case handler_kind::models: {
        out_buf b(x.area, x.area_cap);
        render_models(b, srv_.cfg.models, srv_.start_unix);
        respond(out, 200, "application/json", b.view(), request_headers(d, cur, x.now_ns));
        return;
    }
    case handler_kind::model:
        one_model(m.rest, x, d, cur, out);
        return;
    case handler_kind::count_tokens: {
        // Anthropic's count_tokens: the body read as the dialect reads it, answered at once
        // (no slot) with the estimate the answer's usage would give.
        const http_request& rq = p.request();
        body_error err;
        if (!d.read(body_parser_, bytes + rq.body_off, rq.body_len, request_, err)) {
            fail(x, d, cur, out, failure{400, err.message, err.param});
            return;
        }
        out_buf b(x.area, 64);
        b.append("{\"input_tokens\":");
        b.append_decimal(estimate_prompt_tokens(request_.prompt_bytes));
        b.append('}');
        respond(out, 200, "application/json", b.view(), request_headers(d, cur, x.now_ns));
        return;
    }
    case handler_kind::health:
    case handler_kind::metrics:
    case handler_kind::none:
        break;
    }
}

// A CORS preflight (OPTIONS with CORS_ALLOW_ORIGIN set): the methods of the path, and the
// request headers the browser asks for (Authorization among them: "*" would not cover it).
void answer_service::preflight(const http_parser& p, const char* bytes, const route_match& m,
                               const exchange_context& x, reply& out) noexcept {
    out_buf h(head_lines_, sizeof head_lines_);
    h.append(cors_line());
    h.append("Access-Control-Allow-Methods: ");
    h.append(m.allow);
    h.append(", OPTIONS\r\nAccess-Control-Allow-Headers: ");
    const std::string_view asked = p.header(bytes, "access-control-request-headers");
    h.append(asked.empty() || asked.size() > 256 ? std::string_view("authorization, content-type") : asked);
    h.append("\r\nAccess-Control-Max-Age: 86400\r\nVary: Origin, Access-Control-Request-Headers\r\n");
    (void)x;
    respond(out, 200, "text/plain", "", h.truncated ? std::string_view() : h.view());
}

// GET /v1/models/{id}: the id %-decoded (the SDKs encode it with encodeURIComponent), then
// looked up in MODELS; an unknown one is OpenAI's (and DashScope's) 404 model_not_found.
void answer_service::one_model(std::string_view encoded, const exchange_context& x, const dialect& d,
                               const answer_cursor& cur, reply& out) noexcept {
    char name[answer_cursor::MODEL_MAX];
    size_t n = 0;
    bool fits = true;
    auto hex = [](char c) {
        const char l = char(c | 0x20);
        return c >= '0' && c <= '9' ? c - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
    };
    for (size_t i = 0; i < encoded.size() && fits; ++i) {
        char c = encoded[i];
        if (c == '%' && i + 2 < encoded.size() && hex(encoded[i + 1]) >= 0 && hex(encoded[i + 2]) >= 0) {
            c = char(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
            i += 2;
        }
        fits = n < sizeof name;
        if (fits) {
            name[n++] = c;
        }
    }
    const std::string_view id(name, n);
    if (fits && model_listed(srv_.cfg.models, id)) {
        out_buf b(x.area, x.area_cap);
        render_model(b, id, srv_.start_unix);
        respond(out, 200, "application/json", b.view(), request_headers(d, cur, x.now_ns));
        return;
    }
    char msg[200];
    out_buf o(msg, sizeof msg);
    o.append("The model `");
    o.append(fits ? id : id.substr(0, 64));
    o.append("` does not exist or you do not have access to it.");
    fail(x, d, cur, out, failure{404, o.view(), {}, "model_not_found"});
}

double answer_service::load_multiplier() const noexcept {
    if (srv_.cfg.load_factor == 0) {
        return 1;
    }
    return 1 + srv_.cfg.load_factor * double(srv_.slots.active()) / double(srv_.slots.limit());
}

namespace {

answer_script* script_of(const answer_cursor& cur) noexcept {
    return cur.script != nullptr ? reinterpret_cast<answer_script*>(cur.script->data()) : nullptr;
}

// "stop", "length" or "tool_calls": how choice k ended.
std::string_view finish_of(const answer_cursor& cur, const answer_script* s, uint32_t k) noexcept {
    if (cur.calls != 0) {
        return "tool_calls";
    }
    if (s != nullptr && s->choice[k].stopped) {
        return "stop";
    }
    return cur.finish_length ? "length" : "stop";
}

// Every choice's tokens, reasoning included, and the reasoning among them.
usage_counts usage_of(const answer_cursor& cur, const answer_script* s) noexcept {
    uint64_t content = 0;
    for (uint32_t k = 0; k < cur.choices; ++k) {
        content += s != nullptr && cur.calls == 0 ? s->choice[k].tokens : cur.tokens_total;
    }
    const uint64_t reasoning = uint64_t(cur.reasoning_tokens) * cur.choices;
    auto clamp = [](uint64_t v) { return uint32_t(v > 0xffffffffu ? 0xffffffffu : v); };
    return usage_counts{cur.prompt_tokens, clamp(content + reasoning), clamp(reasoning), cur.reasoning_details};
}

// prefix ("call_", "toolu_"; at most 8 bytes) + 24 alphanumerics, from two 64-bit draws (the
// same for an answer's every event).
std::string_view format_call_id(std::string_view prefix, uint64_t a, uint64_t b, char out[32]) noexcept {
    static constexpr char ALNUM[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const size_t p = prefix.size() <= 8 ? prefix.size() : 8;
    std::memcpy(out, prefix.data(), p);
    for (size_t i = 0; i < 12; ++i) {
        out[p + i] = ALNUM[a % 62];
        a /= 62;
        out[p + 12 + i] = ALNUM[b % 62];
        b /= 62;
    }
    return {out, p + 24};
}

}  // namespace

std::string_view answer_service::answer_text(const answer_cursor& cur) const noexcept {
    const answer_script* s = script_of(cur);
    return s != nullptr ? s->text(srv_.text) : srv_.text;
}

std::string_view answer_service::call_id(const dialect& d, const answer_cursor& cur, uint32_t i, char out[32]) const noexcept {
    return format_call_id(d.call_prefix, splitmix64(id_seed_ ^ (cur.id_n * 64 + i)), splitmix64(~id_seed_ + cur.id_n * 64 + i),
                          out);
}

std::string_view answer_service::answer_id(const dialect& d, const answer_cursor& cur, char out[48]) const noexcept {
    const uint64_t hi = splitmix64(id_seed_ + cur.id_n), lo = splitmix64(cur.id_n ^ ~id_seed_);
    // DashScope: "chatcmpl-" + the request's UUID (dashscope.md §0 item 2).
    return d.dashscope ? format_uuid(d.id_prefix, hi, lo, out) : format_answer_id(d.id_prefix, hi, lo, out);
}

std::string_view answer_service::request_id(const dialect& d, const answer_cursor& cur, char out[48]) const noexcept {
    const uint64_t hi = splitmix64(id_seed_ + cur.id_n), lo = splitmix64(cur.id_n ^ ~id_seed_);
    // DashScope's is the UUID of the body's id; OpenAI's "req_" + the body id's 32 hex digits
    // (one draw per answer; the original body's cached head depends on it).
    return d.dashscope ? format_uuid("", hi, lo, out) : format_answer_id("req_", hi, lo, out);
}

std::string_view answer_service::request_headers(const dialect& d, const answer_cursor& cur, uint64_t now_ns,
                                                 std::string_view extra) noexcept {
    out_buf h(head_lines_, sizeof head_lines_);
    char id[48];
    h.append(d.request_id_header);
    h.append(": ");
    h.append(request_id(d, cur, id));
    h.append("\r\n");
    if (d.dashscope) {
        // dashscope.md §0 item 18: arrival and response start in epoch ms, and their difference.
        const int64_t arrive = (int64_t(cur.admitted_ns) + realtime_offset_ns_) / 1000000;
        const int64_t start = (int64_t(now_ns) + realtime_offset_ns_) / 1000000;
        h.append("req-arrive-time: ");
        h.append_decimal(arrive);
        h.append("\r\nresp-start-time: ");
        h.append_decimal(start);
        h.append("\r\nreq-cost-time: ");
        h.append_decimal(start - arrive);
        h.append("\r\nx-dashscope-call-gateway: true\r\n");
    }
    h.append(d.fixed_headers);
    h.append(cors_line());
    h.append(extra);
    return h.view();
}

// The logprobs' seed: SEED, so that a seeded run reports the same values for the same tokens.
uint64_t answer_service::logprob_seed() const noexcept { return srv_.cfg.seed != 0 ? srv_.cfg.seed : 0x6c6f6770726f6273ull; }

std::string_view answer_service::cors_line() const noexcept { return {cors_line_, cors_line_len_}; }

void answer_service::fail(const exchange_context& x, const dialect& d, const answer_cursor& cur, reply& out,
                          const failure& f) noexcept {
    out_buf b(x.area, ERROR_BODY_MAX);
    // DashScope frames a stream request's validation errors as an SSE event (§0 item 15);
    // its 401s stay JSON.
    const bool sse = d.dashscope && f.stream && srv_.cfg.dashscope_sse_errors && (f.status == 400 || f.status == 404);
    char rid[48], bid[48];
    if (sse) {
        b.append("data: ");
    }
    d.error_envelope(b, f.status, f.message, f.param, f.code, request_id(d, cur, rid));
    if (sse && b.len != 0 && !b.truncated) {
        --b.len;  // the closing brace: the frame also names the answer's id
        b.append(",\"id\":\"");
        b.append(answer_id(d, cur, bid));
        b.append("\"}\n\n");
    }
    respond(out, f.status, sse ? std::string_view("text/event-stream;charset=UTF-8") : std::string_view("application/json"),
            b.view(), request_headers(d, cur, x.now_ns, f.headers));
}

// REQUIRE_API_KEY: true when the request's "Authorization: Bearer KEY" names an accepted key
// (or none is required).
bool answer_service::key_accepted(const http_parser& p, const char* bytes, bool& missing) const noexcept {
    missing = false;
    if (api_key_count_ == 0) {
        return true;
    }
    // Authorization: Bearer KEY, or Anthropic's x-api-key (its SDK 1.x sends Bearer).
    std::string_view auth = p.header(bytes, "authorization");
    if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
        auth.remove_prefix(7);
    } else {
        auth = p.header(bytes, "x-api-key");
    }
    for (uint32_t i = 0; i < api_key_count_; ++i) {
        if (!auth.empty() && auth == api_keys_[i]) {
            return true;
        }
    }
    missing = auth.empty();
    return false;
}

void answer_service::end(answer_cursor& cur) noexcept {
    if (cur.script != nullptr) {
        scripts_.release(cur.script);
        cur.script = nullptr;
    }
}

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
        const script_status st =
            build_script(body, plan, srv_.text, *sc, scripts_.capacity() - sizeof(answer_script), rng_, needed);
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

void answer_service::embeddings(const http_parser& p, const char* bytes, const exchange_context& x, const dialect& d,
                                const answer_cursor& cur, reply& out) noexcept {
    if (srv_.cfg.allow_overrides) {
        overrides ov;
        if (const char* bad = parse_overrides(p, bytes, ov)) {
            fail(x, d, cur, out, failure{400, bad});
            return;
        }
        if (ov.return_error != 0) {
            fail(x, d, cur, out, failure{ov.return_error, "Error injected by the X-Return-Error request header."});
            return;
        }
    }
    const http_request& rq = p.request();
    body_error err;
    if (!read_embeddings_request(body_parser_, bytes + rq.body_off, rq.body_len, embedding_, err)) {
        fail(x, d, cur, out, failure{400, err.message, err.param});
        return;
    }
    uint32_t dims = embedding_.dimensions != 0 ? embedding_.dimensions : srv_.cfg.embedding_dimensions;
    std::string_view model = embedding_.model.empty() ? std::string_view("text-embedding-v3") : embedding_.model;
    uint32_t tokens = estimate_prompt_tokens(embedding_.prompt_bytes);
    out_buf b(x.area, x.area_cap);
    render_embeddings(b, embedding_, dims, model.substr(0, answer_cursor::MODEL_MAX), tokens);
    if (b.truncated) {
        fail(x, d, cur, out,
             failure{413, "The embeddings answer would exceed 256 KiB: send fewer inputs or ask for fewer dimensions.",
                     "input"});
        return;
    }
    worker_stats::bump(stats_.prompt_tokens, tokens);
    respond(out, 200, "application/json", b.view(), request_headers(d, cur, x.now_ns));
}

void answer_service::step(const exchange_context& x, answer_cursor& cur, reply& out) noexcept {
    const dialect& d = *route_dialect(cur.dialect);
    if (cur.stream) {
        stream_step(x, d, cur, out);
    } else {
        whole(x, d, cur, out, true);
    }
}

// A whole (non-streamed) answer, at its time.
void answer_service::whole(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out,
                           bool from_timer) noexcept {
    if (cur.fault_kind == fault::disconnect) {
        worker_stats::bump(stats_.faults[unsigned(fault::disconnect)]);
        out.kind = reply_kind::reset;
        return;
    }
    if (cur.fault_kind == fault::stall) {
        worker_stats::bump(stats_.faults[unsigned(fault::stall)]);
    }
    char idbuf[48];
    std::string_view id = answer_id(d, cur, idbuf);
    if (cur.original_body && original_answer(x, d, cur, id, from_timer, out)) {
        return;
    }
    std::string_view model(cur.model, cur.model_len);
    out_buf b(x.area, x.area_cap);
    const answer_script* sc = script_of(cur);
    const usage_counts u = usage_of(cur, sc);
    if (cur.original_body) {
        render_chat_body(b, chat_reply{id, cur.created, model});
    } else {
        answer_meta m{id, cur.created, model, false, cur.reasoning_shown, d.dashscope, cur.logprobs, logprob_seed(),
                      cur.prompt_tokens};
        answer_body a;
        answer_call calls[MAX_TOOL_CALLS];
        char ids[MAX_TOOL_CALLS][32];
        fill_body(d, cur, a, calls, ids);
        d.whole(b, m, a);
    }
    // Served now: from a timer, the clock read afresh (a batch of timers takes time, and the
    // lateness histogram must show it); at delay 0, the admission time itself.
    uint64_t now = from_timer ? monotonic_ns() : cur.admitted_ns;
    stats_.observe_delay((now - cur.admitted_ns) / 1000, (cur.due_ns - cur.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, cur.original_body ? ORIGINAL_COMPLETION_TOKENS : u.completion);
    worker_stats::bump(cur.finish_length && cur.calls == 0 ? stats_.finished_length : stats_.finished_stop);
    if (b.truncated) {
        fail(x, d, cur, out, failure{500, "The answer does not fit the server's answer buffer."});
    } else {
        respond(out, 200, "application/json", b.view(), request_headers(d, cur, from_timer ? now : x.now_ns));
    }
}

// The original service's body, sent from the pre-rendered answer: answers of the same second
// (created and Date), model and keep-alive are the same bytes but for their request headers
// and their id, so the head up to its per-request lines and the body up to the id are
// rendered once, and each answer adds its request headers, copies the rest of the head and
// the body prefix behind them, and adds its id. The bytes are those of whole()'s general path
// (same render_head, request_headers and render_chat_body); false, with nothing rendered,
// when the answer does not fit (that path then answers).
bool answer_service::original_answer(const exchange_context& x, const dialect& d, answer_cursor& cur,
                                     std::string_view id, bool from_timer, reply& out) noexcept {
    const std::string_view model(cur.model, cur.model_len);
    answer_prefix& a = prefix_;
    if (a.len == 0 || a.created != cur.created || a.date_sec != x.now_unix || a.keep_alive != x.keep_alive ||
        a.id_len != id.size() || a.dashscope != d.dashscope || std::string_view(a.model, a.model_len) != model) {
        out_buf b(x.area, x.area_cap);
        render_chat_body(b, chat_reply{id, cur.created, model});
        const size_t tail = id.size() + ORIGINAL_BODY_TAIL.size();
        // The head without per-request lines: they go just before its Connection line.
        char head[HEAD_BYTES];
        out_buf h(head, sizeof head);
        render_head(h, 200, "application/json", b.len, x.keep_alive, x.date, "");
        const std::string_view connection = x.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        if (b.truncated || b.len < tail || h.truncated || h.len < connection.size() ||
            h.len - connection.size() + sizeof head_lines_ + connection.size() + b.len > sizeof a.bytes) {
            a.len = 0;
            return false;
        }
        a.head_len = h.len - connection.size();
        std::memcpy(a.bytes, head, a.head_len);
        out_buf r(a.rest, sizeof a.rest);
        a.rid_off = 0;
        if (!d.dashscope) {
            // OpenAI's lines are fixed-length (x-request-id: req_ + the id's 32 hex digits, and
            // the CORS line): they are part of the cached head, with a slot for the digits.
            out_buf f(a.bytes + a.head_len, sizeof a.bytes - a.head_len);
            f.append("x-request-id: req_");
            a.rid_off = a.head_len + f.len;
            f.append(id.substr(id.size() - 32));
            f.append("\r\n");
            f.append(d.fixed_headers);  // request_headers()'s order
            f.append(cors_line());
            a.head_len += f.len;
        }
        r.append(connection);
        r.append(b.view().substr(0, b.len - tail));
        if (r.truncated || a.head_len + r.len + HEAD_BYTES > sizeof a.bytes) {
            a.len = 0;
            return false;
        }
        a.rest_len = r.len;
        if (a.rid_off != 0) {
            std::memcpy(a.bytes + a.head_len, a.rest, a.rest_len);  // all cached: the id is the only gap
        }
        a.len = a.head_len;
        a.created = cur.created;
        a.date_sec = x.now_unix;
        a.keep_alive = x.keep_alive;
        a.dashscope = d.dashscope;
        a.id_len = uint8_t(id.size());
        std::memcpy(a.model, model.data(), model.size());
        a.model_len = cur.model_len;
    }
    uint64_t now = from_timer ? monotonic_ns() : cur.admitted_ns;
    char* p;
    if (a.rid_off != 0) {
        // The same bytes request_headers() writes on the general path: its digits are the id's.
        std::memcpy(a.bytes + a.rid_off, id.data() + id.size() - 32, 32);
        p = a.bytes + a.head_len + a.rest_len;
    } else {
        const std::string_view lines = request_headers(d, cur, from_timer ? now : x.now_ns);
        p = a.bytes + a.head_len;
        std::memcpy(p, lines.data(), lines.size());
        p += lines.size();
        std::memcpy(p, a.rest, a.rest_len);
        p += a.rest_len;
    }
    std::memcpy(p, id.data(), id.size());
    p += id.size();
    std::memcpy(p, ORIGINAL_BODY_TAIL.data(), ORIGINAL_BODY_TAIL.size());
    p += ORIGINAL_BODY_TAIL.size();
    // What whole()'s general path records, in the same order.
    stats_.observe_delay((now - cur.admitted_ns) / 1000, (cur.due_ns - cur.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, ORIGINAL_COMPLETION_TOKENS);
    worker_stats::bump(cur.finish_length ? stats_.finished_length : stats_.finished_stop);
    out.kind = reply_kind::raw;
    out.status = 200;
    out.body = std::string_view(a.bytes, size_t(p - a.bytes));
    return true;
}

void answer_service::fill_body(const dialect& d, const answer_cursor& cur, answer_body& a, answer_call* calls,
                               char (*ids)[32]) const noexcept {
    const answer_script* sc = script_of(cur);
    a.n = cur.choices;
    a.reasoning_shown = cur.reasoning_shown;
    const std::string_view text = answer_text(cur);
    for (uint32_t k = 0; k < cur.choices; ++k) {
        a.content[k] = sc != nullptr ? text_run{text, sc->choice[k].start, sc->choice[k].tokens, sc->choice[k].last_len}
                                     : text_run{text, 0, cur.tokens_total, 0};
        a.reasoning[k] = text_run{srv_.text, 0, cur.reasoning_tokens, 0};
        a.finish[k] = finish_of(cur, sc, k);
        a.stop_sequence[k] = sc != nullptr && sc->choice[k].stopped ? sc->stop_text(k) : std::string_view();
    }
    for (uint32_t i = 0; i < cur.calls; ++i) {
        calls[i] = answer_call{call_id(d, cur, i, ids[i]), sc->call_name(i), sc->call_args(i)};
    }
    a.calls = calls;
    a.call_count = cur.calls;
    a.usage = usage_of(cur, sc);
}

// The tokens block b has (per choice: the longest choice's, for the content).
uint32_t answer_service::block_tokens(const answer_cursor& cur, uint8_t b) const noexcept {
    if (b == BLOCK_REASONING) {
        return cur.reasoning_shown ? cur.reasoning_tokens : 0;
    }
    if (b == BLOCK_CONTENT) {
        return cur.calls == 0 ? cur.tokens_total : 0;
    }
    const answer_script* s = script_of(cur);
    return s != nullptr && unsigned(b - BLOCK_CALL) < cur.calls ? s->call[b - BLOCK_CALL].args_tokens : 0;
}

// The first block from b on that has tokens, or BLOCK_DONE.
uint8_t answer_service::first_block(const answer_cursor& cur, uint8_t b) const noexcept {
    const unsigned end = BLOCK_CALL + cur.calls;
    for (unsigned k = b; k < end; ++k) {
        if (block_tokens(cur, uint8_t(k)) != 0) {
            return uint8_t(k);
        }
    }
    return BLOCK_DONE;
}

void answer_service::enter_block(answer_cursor& cur, uint8_t b) const noexcept {
    cur.block = b;
    cur.tokens_sent = 0;
    const answer_script* s = script_of(cur);
    cur.text_off = b == BLOCK_CONTENT && s != nullptr ? s->choice[0].off : 0;
}

// One timer event of a stream: a keep-alive comment before the first token, or every token
// now due (one per choice, unless the loop fell behind), and after the last one the dialect's
// closing (finishes, usage when asked for, end marker) — all in one write. Each choice goes
// through its blocks in step: reasoning, then its content or each tool call in turn.
void answer_service::stream_step(const exchange_context& x, const dialect& d, answer_cursor& cur,
                                 reply& out) noexcept {
    const uint64_t now = monotonic_ns();
    const config& cfg = srv_.cfg;
    out.kind = reply_kind::events;
    out_buf ev(x.area, x.area_cap / 2);
    if (cur.tokens_done == 0) {
        // The head goes out with this step (a keep-alive, the first token, or all of a short
        // answer): its content type and request lines.
        out.content_type = d.dashscope ? std::string_view("text/event-stream;charset=UTF-8") : std::string_view();
        out.headers = request_headers(d, cur, now);
    }
    if (now < cur.due_ns && cur.tokens_done == 0) {
        ev.append(": keep-alive\n\n");
        out.body = ev.view();
        out.send_head = true;
        uint64_t next = now + cfg.sse_keepalive_ms * 1000000;
        out.due_ns = next < cur.due_ns ? next : cur.due_ns;
        return;
    }
    char idbuf[48];
    // DashScope's chunks say "usage":null with or without include_usage (dashscope.md §0 items 6, 8).
    const answer_meta m{answer_id(d, cur, idbuf), cur.created, std::string_view(cur.model, cur.model_len),
                        cur.include_usage || d.dashscope, cur.reasoning_shown, d.dashscope,
                        cur.logprobs, logprob_seed(), cur.prompt_tokens, &cur.events};
    answer_script* sc = script_of(cur);
    const std::string_view text = answer_text(cur);
    const uint32_t n = cur.choices;
    auto open = [&]() {
        if (d.stream_open == nullptr) {
            return;
        }
        const block_kind first = cur.block == BLOCK_REASONING ? block_kind::reasoning
                                 : cur.block >= BLOCK_CALL && cur.block != BLOCK_DONE ? block_kind::tool_call
                                                                                      : block_kind::text;
        for (uint32_t k = 0; k < n; ++k) {
            d.stream_open(ev, m, block_ref{k, first});
        }
    };
    bool last = false;
    while (cur.block != BLOCK_DONE && cur.due_ns <= now && ev.len < x.area_cap / 4) {
        if (cur.fault_kind != fault::none && cur.tokens_done == cur.fault_at) {
            fault f = cur.fault_kind;
            cur.fault_kind = fault::none;
            worker_stats::bump(stats_.faults[unsigned(f)]);
            if (f == fault::stall) {
                cur.due_ns = now + cfg.fault_stall_ms * 1000000;  // the schedule resumes from here
                break;
            }
            if (f == fault::disconnect) {
                out.body = ev.view();
                out.reset_after = true;
                return;
            }
            d.stream_error(ev, "The server had an error while generating the answer (injected).");
            last = true;
            break;
        }
        if (cur.tokens_done == 0) {
            open();
        }
        if (cur.tokens_sent == 0 && (cur.block == BLOCK_CONTENT || cur.block == BLOCK_CALL)) {
            stats_.ttfat.observe(DELAY_BUCKETS, (now - cur.admitted_ns) / 1000);
        }
        if (cur.tokens_sent == 0 && cur.block < BLOCK_CALL && d.block_start != nullptr) {
            // A reasoning or text block opens (the tool calls' open with their id, below).
            const block_kind k = cur.block == BLOCK_REASONING ? block_kind::reasoning : block_kind::text;
            for (uint32_t c = 0; c < n; ++c) {
                d.block_start(ev, m, block_ref{c, k});
            }
        }
        // This step's token, for every choice.
        if (cur.block == BLOCK_REASONING) {
            const size_t off = cur.text_off < srv_.text.size() ? cur.text_off : 0;
            const size_t len = token_length(srv_.text, off);
            for (uint32_t k = 0; k < n; ++k) {
                d.delta(ev, m, block_ref{k, block_kind::reasoning}, srv_.text.substr(off, len));
            }
            cur.text_off = uint32_t(off + len);
        } else if (cur.block == BLOCK_CONTENT) {
            for (uint32_t k = 0; k < n; ++k) {
                // One run per choice: the cursor's offset for a plain answer, the script's
                // (advanced here) otherwise.
                uint32_t& at = sc != nullptr ? sc->choice[k].off : cur.text_off;
                const uint32_t tokens = sc != nullptr ? sc->choice[k].tokens : cur.tokens_total;
                if (cur.tokens_sent >= tokens) {
                    continue;
                }
                const size_t off = at < text.size() ? at : 0;
                size_t len = token_length(text, off);
                at = uint32_t(off + len);
                if (sc != nullptr && cur.tokens_sent + 1 == tokens && sc->choice[k].last_len != 0 &&
                    sc->choice[k].last_len < len) {
                    len = sc->choice[k].last_len;
                }
                block_ref b{k, block_kind::text};
                b.token = cur.tokens_sent;
                d.delta(ev, m, b, text.substr(off, len));
            }
        } else {
            const uint32_t i = cur.block - BLOCK_CALL;
            char id[32];
            // The id and name only in the call's first event (its fragments carry neither).
            const block_ref call = cur.tokens_sent == 0
                                       ? block_ref{0, block_kind::tool_call, i, call_id(d, cur, i, id), sc->call_name(i)}
                                       : block_ref{0, block_kind::tool_call, i};
            const std::string_view args = sc->call_args(i);
            const size_t len = token_length(args, cur.text_off);
            for (uint32_t k = 0; k < n; ++k) {
                block_ref b = call;
                b.choice = k;
                if (cur.tokens_sent == 0 && d.block_start != nullptr) {
                    d.block_start(ev, m, b);
                }
                d.delta(ev, m, b, args.substr(cur.text_off, len));
            }
            cur.text_off += uint32_t(len);
        }
        if (cur.tokens_done == 0) {
            stats_.ttft.observe(DELAY_BUCKETS, (now - cur.admitted_ns) / 1000);
        } else {
            stats_.itl.observe(ITL_BUCKETS, (now - cur.last_token_ns) / 1000);
        }
        stats_.late.observe(LATE_BUCKETS, (now - cur.due_ns) / 1000);
        cur.last_token_ns = now;
        ++cur.tokens_sent;
        ++cur.tokens_done;
        worker_stats::bump(stats_.generated_tokens, n);
        if (cur.tokens_sent >= block_tokens(cur, cur.block)) {
            if (d.block_end != nullptr) {
                const block_kind k = cur.block == BLOCK_REASONING ? block_kind::reasoning
                                     : cur.block == BLOCK_CONTENT ? block_kind::text
                                                                  : block_kind::tool_call;
                answer_body body;
                answer_call calls[MAX_TOOL_CALLS];
                char ids[MAX_TOOL_CALLS][32];
                fill_body(d, cur, body, calls, ids);
                for (uint32_t c = 0; c < n; ++c) {
                    d.block_end(ev, m, block_ref{c, k, uint32_t(cur.block >= BLOCK_CALL ? cur.block - BLOCK_CALL : 0)},
                                body);
                }
            }
            enter_block(cur, first_block(cur, uint8_t(cur.block + 1)));
        }
        cur.due_ns += token_gap_ns(cur.itl_us, cfg, load_multiplier(), rng_);
    }
    if (!last && cur.block == BLOCK_DONE) {
        if (cur.tokens_done == 0) {
            open();  // an answer with no token at all (a stop sequence at its very start)
        }
        answer_body body;
        answer_call calls[MAX_TOOL_CALLS];
        char ids[MAX_TOOL_CALLS][32];
        fill_body(d, cur, body, calls, ids);
        d.stream_close(ev, m, stream_end{n, body.finish, cur.include_usage ? &body.usage : nullptr, &body});
        worker_stats::bump(cur.finish_length && cur.calls == 0 ? stats_.finished_length : stats_.finished_stop);
        // Hidden reasoning is generated but never sent: counted here.
        if (!cur.reasoning_shown && cur.reasoning_tokens != 0) {
            worker_stats::bump(stats_.generated_tokens, uint64_t(cur.reasoning_tokens) * n);
        }
        last = true;
    }
    if (last) {
        stats_.delay.observe(DELAY_BUCKETS, (now - cur.admitted_ns) / 1000);
    }
    out.body = ev.view();
    out.send_head = true;  // even with no event due (a stall), the head goes out now
    out.last = last;
    out.due_ns = cur.due_ns;
}

}  // namespace lms
