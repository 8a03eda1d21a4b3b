#include <catch2/catch.hpp>

#include <map>
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
