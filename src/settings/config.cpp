// config: one table drives the variables, the flags, the checks, --help and the admin API
// (which settings are live, their texts as written, their JSON), so they can never disagree.
#include "settings/config.hpp"

#include <arpa/inet.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <iterator>
#include <type_traits>

namespace lms {

namespace {

enum class kind : uint8_t {
    text_host, port, seconds, seconds_positive, count, count_positive, percent, retry,
    latency, rate, text, boolean, content, seed, queue_status
};

// live: may change while the server runs (PATCH /admin/config, scenarios). restart: read once
// at startup, into something sized or bound then (sockets, threads, tables, the seed's rngs).
enum class when : uint8_t { restart, live };

// The sections of --help-markdown (docs/configuration.md), in this order; titles below.
enum class group : uint8_t { server, capacity, latency, answers, provider, rate_limits, faults, control };

constexpr std::string_view GROUP_TITLES[] = {
    "Server and connections", "Capacity, waiting queue and overload", "Latency",
    "Answers: tokens, content, models, reasoning and tools", "Provider checks", "Rate limits per API key",
    "Fault injection", "Control and observation"};
static_assert(std::size(GROUP_TITLES) == SETTING_GROUP_COUNT && size_t(group::control) + 1 == SETTING_GROUP_COUNT);

// A count's accepted range. Written as its upper bound alone (the lower is 0, or 1 for the
// count_positive kind), or as {lo, hi}; rates use hi only.
struct bound {
    uint64_t lo = 0, hi = 0;
    constexpr bound(uint64_t h) : hi(h) {}  // NOLINT: the table writes plain numbers
    constexpr bound(uint64_t l, uint64_t h) : lo(l), hi(h) {}
};

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
    group g;
    const char* dflt;   // shown in --help, and by the admin API while the setting was never set
    const char* help;
    bound max = 0;      // for counts and rates
    const u64_field* u64 = nullptr;           // counts, port, seconds, seed
    double config::*dbl = nullptr;            // percent, rate
    latency_model config::*lat = nullptr;     // latency
    bool config::*given = nullptr;            // latency: set when the variable is given
    std::string config::*str = nullptr;       // text
    bool config::*flag = nullptr;             // boolean
};

constexpr uint64_t U32 = 0xffffffffu;

const setting SETTINGS[] = {
    {"HOST", kind::text_host, when::restart, group::server, "0.0.0.0", "numeric IPv4 or IPv6 address to listen on (no host names)"},
    {"PORT", kind::port, when::restart, group::server, "8080", "TCP port (0 picks a free one, printed at startup)", 65535,
     &U64<&config::port>},
    {"RESPONSE_DELAY_SECONDS", kind::latency, when::live, group::latency, "10",
     "delay before each answer: seconds (fractions allowed) or a latency model (see LATENCY MODELS)", 0, nullptr,
     nullptr, &config::delay_model},
    {"MAX_CONCURRENT", kind::count_positive, when::live, group::capacity, "auto",
     "requests held at once; one more gets an immediate 503", U32, &U64<&config::max_concurrent>},
    {"MAX_WAITING", kind::count, when::restart, group::capacity, "0",
     "vLLM's waiting queue: past MAX_CONCURRENT, up to this many more wait (first come first served over all "
     "workers) for a slot; past it, refused at once (0: no queue, the immediate 503)",
     1u << 22, &U64<&config::max_waiting>},
    {"MAX_WAIT_SECONDS", kind::seconds, when::live, group::capacity, "0",
     "longest a request waits in the queue; then it is refused like a full queue (0: no bound)", 0,
     &U64<&config::max_wait_ms>},
    {"QUEUE_FULL_STATUS", kind::queue_status, when::live, group::capacity, "503",
     "the status of a request the queue refuses (full, or waited MAX_WAIT_SECONDS): 503, or 429 (llm-d's choice)", 0,
     &U64<&config::queue_full_status>},
    {"WORKER_THREADS", kind::count_positive, when::restart, group::server, "auto",
     "worker threads (auto: usable cores from affinity and cgroup quota)", 1024, &U64<&config::worker_threads>},
    {"MAX_BODY_BYTES", kind::count_positive, when::restart, group::server, "16384", "largest request body; larger gets 413",
     64u << 20, &U64<&config::max_body_bytes>},
    {"HEADER_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, group::server, "10",
     "time to receive a whole request; then 408", 0, &U64<&config::header_timeout_ms>},
    {"IDLE_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, group::server, "75",
     "keep-alive connection idle time before close", 0, &U64<&config::idle_timeout_ms>},
    {"SHUTDOWN_TIMEOUT_SECONDS", kind::seconds_positive, when::restart, group::server, "delay+5",
     "on SIGTERM/SIGINT, how long held requests may take to finish", 0, &U64<&config::shutdown_timeout_ms>},
    {"RETRY_AFTER_SECONDS", kind::count, when::live, group::capacity, "1", "Retry-After value on overload 503s and injected 429s",
     86400, &U64<&config::retry_after_s>},
    {"X_SHOULD_RETRY", kind::retry, when::live, group::capacity, "none",
     "x-should-retry header on overload 503s: none (OpenAI SDKs retry twice), true, or false (SDKs give up)"},
    {"HEALTH_MAX_CONCURRENT_PERCENT", kind::percent, when::live, group::capacity, "90",
     "/health is 503 overloaded above this slot usage", 0, nullptr, &config::health_max_concurrent_pct},
    {"HEALTH_MAX_MEMORY_PERCENT", kind::percent, when::live, group::capacity, "95",
     "/health is 503 overloaded above this memory usage", 0, nullptr, &config::health_max_memory_pct},
    {"MAX_CONNECTIONS", kind::count_positive, when::restart, group::server, "auto",
     "open connections per worker (auto: from the open-file limit)", U32, &U64<&config::max_connections>},
    {"READ_BUFFERS", kind::count_positive, when::restart, group::server, "auto",
     "read buffers per worker, lent while a request is being read", 1u << 20, &U64<&config::read_buffers>},
    {"TTFT_SECONDS", kind::latency, when::live, group::latency, "unset",
     "time to first token (latency model); when set, answers take TTFT + ITL x tokens; unset: streams use the delay",
     0, nullptr, nullptr, &config::ttft, &config::has_ttft},
    {"ITL_SECONDS", kind::latency, when::live, group::latency, "0.02", "inter-token latency (latency model), drawn per token", 0,
     nullptr, nullptr, &config::itl, &config::has_itl},
    {"PREFILL_SECONDS_PER_1K_TOKENS", kind::rate, when::live, group::latency, "0",
     "prefill time per 1,000 uncached prompt tokens (the same count as usage.prompt_tokens), added to the TTFT "
     "or the whole answer's delay, as a real server's long prompts start later",
     1000, nullptr, &config::prefill_per_1k},
    {"PREFILL_OVERHEAD_SECONDS", kind::seconds, when::live, group::latency, "0",
     "a fixed prefill cost per request, added like PREFILL_SECONDS_PER_1K_TOKENS", 0,
     &U64<&config::prefill_overhead_ms>},
    {"ITL_PER_RUNNING_STREAM", kind::rate, when::live, group::latency, "0",
     "seconds added to each inter-token draw per other request running in the server (vLLM's batching: "
     "throughput per stream falls as concurrency rises)",
     10, nullptr, &config::itl_per_running},
    {"PREFIX_CACHE_BLOCKS", kind::count, when::restart, group::latency, "0",
     "vLLM's prefix cache: blocks in its table, fixed at startup (64 bytes a set of 5); a prompt's leading blocks "
     "found there cost no prefill and count as cached tokens (0: off)", 1u << 24, &U64<&config::prefix_cache_blocks>},
    {"PREFIX_BLOCK_TOKENS", kind::count_positive, when::restart, group::latency, "16",
     "tokens in a prefix-cache block (vLLM's block_size); only whole blocks are cached", 1024, &U64<&config::prefix_block_tokens>},
    {"OUTPUT_TOKENS", kind::count, when::live, group::answers, "0",
     "tokens per answer without max_tokens (0: the content text's length)", 1u << 20, &U64<&config::output_tokens>},
    {"MAX_OUTPUT_TOKENS", kind::count_positive, when::live, group::answers, "4096", "cap on max_tokens and X-Mock-Output-Tokens",
     65536, &U64<&config::max_output_tokens>},
    {"CONTENT_MODE", kind::content, when::live, group::answers, "original",
     "answer text: original (the original service's), echo (the last user message), text (CONTENT_TEXT)"},
    {"CONTENT_TEXT", kind::text, when::live, group::answers, "", "the answer text for CONTENT_MODE=text", 0, nullptr, nullptr,
     nullptr, nullptr, &config::content_text},
    {"MODELS", kind::text, when::restart, group::answers, "qwen-plus", "comma-separated model names listed by /v1/models", 0,
     nullptr, nullptr, nullptr, nullptr, &config::models},
    {"SEED", kind::seed, when::restart, group::latency, "0", "seed for latency draws and fault injection (0: from the clock)", 0,
     &U64<&config::seed>},
    {"LOAD_FACTOR", kind::rate, when::live, group::latency, "0",
     "latency grows by (1 + LOAD_FACTOR x share of slots in use), 0 to 100", 100, nullptr, &config::load_factor},
    {"SSE_KEEPALIVE_SECONDS", kind::seconds, when::live, group::latency, "0",
     "while a stream waits for its first token, send ': keep-alive' every this often (0: off)", 0,
     &U64<&config::sse_keepalive_ms>},
    {"ALLOW_REQUEST_OVERRIDES", kind::boolean, when::live, group::control, "true",
     "honour X-Mock-Delay, X-Mock-TTFT, X-Mock-ITL, X-Mock-Output-Tokens, X-Mock-Tool-Calls, "
     "X-Mock-Reasoning-Tokens and X-Return-Error headers",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::allow_overrides},
    {"FAULT_429_RATE", kind::rate, when::live, group::faults, "0",
     "share of chat/completion requests answered 429 rate_limit_exceeded", 1, nullptr, &config::fault_429},
    {"FAULT_500_RATE", kind::rate, when::live, group::faults, "0", "share answered 500 server_error", 1, nullptr,
     &config::fault_500},
    {"FAULT_503_RATE", kind::rate, when::live, group::faults, "0", "share answered 503 (injected, not for want of a slot)", 1,
     nullptr, &config::fault_503},
    {"FAULT_DISCONNECT_RATE", kind::rate, when::live, group::faults, "0",
     "share of answers cut (connection reset) after FAULT_AFTER_TOKENS tokens", 1, nullptr,
     &config::fault_disconnect},
    {"FAULT_STALL_RATE", kind::rate, when::live, group::faults, "0",
     "share of answers that stop for FAULT_STALL_SECONDS after FAULT_AFTER_TOKENS", 1, nullptr,
     &config::fault_stall},
    {"FAULT_STREAM_ERROR_RATE", kind::rate, when::live, group::faults, "0",
     "share of streams ended by an SSE error event after FAULT_AFTER_TOKENS tokens", 1, nullptr,
     &config::fault_stream_error},
    {"FAULT_AFTER_TOKENS", kind::count, when::live, group::faults, "3", "where mid-stream faults strike", 1u << 20,
     &U64<&config::fault_after_tokens>},
    {"FAULT_STALL_SECONDS", kind::seconds, when::live, group::faults, "5", "how long an injected stall lasts", 0,
     &U64<&config::fault_stall_ms>},
    {"VLLM_METRICS", kind::boolean, when::restart, group::control, "false",
     "also export vLLM's metric names (vllm:num_requests_running, ...) for vLLM dashboards and autoscalers", 0,
     nullptr, nullptr, nullptr, nullptr, nullptr, &config::vllm_metrics},
    {"REASONING_TOKENS", kind::count, when::live, group::answers, "0",
     "reasoning tokens before the answer for reasoning_effort medium or enable_thinking (low: a quarter, high: 4x)",
     65536, &U64<&config::reasoning_tokens>},
    {"TOOL_ROUNDS", kind::count, when::live, group::answers, "1",
     "with tool_choice auto, call a tool while the conversation has had fewer assistant tool-call turns than this "
     "since the last user message",
     1000, &U64<&config::tool_rounds>},
    {"TOOL_CALLS", kind::count_positive, when::live, group::answers, "1",
     "tool calls per tool answer when parallel_tool_calls is not false", 16, &U64<&config::tool_calls>},
    {"DASHSCOPE_THINKING_STREAM_ONLY", kind::boolean, when::live, group::provider, "true",
     "on /compatible-mode, thinking with stream false is DashScope's 400 (false: answer it)", 0, nullptr, nullptr,
     nullptr, nullptr, nullptr, &config::dashscope_thinking_stream_only},
    {"DASHSCOPE_SSE_ERRORS", kind::boolean, when::live, group::provider, "true",
     "on /compatible-mode, a stream request's 400/404 body is an SSE frame 'data: {error}' as DashScope sends it "
     "(401s stay JSON)",
     0, nullptr, nullptr, nullptr, nullptr, nullptr, &config::dashscope_sse_errors},
    {"REQUIRE_API_KEY", kind::text, when::restart, group::provider, "",
     "comma-separated API keys accepted as 'Authorization: Bearer KEY'; others get the provider's 401 (empty: any)",
     0, nullptr, nullptr, nullptr, nullptr, &config::require_api_key},
    {"STRICT_MODELS", kind::boolean, when::live, group::provider, "false",
     "a model not in MODELS gets the provider's 404 model_not_found", 0, nullptr, nullptr, nullptr, nullptr, nullptr,
     &config::strict_models},
    {"MAX_MODEL_LEN", kind::count, when::live, group::provider, "0",
     "prompt tokens allowed (the estimate, 4 bytes a token); more gets the provider's 400 (0: no limit); "
     "/v1/models and /tokenize report it as max_model_len (4294967295 for no limit)", U32,
     &U64<&config::max_model_len>},
    {"CORS_ALLOW_ORIGIN", kind::text, when::restart, group::provider, "",
     "answer CORS preflights (OPTIONS) and add Access-Control-Allow-Origin with this value, e.g. * (empty: off)", 0,
     nullptr, nullptr, nullptr, nullptr, &config::cors_allow_origin},
    {"RATE_LIMIT_RPM", kind::count, when::live, group::rate_limits, "0",
     "requests per minute per API key (token bucket, refilled continuously); past it a 429 with the provider's "
     "rate-limit headers (0: off)",
     1ull << 40, &U64<&config::rate_limit_rpm>},
    {"RATE_LIMIT_TPM", kind::count, when::live, group::rate_limits, "0",
     "tokens per minute per API key (prompt estimate + max output tokens, charged at admission) (0: off)", 1ull << 40,
     &U64<&config::rate_limit_tpm>},
    {"RATE_LIMIT_KEYS", kind::text, when::restart, group::rate_limits, "",
     "per-key tiers with their own limits, e.g. 'sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3' (a tier naming one "
     "limit takes the other from RATE_LIMIT_RPM / RATE_LIMIT_TPM)",
     0, nullptr, nullptr, nullptr, nullptr, &config::rate_limit_keys},
    {"RATE_LIMIT_MAX_KEYS", kind::count_positive, when::restart, group::rate_limits, "65536",
     "keys the rate limiter tracks (its table, allocated at startup); later keys share one bucket",
     {CONFIG_RATE_MIN_KEYS, 1u << 20}, &U64<&config::rate_limit_max_keys>},
    {"RATE_LIMIT_HEADERS_COMPAT", kind::boolean, when::live, group::rate_limits, "false",
     "on /compatible-mode, send the x-ratelimit-* and retry-after headers too (DashScope sends none)", 0, nullptr,
     nullptr, nullptr, nullptr, nullptr, &config::rate_limit_headers_compat},
    {"EMBEDDING_DIMENSIONS", kind::count_positive, when::restart, group::answers, "1536", "length of /v1/embeddings vectors", 8192,
     &U64<&config::embedding_dimensions>},
    {"ADMIN_TOKEN", kind::text, when::restart, group::control, "",
     "turn on the admin routes (/admin/config, /admin/scenario), which need 'Authorization: Bearer TOKEN' (empty: "
     "off, they are 404)",
     0, nullptr, nullptr, nullptr, nullptr, &config::admin_token},
    {"SCENARIO_FILE", kind::text, when::restart, group::control, "",
     "a scenario (JSON: phases that set or ramp live settings) run from startup; see /admin/scenario", 0, nullptr,
     nullptr, nullptr, nullptr, &config::scenario_file},
    {"DASHBOARD", kind::boolean, when::restart, group::control, "true",
     "GET /dashboard: a live page of what the mock sees, polling /health and /metrics (false: 404)", 0, nullptr,
     nullptr, nullptr, nullptr, nullptr, &config::dashboard},
    {"TRACE_TIMING", kind::count, when::restart, group::server, "0",
     "requests per worker whose phase times (accept, first read, complete, admitted, granted, due, written) are "
     "kept and written at shutdown to TRACE_TIMING_FILE.<worker>.tsv (0: off)", 1u << 24, &U64<&config::trace_timing>},
    {"TRACE_TIMING_FILE", kind::text, when::restart, group::server, "llm-mock-timing",
     "where TRACE_TIMING's tables go (a path prefix)", 0, nullptr, nullptr, nullptr, nullptr, &config::trace_timing_file},
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

uint64_t lowest(const setting& s) noexcept { return std::max<uint64_t>(s.max.lo, s.k == kind::count_positive); }

// What the setting accepts, as its error message says it and the docs show it.
std::string expects(const setting& s) {
    switch (s.k) {
    case kind::text_host:
        return "a numeric IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1 or ::";
    case kind::port:
    case kind::count:
    case kind::count_positive:
        return fmt::format("a whole number from {} to {}", lowest(s), s.max.hi);
    case kind::seconds:
        return "a number of seconds >= 0, such as 10 or 0.25";
    case kind::seconds_positive:
        return "a number of seconds > 0, such as 10 or 0.5";
    case kind::percent:
        return "a percentage above 0 and at most 100, such as 90";
    case kind::rate:
        return fmt::format("a number from 0 to {}, such as 0.1", s.max.hi);
    case kind::latency:
        return "a number of seconds >= 0 such as 10 or 0.25, or a latency model such as uniform:0.2,0.8";
    case kind::text:
        return "any text";
    case kind::boolean:
        return "true or false";
    case kind::content:
        return "original, echo or text";
    case kind::seed:
        return "a whole number (0: from the clock)";
    case kind::retry:
        return "none, true or false";
    case kind::queue_status:
        return "503 or 429";
    }
    return "";
}

// Parses one value into c; on failure fills message naming `who`.
bool apply_value(const setting& s, std::string_view who, std::string_view value, config& c, std::string& message) {
    auto bad = [&](std::string_view why) {
        message = fmt::format("invalid {}={:?}: expected {}", who, value, why);
        return false;
    };
    switch (s.k) {
    case kind::text_host: {
        std::string v(value);
        unsigned char tmp[16];
        if (inet_pton(AF_INET, v.c_str(), tmp) != 1 && inet_pton(AF_INET6, v.c_str(), tmp) != 1) {
            return bad(expects(s));
        }
        c.host = std::move(v);
        return true;
    }
    case kind::port:
    case kind::count:
    case kind::count_positive: {
        uint64_t v;
        if (!parse_u64(value, v) || v < lowest(s) || v > s.max.hi) {
            return bad(expects(s));
        }
        s.u64->set(c, v);
        return true;
    }
    case kind::queue_status: {
        uint64_t v;
        if (!parse_u64(value, v) || (v != 503 && v != 429)) {
            return bad(expects(s));
        }
        s.u64->set(c, v);
        return true;
    }
    case kind::seconds:
    case kind::seconds_positive: {
        uint64_t ms;
        if (!parse_seconds_ms(value, ms) || (s.k == kind::seconds_positive && ms == 0)) {
            return bad(expects(s));
        }
        s.u64->set(c, ms);
        return true;
    }
    case kind::percent: {
        double v;
        if (!parse_percent(value, v)) {
            return bad(expects(s));
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
        if (!parse_seconds_ms(digits, milli) || v > double(s.max.hi)) {
            return bad(expects(s));
        }
        c.*s.dbl = v;
        return true;
    }
    case kind::latency: {
        latency_model m;
        std::string why;
        uint64_t ms;
        if (value.find(':') == std::string_view::npos && !parse_seconds_ms(value, ms)) {
            return bad(expects(s));
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
            return bad(expects(s));
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
            return bad(expects(s));
        }
        return true;
    case kind::seed: {
        uint64_t v;
        if (!parse_u64(value, v)) {
            return bad(expects(s));
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
            return bad(expects(s));
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
    case kind::queue_status:
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
        if (arg == "--help-markdown") {
            return config_status::help_markdown;
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

std::vector<setting_doc> setting_docs() {
    std::vector<setting_doc> docs;
    docs.reserve(std::size(SETTINGS));
    for (const setting& s : SETTINGS) {
        docs.push_back({s.env, flag_of(s.env), s.dflt, s.help, expects(s), s.w == when::live, size_t(s.g)});
    }
    return docs;
}

std::string_view setting_group_title(size_t g) noexcept {
    return g < std::size(GROUP_TITLES) ? GROUP_TITLES[g] : std::string_view();
}

}  // namespace lms
