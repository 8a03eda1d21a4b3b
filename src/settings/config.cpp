// config: one table drives the variables, the flags, the checks, --help and the admin API
// (which settings are live, their texts as written, their JSON), so they can never disagree.
#include "settings/config.hpp"

#include <arpa/inet.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <iterator>
#include <type_traits>

namespace lms {

namespace {

enum class kind : uint8_t {
    text_host, port, seconds, seconds_positive, count, count_positive, percent, retry,
    latency, rate, text, boolean, content, seed
};

// live: may change while the server runs (PATCH /admin/config, scenarios). restart: read once
// at startup, into something sized or bound then (sockets, threads, tables, the seed's rngs).
enum class when : uint8_t { restart, live };

// An integer field of config (counts, ports, seeds; seconds as ms), whatever its width: the
// setter narrows after apply() checked the value against the setting's max.
struct u64_field {
    void (*set)(config&, uint64_t);
    uint64_t (*get)(const config&);
};

template <auto M>
void set_u64(config& c, uint64_t v) {
    c.*M = std::remove_reference_t<decltype(c.*M)>(v);
}

template <auto M>
uint64_t get_u64(const config& c) {
    return uint64_t(c.*M);
}

template <auto M>
constexpr u64_field U64{&set_u64<M>, &get_u64<M>};

struct setting {
    const char* env;
    kind k;
    when w;
    const char* dflt;   // shown in --help, and by the admin API while the setting was never set
    const char* help;
    uint64_t max = 0;   // for counts
    const u64_field* u64 = nullptr;           // counts, port, seconds, seed
    double config::*dbl = nullptr;            // percent, rate
    latency_model config::*lat = nullptr;     // latency
    bool config::*given = nullptr;            // latency: set when the variable is given
    std::string config::*str = nullptr;       // text
    bool config::*flag = nullptr;             // boolean
};

constexpr uint64_t U32 = 0xffffffffu;

const setting SETTINGS[] = {
    {"HOST", kind::text_host, when::restart, "0.0.0.0", "numeric IPv4 or IPv6 address to listen on (no host names)"},
    {"PORT", kind::port, when::restart, "8080", "TCP port (0 picks a free one, printed at startup)", 65535,
     &U64<&config::port>},
    {"RESPONSE_DELAY_SECONDS", kind::latency, when::live, "10",
     "delay before each answer: seconds (fractions allowed) or a latency model (see LATENCY MODELS)", 0, nullptr,
     nullptr, &config::delay_model},
    {"MAX_CONCURRENT", kind::count_positive, when::live, "auto",
     "requests held at once; one more gets an immediate 503", U32, &U64<&config::max_concurrent>},
    {"MAX_WAITING", kind::count, when::restart, "0",
     "vLLM's waiting queue: past MAX_CONCURRENT, up to this many more wait (first come first served over all "
     "workers) for a slot; past it, refused at once (0: no queue, the immediate 503)",
     1u << 22, &U64<&config::max_waiting>},
    {"MAX_WAIT_SECONDS", kind::seconds, when::live, "0",
     "longest a request waits in the queue; then it is refused like a full queue (0: no bound)", 0,
     &U64<&config::max_wait_ms>},
    {"QUEUE_FULL_STATUS", kind::count, when::live, "503",
     "the status of a request the queue refuses (full, or waited MAX_WAIT_SECONDS): 503, or 429 (llm-d's choice)", 503,
     &U64<&config::queue_full_status>},
    {"WORKER_THREADS", kind::count_positive, when::restart, "auto",
     "worker threads (auto: usable cores from affinity and cgroup quota)", 1024, &U64<&config::worker_threads>},
    {"MAX_BODY_BYTES", kind::count_positive, when::restart, "16384", "largest request body; larger gets 413",
     64u << 20, &U64<&config::max_body_bytes>},
    {"HEADER_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, "10",
     "time to receive a whole request; then 408", 0, &U64<&config::header_timeout_ms>},
    {"IDLE_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, "75",
     "keep-alive connection idle time before close", 0, &U64<&config::idle_timeout_ms>},
    {"SHUTDOWN_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, "delay+5",
     "on SIGTERM/SIGINT, how long held requests may take to finish", 0, &U64<&config::shutdown_timeout_ms>},
    {"RETRY_AFTER_SECONDS", kind::count, when::live, "1", "Retry-After value on overload 503s and injected 429s",
     86400, &U64<&config::retry_after_s>},
    {"X_SHOULD_RETRY", kind::retry, when::live, "none",
     "x-should-retry header on overload 503s: none (OpenAI SDKs retry twice), true, or false (SDKs give up)"},
    {"HEALTH_MAX_CONCURRENT_PERCENT", kind::percent, when::live, "90",
     "/health is 503 overloaded above this slot usage", 0, nullptr, &config::health_max_concurrent_pct},
    {"HEALTH_MAX_MEMORY_PERCENT", kind::percent, when::live, "95",
     "/health is 503 overloaded above this memory usage", 0, nullptr, &config::health_max_memory_pct},
    {"MAX_CONNECTIONS", kind::count_positive, when::restart, "auto",
     "open connections per worker (auto: from the open-file limit)", U32, &U64<&config::max_connections>},
    {"READ_BUFFERS", kind::count_positive, when::restart, "auto",
     "read buffers per worker, lent while a request is being read", 1u << 20, &U64<&config::read_buffers>},
    {"TTFT_SECONDS", kind::latency, when::live, "unset",
     "time to first token (latency model); when set, answers take TTFT + ITL x tokens; unset: streams use the delay",
     0, nullptr, nullptr, &config::ttft, &config::has_ttft},
    {"ITL_SECONDS", kind::latency, when::live, "0.02", "inter-token latency (latency model), drawn per token", 0,
     nullptr, nullptr, &config::itl, &config::has_itl},
    {"PREFILL_SECONDS_PER_1K_TOKENS", kind::rate, when::live, "0",
     "prefill time per 1,000 uncached prompt tokens (the same count as usage.prompt_tokens), added to the TTFT "
     "or the whole answer's delay, as a real server's long prompts start later",
     1000, nullptr, &config::prefill_per_1k},
    {"PREFILL_OVERHEAD_SECONDS", kind::seconds, when::live, "0",
     "a fixed prefill cost per request, added like PREFILL_SECONDS_PER_1K_TOKENS", 0,
     &U64<&config::prefill_overhead_ms>},
    {"ITL_PER_RUNNING_STREAM", kind::rate, when::live, "0",
     "seconds added to each inter-token draw per other request running in the server (vLLM's batching: "
     "throughput per stream falls as concurrency rises)",
     10, nullptr, &config::itl_per_running},
    {"OUTPUT_TOKENS", kind::count, when::live, "0",
     "tokens per answer without max_tokens (0: the content text's length)", 1u << 20, &U64<&config::output_tokens>},
    {"MAX_OUTPUT_TOKENS", kind::count_positive, when::live, "4096", "cap on max_tokens and X-Mock-Output-Tokens",
     65536, &U64<&config::max_output_tokens>},
    {"CONTENT_MODE", kind::content, when::live, "original",
     "answer text: original (the original service's), echo (the last user message), text (CONTENT_TEXT)"},
    {"CONTENT_TEXT", kind::text, when::live, "", "the answer text for CONTENT_MODE=text", 0, nullptr, nullptr,
     nullptr, nullptr, &config::content_text},
    {"MODELS", kind::text, when::restart, "qwen-plus", "comma-separated model names listed by /v1/models", 0,
     nullptr, nullptr, nullptr, nullptr, &config::models},
    {"SEED", kind::seed, when::restart, "0", "seed for latency draws and fault injection (0: from the clock)", 0,
     &U64<&config::seed>},
    {"LOAD_FACTOR", kind::rate, when::live, "0",
     "latency grows by (1 + LOAD_FACTOR x share of slots in use), 0 to 100", 100, nullptr, &config::load_factor},
    {"SSE_KEEPALIVE_SECONDS", kind::seconds, when::live, "0",
     "while a stream waits for its first token, send ': keep-alive' every this often (0: off)", 0,
     &U64<&config::sse_keepalive_ms>},
    {"ALLOW_REQUEST_OVERRIDES", kind::boolean, when::live, "true",
     "honour X-Mock-Delay, X-Mock-TTFT, X-Mock-ITL, X-Mock-Output-Tokens, X-Mock-Tool-Calls, "
     "X-Mock-Reasoning-Tokens and X-Return-Error headers",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::allow_overrides},
    {"FAULT_429_RATE", kind::rate, when::live, "0",
     "share of chat/completion requests answered 429 rate_limit_exceeded", 1, nullptr, &config::fault_429},
    {"FAULT_500_RATE", kind::rate, when::live, "0", "share answered 500 server_error", 1, nullptr,
     &config::fault_500},
    {"FAULT_503_RATE", kind::rate, when::live, "0", "share answered 503 (injected, not for want of a slot)", 1,
     nullptr, &config::fault_503},
    {"FAULT_DISCONNECT_RATE", kind::rate, when::live, "0",
     "share of answers cut (connection reset) after FAULT_AFTER_TOKENS tokens", 1, nullptr,
     &config::fault_disconnect},
    {"FAULT_STALL_RATE", kind::rate, when::live, "0",
     "share of answers that stop for FAULT_STALL_SECONDS after FAULT_AFTER_TOKENS", 1, nullptr,
     &config::fault_stall},
    {"FAULT_STREAM_ERROR_RATE", kind::rate, when::live, "0",
     "share of streams ended by an SSE error event after FAULT_AFTER_TOKENS tokens", 1, nullptr,
     &config::fault_stream_error},
    {"FAULT_AFTER_TOKENS", kind::count, when::live, "3", "where mid-stream faults strike", 1u << 20,
     &U64<&config::fault_after_tokens>},
    {"FAULT_STALL_SECONDS", kind::seconds, when::live, "5", "how long an injected stall lasts", 0,
     &U64<&config::fault_stall_ms>},
    {"VLLM_METRICS", kind::boolean, when::restart, "false",
     "also export vLLM's metric names (vllm:num_requests_running, ...) for vLLM dashboards and autoscalers", 0,
     nullptr, nullptr, nullptr, nullptr, nullptr, &config::vllm_metrics},
    {"REASONING_TOKENS", kind::count, when::live, "0",
     "reasoning tokens before the answer for reasoning_effort medium or enable_thinking (low: a quarter, high: 4x)",
     65536, &U64<&config::reasoning_tokens>},
    {"TOOL_ROUNDS", kind::count, when::live, "1",
     "with tool_choice auto, call a tool while the conversation has had fewer assistant tool-call turns than this "
     "since the last user message",
     1000, &U64<&config::tool_rounds>},
    {"TOOL_CALLS", kind::count_positive, when::live, "1",
     "tool calls per tool answer when parallel_tool_calls is not false", 16, &U64<&config::tool_calls>},
    {"DASHSCOPE_THINKING_STREAM_ONLY", kind::boolean, when::live, "true",
     "on /compatible-mode, thinking with stream false is DashScope's 400 (false: answer it)", 0, nullptr, nullptr,
     nullptr, nullptr, nullptr, &config::dashscope_thinking_stream_only},
    {"DASHSCOPE_SSE_ERRORS", kind::boolean, when::live, "true",
     "on /compatible-mode, a stream request's 400/404 body is an SSE frame 'data: {error}' as DashScope sends it "
     "(401s stay JSON)",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::dashscope_sse_errors},
    {"REQUIRE_API_KEY", kind::text, when::restart, "",
     "comma-separated API keys accepted as 'Authorization: Bearer KEY'; others get the provider's 401 (empty: any)",
     0, nullptr, nullptr, nullptr, nullptr, &config::require_api_key},
    {"STRICT_MODELS", kind::boolean, when::live, "false",
     "a model not in MODELS gets the provider's 404 model_not_found", 0, nullptr, nullptr, nullptr, nullptr, nullptr,
     &config::strict_models},
    {"MAX_MODEL_LEN", kind::count, when::live, "0",
     "prompt tokens allowed (the estimate, 4 bytes a token); more gets the provider's 400 (0: no limit); "
     "/v1/models and /tokenize report it as max_model_len (4294967295 for no limit)", U32,
     &U64<&config::max_model_len>},
    {"CORS_ALLOW_ORIGIN", kind::text, when::restart, "",
     "answer CORS preflights (OPTIONS) and add Access-Control-Allow-Origin with this value, e.g. * (empty: off)", 0,
     nullptr, nullptr, nullptr, nullptr, &config::cors_allow_origin},
    {"RATE_LIMIT_RPM", kind::count, when::live, "0",
     "requests per minute per API key (token bucket, refilled continuously); past it a 429 with the provider's "
     "rate-limit headers (0: off)",
     1ull << 40, &U64<&config::rate_limit_rpm>},
    {"RATE_LIMIT_TPM", kind::count, when::live, "0",
     "tokens per minute per API key (prompt estimate + max output tokens, charged at admission) (0: off)", 1ull << 40,
     &U64<&config::rate_limit_tpm>},
    {"RATE_LIMIT_KEYS", kind::text, when::restart, "",
     "per-key tiers with their own limits, e.g. 'sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3' (a tier naming one "
     "limit takes the other from RATE_LIMIT_RPM / RATE_LIMIT_TPM)",
     0, nullptr, nullptr, nullptr, nullptr, &config::rate_limit_keys},
    {"RATE_LIMIT_MAX_KEYS", kind::count_positive, when::restart, "65536",
     "keys the rate limiter tracks (its table, allocated at startup; at least 16); later keys share one bucket",
     1u << 20, &U64<&config::rate_limit_max_keys>},
    {"RATE_LIMIT_HEADERS_COMPAT", kind::boolean, when::live, "false",
     "on /compatible-mode, send the x-ratelimit-* and retry-after headers too (DashScope sends none)", 0, nullptr,
     nullptr, nullptr, nullptr, nullptr, &config::rate_limit_headers_compat},
    {"EMBEDDING_DIMENSIONS", kind::count_positive, when::restart, "1536", "length of /v1/embeddings vectors", 8192,
     &U64<&config::embedding_dimensions>},
    {"ADMIN_TOKEN", kind::text, when::restart, "",
     "turn on the admin routes (/admin/config, /admin/scenario), which need 'Authorization: Bearer TOKEN' (empty: "
     "off, they are 404)",
     0, nullptr, nullptr, nullptr, nullptr, &config::admin_token},
    {"SCENARIO_FILE", kind::text, when::restart, "",
     "a scenario (JSON: phases that set or ramp live settings) run from startup; see /admin/scenario", 0, nullptr,
     nullptr, nullptr, nullptr, &config::scenario_file},
    {"DASHBOARD", kind::boolean, when::restart, "true",
     "GET /dashboard serves a live page of what the mock sees, polling /health and /metrics (false: a 404 like "
     "any unknown path)",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::dashboard},
};

static_assert(std::size(SETTINGS) == SETTING_COUNT, "SETTING_COUNT in config.hpp must count the rows of SETTINGS");

size_t row_of(const setting& s) noexcept { return size_t(&s - SETTINGS); }

const setting* find_setting(std::string_view env) noexcept {
    for (const setting& s : SETTINGS) {
        if (env == s.env) {
            return &s;
        }
    }
    return nullptr;
}

std::string flag_of(const char* env) {
    std::string f = "--";
    for (const char* p = env; *p; ++p) {
        f += *p == '_' ? '-' : char(*p | 0x20);
    }
    return f;
}

bool parse_u64(std::string_view s, uint64_t& v) {
    if (s.empty()) {
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_percent(std::string_view s, double& v) {
    uint64_t ms;  // reuse the decimal reader: "90" or "92.5"
    if (!parse_seconds_ms(s, ms)) {
        return false;
    }
    v = double(ms) / 1000.0;
    return v > 0 && v <= 100;
}

// Parses one value into c; on failure fills message naming `who`.
bool apply_value(const setting& s, std::string_view who, std::string_view value, config& c, std::string& message) {
    auto bad = [&](std::string_view expects) {
        message = fmt::format("invalid {}={:?}: expected {}", who, value, expects);
        return false;
    };
    switch (s.k) {
    case kind::text_host: {
        std::string v(value);
        unsigned char tmp[16];
        if (inet_pton(AF_INET, v.c_str(), tmp) != 1 && inet_pton(AF_INET6, v.c_str(), tmp) != 1) {
            return bad("a numeric IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1 or ::");
        }
        c.host = std::move(v);
        return true;
    }
    case kind::port:
    case kind::count:
    case kind::count_positive: {
        uint64_t v;
        uint64_t lo = s.k == kind::count_positive ? 1 : 0;
        if (!parse_u64(value, v) || v < lo || v > s.max) {
            return bad(fmt::format("a whole number from {} to {}", lo, s.max));
        }
        s.u64->set(c, v);
        return true;
    }
    case kind::seconds:
    case kind::seconds_positive: {
        uint64_t ms;
        if (!parse_seconds_ms(value, ms) || (s.k == kind::seconds_positive && ms == 0)) {
            return bad(s.k == kind::seconds ? "a number of seconds >= 0, such as 10 or 0.25"
                                            : "a number of seconds > 0, such as 10 or 0.5");
        }
        s.u64->set(c, ms);
        return true;
    }
    case kind::percent: {
        double v;
        if (!parse_percent(value, v)) {
            return bad("a percentage above 0 and at most 100, such as 90");
        }
        c.*s.dbl = v;
        return true;
    }
    case kind::rate: {
        uint64_t milli;  // the decimal reader gives thousandths: "0.25" -> 250
        std::string_view digits = value;
        // The syntax from the decimal reader, the range from the value as stored: 1.0004 rounds
        // to 1.000 in thousandths, but is past 1.
        const double v = std::strtod(std::string(value).c_str(), nullptr);
        if (!parse_seconds_ms(digits, milli) || v > double(s.max)) {
            return bad(fmt::format("a number from 0 to {}, such as 0.1", s.max));
        }
        c.*s.dbl = v;
        return true;
    }
    case kind::latency: {
        latency_model m;
        std::string why;
        uint64_t ms;
        if (value.find(':') == std::string_view::npos && !parse_seconds_ms(value, ms)) {
            return bad("a number of seconds >= 0 such as 10 or 0.25, or a latency model such as uniform:0.2,0.8");
        }
        if (!parse_latency_model(value, m, why)) {
            return bad(why);
        }
        c.*s.lat = m;
        if (s.given != nullptr) {
            c.*s.given = true;
        }
        return true;
    }
    case kind::text:
        c.*s.str = std::string(value);
        return true;
    case kind::boolean:
        if (value == "true" || value == "1") {
            c.*s.flag = true;
        } else if (value == "false" || value == "0") {
            c.*s.flag = false;
        } else {
            return bad("true or false");
        }
        return true;
    case kind::content:
        if (value == "original") {
            c.content = content_mode::original;
        } else if (value == "echo") {
            c.content = content_mode::echo;
        } else if (value == "text") {
            c.content = content_mode::text;
        } else {
            return bad("original, echo or text");
        }
        return true;
    case kind::seed: {
        uint64_t v;
        if (!parse_u64(value, v)) {
            return bad("a whole number (0: from the clock)");
        }
        s.u64->set(c, v);
        return true;
    }
    case kind::retry:
        if (value == "none") {
            c.should_retry = retry_hint::none;
        } else if (value == "true") {
            c.should_retry = retry_hint::yes;
        } else if (value == "false") {
            c.should_retry = retry_hint::no;
        } else {
            return bad("none, true or false");
        }
        return true;
    }
    return false;
}

// Applies one value and, when accepted, keeps its text as written (GET /admin/config shows it).
bool apply(const setting& s, std::string_view who, std::string_view value, config& c, std::string& message) {
    if (!apply_value(s, who, value, c, message)) {
        return false;
    }
    c.written[row_of(s)] = std::string(value);
    return true;
}

std::string_view written_text(const config& c, const setting& s) noexcept {
    const std::optional<std::string>& w = c.written[row_of(s)];
    return w ? std::string_view(*w) : std::string_view(s.dflt);
}

void derive(config& c) noexcept { c.delay_ms = uint64_t(c.delay_model.mean() * 1000 + 0.5); }


// The settings whose values are keys: GET /admin/config says "(hidden)" for them when set.
bool secret_setting(const setting& s) noexcept {
    const std::string_view env = s.env;
    return env == "ADMIN_TOKEN" || env == "REQUIRE_API_KEY" || env == "RATE_LIMIT_KEYS";
}

// The value as the server holds it, as JSON (see settings_json).
void append_parsed(std::string& out, const setting& s, const config& c) {
    switch (s.k) {
    case kind::port:
    case kind::count:
    case kind::count_positive:
    case kind::seed:
        out += fmt::format("{}", s.u64->get(c));
        return;
    case kind::seconds:
    case kind::seconds_positive:
        out += fmt::format("{}", double(s.u64->get(c)) / 1000.0);
        return;
    case kind::percent:
    case kind::rate:
        out += fmt::format("{}", c.*s.dbl);
        return;
    case kind::latency:
        if (s.lat == &config::ttft && !c.has_ttft) {  // unset: streams use the plain delay
            out += "null";
        } else {
            append_json_string(out, to_string(c.*s.lat));
        }
        return;
    case kind::boolean:
        out += c.*s.flag ? "true" : "false";
        return;
    case kind::text_host:
        append_json_string(out, c.host);
        return;
    case kind::text:
        append_json_string(out, secret_setting(s) && !(c.*s.str).empty() ? std::string_view("(hidden)")
                                                                          : std::string_view(c.*s.str));
        return;
    case kind::content:
        append_json_string(out, c.content == content_mode::echo   ? "echo"
                                : c.content == content_mode::text ? "text"
                                                                  : "original");
        return;
    case kind::retry:
        append_json_string(out, c.should_retry == retry_hint::yes  ? "true"
                                : c.should_retry == retry_hint::no ? "false"
                                                                   : "none");
        return;
    }
}

}  // namespace

// A JSON string (RFC 8259 section 7): quote and backslash escaped, control bytes and DEL as
// backslash-u00XX, and every byte that is not part of well-formed UTF-8 (environment values
// need not be) as the replacement character U+FFFD, escaped, so the document always parses.
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    size_t i = 0;
    while (i < s.size()) {
        const auto b = uint8_t(s[i]);
        if (b < 0x80) {
            if (b == '"' || b == '\\') {
                out += '\\';
                out += char(b);
            } else if (b < 0x20 || b == 0x7f) {
                out += fmt::format("\\u{:04x}", b);
            } else {
                out += char(b);
            }
            ++i;
            continue;
        }
        // Well-formed sequences (Unicode 15, table 3-7): the second byte's range depends on the
        // first, which rules out overlong forms, surrogates and code points past U+10FFFF.
        size_t len = 0;
        uint8_t lo = 0x80, hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
        } else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            lo = b == 0xe0 ? 0xa0 : 0x80;
            hi = b == 0xed ? 0x9f : 0xbf;
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            lo = b == 0xf0 ? 0x90 : 0x80;
            hi = b == 0xf4 ? 0x8f : 0xbf;
        }
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto c = uint8_t(s[i + k]);
            ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

bool parse_seconds_ms(std::string_view text, uint64_t& ms) {
    // Digits, optionally '.' and more digits; at most 9 integer digits (31 years).
    size_t i = 0;
    uint64_t whole = 0;
    size_t int_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (++int_digits > 9) {
            return false;
        }
        whole = whole * 10 + uint64_t(text[i] - '0');
        ++i;
    }
    uint64_t frac_us = 0;  // microseconds, for rounding to ms
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        uint64_t scale = 100000;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            frac_us += uint64_t(text[i] - '0') * scale;
            scale /= 10;
            ++frac_digits;
            ++i;
        }
        if (frac_digits == 0) {
            return false;
        }
    }
    if (i != text.size() || int_digits == 0) {
        return false;
    }
    ms = whole * 1000 + (frac_us + 500) / 1000;
    return true;
}

