#pragma once
// config: the server's settings, read from environment variables and command-line flags.
//
// Level 0. Pure: the environment is passed in as a lookup function, nothing is read from the
// process here, so tests can feed any environment. parse_config runs once at startup, before
// the workers; it may allocate (std::string for error messages) and never runs on the request
// path. Every function here may be called from any thread on objects that thread owns.
//
// Every setting is an environment variable (PORT) and a flag (--port VALUE or --port=VALUE);
// a flag wins over the variable. A bad value names the variable (or flag) and what it
// expects; nothing silently falls back to a default.
//
// The runtime face (GET/PATCH /admin/config, scenarios): some settings are "live" and may change
// while the server runs; apply_changes / apply_one validate a change exactly as the environment
// would be, on a copy the caller owns, and settings_json renders the table. These run on the
// admin path, never on the request path: they allocate, and throw nothing but std::bad_alloc.
// None touches shared state; the caller publishes the result (a new snapshot) itself.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "answer/latency_model.hpp"
#include "settings/value_text.hpp"  // parse_seconds_ms, append_json_string

namespace lms {

// Rows in the settings table (src/settings/config.cpp); the build fails when the two disagree.
inline constexpr size_t SETTING_COUNT = 63;

// RATE_LIMIT_MAX_KEYS' minimum (service/rate_limiter's RATE_MIN_KEYS; main asserts they agree).
inline constexpr uint32_t CONFIG_RATE_MIN_KEYS = 16;

enum class retry_hint : uint8_t { none, yes, no };  // x-should-retry on overload 503s
enum class content_mode : uint8_t { original, echo, text };

struct config {
    std::string host = "0.0.0.0";          // numeric IPv4 or IPv6 literal
    uint16_t port = 8080;
    uint64_t delay_ms = 10000;              // RESPONSE_DELAY_SECONDS, fractions allowed (ms resolution)
    uint32_t max_concurrent = 0;            // 0: derived from the open-file and memory limits
    uint32_t max_waiting = 0;               // MAX_WAITING: the waiting queue's room; 0: no queue (immediate 503)
    uint64_t max_wait_ms = 0;               // MAX_WAIT_SECONDS: the longest wait; 0: no bound
    uint32_t queue_full_status = 503;       // QUEUE_FULL_STATUS: 503 or 429
    uint32_t worker_threads = 0;            // 0: usable cores (affinity, cgroup quota)
    uint32_t max_body_bytes = 16384;
    uint64_t header_timeout_ms = 10000;
    uint64_t idle_timeout_ms = 75000;
    uint64_t shutdown_timeout_ms = 0;       // 0: delay + 5 s
    uint32_t retry_after_s = 1;             // Retry-After on overload 503s
    retry_hint should_retry = retry_hint::none;
    double health_max_concurrent_pct = 90;  // /health says overloaded above this usage
    double health_max_memory_pct = 95;
    uint32_t max_connections = 0;           // 0: derived from the open-file limit
    uint32_t read_buffers = 0;              // per worker; 0: derived from max_connections

