#include <catch2/catch.hpp>

#include "observe/health_metrics.hpp"

using namespace lms;

TEST_CASE("routes: health and metrics bodies") {
    config c;
    server s(c, 10, 2);
    s.probe.probe();
    char mem[METRICS_BODY_MAX];
    out_buf h(mem, HEALTH_BODY_MAX);
    CHECK(render_health(h, s) == 200);
    CHECK_FALSE(h.truncated);
    std::string body(h.view());
    CHECK(body.find(R"("status":"healthy","concurrent_usage":"0.0%","available_slots":10,)") != std::string::npos);
    for (int i = 0; i < 10; ++i) {
        REQUIRE(s.slots.try_acquire());
    }
    out_buf full(mem, HEALTH_BODY_MAX);
    CHECK(render_health(full, s) == 503);
    CHECK(std::string(full.view()).find(R"("status":"overloaded","concurrent_usage":"100.0%","available_slots":0,)") !=
          std::string::npos);
    s.stats[1].count_request(route::chat, 503);
    s.stats[0].count_request(route::chat, 503);
    s.stats[0].observe_delay(10'001'000, 10'000'000);
    out_buf m(mem, METRICS_BODY_MAX);
    render_metrics(m, s);
    CHECK_FALSE(m.truncated);
    std::string text(m.view());
    CHECK(text.find("llm_mock_active_requests 10\n") != std::string::npos);
    CHECK(text.find("llm_mock_max_concurrent_requests 10\n") != std::string::npos);
    CHECK(text.find("llm_mock_requests_total{route=\"chat_completions\",status=\"503\"} 2\n") != std::string::npos);
    CHECK(text.find("llm_mock_response_delay_seconds_bucket{le=\"10\"} 0\n") != std::string::npos);
    CHECK(text.find("llm_mock_response_delay_seconds_bucket{le=\"15\"} 1\n") != std::string::npos);
    CHECK(text.find("llm_mock_response_lateness_seconds_bucket{le=\"0.001\"} 1\n") != std::string::npos);
    // The lateness buckets below 1 ms: 0.05, 0.1, 0.25, 0.5 ms (a 1 ms late answer is above them).
    CHECK(text.find("llm_mock_response_lateness_seconds_bucket{le=\"5e-05\"} 0\n"
                    "llm_mock_response_lateness_seconds_bucket{le=\"0.0001\"} 0\n"
                    "llm_mock_response_lateness_seconds_bucket{le=\"0.00025\"} 0\n"
                    "llm_mock_response_lateness_seconds_bucket{le=\"0.0005\"} 0\n"
                    "llm_mock_response_lateness_seconds_bucket{le=\"0.001\"} 1\n") != std::string::npos);
    s.stats[1].observe_delay(200, 0);  // 0.2 ms late: the 0.25 ms bucket
    out_buf m2(mem, METRICS_BODY_MAX);
    render_metrics(m2, s);
    std::string text2(m2.view());
    CHECK(text2.find("llm_mock_response_lateness_seconds_bucket{le=\"0.0001\"} 0\n"
                     "llm_mock_response_lateness_seconds_bucket{le=\"0.00025\"} 1\n") != std::string::npos);
    CHECK(text.find("llm_mock_response_delay_seconds_count 1\n") != std::string::npos);
}
