#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "answer/latency_model.hpp"

using namespace lms;

TEST_CASE("latency model: parsing every kind, and refusals") {
    latency_model m;
    std::string why;
    REQUIRE(parse_latency_model("0.5", m, why));
    CHECK(m.k == latency_model::kind::fixed);
    CHECK(m.a == 0.5);
    REQUIRE(parse_latency_model("fixed:2", m, why));
    CHECK(m.a == 2);
    REQUIRE(parse_latency_model("uniform:0.2,0.8", m, why));
    CHECK(m.k == latency_model::kind::uniform);
    CHECK(m.mean() == Approx(0.5));
    REQUIRE(parse_latency_model("normal:0.5,0.1", m, why));
    CHECK(m.k == latency_model::kind::normal);
    REQUIRE(parse_latency_model("lognormal:0.5,0.3", m, why));
    CHECK(m.k == latency_model::kind::lognormal);
    CHECK(to_string(m) == "lognormal:0.5,0.3");
    for (const char* bad : {"", "-1", "1e3", "uniform:0.8,0.2", "uniform:0.5", "normal:0.5", "normal:0.5,-1",
                            "lognormal:0,0.3", "gamma:1,2", "fixed:1,2", "uniform:a,b", ".5", "5."}) {
        INFO(bad);
        CHECK_FALSE(parse_latency_model(bad, m, why));
        CHECK_FALSE(why.empty());
    }
}

TEST_CASE("latency model: draws are reproducible for a seed and match their distribution") {
    latency_model u{latency_model::kind::uniform, 0.2, 0.8};
    latency_model n{latency_model::kind::normal, 0.5, 0.1};
    latency_model l{latency_model::kind::lognormal, 0.5, 0.3};
    latency_model clamp{latency_model::kind::normal, 0.0, 1.0};
    rng a(42), b(42);
    for (int i = 0; i < 100; ++i) {
        CHECK(u.sample(a) == u.sample(b));
    }
    rng r(7);
    constexpr int N = 200000;
    double su = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    std::vector<double> logs;
    int zeros = 0;
    for (int i = 0; i < N; ++i) {
        double x = u.sample(r);
        su += x;
        umin = std::min(umin, x);
        umax = std::max(umax, x);
        double y = n.sample(r);
        sn += y;
        sn2 += y * y;
        double z = l.sample(r);
        CHECK(z > 0);
        logs.push_back(std::log(z));
        double c = clamp.sample(r);
        CHECK(c >= 0);
        zeros += c == 0;
    }
    CHECK(umin >= 0.2);
    CHECK(umax < 0.8);
    CHECK(su / N == Approx(0.5).margin(0.005));
    double mean = sn / N;
    CHECK(mean == Approx(0.5).margin(0.002));
    CHECK(std::sqrt(sn2 / N - mean * mean) == Approx(0.1).margin(0.002));
    double lm = 0;
    for (double v : logs) {
        lm += v;
    }
    CHECK(std::exp(lm / N) == Approx(0.5).margin(0.005));  // the median of a log-normal
    CHECK(zeros == Approx(N / 2).margin(N / 50));           // half the normal(0, 1) draws clamp to 0
}