    // LLM realism (streaming, latency models, content, faults, more routes).
    latency_model delay_model{latency_model::kind::fixed, 10, 0};  // RESPONSE_DELAY_SECONDS
    bool has_ttft = false;                  // TTFT_SECONDS given: answers follow TTFT + ITL x tokens
    latency_model ttft{};                   // unset: streams use the plain delay as TTFT
    bool has_itl = false;
    latency_model itl{latency_model::kind::fixed, 0.02, 0};
    double prefill_per_1k = 0;              // PREFILL_SECONDS_PER_1K_TOKENS
    uint64_t prefill_overhead_ms = 0;       // PREFILL_OVERHEAD_SECONDS
    double itl_per_running = 0;             // ITL_PER_RUNNING_STREAM: s per other running request
    uint32_t prefix_cache_blocks = 0;       // PREFIX_CACHE_BLOCKS: the prefix table's blocks; 0: off
    uint32_t prefix_block_tokens = 16;      // PREFIX_BLOCK_TOKENS: tokens a block
    uint32_t output_tokens = 0;             // 0: the content text's own length in tokens
    uint32_t max_output_tokens = 4096;      // cap on max_tokens and X-Mock-Output-Tokens
    content_mode content = content_mode::original;
    std::string content_text;               // CONTENT_TEXT (content_mode::text)
    std::string models = "qwen-plus";       // MODELS: comma list for /v1/models
    uint64_t seed = 0;                      // SEED: 0 = from the clock
    double load_factor = 0;                 // latency x (1 + LOAD_FACTOR x slot usage)
    uint64_t sse_keepalive_ms = 0;          // ": keep-alive" comments while waiting for the first token
    bool allow_overrides = true;            // X-Mock-* and X-Return-Error request headers
    double fault_429 = 0, fault_500 = 0, fault_503 = 0;         // rates in [0, 1]
    double fault_disconnect = 0, fault_stall = 0, fault_stream_error = 0;
    uint32_t fault_after_tokens = 3;        // where mid-stream faults strike
    uint64_t fault_stall_ms = 5000;
    uint32_t embedding_dimensions = 1536;
    bool vllm_metrics = false;
    // Agents (chat): reasoning, tool calls, DashScope's rules.
    uint32_t reasoning_tokens = 0;          // REASONING_TOKENS: for medium effort / enable_thinking
    uint32_t tool_rounds = 1;               // TOOL_ROUNDS: tool-call turns before an "auto" answer is text
    uint32_t tool_calls = 1;                // TOOL_CALLS: calls per tool answer (parallel_tool_calls)
    bool dashscope_thinking_stream_only = true;  // DASHSCOPE_THINKING_STREAM_ONLY
    bool dashscope_sse_errors = true;       // DASHSCOPE_SSE_ERRORS: stream requests' 4xx as an SSE frame
    // Provider checks (both routes, each in its provider's words).
    std::string require_api_key;            // REQUIRE_API_KEY: accepted keys, comma list; empty: any
    bool strict_models = false;             // STRICT_MODELS: a model not in MODELS is a 404
    uint32_t max_model_len = 0;             // MAX_MODEL_LEN: prompt tokens allowed; 0: no limit
    std::string cors_allow_origin;          // CORS_ALLOW_ORIGIN: empty: no CORS
    // Rate limits per API key (service/rate_limiter): 0 turns each off.
    uint64_t rate_limit_rpm = 0;            // RATE_LIMIT_RPM
    uint64_t rate_limit_tpm = 0;            // RATE_LIMIT_TPM
    std::string rate_limit_keys;            // RATE_LIMIT_KEYS: per-key tiers, "key:rpm=N,tpm=M;..."
    uint32_t rate_limit_max_keys = 65536;   // RATE_LIMIT_MAX_KEYS: the key table's fixed size (>= 16)
    bool rate_limit_headers_compat = false; // RATE_LIMIT_HEADERS_COMPAT: rate-limit headers on /compatible-mode too
    // Live control (service/admin_api).
    std::string admin_token;                // ADMIN_TOKEN: empty: the admin routes are off (404)
    std::string scenario_file;              // SCENARIO_FILE: a scenario run from startup
    bool dashboard = true;                  // DASHBOARD: GET /dashboard serves the live page (false: 404)
    uint32_t trace_timing = 0;              // TRACE_TIMING: requests per worker whose phases are kept; 0: off
    std::string trace_timing_file = "llm-mock-timing";  // TRACE_TIMING_FILE: path prefix of the tables

