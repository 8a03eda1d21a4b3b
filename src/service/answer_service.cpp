// answer_service: the request's way through the answering side (see shared/design.md):
// route -> overrides -> slot or 503 -> the dialect's reader (one simdjson pass) -> the answer
// plan -> the cursor; then on each timer the dialect renders what is due. This file: routing,
// the answers that are not generated (models, embeddings, count_tokens, preflights, errors),
// and what every answer carries (ids, request headers, the error envelope, the key check).
// answer_admission.cpp admits a generated answer; answer_delivery.cpp renders it when due;
// answer_tokenize.cpp answers vLLM's /tokenize and /detokenize.
#include "service/answer_service.hpp"

#include <cstring>
#include <ctime>
#include <new>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "service/admin_api.hpp"

#include "answer/answer_script.hpp"
#include "answer/tokens.hpp"
#include "dialects/dialect.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_embeddings.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_models.hpp"
#include "engine/engine_limits.hpp"
#include "engine/clock.hpp"
#include "observe/dashboard_page.hpp"
#include "observe/health_metrics.hpp"
#include "service/rate_limiter.hpp"
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


}  // namespace

void answer_service::respond(reply& out, int status, std::string_view content_type, std::string_view body,
                             std::string_view headers) noexcept {
    out.kind = reply_kind::respond;
    out.status = status;
    out.content_type = content_type;
    out.body = body;
    out.headers = headers;
}

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
    own_.cfg = s.cfg;
    derive_snapshot(own_);
    settings_changed();
    if (!s.cfg.cors_allow_origin.empty()) {
        out_buf c(cors_line_, sizeof cors_line_);
        c.append("Access-Control-Allow-Origin: ");
        c.append(s.cfg.cors_allow_origin);
        c.append("\r\nAccess-Control-Expose-Headers: x-request-id, retry-after, retry-after-ms\r\n");
        cors_line_len_ = c.truncated ? 0 : c.len;
    }
}

