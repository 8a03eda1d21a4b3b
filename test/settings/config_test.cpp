#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "settings/config.hpp"

using namespace lms;

namespace {

std::map<std::string, std::string> g_env;

const char* fake_env(const char* name) {
    auto it = g_env.find(name);
    return it == g_env.end() ? nullptr : it->second.c_str();
}

config_status run(std::vector<const char*> args, config& c, std::string& msg) {
    args.insert(args.begin(), "llm-mock-server");
    return parse_config(int(args.size()), args.data(), fake_env, c, msg);
}

// A config parsed from g_env (and no flags), as the server starts with.
config started() {
    config c;
    std::string msg;
    REQUIRE(run({}, c, msg) == config_status::ok);
    return c;
}

// apply_changes' refusal for body, or "<accepted>".
std::string refusal(const config& base, std::string_view body) {
    config out;
    std::string msg, log;
    return apply_changes(base, body, out, msg, log) ? std::string("<accepted>") : msg;
}

// settings_json parsed back; the parser owns every view taken from it.
struct settings_doc {
    simdjson::dom::parser parser;
    simdjson::dom::array rows;
    bool ok = false;

    explicit settings_doc(const std::string& json) {
        simdjson::dom::element root;
        ok = parser.parse(json).get(root) == simdjson::SUCCESS && root["settings"].get(rows) == simdjson::SUCCESS;
    }

    // The row for `name`, or a null element when there is none.
    simdjson::dom::element row(std::string_view name) const {
        for (simdjson::dom::element r : rows) {
            std::string_view n;
            if (r["name"].get(n) == simdjson::SUCCESS && n == name) {
                return r;
            }
        }
        return {};
    }

    // A string field of name's row; "<absent>" when the row or field is missing or not a string.
    std::string text(std::string_view name, const char* field) const {
        simdjson::dom::element r = row(name);
        std::string_view v;
        if (r.is_null() || r[field].get(v) != simdjson::SUCCESS) {
            return "<absent>";
        }
        return std::string(v);
    }

    bool has(std::string_view name, const char* field) const {
        simdjson::dom::element r = row(name);
        return !r.is_null() && r[field].error() == simdjson::SUCCESS;
    }
};

}  // namespace

TEST_CASE("config: defaults match the original service") {
    g_env.clear();
    config c;
    std::string msg;
    REQUIRE(run({}, c, msg) == config_status::ok);
    CHECK(c.port == 8080);
    CHECK(c.delay_ms == 10000);
    CHECK(c.host == "0.0.0.0");
    CHECK(c.max_body_bytes == 16384);
    CHECK(c.header_timeout_ms == 10000);
    CHECK(c.idle_timeout_ms == 75000);
    CHECK(c.max_concurrent == 0);
    CHECK(c.worker_threads == 0);
    CHECK(c.should_retry == retry_hint::none);
}

TEST_CASE("config: environment, then flags override it") {
    g_env = {{"PORT", "9000"}, {"RESPONSE_DELAY_SECONDS", "0.25"}, {"MAX_CONCURRENT", "2000"},
             {"WORKER_THREADS", "2"}, {"HOST", "::1"}, {"X_SHOULD_RETRY", "false"}};
    config c;
    std::string msg;
    REQUIRE(run({"--port", "9001", "--max-concurrent=7"}, c, msg) == config_status::ok);
    CHECK(c.port == 9001);
    CHECK(c.delay_ms == 250);
    CHECK(c.max_concurrent == 7);
    CHECK(c.worker_threads == 2);
    CHECK(c.host == "::1");
    CHECK(c.should_retry == retry_hint::no);
    g_env.clear();
}