config_status parse_config(int argc, const char* const* argv, env_lookup env, config& out, std::string& message) {
    if (env != nullptr) {
        for (const setting& s : SETTINGS) {
            const char* v = env(s.env);
            if (v != nullptr && !apply(s, s.env, v, out, message)) {
                return config_status::error;
            }
        }
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            return config_status::help;
        }
        if (arg == "--version" || arg == "-V") {
            return config_status::version;
        }
        std::string_view name = arg;
        std::string_view value;
        bool has_value = false;
        if (size_t eq = arg.find('='); eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        }
        const setting* found = nullptr;
        for (const setting& s : SETTINGS) {
            if (flag_of(s.env) == name) {
                found = &s;
            }
        }
        if (found == nullptr) {
            message = fmt::format("unknown option {:?} (see --help)", std::string(arg));
            return config_status::error;
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                message = fmt::format("option {} needs a value (see --help)", std::string(name));
                return config_status::error;
            }
            value = argv[++i];
        }
        if (!apply(*found, name, value, out, message)) {
            return config_status::error;
        }
    }
    return finish_config(out, message) ? config_status::ok : config_status::error;
}

bool finish_config(config& c, std::string& message) {
    if (c.content == content_mode::text && c.content_text.empty()) {
        message = "CONTENT_MODE=text needs CONTENT_TEXT (the answer text)";
        return false;
    }
    if (c.models.empty() || c.models.front() == ',' || c.models.back() == ',' ||
        c.models.find(",,") != std::string::npos || c.models.find_first_of(" \"\\") != std::string::npos) {
        message = fmt::format("invalid MODELS={:?}: expected comma-separated model names without spaces or quotes",
                              c.models);
        return false;
    }
    if (c.queue_full_status != 503 && c.queue_full_status != 429) {
        message = fmt::format("invalid QUEUE_FULL_STATUS=\"{}\": expected 503 or 429", c.queue_full_status);
        return false;
    }
    // The rate limiter's RATE_MIN_KEYS (main asserts the two agree): the table's own minimum.
    if (c.rate_limit_max_keys < CONFIG_RATE_MIN_KEYS) {
        message = fmt::format("invalid RATE_LIMIT_MAX_KEYS=\"{}\": expected a whole number from {} to {}",
                              c.rate_limit_max_keys, CONFIG_RATE_MIN_KEYS, 1u << 20);
        return false;
    }
    derive(c);
    return true;
}

