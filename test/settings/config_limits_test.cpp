// config limits: every setting of the table (src/settings/config.cpp) exactly at its limit and
// one past it, and at its lower limit and one below it where it has one; through the environment,
// through the flag, and (live settings) through apply_one. The limits are the code's: counts are
// whole numbers up to the table's max; seconds, percentages and rates are read to thousandths,
// with at most 9 integer digits; latency models take at most 1e9 seconds per parameter.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "settings/config.hpp"

using namespace lms;

namespace {

std::map<std::string, std::string> g_env;

const char* fake_env(const char* name) {
    auto it = g_env.find(name);
    return it == g_env.end() ? nullptr : it->second.c_str();
}

using holds_fn = bool (*)(const config&);
#define HOLDS(expr) [](const config& c) { return bool(expr); }

struct row {
    const char* name;
    const char* at;               // accepted: the upper limit (or, for free text, a valid value)
    holds_fn at_holds;            // what the field holds after `at`
    const char* past;             // refused: one past `at`; nullptr: the setting refuses no value
    const char* lo = nullptr;     // accepted: the lower limit (or a second valid value); nullptr: none
    holds_fn lo_holds = nullptr;  // what the field holds after `lo`
    const char* below = nullptr;  // refused: one below `lo`
    const char* with = nullptr;   // a companion variable the values need, "NAME=value"
    bool cross = false;           // past/below are refused by finish_config, not by the value's parser
    bool below_cross = false;     // below only is refused by finish_config
};

constexpr uint64_t MAX_MS = 999999999999;  // "999999999.999": 9 integer digits, thousandths

// One row per setting, in the table's order.
const std::vector<row> ROWS = {
    {"HOST", "255.255.255.255", HOLDS(c.host == "255.255.255.255"), "256.255.255.255", "::", HOLDS(c.host == "::"),
     "not-an-ip"},
    {"PORT", "65535", HOLDS(c.port == 65535), "65536", "0", HOLDS(c.port == 0), "-1"},
    // A plain number of seconds has at most 9 integer digits ("fixed:1000000000" is taken, see TTFT).
    {"RESPONSE_DELAY_SECONDS", "999999999.999",
     HOLDS(c.delay_model.k == latency_model::kind::fixed && c.delay_model.a == 999999999.999 && c.delay_ms == MAX_MS),
     "1000000000", "0", HOLDS(c.delay_model.is_zero() && c.delay_ms == 0), "-0.001"},
    {"MAX_CONCURRENT", "4294967295", HOLDS(c.max_concurrent == 4294967295u), "4294967296", "1",
     HOLDS(c.max_concurrent == 1), "0"},
    {"MAX_WAITING", "4194304", HOLDS(c.max_waiting == 4194304), "4194305", "0", HOLDS(c.max_waiting == 0), "-1"},
    {"MAX_WAIT_SECONDS", "999999999.999", HOLDS(c.max_wait_ms == MAX_MS), "1000000000", "0",
     HOLDS(c.max_wait_ms == 0), "-0.001"},
    // 503 or 429 only (the parser's own kind): 504 and 428 are refused.
    {"QUEUE_FULL_STATUS", "503", HOLDS(c.queue_full_status == 503), "504", "429", HOLDS(c.queue_full_status == 429),
     "428"},
    {"WORKER_THREADS", "1024", HOLDS(c.worker_threads == 1024), "1025", "1", HOLDS(c.worker_threads == 1), "0"},
    {"MAX_BODY_BYTES", "67108864", HOLDS(c.max_body_bytes == 67108864), "67108865", "1", HOLDS(c.max_body_bytes == 1),
     "0"},
    // seconds > 0 round to ms: 0.0005 is 1 ms, 0.0004 is 0 and refused.
    {"HEADER_TIMEOUT_SECONDS", "999999999.999", HOLDS(c.header_timeout_ms == MAX_MS), "1000000000", "0.0005",
     HOLDS(c.header_timeout_ms == 1), "0.0004"},
    {"IDLE_TIMEOUT_SECONDS", "999999999.999", HOLDS(c.idle_timeout_ms == MAX_MS), "1000000000", "0.0005",
     HOLDS(c.idle_timeout_ms == 1), "0.0004"},
    {"SHUTDOWN_TIMEOUT_SECONDS", "999999999.999", HOLDS(c.shutdown_timeout_ms == MAX_MS), "1000000000", "0.0005",
     HOLDS(c.shutdown_timeout_ms == 1), "0.0004"},
    {"RETRY_AFTER_SECONDS", "86400", HOLDS(c.retry_after_s == 86400), "86401", "0", HOLDS(c.retry_after_s == 0), "-1"},
    {"X_SHOULD_RETRY", "false", HOLDS(c.should_retry == retry_hint::no), "no", "none",
     HOLDS(c.should_retry == retry_hint::none), "True"},
    // Percentages round to thousandths too: "100.0004" is taken as 100 (the field stays in range).
    {"HEALTH_MAX_CONCURRENT_PERCENT", "100", HOLDS(c.health_max_concurrent_pct == 100), "100.001", "0.001",
     HOLDS(c.health_max_concurrent_pct == 0.001), "0.0004"},
    {"HEALTH_MAX_MEMORY_PERCENT", "100", HOLDS(c.health_max_memory_pct == 100), "100.001", "0.001",
     HOLDS(c.health_max_memory_pct == 0.001), "0.0004"},
    {"MAX_CONNECTIONS", "4294967295", HOLDS(c.max_connections == 4294967295u), "4294967296", "1",
     HOLDS(c.max_connections == 1), "0"},
    {"READ_BUFFERS", "1048576", HOLDS(c.read_buffers == 1048576), "1048577", "1", HOLDS(c.read_buffers == 1), "0"},
    {"TTFT_SECONDS", "uniform:1000000000,1000000000",
     HOLDS(c.has_ttft && c.ttft.k == latency_model::kind::uniform && c.ttft.a == 1e9 && c.ttft.b == 1e9),
     "uniform:0,1000000000.001", "fixed:0", HOLDS(c.has_ttft && c.ttft.is_zero()), "gamma:0.5,0.1"},
    // A model's mean is held to 1e9 s too: lognormal:1000000000,0.001 has parameters in range and
    // a mean of 1e9 x e^(0.001^2 / 2) s.
    {"ITL_SECONDS", "lognormal:1000000000,0",
     HOLDS(c.has_itl && c.itl.k == latency_model::kind::lognormal && c.itl.a == 1e9 && c.itl.b == 0),
     "lognormal:1000000000,0.001", "normal:0,0",
     HOLDS(c.has_itl && c.itl.k == latency_model::kind::normal && c.itl.a == 0 && c.itl.b == 0), "lognormal:0,0"},
    {"PREFILL_SECONDS_PER_1K_TOKENS", "1000", HOLDS(c.prefill_per_1k == 1000), "1000.0001", "0",
     HOLDS(c.prefill_per_1k == 0), "-0.001"},
    {"PREFILL_OVERHEAD_SECONDS", "999999999.999", HOLDS(c.prefill_overhead_ms == MAX_MS), "1000000000", "0",
     HOLDS(c.prefill_overhead_ms == 0), "-0.001"},
    {"ITL_PER_RUNNING_STREAM", "10", HOLDS(c.itl_per_running == 10), "10.0001", "0", HOLDS(c.itl_per_running == 0),
     "-0.001"},
    {"PREFIX_CACHE_BLOCKS", "16777216", HOLDS(c.prefix_cache_blocks == 16777216), "16777217", "0",
     HOLDS(c.prefix_cache_blocks == 0), "-1"},
    {"PREFIX_BLOCK_TOKENS", "1024", HOLDS(c.prefix_block_tokens == 1024), "1025", "1", HOLDS(c.prefix_block_tokens == 1),
     "0"},
    {"OUTPUT_TOKENS", "1048576", HOLDS(c.output_tokens == 1048576), "1048577", "0", HOLDS(c.output_tokens == 0), "-1"},
    {"MAX_OUTPUT_TOKENS", "65536", HOLDS(c.max_output_tokens == 65536), "65537", "1", HOLDS(c.max_output_tokens == 1),
     "0"},
    {"CONTENT_MODE", "text", HOLDS(c.content == content_mode::text), "Text", "original",
     HOLDS(c.content == content_mode::original), "", "CONTENT_TEXT=hi"},
    // Any text is taken; only an empty one with CONTENT_MODE=text is refused, by finish_config.
    {"CONTENT_TEXT", "hi", HOLDS(c.content_text == "hi"), "", nullptr, nullptr, nullptr, "CONTENT_MODE=text", true},
    // Names are free text; finish_config refuses an empty list, empty names, spaces and quotes.
    {"MODELS", "a,b.c-1/d:e", HOLDS(c.models == "a,b.c-1/d:e"), "a b", "x", HOLDS(c.models == "x"), "", nullptr, true},
    {"SEED", "18446744073709551615", HOLDS(c.seed == 18446744073709551615u), "18446744073709551616", "0",
     HOLDS(c.seed == 0), "-1"},
    {"LOAD_FACTOR", "100", HOLDS(c.load_factor == 100), "100.0001", "0", HOLDS(c.load_factor == 0), "-0.001"},
    {"SSE_KEEPALIVE_SECONDS", "999999999.999", HOLDS(c.sse_keepalive_ms == MAX_MS), "1000000000", "0",
     HOLDS(c.sse_keepalive_ms == 0), "-0.001"},
    {"ALLOW_REQUEST_OVERRIDES", "1", HOLDS(c.allow_overrides), "yes", "false", HOLDS(!c.allow_overrides), "TRUE"},
    // Rates are checked on the value as stored: 1.0001 (which rounds to 1.000) is past 1.
    {"FAULT_429_RATE", "1", HOLDS(c.fault_429 == 1), "1.0001", "0", HOLDS(c.fault_429 == 0), "-0.001"},
    {"FAULT_500_RATE", "1", HOLDS(c.fault_500 == 1), "1.0001", "0", HOLDS(c.fault_500 == 0), "-0.001"},
    {"FAULT_503_RATE", "1", HOLDS(c.fault_503 == 1), "1.0001", "0", HOLDS(c.fault_503 == 0), "-0.001"},
    {"FAULT_DISCONNECT_RATE", "1", HOLDS(c.fault_disconnect == 1), "1.0001", "0", HOLDS(c.fault_disconnect == 0),
     "-0.001"},
    {"FAULT_STALL_RATE", "1", HOLDS(c.fault_stall == 1), "1.0001", "0", HOLDS(c.fault_stall == 0), "-0.001"},
    {"FAULT_STREAM_ERROR_RATE", "1", HOLDS(c.fault_stream_error == 1), "1.0001", "0",
     HOLDS(c.fault_stream_error == 0), "-0.001"},
    {"FAULT_AFTER_TOKENS", "1048576", HOLDS(c.fault_after_tokens == 1048576), "1048577", "0",
     HOLDS(c.fault_after_tokens == 0), "-1"},
    {"FAULT_STALL_SECONDS", "999999999.999", HOLDS(c.fault_stall_ms == MAX_MS), "1000000000", "0",
     HOLDS(c.fault_stall_ms == 0), "-1"},
    {"VLLM_METRICS", "1", HOLDS(c.vllm_metrics), "yes", "false", HOLDS(!c.vllm_metrics), "TRUE"},
    {"REASONING_TOKENS", "65536", HOLDS(c.reasoning_tokens == 65536), "65537", "0", HOLDS(c.reasoning_tokens == 0),
     "-1"},
    {"TOOL_ROUNDS", "1000", HOLDS(c.tool_rounds == 1000), "1001", "0", HOLDS(c.tool_rounds == 0), "-1"},
    {"TOOL_CALLS", "16", HOLDS(c.tool_calls == 16), "17", "1", HOLDS(c.tool_calls == 1), "0"},
    {"DASHSCOPE_THINKING_STREAM_ONLY", "1", HOLDS(c.dashscope_thinking_stream_only), "yes", "false",
     HOLDS(!c.dashscope_thinking_stream_only), "TRUE"},
    {"DASHSCOPE_SSE_ERRORS", "1", HOLDS(c.dashscope_sse_errors), "yes", "false", HOLDS(!c.dashscope_sse_errors),
     "TRUE"},
    // Free text, no value refused by config (the keys are split by the service).
    {"REQUIRE_API_KEY", "sk-a,sk-b", HOLDS(c.require_api_key == "sk-a,sk-b"), nullptr},
    {"STRICT_MODELS", "1", HOLDS(c.strict_models), "yes", "false", HOLDS(!c.strict_models), "TRUE"},
    {"MAX_MODEL_LEN", "4294967295", HOLDS(c.max_model_len == 4294967295u), "4294967296", "0",
     HOLDS(c.max_model_len == 0), "-1"},
    // Free text, no value refused.
    {"CORS_ALLOW_ORIGIN", "*", HOLDS(c.cors_allow_origin == "*"), nullptr},
    {"RATE_LIMIT_RPM", "1099511627776", HOLDS(c.rate_limit_rpm == 1099511627776u), "1099511627777", "0",
     HOLDS(c.rate_limit_rpm == 0), "-1"},
    {"RATE_LIMIT_TPM", "1099511627776", HOLDS(c.rate_limit_tpm == 1099511627776u), "1099511627777", "0",
     HOLDS(c.rate_limit_tpm == 0), "-1"},
    // Free text, no value refused by config: the tiers are parsed at startup (main.cpp,
    // parse_rate_limit_keys), so even "not a tier" passes parse_config.
    {"RATE_LIMIT_KEYS", "sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3",
     HOLDS(c.rate_limit_keys == "sk-gold:rpm=6000,tpm=2000000;sk-free:rpm=3"), nullptr, "not a tier",
     HOLDS(c.rate_limit_keys == "not a tier")},
    // The rate limiter's minimum of 16 keys, the table's lower bound for this count.
    {"RATE_LIMIT_MAX_KEYS", "1048576", HOLDS(c.rate_limit_max_keys == 1048576), "1048577", "16",
     HOLDS(c.rate_limit_max_keys == 16), "15"},
    {"RATE_LIMIT_HEADERS_COMPAT", "1", HOLDS(c.rate_limit_headers_compat), "yes", "false",
     HOLDS(!c.rate_limit_headers_compat), "TRUE"},
    {"EMBEDDING_DIMENSIONS", "8192", HOLDS(c.embedding_dimensions == 8192), "8193", "1",
     HOLDS(c.embedding_dimensions == 1), "0"},
    // Free text, no value refused.
    {"ADMIN_TOKEN", "s3cret", HOLDS(c.admin_token == "s3cret"), nullptr},
    // Free text, no value refused by config: the file is read at startup (main.cpp).
    {"SCENARIO_FILE", "/nonexistent/scenario.json", HOLDS(c.scenario_file == "/nonexistent/scenario.json"), nullptr},
    {"DASHBOARD", "1", HOLDS(c.dashboard), "yes", "false", HOLDS(!c.dashboard), "TRUE"},
    {"TRACE_TIMING", "16777216", HOLDS(c.trace_timing == 16777216), "16777217", "0", HOLDS(c.trace_timing == 0), "-1"},
    {"TRACE_TIMING_FILE", "/tmp/t", HOLDS(c.trace_timing_file == "/tmp/t"), nullptr},
};

std::string flag_of(std::string_view name) {
    std::string f = "--";
    for (char ch : name) {
        f += ch == '_' ? '-' : char(ch | 0x20);
    }
    return f;
}

// g_env: the row's companion and, when value is not nullptr, name=value.
void set_env(const row& r, const char* value) {
    g_env.clear();
    if (r.with != nullptr) {
        std::string_view w = r.with;
        size_t eq = w.find('=');
        g_env[std::string(w.substr(0, eq))] = std::string(w.substr(eq + 1));
    }
    if (value != nullptr) {
        g_env[r.name] = value;
    }
}

config_status from_env(const row& r, const char* value, config& c, std::string& msg) {
    set_env(r, value);
    const char* argv[] = {"llm-mock-server"};
    return parse_config(1, argv, fake_env, c, msg);
}

config_status from_flag(const row& r, const char* value, config& c, std::string& msg) {
    set_env(r, nullptr);
    const std::string arg = flag_of(r.name) + "=" + value;
    const char* argv[] = {"llm-mock-server", arg.c_str()};
    return parse_config(2, argv, fake_env, c, msg);
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// A value the setting takes: ok from the environment and the flag, the field as expected.
void check_accepted(const row& r, const char* value, holds_fn holds) {
    INFO(r.name << "=\"" << value << "\" (accepted)");
    config c;
    std::string msg;
    CHECK(from_env(r, value, c, msg) == config_status::ok);
    INFO(msg);
    CHECK(holds(c));
    config f;
    CHECK(from_flag(r, value, f, msg) == config_status::ok);
    CHECK(holds(f));
}

// A value the setting refuses: an error naming the variable (or the flag).
void check_refused(const row& r, const char* value) {
    INFO(r.name << "=\"" << value << "\" (refused)");
    const bool cross = r.cross || (r.below_cross && value == r.below);
    config c;
    std::string msg;
    CHECK(from_env(r, value, c, msg) == config_status::error);
    INFO(msg);
    CHECK(has(msg, r.name));
    if (!r.cross) {
        CHECK(msg.rfind("invalid " + std::string(r.name) + "=\"" + value + "\": expected ", 0) == 0);
    }
    config f;
    CHECK(from_flag(r, value, f, msg) == config_status::error);
    CHECK(has(msg, cross ? r.name : flag_of(r.name)));
}

// A default config with the row's companion applied live (companions are live settings).
config live_base(const row& r) {
    config c;
    if (r.with != nullptr) {
        std::string_view w = r.with;
        size_t eq = w.find('=');
        std::string msg;
        REQUIRE(apply_one(c, w.substr(0, eq), w.substr(eq + 1), msg));
    }
    return c;
}

void check_live_accepted(const row& r, const char* value, holds_fn holds) {
    INFO("apply_one " << r.name << "=\"" << value << "\" (accepted)");
    config c = live_base(r);
    std::string msg;
    CHECK(apply_one(c, r.name, value, msg));
    INFO(msg);
    CHECK(holds(c));
    CHECK(finish_config(c, msg));
}

void check_live_refused(const row& r, const char* value) {
    INFO("apply_one " << r.name << "=\"" << value << "\" (refused)");
    config c = live_base(r);
    std::string msg;
    if (r.cross || (r.below_cross && value == r.below)) {  // apply_one runs no checks across settings; finish_config refuses
        CHECK(apply_one(c, r.name, value, msg));
        CHECK_FALSE(finish_config(c, msg));
    } else {
        CHECK_FALSE(apply_one(c, r.name, value, msg));
    }
    INFO(msg);
    CHECK(has(msg, r.name));
}

// Each edge of the row, for every row: fn(row, value, accepted, holds).
template <class F>
void each_edge(F fn) {
    for (const row& r : ROWS) {
        fn(r, r.at, true, r.at_holds);
        if (r.past != nullptr) {
            fn(r, r.past, false, nullptr);
        }
        if (r.lo != nullptr) {
            fn(r, r.lo, true, r.lo_holds);
        }
        if (r.below != nullptr) {
            fn(r, r.below, false, nullptr);
        }
    }
}

}  // namespace

TEST_CASE("config limits: the table has one row per setting") {
    const std::string json = settings_json(config{}, nullptr);
    std::set<std::string> rows;
    for (const row& r : ROWS) {
        INFO(r.name);
        CHECK(rows.insert(r.name).second);  // no setting twice
        CHECK(r.at_holds != nullptr);
        CHECK((r.lo == nullptr) == (r.lo_holds == nullptr));
    }
    std::set<std::string> names;
    const std::string_view key = "\"name\":\"";
    for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at)) {
        at += key.size();
        const size_t end = json.find('"', at);
        REQUIRE(end != std::string::npos);
        const std::string name = json.substr(at, end - at);
        INFO(name);
        REQUIRE(rows.count(name) == 1);  // a setting of the table without a row here
        // settings_json's "live" agrees with setting_is_live, from which the live checks derive.
        const size_t live = json.find("\"live\":", end);
        REQUIRE(live != std::string::npos);
        CHECK((json.compare(live, 11, "\"live\":true") == 0) == setting_is_live(name));
        names.insert(name);
    }
    CHECK(names.size() == SETTING_COUNT);
    CHECK(ROWS.size() == SETTING_COUNT);
    CHECK(rows == names);  // no row for a setting that is not in the table
}

TEST_CASE("config limits: each setting at its limit and one past it, from the environment and flags") {
    each_edge([](const row& r, const char* value, bool accepted, holds_fn holds) {
        if (accepted) {
            check_accepted(r, value, holds);
        } else {
            check_refused(r, value);
        }
    });
    g_env.clear();
}

TEST_CASE("config limits: live settings take the same limits through apply_one, the others need a restart") {
    each_edge([](const row& r, const char* value, bool accepted, holds_fn holds) {
        if (setting_is_live(r.name)) {
            if (accepted) {
                check_live_accepted(r, value, holds);
            } else {
                check_live_refused(r, value);
            }
            return;
        }
        INFO("apply_one " << r.name << "=\"" << value << "\" (restart-only)");
        config c;
        const std::string before = settings_json(c, nullptr);
        std::string msg;
        CHECK_FALSE(apply_one(c, r.name, value, msg));
        CHECK(msg == std::string(r.name) + " cannot change while the server runs: it needs a restart");
        CHECK(settings_json(c, nullptr) == before);  // nothing changed
    });
    size_t live = 0;
    for (const row& r : ROWS) {
        live += setting_is_live(r.name);
    }
    CHECK(live > 0);  // both paths above were taken
    CHECK(live < ROWS.size());
}