TEST_CASE("config: bad values name the variable and exit as errors") {
    struct bad {
        const char* var;
        const char* value;
    };
    for (bad b : {bad{"PORT", "abc"}, bad{"PORT", "65536"}, bad{"PORT", ""},
                  bad{"RESPONSE_DELAY_SECONDS", "-1"}, bad{"RESPONSE_DELAY_SECONDS", "1e3"},
                  bad{"RESPONSE_DELAY_SECONDS", "."}, bad{"RESPONSE_DELAY_SECONDS", "1."},
                  bad{"MAX_CONCURRENT", "0"}, bad{"MAX_CONCURRENT", "4294967296"}, bad{"MAX_CONCURRENT", "12x"},
                  bad{"WORKER_THREADS", "0"}, bad{"HOST", "localhost"}, bad{"HOST", "1.2.3"},
                  bad{"HEADER_TIMEOUT_SECONDS", "0"}, bad{"X_SHOULD_RETRY", "maybe"},
                  bad{"HEALTH_MAX_MEMORY_PERCENT", "101"}, bad{"HEALTH_MAX_CONCURRENT_PERCENT", "0"}}) {
        g_env = {{b.var, b.value}};
        config c;
        std::string msg;
        INFO(b.var << "=" << b.value);
        CHECK(run({}, c, msg) == config_status::error);
        CHECK(msg.find(b.var) != std::string::npos);
        CHECK(msg.find("expected") != std::string::npos);
    }
    g_env.clear();
}

TEST_CASE("config: limits at exactly the bound and one past it") {
    config c;
    std::string msg;
    g_env.clear();
    CHECK(run({"--port", "65535"}, c, msg) == config_status::ok);
    CHECK(run({"--port", "65536"}, c, msg) == config_status::error);
    CHECK(run({"--port", "0"}, c, msg) == config_status::ok);
    CHECK(c.port == 0);
    CHECK(run({"--max-concurrent", "4294967295"}, c, msg) == config_status::ok);
    CHECK(run({"--max-concurrent", "1"}, c, msg) == config_status::ok);
    CHECK(run({"--max-body-bytes", "67108864"}, c, msg) == config_status::ok);
    CHECK(run({"--max-body-bytes", "67108865"}, c, msg) == config_status::error);
    CHECK(msg.find("--max-body-bytes") != std::string::npos);
    CHECK(run({"--health-max-memory-percent", "100"}, c, msg) == config_status::ok);
    CHECK(c.health_max_memory_pct == 100);
}

TEST_CASE("config: flags") {
    g_env.clear();
    config c;
    std::string msg;
    CHECK(run({"--help"}, c, msg) == config_status::help);
    CHECK(run({"--version"}, c, msg) == config_status::version);
    CHECK(run({"--nope"}, c, msg) == config_status::error);
    CHECK(msg.find("--nope") != std::string::npos);
    CHECK(run({"--port"}, c, msg) == config_status::error);
    CHECK(msg.find("needs a value") != std::string::npos);
    std::string help = config_help();
    for (const char* v : {"PORT", "RESPONSE_DELAY_SECONDS", "MAX_CONCURRENT", "WORKER_THREADS", "HOST", "MAX_BODY_BYTES",
                          "HEADER_TIMEOUT_SECONDS", "IDLE_TIMEOUT_SECONDS", "SHUTDOWN_TIMEOUT_SECONDS", "X_SHOULD_RETRY",
                          "--response-delay-seconds"}) {
        CHECK(help.find(v) != std::string::npos);
    }
}

TEST_CASE("config: seconds with fractions round to milliseconds") {
    uint64_t ms = 0;
    CHECK(parse_seconds_ms("10", ms));
    CHECK(ms == 10000);
    CHECK(parse_seconds_ms("0.25", ms));
    CHECK(ms == 250);
    CHECK(parse_seconds_ms("0.0004", ms));
    CHECK(ms == 0);
    CHECK(parse_seconds_ms("0.0005", ms));
    CHECK(ms == 1);
    CHECK(parse_seconds_ms("0", ms));
    CHECK(ms == 0);
    CHECK(parse_seconds_ms("999999999", ms));
    CHECK_FALSE(parse_seconds_ms("1000000000", ms));
    CHECK_FALSE(parse_seconds_ms("", ms));
    CHECK_FALSE(parse_seconds_ms("+1", ms));
    CHECK_FALSE(parse_seconds_ms(" 1", ms));
}