bool setting_is_live(std::string_view name) noexcept {
    const setting* s = find_setting(name);
    return s != nullptr && s->w == when::live;
}

namespace {

// The live setting named `name`, or nullptr with message saying why not.
const setting* live_setting(std::string_view name, std::string& message) {
    const setting* s = find_setting(name);
    if (s == nullptr) {
        message = fmt::format("unknown setting {:?}", name);
        return nullptr;
    }
    if (s->w != when::live) {
        message = fmt::format("{} cannot change while the server runs: it needs a restart", s->env);
        return nullptr;
    }
    return s;
}

}  // namespace

bool apply_one(config& c, std::string_view name, std::string_view value, std::string& message) {
    const setting* s = live_setting(name, message);
    if (s == nullptr || !apply(*s, s->env, value, c, message)) {
        return false;
    }
    derive(c);
    return true;
}

bool apply_changes(const config& base, std::string_view json_object_text, config& out, std::string& message,
                   std::string& log_line) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json_object_text);
    simdjson::dom::object changes;
    if (parser.parse(padded).get(changes) != simdjson::SUCCESS) {
        message = "the body must be a JSON object of settings, e.g. {\"RESPONSE_DELAY_SECONDS\":\"0.5\"}";
        return false;
    }
    if (changes.size() == 0) {
        message = "no settings given";
        return false;
    }
    out = base;
    // In the object's order; a name given twice takes its last value, as a flag after the
    // variable does.
    for (simdjson::dom::key_value_pair field : changes) {
        const setting* s = live_setting(field.key, message);
        if (s == nullptr) {
            return false;
        }
        std::string text;
        std::string_view str;
        int64_t i64 = 0;
        uint64_t u64 = 0;
        double dbl = 0;
        bool flag = false;
        // Integers are read as integers, so 18446744073709551615 keeps every digit (get(double)
        // would take it too, rounded); other numbers as doubles, printed shortest.
        if (field.value.get(str) == simdjson::SUCCESS) {
            text = std::string(str);
        } else if (field.value.get(i64) == simdjson::SUCCESS) {
            text = fmt::format("{}", i64);
        } else if (field.value.get(u64) == simdjson::SUCCESS) {
            text = fmt::format("{}", u64);
        } else if (field.value.get(dbl) == simdjson::SUCCESS) {
            text = fmt::format("{}", dbl);  // the shortest text that reads back as dbl: 0.5, 10, 1e+30
        } else if (field.value.get(flag) == simdjson::SUCCESS) {
            text = flag ? "true" : "false";
        } else {
            message = fmt::format("{}: expected a string, number or boolean", s->env);
            return false;
        }
        if (!apply_one(out, s->env, text, message)) {
            return false;
        }
    }
    if (!finish_config(out, message)) {
        return false;
    }
    std::string log;
    for (const setting& s : SETTINGS) {
        std::string_view was = written_text(base, s);
        std::string_view now = written_text(out, s);
        if (was != now) {
            log += fmt::format("{}{} {} -> {}", log.empty() ? "" : ", ", s.env, was, now);
        }
    }
    log_line = std::move(log);
    return true;
}