// What the service derives from the live settings (the overload and injected-429 header lines:
// RETRY_AFTER_SECONDS, X_SHOULD_RETRY), again whenever a new generation is acquired.
void answer_service::settings_changed() noexcept {
    const config& c = cfg();
    out_buf h(overload_headers_, sizeof overload_headers_);
    h.format("Retry-After: {}\r\n", c.retry_after_s);
    if (c.should_retry != retry_hint::none) {
        h.append(c.should_retry == retry_hint::yes ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n");
    }
    overload_headers_len_ = h.len;
    // 429s carry Retry-After and the milliseconds form the OpenAI SDKs read first.
    out_buf r(rate_limit_headers_, sizeof rate_limit_headers_);
    r.format("Retry-After: {}\r\nretry-after-ms: {}\r\n", c.retry_after_s, uint64_t(c.retry_after_s) * 1000);
    rate_limit_headers_len_ = r.len;
    generation_ = snap_->generation;
}

std::string_view answer_service::error_body(int status, std::string_view message, char* area, size_t cap) noexcept {
    out_buf b(area, cap < ERROR_BODY_MAX ? cap : ERROR_BODY_MAX);
    render_openai_error(b, status, message, "");
    return b.view();
}

void answer_service::on_request(const http_parser& p, const char* bytes, const exchange_context& x,
                                answer_cursor& cur, reply& out) noexcept {
    acquire_settings();
    const std::string_view target = p.target(bytes);
    route_match m = match_route(p.request().method, target, srv_.cfg.dashboard);
    out.r = m.r;
    // Every answer (errors too) has its request id: the cursor names it from here on.
    cur.id_n = (uint64_t(index_) << 48) + id_counter_++;
    cur.admitted_ns = x.now_ns;
    cur.rate_key = 0;  // set by a generation the rate limits apply to
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
    if (m.h == handler_kind::admin) {
        admin(p, bytes, x, out);
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
    if (m.h == handler_kind::dashboard) {
        // Constant bytes: sent from where they lie, as the other static answers are.
        respond(out, 200, DASHBOARD_CONTENT_TYPE, dashboard_page(), DASHBOARD_HEADERS);
        return;
    }
    if (m.h == handler_kind::rate_limits) {
        out_buf b(x.area, x.area_cap);
        render_rate_limits(b, x.now_ns);
        respond(out, b.truncated ? 500 : 200, "application/json", b.truncated ? std::string_view("{}") : b.view());
        return;
    }
    if (m.h == handler_kind::tokenize || m.h == handler_kind::detokenize) {
        // No key check: vLLM's --api-key guards the /v1 paths only (its authentication
        // middleware), and these are not under /v1.
        tokenizer_route(p, bytes, x, m.h == handler_kind::detokenize, cur, out);
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
        render_models(b, cfg().models, srv_.start_unix, reported_max_model_len());
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
    case handler_kind::rate_limits:
    case handler_kind::dashboard:
    case handler_kind::admin:
    case handler_kind::tokenize:
    case handler_kind::detokenize:
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
    if (fits && model_listed(cfg().models, id)) {
        out_buf b(x.area, x.area_cap);
        render_model(b, id, srv_.start_unix, reported_max_model_len());
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
    if (cfg().load_factor == 0) {
        return 1;
    }
    return 1 + cfg().load_factor * double(srv_.slots.active()) / double(srv_.slots.limit());
}

namespace {

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
    if (cur.rate_key != 0) {
        rate_limit_lines(h, d, cur, now_ns);
    }
    h.append(cors_line());
    h.append(extra);
    return h.view();
}

// Where the answer's key stands when its head is written: OpenAI's x-ratelimit-* (reset as a
// Go duration) or Anthropic's anthropic-ratelimit-* (reset as an RFC 3339 time; the mock has
// one token bucket, which its input-tokens, output-tokens and tokens lines all state); a limit
// that is off sends none of its lines, DashScope's compatible mode none at all unless
// RATE_LIMIT_HEADERS_COMPAT.
void answer_service::rate_limit_lines(out_buf& h, const dialect& d, const answer_cursor& cur,
                                     uint64_t now_ns) noexcept {
    if (d.rate_headers == rate_header_style::dashscope && !cfg().rate_limit_headers_compat) {
        return;
    }
    // Written in the admission's own turn (delay 0, a 429): where admit() left the key.
    if (!(verdict_for_ == cur.id_n && verdict_ns_ == now_ns)) {
        verdict_ = srv_.rate->state(cur.rate_key, now_ns);
    }
    const rate_verdict& v = verdict_;
    auto line = [&h](std::string_view name, uint64_t value) {
        h.append(name);
        h.append_decimal(int64_t(value));
        h.append("\r\n");
    };
    if (d.rate_headers == rate_header_style::anthropic) {
        auto lines = [&](std::string_view family, uint64_t limit, uint64_t remaining, uint64_t reset_ns) {
            if (limit == 0) {
                return;
            }
            const uint64_t reset_s = (uint64_t(int64_t(now_ns) + realtime_offset_ns_) + reset_ns + 999999999) / 1000000000;
            h.append("anthropic-ratelimit-");
            h.append(family);
            line("-limit: ", limit);
            h.append("anthropic-ratelimit-");
            h.append(family);
            line("-remaining: ", remaining);
            h.append("anthropic-ratelimit-");
            h.append(family);
            h.append("-reset: ");
            append_rfc3339(h, int64_t(reset_s));
            h.append("\r\n");
        };
        lines("requests", v.limit_requests, v.remaining_requests, v.reset_requests_ns);
        lines("input-tokens", v.limit_tokens, v.remaining_tokens, v.reset_tokens_ns);
        lines("output-tokens", v.limit_tokens, v.remaining_tokens, v.reset_tokens_ns);
        lines("tokens", v.limit_tokens, v.remaining_tokens, v.reset_tokens_ns);
        return;
    }
    if (v.limit_requests != 0) {
        line("x-ratelimit-limit-requests: ", v.limit_requests);
    }
    if (v.limit_tokens != 0) {
        line("x-ratelimit-limit-tokens: ", v.limit_tokens);
    }
    if (v.limit_requests != 0) {
        line("x-ratelimit-remaining-requests: ", v.remaining_requests);
    }
    if (v.limit_tokens != 0) {
        line("x-ratelimit-remaining-tokens: ", v.remaining_tokens);
    }
    if (v.limit_requests != 0) {
        h.append("x-ratelimit-reset-requests: ");
        append_openai_duration(h, v.reset_requests_ns);
        h.append("\r\n");
    }
    if (v.limit_tokens != 0) {
        h.append("x-ratelimit-reset-tokens: ");
        append_openai_duration(h, v.reset_tokens_ns);
        h.append("\r\n");
    }
}

// GET /v1/mock/rate-limits: the busiest keys (by the first 8 hex digits of their hash), most
// rate-limited first, at most 100; the overflow bucket (keys past RATE_LIMIT_MAX_KEYS) as key
// "overflow".
void answer_service::render_rate_limits(out_buf& b, uint64_t now_ns) const noexcept {
    const config& c = cfg();
    b.format("{{\"enabled\":{},\"rpm\":{},\"tpm\":{},\"max_keys\":{},\"key_count\":{},\"keys\":[",
             srv_.rate != nullptr && srv_.rate->enabled() ? "true" : "false", c.rate_limit_rpm, c.rate_limit_tpm,
             c.rate_limit_max_keys, srv_.rate != nullptr ? srv_.rate->key_count() : 0);
    if (srv_.rate != nullptr) {
        rate_limiter::key_row rows[100];
        const size_t n = srv_.rate->busiest(rows, 100, now_ns);
        for (size_t i = 0; i < n; ++i) {
            const rate_limiter::key_row& r = rows[i];
            b.append(i == 0 ? "{\"key\":\"" : ",{\"key\":\"");
            if (r.key_hash == 0) {
                b.append("overflow");
            } else {
                b.format("{:08x}", uint32_t(r.key_hash >> 32));
            }
            b.format("\",\"rpm\":{},\"tpm\":{},\"remaining_requests\":{},\"remaining_tokens\":{},\"rate_limited\":{},"
                     "\"early_retries\":{}}}", r.rpm, r.tpm, r.remaining_requests, r.remaining_tokens, r.rate_limited,
                     r.early_retries);
        }
    }
    b.append("]}");
}

// The logprobs' seed: SEED, so that a seeded run reports the same values for the same tokens.
uint64_t answer_service::logprob_seed() const noexcept { return cfg().seed != 0 ? cfg().seed : 0x6c6f6770726f6273ull; }

std::string_view answer_service::cors_line() const noexcept { return {cors_line_, cors_line_len_}; }

void answer_service::fail(const exchange_context& x, const dialect& d, const answer_cursor& cur, reply& out,
                          const failure& f) noexcept {
    out_buf b(x.area, ERROR_BODY_MAX);
    // DashScope frames a stream request's validation errors as an SSE event (§0 item 15);
    // its 401s stay JSON.
    const bool sse = d.dashscope && f.stream && cfg().dashscope_sse_errors && (f.status == 400 || f.status == 404);
    char rid[48], bid[48];
    if (sse) {
        b.append("data: ");
    }
    d.error_envelope(b, f.status, f.message, f.param, f.code, f.type, request_id(d, cur, rid));
    if (sse && b.len != 0 && !b.truncated) {
        --b.len;  // the closing brace: the frame also names the answer's id
        b.append(",\"id\":\"");
        b.append(answer_id(d, cur, bid));
        b.append("\"}\n\n");
    }
    respond(out, f.status, sse ? std::string_view("text/event-stream;charset=UTF-8") : std::string_view("application/json"),
            b.view(), request_headers(d, cur, x.now_ns, f.headers));
}

// The request's API key: the Authorization Bearer token, else Anthropic's x-api-key (its SDK
// 1.x sends Bearer), else Azure's api-key; empty when none is sent.
std::string_view answer_service::api_key(const http_parser& p, const char* bytes) noexcept {
    std::string_view auth = p.header(bytes, "authorization");
    if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer ")) {
        return auth.substr(7);
    }
    auth = p.header(bytes, "x-api-key");
    return auth.empty() ? p.header(bytes, "api-key") : auth;
}

// REQUIRE_API_KEY: true when the request's "Authorization: Bearer KEY" names an accepted key
// (or none is required).
bool answer_service::key_accepted(const http_parser& p, const char* bytes, bool& missing) const noexcept {
    missing = false;
    if (api_key_count_ == 0) {
        return true;
    }
    const std::string_view auth = api_key(p, bytes);
    for (uint32_t i = 0; i < api_key_count_; ++i) {
        if (!auth.empty() && auth == api_keys_[i]) {
            return true;
        }
    }
    missing = auth.empty();
    return false;
}

void answer_service::end(answer_cursor& cur) noexcept {
    if (cur.kv_blocks != 0) {
        srv_.prefix->release(cur.kv_blocks, index_);
        cur.kv_blocks = 0;
    }
    if (cur.script != nullptr) {
        scripts_.release(cur.script);
        cur.script = nullptr;
    }
}

void answer_service::embeddings(const http_parser& p, const char* bytes, const exchange_context& x, const dialect& d,
                                const answer_cursor& cur, reply& out) noexcept {
    if (cfg().allow_overrides) {
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
    uint32_t dims = embedding_.dimensions != 0 ? embedding_.dimensions : cfg().embedding_dimensions;
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
    acquire_settings();
    const dialect& d = *route_dialect(cur.dialect);
    if (cur.stream) {
        stream_step(x, d, cur, out);
    } else {
        whole(x, d, cur, out, true);
    }
}

// /admin/config, /admin/scenario (admin_api): the admin path, which may allocate; its answer is
// copied into the answer area.
void answer_service::admin(const http_parser& p, const char* bytes, const exchange_context& x, reply& out) noexcept {
    char peer[64] = "unknown";
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (x.peer_fd >= 0 && getpeername(x.peer_fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
        char host[INET6_ADDRSTRLEN] = "";
        uint16_t port = 0;
        if (ss.ss_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
            inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
            port = ntohs(in->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
            inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
            port = ntohs(in6->sin6_port);
        }
        out_buf o(peer, sizeof peer - 1);
        o.format("{}:{}", host, port);
        peer[o.len] = '\0';
    }
    if (srv_.admin == nullptr) {
        fail(x, OPENAI_CHAT, answer_cursor{}, out, failure{404, "Not found: the admin routes are off (set ADMIN_TOKEN to turn them on)."});
        return;
    }
    const http_request& rq = p.request();
    int status = 500;
    std::string answer;
    try {
        status = srv_.admin->handle(p.target(bytes).substr(0, p.target(bytes).find('?')), rq.method,
                                    p.header(bytes, "authorization"), std::string_view(bytes + rq.body_off, rq.body_len),
                                    peer, x.now_ns, answer);
    } catch (...) {  // std::bad_alloc on the admin path: a clear 500, the server goes on
        answer = "{\"error\":{\"message\":\"The admin request ran out of memory.\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}";
    }
    if (answer.size() > x.area_cap) {
        status = 500;
        answer = "{\"error\":{\"message\":\"The admin answer does not fit the answer buffer.\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}";
    }
    std::memcpy(x.area, answer.data(), answer.size());
    respond(out, status, "application/json", std::string_view(x.area, answer.size()));
}

}  // namespace lms