TEST_CASE("config: live changes refuse, each in its own words") {
    g_env.clear();
    const config base = started();
    const std::string not_object =
        R"(the body must be a JSON object of settings, e.g. {"RESPONSE_DELAY_SECONDS":"0.5"})";
    for (std::string_view body : {"", "not json", "[]", R"(["PORT"])", R"("RESPONSE_DELAY_SECONDS")", "0.5", "null",
                                  R"({"RESPONSE_DELAY_SECONDS":"0.5")", R"({"RESPONSE_DELAY_SECONDS":"0.5"} x)"}) {
        INFO(body);
        CHECK(refusal(base, body) == not_object);
    }
    CHECK(refusal(base, "{}") == "no settings given");
    CHECK(refusal(base, " { } ") == "no settings given");
    CHECK(refusal(base, R"({"NOPE":"1"})") == R"(unknown setting "NOPE")");
    CHECK(refusal(base, R"({"port":"9000"})") == R"(unknown setting "port")");  // names are exact
    CHECK(refusal(base, R"({"--port":"9000"})") == R"(unknown setting "--port")");
    CHECK(refusal(base, R"({"PORT":"9000"})") == "PORT cannot change while the server runs: it needs a restart");
    for (const char* name : {"HOST", "WORKER_THREADS", "MAX_BODY_BYTES", "HEADER_TIMEOUT_SECONDS",
                             "IDLE_TIMEOUT_SECONDS", "SHUTDOWN_TIMEOUT_SECONDS", "MAX_CONNECTIONS", "READ_BUFFERS",
                             "MODELS", "SEED", "REQUIRE_API_KEY", "CORS_ALLOW_ORIGIN", "VLLM_METRICS",
                             "RATE_LIMIT_KEYS", "RATE_LIMIT_MAX_KEYS", "EMBEDDING_DIMENSIONS", "MAX_WAITING", "ADMIN_TOKEN", "SCENARIO_FILE",
                             "PREFIX_CACHE_BLOCKS", "PREFIX_BLOCK_TOKENS", "DASHBOARD", "TRACE_TIMING", "TRACE_TIMING_FILE"}) {
        INFO(name);
        CHECK_FALSE(setting_is_live(name));
        CHECK(refusal(base, fmt::format(R"({{"{}":"1"}})", name)) ==
              std::string(name) + " cannot change while the server runs: it needs a restart");
    }
    size_t live = 0;
    for (const char* name : {"RESPONSE_DELAY_SECONDS", "TTFT_SECONDS", "ITL_SECONDS", "LOAD_FACTOR", "FAULT_429_RATE",
                             "FAULT_500_RATE", "FAULT_503_RATE", "FAULT_DISCONNECT_RATE", "FAULT_STALL_RATE",
                             "FAULT_STREAM_ERROR_RATE", "FAULT_AFTER_TOKENS", "FAULT_STALL_SECONDS", "CONTENT_MODE",
                             "CONTENT_TEXT", "OUTPUT_TOKENS", "MAX_OUTPUT_TOKENS", "REASONING_TOKENS", "TOOL_ROUNDS",
                             "TOOL_CALLS", "ALLOW_REQUEST_OVERRIDES", "MAX_CONCURRENT", "RETRY_AFTER_SECONDS",
                             "X_SHOULD_RETRY", "SSE_KEEPALIVE_SECONDS", "HEALTH_MAX_CONCURRENT_PERCENT",
                             "HEALTH_MAX_MEMORY_PERCENT", "DASHSCOPE_THINKING_STREAM_ONLY", "DASHSCOPE_SSE_ERRORS",
                             "STRICT_MODELS", "MAX_MODEL_LEN", "RATE_LIMIT_RPM", "RATE_LIMIT_TPM",
                             "RATE_LIMIT_HEADERS_COMPAT", "MAX_WAIT_SECONDS", "QUEUE_FULL_STATUS",
                             "PREFILL_SECONDS_PER_1K_TOKENS", "PREFILL_OVERHEAD_SECONDS", "ITL_PER_RUNNING_STREAM"}) {
        INFO(name);
        CHECK(setting_is_live(name));
        live += setting_is_live(name);
    }
    // Those 38 and the 24 above and PORT are the whole table.
    CHECK(live + 24 + 1 == SETTING_COUNT);
    CHECK_FALSE(setting_is_live("NOPE"));
    CHECK_FALSE(setting_is_live(""));
    // The name is judged before the value.
    CHECK(refusal(base, R"({"PORT":null})") == "PORT cannot change while the server runs: it needs a restart");
    CHECK(refusal(base, R"({"NOPE":[1]})") == R"(unknown setting "NOPE")");
    for (std::string_view v : {"null", "[]", "[\"0.5\"]", "{}", R"({"a":1})"}) {
        INFO(v);
        CHECK(refusal(base, fmt::format(R"({{"RESPONSE_DELAY_SECONDS":{}}})", v)) ==
              "RESPONSE_DELAY_SECONDS: expected a string, number or boolean");
    }
}