std::string settings_json(const config& base, const config* effective) {
    std::string j = "{\"settings\":[";
    for (const setting& s : SETTINGS) {
        if (&s != SETTINGS) {
            j += ',';
        }
        j += "{\"name\":";
        append_json_string(j, s.env);
        j += ",\"value\":";
        append_json_string(j, secret_setting(s) && !written_text(base, s).empty() ? std::string_view("(hidden)")
                                                                                 : written_text(base, s));
        j += ",\"parsed\":";
        append_parsed(j, s, base);
        j += s.w == when::live ? ",\"live\":true" : ",\"live\":false";
        if (effective != nullptr && written_text(*effective, s) != written_text(base, s)) {
            j += ",\"effective\":";
            append_json_string(j, written_text(*effective, s));
        }
        j += '}';
    }
    j += "]}";
    return j;
}

std::string config_help() {
    std::string h =
        "llm-mock-server: a slow, cheap stand-in for the OpenAI / DashScope chat API.\n"
        "\n"
        "usage: llm-mock-server [--flag VALUE ...]\n"
        "Every setting is an environment variable and a flag; the flag wins.\n\n";
    for (const setting& s : SETTINGS) {
        h += fmt::format("  {:<32} {:<30} default {}\n      {}\n", flag_of(s.env), s.env, s.dflt, s.help);
    }
    h += "\n  --help, --version\n"
         "\nLATENCY MODELS (RESPONSE_DELAY_SECONDS, TTFT_SECONDS, ITL_SECONDS), in seconds:\n"
         "  0.5 or fixed:0.5, uniform:MIN,MAX, normal:MEAN,SD (clamped at 0), lognormal:MEDIAN,SIGMA\n"
         "\nPER-REQUEST HEADERS (unless ALLOW_REQUEST_OVERRIDES=false):\n"
         "  X-Mock-Delay, X-Mock-TTFT, X-Mock-ITL: seconds; X-Mock-Output-Tokens: count;\n"
         "  X-Return-Error: an HTTP status (400-599) to answer with at once\n";
    return h;
}

}  // namespace lms