    // The text each setting was last set from (environment, flag or runtime change), by its row
    // in the settings table; empty: never set, its default applies. Only the config functions
    // below write it; changing a field above by hand does not update it.
    std::array<std::optional<std::string>, SETTING_COUNT> written{};
};

enum class config_status : uint8_t { ok, help, help_markdown, version, error };

using env_lookup = const char* (*)(const char* name);

// Fills out from env (may be nullptr: no environment) and argv[1..argc), then runs
// finish_config. On error, message names the variable or flag and what it expects.
[[nodiscard]] config_status parse_config(int argc, const char* const* argv, env_lookup env, config& out,
                                         std::string& message);

// The --help text: every setting, its variable, flag and default (rendered in config_help.cpp).
[[nodiscard]] std::string config_help();

// The --help-markdown text, docs/configuration.md: an introduction, then one table per group of
// settings (variable, flag, default, live or restart, accepted values, help), then the latency
// models and per-request headers (rendered in config_help.cpp, from setting_docs()).
[[nodiscard]] std::string config_markdown();

// One row of the settings table as --help and the docs show it. The views point into the
// table (static storage): they stay valid for the program's life.
struct setting_doc {
    std::string_view name;   // the variable, e.g. RESPONSE_DELAY_SECONDS
    std::string flag;        // the flag, e.g. --response-delay-seconds
    std::string_view dflt;   // the default as shown ("auto", "delay+5", "unset"; empty: empty text)
    std::string_view help;
    std::string accepts;     // what the parser takes, in its error messages' words
    bool live;               // may change while the server runs (PATCH /admin/config, scenarios)
    size_t group;            // its section: setting_group_title(group), below SETTING_GROUP_COUNT
};

// Sections of the settings reference (src/settings/config.cpp's groups).
inline constexpr size_t SETTING_GROUP_COUNT = 8;

// Every setting, in table order (SETTING_COUNT rows).
[[nodiscard]] std::vector<setting_doc> setting_docs();

// The title of group g ("Latency"); empty past SETTING_GROUP_COUNT. Static storage.
[[nodiscard]] std::string_view setting_group_title(size_t g) noexcept;

// The checks across settings (CONTENT_MODE=text needs CONTENT_TEXT, MODELS' format) and the
// derived fields (delay_ms from delay_model) that parse_config ends with. False with message
// naming the setting when a check fails (c is then unspecified).
[[nodiscard]] bool finish_config(config& c, std::string& message);

// True when the setting named by its variable (RESPONSE_DELAY_SECONDS) may change while the
// server runs; false for a restart-only or unknown name.
[[nodiscard]] bool setting_is_live(std::string_view name) noexcept;

// Sets one live setting in c from its text, as its environment variable would ("0.5",
// "uniform:0.2,0.8", "true"), and records the text in c.written; keeps delay_ms derived.
// Runs no checks across settings: call finish_config after the last change. False with
// message when the name is unknown (`unknown setting "NAME"`), restart-only (`PORT cannot
// change while the server runs: it needs a restart`) or the value is refused (apply's words,
// `invalid NAME="x": expected ...`); c may then hold part of the change.
[[nodiscard]] bool apply_one(config& c, std::string_view name, std::string_view value, std::string& message);

// PATCH /admin/config: out = base with the JSON object's settings applied, all or nothing.
// json_object_text is an object of live settings by variable name; each value a string as the
// environment has it, a JSON number (its shortest text: 0.5 -> "0.5") or a boolean ("true" /
// "false"). Each goes through apply_one, then finish_config. True: out is the new config and
// log_line lists each setting whose text changed, in table order, as "NAME old -> new"
// separated by ", " (empty when every value equals its current text). False: message names
// the setting and what it expects, out is unspecified (discard it), log_line untouched.
// base and out must be distinct objects.
[[nodiscard]] bool apply_changes(const config& base, std::string_view json_object_text, config& out,
                                 std::string& message, std::string& log_line);

// GET /admin/config: {"settings":[{"name":..,"value":..,"parsed":..,"live":..},...]} in table
// order. value is the text as written in base (the default text when never set); parsed is
// the value as the server holds it (a number for counts, seconds, percentages and rates,
// the model text for latencies, or null for TTFT_SECONDS unset, a boolean for booleans, a
// string otherwise); "effective" (the text in effective) is added only when effective is not
// nullptr and its text differs from base's: what a running scenario imposes.
[[nodiscard]] std::string settings_json(const config& base, const config* effective);

}  // namespace lms