TEST_CASE("config: a live change is refused in the environment's words") {
    for (auto [name, value] : std::vector<std::pair<const char*, const char*>>{
             {"RESPONSE_DELAY_SECONDS", "x"}, {"RESPONSE_DELAY_SECONDS", "-1"}, {"TTFT_SECONDS", "uniform:0.8"},
             {"MAX_CONCURRENT", "0"}, {"TOOL_CALLS", "17"}, {"X_SHOULD_RETRY", "maybe"},
             {"CONTENT_MODE", "loud"}, {"STRICT_MODELS", "yes"}, {"FAULT_500_RATE", "1.5"},
             {"HEALTH_MAX_MEMORY_PERCENT", "101"}, {"SSE_KEEPALIVE_SECONDS", "1e3"}}) {
        INFO(name << "=" << value);
        g_env = {{name, value}};
        config c;
        std::string from_env;
        REQUIRE(run({}, c, from_env) == config_status::error);
        g_env.clear();
        std::string from_patch = refusal(started(), fmt::format(R"({{"{}":"{}"}})", name, value));
        CHECK(from_patch == from_env);
        CHECK(from_patch.rfind(fmt::format("invalid {}=\"{}\": expected ", name, value), 0) == 0);
    }
    g_env.clear();
}

TEST_CASE("config: live changes are all or nothing") {
    g_env = {{"RESPONSE_DELAY_SECONDS", "0.5"}};
    const config base = started();
    g_env.clear();
    const std::string before = settings_json(base, nullptr);
    config out;
    std::string msg, log = "untouched";
    CHECK_FALSE(apply_changes(base, R"({"FAULT_500_RATE":"0.1","TOOL_CALLS":"17","LOAD_FACTOR":"2"})", out, msg, log));
    CHECK(msg == R"(invalid TOOL_CALLS="17": expected a whole number from 1 to 16)");
    CHECK(log == "untouched");
    CHECK(base.fault_500 == 0);
    CHECK(base.delay_ms == 500);
    CHECK(settings_json(base, nullptr) == before);
    // A refusal after good ones in the same body, of each kind.
    CHECK(refusal(base, R"({"FAULT_500_RATE":"0.1","PORT":"1"})") ==
          "PORT cannot change while the server runs: it needs a restart");
    CHECK(refusal(base, R"({"FAULT_500_RATE":"0.1","NOPE":"1"})") == R"(unknown setting "NOPE")");
    CHECK(refusal(base, R"({"FAULT_500_RATE":"0.1","TOOL_CALLS":null})") ==
          "TOOL_CALLS: expected a string, number or boolean");
    CHECK(settings_json(base, nullptr) == before);
    // The same out accepts a good change afterwards: it starts again from base.
    REQUIRE(apply_changes(base, R"({"LOAD_FACTOR":"2"})", out, msg, log));
    CHECK(out.load_factor == 2);
    CHECK(out.fault_500 == 0);
    CHECK(out.tool_calls == 1);
}

