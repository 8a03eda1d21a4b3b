// config: one table drives the variables, the flags, the checks and --help, so the four can
// never disagree.
#include "settings/config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace lms {

namespace {

enum class kind : uint8_t {
    text_host, port, seconds, seconds_positive, count, count_positive, percent, retry,
    latency, rate, text, boolean, content, seed
};

struct setting {
    const char* env;
    kind k;
    const char* dflt;   // shown in --help
    const char* help;
    uint64_t max = 0;   // for counts
    void (*set_u64)(config&, uint64_t) = nullptr;
    double config::*dbl = nullptr;            // percent, rate
    latency_model config::*lat = nullptr;     // latency
    bool config::*given = nullptr;            // latency: set when the variable is given
    std::string config::*str = nullptr;       // text
    bool config::*flag = nullptr;             // boolean
};

constexpr uint64_t U32 = 0xffffffffu;

const setting SETTINGS[] = {
    {"HOST", kind::text_host, "0.0.0.0", "numeric IPv4 or IPv6 address to listen on (no host names)"},
    {"PORT", kind::port, "8080", "TCP port (0 picks a free one, printed at startup)", 65535,
     [](config& c, uint64_t v) { c.port = uint16_t(v); }},
    {"RESPONSE_DELAY_SECONDS", kind::latency, "10",
     "delay before each answer: seconds (fractions allowed) or a latency model (see LATENCY MODELS)", 0, nullptr,
     nullptr, &config::delay_model},
    {"MAX_CONCURRENT", kind::count_positive, "auto", "requests held at once; one more gets an immediate 503", U32,
     [](config& c, uint64_t v) { c.max_concurrent = uint32_t(v); }},
    {"WORKER_THREADS", kind::count_positive, "auto", "worker threads (auto: usable cores from affinity and cgroup quota)",
     1024, [](config& c, uint64_t v) { c.worker_threads = uint32_t(v); }},
    {"MAX_BODY_BYTES", kind::count_positive, "16384", "largest request body; larger gets 413", 64u << 20,
     [](config& c, uint64_t v) { c.max_body_bytes = uint32_t(v); }},
    {"HEADER_TIMEOUT_SECONDS", kind::seconds_positive, "10", "time to receive a whole request; then 408", 0,
     [](config& c, uint64_t v) { c.header_timeout_ms = v; }},
    {"IDLE_TIMEOUT_SECONDS", kind::seconds_positive, "75", "keep-alive connection idle time before close", 0,
     [](config& c, uint64_t v) { c.idle_timeout_ms = v; }},
    {"SHUTDOWN_TIMEOUT_SECONDS", kind::seconds_positive, "delay+5",
     "on SIGTERM/SIGINT, how long held requests may take to finish", 0,
     [](config& c, uint64_t v) { c.shutdown_timeout_ms = v; }},
    {"RETRY_AFTER_SECONDS", kind::count, "1", "Retry-After value on overload 503s and injected 429s", 86400,
     [](config& c, uint64_t v) { c.retry_after_s = uint32_t(v); }},
    {"X_SHOULD_RETRY", kind::retry, "none",
     "x-should-retry header on overload 503s: none (OpenAI SDKs retry twice), true, or false (SDKs give up)"},
    {"HEALTH_MAX_CONCURRENT_PERCENT", kind::percent, "90", "/health is 503 overloaded above this slot usage", 0,
     nullptr, &config::health_max_concurrent_pct},
    {"HEALTH_MAX_MEMORY_PERCENT", kind::percent, "95", "/health is 503 overloaded above this memory usage", 0, nullptr,
     &config::health_max_memory_pct},
    {"MAX_CONNECTIONS", kind::count_positive, "auto", "open connections per worker (auto: from the open-file limit)",
     U32, [](config& c, uint64_t v) { c.max_connections = uint32_t(v); }},
    {"READ_BUFFERS", kind::count_positive, "auto", "read buffers per worker, lent while a request is being read",
     1u << 20, [](config& c, uint64_t v) { c.read_buffers = uint32_t(v); }},
    {"TTFT_SECONDS", kind::latency, "unset",
     "time to first token (latency model); when set, answers take TTFT + ITL x tokens; unset: streams use the delay",
     0, nullptr, nullptr, &config::ttft, &config::has_ttft},
    {"ITL_SECONDS", kind::latency, "0.02", "inter-token latency (latency model), drawn per token", 0, nullptr, nullptr,
     &config::itl, &config::has_itl},
    {"OUTPUT_TOKENS", kind::count, "0", "tokens per answer without max_tokens (0: the content text's length)",
     1u << 20, [](config& c, uint64_t v) { c.output_tokens = uint32_t(v); }},
    {"MAX_OUTPUT_TOKENS", kind::count_positive, "4096", "cap on max_tokens and X-Mock-Output-Tokens", 65536,
     [](config& c, uint64_t v) { c.max_output_tokens = uint32_t(v); }},
    {"CONTENT_MODE", kind::content, "original",
     "answer text: original (the original service's), echo (the last user message), text (CONTENT_TEXT)"},
    {"CONTENT_TEXT", kind::text, "", "the answer text for CONTENT_MODE=text", 0, nullptr, nullptr, nullptr, nullptr,
     &config::content_text},
    {"MODELS", kind::text, "qwen-plus", "comma-separated model names listed by /v1/models", 0, nullptr, nullptr,
     nullptr, nullptr, &config::models},
    {"SEED", kind::seed, "0", "seed for latency draws and fault injection (0: from the clock)", 0,
     [](config& c, uint64_t v) { c.seed = v; }},
    {"LOAD_FACTOR", kind::rate, "0", "latency grows by (1 + LOAD_FACTOR x share of slots in use), 0 to 100", 100,
     nullptr, &config::load_factor},
    {"SSE_KEEPALIVE_SECONDS", kind::seconds, "0",
     "while a stream waits for its first token, send ': keep-alive' every this often (0: off)", 0,
     [](config& c, uint64_t v) { c.sse_keepalive_ms = v; }},
    {"ALLOW_REQUEST_OVERRIDES", kind::boolean, "true",
     "honour X-Mock-Delay, X-Mock-TTFT, X-Mock-ITL, X-Mock-Output-Tokens, X-Mock-Tool-Calls, "
     "X-Mock-Reasoning-Tokens and X-Return-Error headers",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::allow_overrides},
    {"FAULT_429_RATE", kind::rate, "0", "share of chat/completion requests answered 429 rate_limit_exceeded", 1,
     nullptr, &config::fault_429},
    {"FAULT_500_RATE", kind::rate, "0", "share answered 500 server_error", 1, nullptr, &config::fault_500},
    {"FAULT_503_RATE", kind::rate, "0", "share answered 503 (injected, not for want of a slot)", 1, nullptr,
     &config::fault_503},
    {"FAULT_DISCONNECT_RATE", kind::rate, "0", "share of answers cut (connection reset) after FAULT_AFTER_TOKENS tokens",
     1, nullptr, &config::fault_disconnect},
    {"FAULT_STALL_RATE", kind::rate, "0", "share of answers that stop for FAULT_STALL_SECONDS after FAULT_AFTER_TOKENS",
     1, nullptr, &config::fault_stall},
    {"FAULT_STREAM_ERROR_RATE", kind::rate, "0",
     "share of streams ended by an SSE error event after FAULT_AFTER_TOKENS tokens", 1, nullptr,
     &config::fault_stream_error},
    {"FAULT_AFTER_TOKENS", kind::count, "3", "where mid-stream faults strike", 1u << 20,
     [](config& c, uint64_t v) { c.fault_after_tokens = uint32_t(v); }},
    {"FAULT_STALL_SECONDS", kind::seconds, "5", "how long an injected stall lasts", 0,
     [](config& c, uint64_t v) { c.fault_stall_ms = v; }},
    {"VLLM_METRICS", kind::boolean, "false",
     "also export vLLM's metric names (vllm:num_requests_running, ...) for vLLM dashboards and autoscalers", 0,
     nullptr, nullptr, nullptr, nullptr, nullptr, &config::vllm_metrics},
    {"REASONING_TOKENS", kind::count, "0",
     "reasoning tokens before the answer for reasoning_effort medium or enable_thinking (low: a quarter, high: 4x)",
     65536, [](config& c, uint64_t v) { c.reasoning_tokens = uint32_t(v); }},
    {"TOOL_ROUNDS", kind::count, "1",
     "with tool_choice auto, call a tool while the conversation has had fewer assistant tool-call turns than this "
     "since the last user message",
     1000, [](config& c, uint64_t v) { c.tool_rounds = uint32_t(v); }},
    {"TOOL_CALLS", kind::count_positive, "1", "tool calls per tool answer when parallel_tool_calls is not false", 16,
     [](config& c, uint64_t v) { c.tool_calls = uint32_t(v); }},
    {"DASHSCOPE_THINKING_STREAM_ONLY", kind::boolean, "true",
     "on /compatible-mode, thinking with stream false is DashScope's 400 (false: answer it)", 0, nullptr, nullptr,
     nullptr, nullptr, nullptr, &config::dashscope_thinking_stream_only},
    {"DASHSCOPE_SSE_ERRORS", kind::boolean, "true",
     "on /compatible-mode, a stream request's 400/404 body is an SSE frame 'data: {error}' as DashScope sends it "
     "(401s stay JSON)",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::dashscope_sse_errors},
    {"REQUIRE_API_KEY", kind::text, "",
     "comma-separated API keys accepted as 'Authorization: Bearer KEY'; others get the provider's 401 (empty: any)",
     0, nullptr, nullptr, nullptr, nullptr, &config::require_api_key},
    {"STRICT_MODELS", kind::boolean, "false", "a model not in MODELS gets the provider's 404 model_not_found", 0,
     nullptr, nullptr, nullptr, nullptr, nullptr, &config::strict_models},
    {"MAX_MODEL_LEN", kind::count, "0",
     "prompt tokens allowed (the estimate, 4 bytes a token); more gets the provider's 400 (0: no limit)", U32,
     [](config& c, uint64_t v) { c.max_model_len = uint32_t(v); }},
    {"CORS_ALLOW_ORIGIN", kind::text, "",
     "answer CORS preflights (OPTIONS) and add Access-Control-Allow-Origin with this value, e.g. * (empty: off)", 0,
     nullptr, nullptr, nullptr, nullptr, &config::cors_allow_origin},
    {"RATE_LIMIT_RPM", kind::count, "0",
     "requests per minute per API key (token bucket, refilled continuously); past it a 429 with the provider's "
     "rate-limit headers (0: off)",
     1ull << 40, [](config& c, uint64_t v) { c.rate_limit_rpm = v; }},
    {"RATE_LIMIT_TPM", kind::count, "0",
     "tokens per minute per API key (prompt estimate + max output tokens, charged at admission) (0: off)", 1ull << 40,
     [](config& c, uint64_t v) { c.rate_limit_tpm = v; }},
    {"RATE_LIMIT_KEYS", kind::text, "",
     "per-key tiers with their own limits, e.g. 'sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3' (a tier naming one "
     "limit takes the other from RATE_LIMIT_RPM / RATE_LIMIT_TPM)",
     0, nullptr, nullptr, nullptr, nullptr, &config::rate_limit_keys},
    {"RATE_LIMIT_MAX_KEYS", kind::count_positive, "65536",
     "keys the rate limiter tracks (its table, allocated at startup; at least 16); later keys share one bucket",
     1u << 20, [](config& c, uint64_t v) { c.rate_limit_max_keys = uint32_t(v); }},
    {"RATE_LIMIT_HEADERS_COMPAT", kind::boolean, "false",
     "on /compatible-mode, send the x-ratelimit-* and retry-after headers too (DashScope sends none)", 0, nullptr,
     nullptr, nullptr, nullptr, nullptr, &config::rate_limit_headers_compat},
    {"EMBEDDING_DIMENSIONS", kind::count_positive, "1536", "length of /v1/embeddings vectors", 8192,
     [](config& c, uint64_t v) { c.embedding_dimensions = uint32_t(v); }},
};

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

// Applies one value; on failure fills message naming `who`.
bool apply(const setting& s, std::string_view who, std::string_view value, config& c, std::string& message) {
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
        s.set_u64(c, v);
        return true;
    }
    case kind::seconds:
    case kind::seconds_positive: {
        uint64_t ms;
        if (!parse_seconds_ms(value, ms) || (s.k == kind::seconds_positive && ms == 0)) {
            return bad(s.k == kind::seconds ? "a number of seconds >= 0, such as 10 or 0.25"
                                            : "a number of seconds > 0, such as 10 or 0.5");
        }
        s.set_u64(c, ms);
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
        if (!parse_seconds_ms(digits, milli) || double(milli) / 1000.0 > double(s.max)) {
            return bad(fmt::format("a number from 0 to {}, such as 0.1", s.max));
        }
        c.*s.dbl = std::strtod(std::string(value).c_str(), nullptr);
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
        s.set_u64(c, v);
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

}  // namespace

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
    if (out.content == content_mode::text && out.content_text.empty()) {
        message = "CONTENT_MODE=text needs CONTENT_TEXT (the answer text)";
        return config_status::error;
    }
    if (out.models.empty() || out.models.front() == ',' || out.models.back() == ',' ||
        out.models.find(",,") != std::string::npos || out.models.find_first_of(" \"\\") != std::string::npos) {
        message = fmt::format("invalid MODELS={:?}: expected comma-separated model names without spaces or quotes",
                              out.models);
        return config_status::error;
    }
    out.delay_ms = uint64_t(out.delay_model.mean() * 1000 + 0.5);
    return config_status::ok;
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
