#include "answer/latency_model.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace lms {

namespace {

// The stateful splitmix64 that seeds xoshiro: each call hashes the next value of x.
uint64_t splitmix(uint64_t& x) noexcept {
    const uint64_t z = splitmix64(x);
    x += 0x9e3779b97f4a7c15ull;
    return z;
}

inline uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

constexpr double MAX_SECONDS = 1e9;

// Plain decimals only ("0.25"; no sign, exponent or spaces), as in RESPONSE_DELAY_SECONDS.
bool parse_number(std::string_view s, double& v) {
    if (s.empty() || s.front() == '.' || s.back() == '.' ||
        s.find_first_not_of("0123456789.") != std::string_view::npos) {
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

}  // namespace

rng::rng(uint64_t seed) noexcept {
    for (uint64_t& s : s_) {
        s = splitmix(seed);
    }
}

uint64_t rng::next() noexcept {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

double rng::normal() noexcept {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) {
        u1 = 1e-300;
    }
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2 * M_PI * u2);
}

double latency_model::sample(rng& r) const noexcept {
    double v = a;
    switch (k) {
    case kind::fixed: break;
    case kind::uniform: v = a + (b - a) * r.uniform(); break;
    case kind::normal: v = a + b * r.normal(); break;
    case kind::lognormal: v = a * std::exp(b * r.normal()); break;
    }
    if (!(v > 0)) {
        return 0;
    }
    return v > MAX_SECONDS ? MAX_SECONDS : v;
}

double latency_model::mean() const noexcept {
    switch (k) {
    case kind::uniform: return (a + b) / 2;
    case kind::lognormal: return a * std::exp(b * b / 2);
    default: return a;  // normal: before clamping
    }
}

bool parse_latency_model(std::string_view text, latency_model& out, std::string& why) {
    std::string_view name = "fixed";
    std::string_view args = text;
    if (size_t colon = text.find(':'); colon != std::string_view::npos) {
        name = text.substr(0, colon);
        args = text.substr(colon + 1);
    }
    std::string_view first = args;
    std::string_view second;
    bool two = false;
    if (size_t comma = args.find(','); comma != std::string_view::npos) {
        first = args.substr(0, comma);
        second = args.substr(comma + 1);
        two = true;
    }
    latency_model m;
    if (!parse_number(first, m.a) || (two && !parse_number(second, m.b))) {
        why = "numbers of seconds, e.g. 0.5, uniform:0.2,0.8, normal:0.5,0.1 or lognormal:0.5,0.3";
        return false;
    }
    if (name == "fixed") {
        if (two || m.a < 0) {
            why = "fixed:SECONDS with SECONDS >= 0";
            return false;
        }
        m.k = latency_model::kind::fixed;
    } else if (name == "uniform") {
        if (!two || m.a < 0 || m.b < m.a) {
            why = "uniform:MIN,MAX with 0 <= MIN <= MAX";
            return false;
        }
        m.k = latency_model::kind::uniform;
    } else if (name == "normal") {
        if (!two || m.b < 0) {
            why = "normal:MEAN,SD with SD >= 0 (draws below zero count as zero)";
            return false;
        }
        m.k = latency_model::kind::normal;
    } else if (name == "lognormal") {
        if (!two || m.a <= 0 || m.b < 0) {
            why = "lognormal:MEDIAN,SIGMA with MEDIAN > 0 and SIGMA >= 0";
            return false;
        }
        m.k = latency_model::kind::lognormal;
    } else {
        why = "a model of fixed, uniform, normal or lognormal";
        return false;
    }
    if (m.a > MAX_SECONDS || m.b > MAX_SECONDS) {
        why = "at most 1e9 seconds";
        return false;
    }
    // The mean is what RESPONSE_DELAY_SECONDS' plain delay and the shutdown timeout derive
    // from: lognormal:1,40 has parameters in range and a mean of e^800 s (infinite).
    if (!(m.mean() <= MAX_SECONDS)) {
        why = "a mean of at most 1e9 seconds (lognormal's is MEDIAN x e^(SIGMA^2 / 2))";
        return false;
    }
    out = m;
    return true;
}

std::string to_string(const latency_model& m) {
    switch (m.k) {
    case latency_model::kind::uniform: return fmt::format("uniform:{},{}", m.a, m.b);
    case latency_model::kind::normal: return fmt::format("normal:{},{}", m.a, m.b);
    case latency_model::kind::lognormal: return fmt::format("lognormal:{},{}", m.a, m.b);
    default: return fmt::format("{}", m.a);
    }
}

}  // namespace lms