TEST_CASE("config: live changes take JSON numbers and booleans as their text") {
    g_env.clear();
    const config base = started();
    config out;
    std::string msg, log;
    REQUIRE(apply_changes(base,
                          R"({"RESPONSE_DELAY_SECONDS":0.5,"OUTPUT_TOKENS":12,"REASONING_TOKENS":3.0,)"
                          R"("STRICT_MODELS":true,"ALLOW_REQUEST_OVERRIDES":false,"FAULT_429_RATE":0.25,)"
                          R"("X_SHOULD_RETRY":true,"SSE_KEEPALIVE_SECONDS":1.5,"HEALTH_MAX_MEMORY_PERCENT":80})",
                          out, msg, log));
    CHECK(out.delay_ms == 500);
    CHECK(out.delay_model.k == latency_model::kind::fixed);
    CHECK(out.delay_model.a == 0.5);
    CHECK(out.output_tokens == 12);
    CHECK(out.reasoning_tokens == 3);
    CHECK(out.strict_models);
    CHECK_FALSE(out.allow_overrides);
    CHECK(out.fault_429 == 0.25);
    CHECK(out.should_retry == retry_hint::yes);
    CHECK(out.sse_keepalive_ms == 1500);
    CHECK(out.health_max_memory_pct == 80);
    settings_doc doc(settings_json(out, nullptr));
    REQUIRE(doc.ok);
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "value") == "0.5");
    CHECK(doc.text("OUTPUT_TOKENS", "value") == "12");
    CHECK(doc.text("REASONING_TOKENS", "value") == "3");
    CHECK(doc.text("STRICT_MODELS", "value") == "true");
    CHECK(doc.text("ALLOW_REQUEST_OVERRIDES", "value") == "false");
    CHECK(doc.text("X_SHOULD_RETRY", "value") == "true");
    CHECK(doc.text("SSE_KEEPALIVE_SECONDS", "value") == "1.5");
    CHECK(refusal(base, R"({"OUTPUT_TOKENS":-1})") ==
          R"(invalid OUTPUT_TOKENS="-1": expected a whole number from 0 to 1048576)");
    CHECK(refusal(base, R"({"OUTPUT_TOKENS":18446744073709551615})") ==
          R"(invalid OUTPUT_TOKENS="18446744073709551615": expected a whole number from 0 to 1048576)");
    CHECK(refusal(base, R"({"OUTPUT_TOKENS":1.5})") ==
          R"(invalid OUTPUT_TOKENS="1.5": expected a whole number from 0 to 1048576)");
    CHECK(refusal(base, R"({"RESPONSE_DELAY_SECONDS":1e30})").rfind(R"(invalid RESPONSE_DELAY_SECONDS="1e+30")", 0) ==
          0);
    CHECK(refusal(base, R"({"TOOL_CALLS":true})") ==
          R"(invalid TOOL_CALLS="true": expected a whole number from 1 to 16)");
    // A name given twice takes its last value.
    REQUIRE(apply_changes(base, R"({"OUTPUT_TOKENS":5,"OUTPUT_TOKENS":"7"})", out, msg, log));
    CHECK(out.output_tokens == 7);
}

TEST_CASE("config: live latency models, and delay_ms follows") {
    g_env.clear();
    const config base = started();
    config out;
    std::string msg, log;
    REQUIRE(apply_changes(base, R"({"TTFT_SECONDS":"uniform:0.2,0.8","RESPONSE_DELAY_SECONDS":"normal:2,0.1"})", out,
                          msg, log));
    CHECK(out.has_ttft);
    CHECK(out.ttft.k == latency_model::kind::uniform);
    CHECK(out.ttft.a == 0.2);
    CHECK(out.ttft.b == 0.8);
    CHECK(out.delay_model.k == latency_model::kind::normal);
    CHECK(out.delay_ms == 2000);
    CHECK_FALSE(base.has_ttft);
    CHECK(base.delay_ms == 10000);
    settings_doc doc(settings_json(out, nullptr));
    REQUIRE(doc.ok);
    CHECK(doc.text("TTFT_SECONDS", "value") == "uniform:0.2,0.8");
    CHECK(doc.text("TTFT_SECONDS", "parsed") == "uniform:0.2,0.8");
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "parsed") == "normal:2,0.1");
    settings_doc was(settings_json(base, nullptr));
    REQUIRE(was.ok);
    CHECK(was.text("TTFT_SECONDS", "value") == "unset");
    CHECK(was.row("TTFT_SECONDS")["parsed"].is_null());
}

TEST_CASE("config: MAX_CONCURRENT is live") {
    g_env = {{"MAX_CONCURRENT", "100"}};
    const config base = started();
    g_env.clear();
    CHECK(setting_is_live("MAX_CONCURRENT"));
    config out;
    std::string msg, log;
    REQUIRE(apply_changes(base, R"({"MAX_CONCURRENT":64})", out, msg, log));
    CHECK(out.max_concurrent == 64);
    CHECK(log == "MAX_CONCURRENT 100 -> 64");
    CHECK(refusal(base, R"({"MAX_CONCURRENT":0})") ==
          R"(invalid MAX_CONCURRENT="0": expected a whole number from 1 to 4294967295)");
}

TEST_CASE("config: live limits at exactly the bound and one past it") {
    g_env.clear();
    const config base = started();
    config out;
    std::string msg, log;
    REQUIRE(apply_changes(base, R"({"MAX_OUTPUT_TOKENS":65536})", out, msg, log));
    CHECK(out.max_output_tokens == 65536);
    CHECK(refusal(base, R"({"MAX_OUTPUT_TOKENS":65537})") ==
          R"(invalid MAX_OUTPUT_TOKENS="65537": expected a whole number from 1 to 65536)");
    REQUIRE(apply_changes(base, R"({"TOOL_CALLS":"16"})", out, msg, log));
    CHECK(out.tool_calls == 16);
    CHECK(refusal(base, R"({"TOOL_CALLS":"17"})") ==
          R"(invalid TOOL_CALLS="17": expected a whole number from 1 to 16)");
    REQUIRE(apply_changes(base, R"({"RETRY_AFTER_SECONDS":86400})", out, msg, log));
    CHECK(out.retry_after_s == 86400);
    CHECK(refusal(base, R"({"RETRY_AFTER_SECONDS":86401})") != "<accepted>");
    REQUIRE(apply_changes(base, R"({"MAX_MODEL_LEN":4294967295})", out, msg, log));
    CHECK(out.max_model_len == 4294967295u);
    CHECK(refusal(base, R"({"MAX_MODEL_LEN":4294967296})") != "<accepted>");
    REQUIRE(apply_changes(base, R"({"FAULT_STALL_RATE":1})", out, msg, log));
    CHECK(out.fault_stall == 1);
    CHECK(refusal(base, R"({"FAULT_STALL_RATE":"1.001"})") != "<accepted>");
    REQUIRE(apply_changes(base, R"({"LOAD_FACTOR":100})", out, msg, log));
    CHECK(out.load_factor == 100);
    CHECK(refusal(base, R"({"LOAD_FACTOR":"100.001"})") != "<accepted>");
    REQUIRE(apply_changes(base, R"({"HEALTH_MAX_CONCURRENT_PERCENT":100})", out, msg, log));
    CHECK(refusal(base, R"({"HEALTH_MAX_CONCURRENT_PERCENT":100.001})") != "<accepted>");
}

TEST_CASE("config: live changes pass the checks across settings") {
    g_env.clear();
    const config base = started();
    config out;
    std::string msg, log;
    CHECK(refusal(base, R"({"CONTENT_MODE":"text"})") == "CONTENT_MODE=text needs CONTENT_TEXT (the answer text)");
    REQUIRE(apply_changes(base, R"({"CONTENT_MODE":"text","CONTENT_TEXT":"hello"})", out, msg, log));
    CHECK(out.content == content_mode::text);
    CHECK(out.content_text == "hello");
    config both;
    REQUIRE(apply_changes(base, R"({"CONTENT_TEXT":"hello","CONTENT_MODE":"text"})", both, msg, log));
    CHECK(both.content == content_mode::text);
    // Once in text mode, the text cannot be emptied alone; leaving the mode with it can.
    CHECK(refusal(out, R"({"CONTENT_TEXT":""})") == "CONTENT_MODE=text needs CONTENT_TEXT (the answer text)");
    config back;
    REQUIRE(apply_changes(out, R"({"CONTENT_TEXT":"","CONTENT_MODE":"echo"})", back, msg, log));
    CHECK(back.content == content_mode::echo);
}

TEST_CASE("config: the log line names each changed setting, old -> new") {
    g_env = {{"RESPONSE_DELAY_SECONDS", "0.5"}};
    const config base = started();
    g_env.clear();
    config out;
    std::string msg, log = "untouched";
    REQUIRE(apply_changes(base, R"({"FAULT_500_RATE":0.1,"TOOL_CALLS":"1","RESPONSE_DELAY_SECONDS":"2"})", out, msg,
                          log));
    // Table order; TOOL_CALLS kept its text ("1", the default) and is left out.
    CHECK(log == "RESPONSE_DELAY_SECONDS 0.5 -> 2, FAULT_500_RATE 0 -> 0.1");
    REQUIRE(apply_changes(base, R"({"TTFT_SECONDS":"uniform:0.2,0.8"})", out, msg, log));
    CHECK(log == "TTFT_SECONDS unset -> uniform:0.2,0.8");
    REQUIRE(apply_changes(base, R"({"RESPONSE_DELAY_SECONDS":"0.5"})", out, msg, log));
    CHECK(log.empty());
    // The next change starts from the changed config: old is what the last change wrote.
    config first, second;
    REQUIRE(apply_changes(base, R"({"OUTPUT_TOKENS":8})", first, msg, log));
    REQUIRE(apply_changes(first, R"({"OUTPUT_TOKENS":"09"})", second, msg, log));
    CHECK(log == "OUTPUT_TOKENS 8 -> 09");
    CHECK(second.output_tokens == 9);
}

TEST_CASE("config: settings_json lists every setting, as written, live or not") {
    g_env = {{"RESPONSE_DELAY_SECONDS", "0.25"},
             {"PORT", "9000"},
             {"CONTENT_TEXT", "a \"b\" \\ c\nd\x01\x7f \xc3\xa9 \xff"}};
    config base;
    std::string msg;
    REQUIRE(run({"--port", "9001", "--header-timeout-seconds=2.5"}, base, msg) == config_status::ok);
    g_env.clear();
    const std::string json = settings_json(base, nullptr);
    CHECK(json.find(R"("value":"a \"b\" \\ c\u000ad\u0001\u007f )"
                    "\xc3\xa9"
                    R"( \ufffd")") != std::string::npos);
    settings_doc doc(json);
    REQUIRE(doc.ok);
    CHECK(doc.rows.size() == SETTING_COUNT);
    std::set<std::string> names;
    for (simdjson::dom::element r : doc.rows) {
        std::string_view name, value;
        bool live = false;
        REQUIRE(r["name"].get(name) == simdjson::SUCCESS);
        REQUIRE(r["value"].get(value) == simdjson::SUCCESS);
        REQUIRE(r["live"].get(live) == simdjson::SUCCESS);
        REQUIRE(r["parsed"].error() == simdjson::SUCCESS);
        CHECK_FALSE(r["effective"].error() == simdjson::SUCCESS);
        INFO(name);
        CHECK(live == setting_is_live(name));
        CHECK(config_help().find(std::string(name)) != std::string::npos);
        names.insert(std::string(name));
    }
    CHECK(names.size() == SETTING_COUNT);
    bool live = true;
    REQUIRE(doc.row("PORT")["live"].get(live) == simdjson::SUCCESS);
    CHECK_FALSE(live);
    REQUIRE(doc.row("RESPONSE_DELAY_SECONDS")["live"].get(live) == simdjson::SUCCESS);
    CHECK(live);
    // Written texts: the flag's over the variable's, the default text when never set.
    CHECK(doc.text("PORT", "value") == "9001");
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "value") == "0.25");
    CHECK(doc.text("HEADER_TIMEOUT_SECONDS", "value") == "2.5");
    CHECK(doc.text("MAX_CONCURRENT", "value") == "auto");
    CHECK(doc.text("ITL_SECONDS", "value") == "0.02");
    // Parsed values, each as its kind.
    uint64_t port = 0;
    double seconds = 0, percent = 0;
    bool strict = true;
    REQUIRE(doc.row("PORT")["parsed"].get(port) == simdjson::SUCCESS);
    CHECK(port == 9001);
    REQUIRE(doc.row("HEADER_TIMEOUT_SECONDS")["parsed"].get(seconds) == simdjson::SUCCESS);
    CHECK(seconds == 2.5);
    REQUIRE(doc.row("HEALTH_MAX_MEMORY_PERCENT")["parsed"].get(percent) == simdjson::SUCCESS);
    CHECK(percent == 95);
    REQUIRE(doc.row("STRICT_MODELS")["parsed"].get(strict) == simdjson::SUCCESS);
    CHECK_FALSE(strict);
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "parsed") == "0.25");
    CHECK(doc.text("ITL_SECONDS", "parsed") == "0.02");
    CHECK(doc.text("CONTENT_MODE", "parsed") == "original");
    CHECK(doc.text("X_SHOULD_RETRY", "parsed") == "none");
    CHECK(doc.text("HOST", "parsed") == "0.0.0.0");
    // Escaped so the document parses: the bad byte \xff becomes U+FFFD, the rest round-trips.
    CHECK(doc.text("CONTENT_TEXT", "value") == "a \"b\" \\ c\nd\x01\x7f \xc3\xa9 \xef\xbf\xbd");
    CHECK(doc.text("CONTENT_TEXT", "parsed") == doc.text("CONTENT_TEXT", "value"));
}

TEST_CASE("config: settings_json shows effective only where a scenario differs") {
    g_env.clear();
    const config base = started();
    config running;
    std::string msg, log;
    REQUIRE(apply_changes(base, R"({"FAULT_503_RATE":"0.5","RESPONSE_DELAY_SECONDS":"uniform:1,2"})", running, msg,
                          log));
    settings_doc doc(settings_json(base, &running));
    REQUIRE(doc.ok);
    CHECK(doc.text("FAULT_503_RATE", "value") == "0");
    CHECK(doc.text("FAULT_503_RATE", "effective") == "0.5");
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "value") == "10");
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "effective") == "uniform:1,2");
    size_t with_effective = 0;
    for (simdjson::dom::element r : doc.rows) {
        with_effective += r["effective"].error() == simdjson::SUCCESS;
    }
    CHECK(with_effective == 2);
    CHECK_FALSE(doc.has("PORT", "effective"));
    settings_doc same(settings_json(base, &base));
    REQUIRE(same.ok);
    for (simdjson::dom::element r : same.rows) {
        CHECK_FALSE(r["effective"].error() == simdjson::SUCCESS);
    }
}

TEST_CASE("config: apply_one sets one live setting, checks across settings left to finish_config") {
    g_env.clear();
    config c = started();
    std::string msg;
    CHECK_FALSE(apply_one(c, "NOPE", "1", msg));
    CHECK(msg == R"(unknown setting "NOPE")");
    CHECK_FALSE(apply_one(c, "SEED", "1", msg));
    CHECK(msg == "SEED cannot change while the server runs: it needs a restart");
    CHECK_FALSE(apply_one(c, "RESPONSE_DELAY_SECONDS", "x", msg));
    CHECK(msg.rfind(R"(invalid RESPONSE_DELAY_SECONDS="x": expected )", 0) == 0);
    REQUIRE(apply_one(c, "RESPONSE_DELAY_SECONDS", "0.75", msg));
    CHECK(c.delay_ms == 750);
    REQUIRE(apply_one(c, "CONTENT_MODE", "text", msg));
    CHECK_FALSE(finish_config(c, msg));
    CHECK(msg == "CONTENT_MODE=text needs CONTENT_TEXT (the answer text)");
    REQUIRE(apply_one(c, "CONTENT_TEXT", "hi", msg));
    CHECK(finish_config(c, msg));
    settings_doc doc(settings_json(c, nullptr));
    REQUIRE(doc.ok);
    CHECK(doc.text("RESPONSE_DELAY_SECONDS", "value") == "0.75");
    CHECK(doc.text("CONTENT_MODE", "value") == "text");
    // config stays a value: a copy keeps its texts and changes alone.
    config copy = c;
    REQUIRE(apply_one(copy, "CONTENT_TEXT", "bye", msg));
    CHECK(settings_doc(settings_json(c, nullptr)).text("CONTENT_TEXT", "value") == "hi");
    CHECK(settings_doc(settings_json(copy, nullptr)).text("CONTENT_TEXT", "value") == "bye");
}

TEST_CASE("config: --help-markdown has every setting, in its group's table, live or restart as the table says") {
    g_env.clear();
    config c;
    std::string msg;
    CHECK(run({"--help-markdown"}, c, msg) == config_status::help_markdown);
    const std::string md = config_markdown();
    const std::vector<setting_doc> docs = setting_docs();
    REQUIRE(docs.size() == SETTING_COUNT);
    std::vector<size_t> per_group(SETTING_GROUP_COUNT);
    for (const setting_doc& s : docs) {
        INFO(s.name);
        REQUIRE(s.group < SETTING_GROUP_COUNT);
        ++per_group[s.group];
        CHECK(s.live == setting_is_live(s.name));
        CHECK_FALSE(s.accepts.empty());
        // The row: its section comes before it, and it says live or restart.
        const std::string head = fmt::format("| `{}` | `{}` | ", s.name, s.flag);
        const size_t at = md.find(head);
        REQUIRE(at != std::string::npos);
        const size_t section = md.rfind("\n## ", at);
        REQUIRE(section != std::string::npos);
        CHECK(md.substr(section, md.find('\n', section + 1) - section) ==
              fmt::format("\n## {}", setting_group_title(s.group)));
        const std::string row = md.substr(at, md.find('\n', at) - at);
        CHECK(row.find(s.live ? " | live | " : " | restart | ") != std::string::npos);
    }
    for (size_t g = 0; g < SETTING_GROUP_COUNT; ++g) {
        INFO(setting_group_title(g));
        CHECK(per_group[g] > 0);
    }
    CHECK(setting_group_title(SETTING_GROUP_COUNT).empty());
}
