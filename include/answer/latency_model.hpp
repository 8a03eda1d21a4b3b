#pragma once
// latency_model: how long a delay, a time to first token (TTFT) or an inter-token latency
// (ITL) takes — fixed, uniform, normal (clamped at zero) or log-normal — and a small seeded
// random generator to draw them.
//
// Level 0. Pure: no syscalls, no clock, no allocation. A latency_model is immutable after
// parsing and may be shared by all workers; each worker owns its own rng (no sharing).
#include <cstdint>
#include <string>
#include <string_view>

namespace lms {

// splitmix64's finaliser (Steele, Lea, Flood; the constants Vigna's): a 64-bit hash, for seeds,
// ids, and the values that must follow from a seed (embeddings, logprobs).
[[nodiscard]] inline uint64_t splitmix64(uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// splitmix64-seeded xoshiro256** (Blackman & Vigna): fast, good enough for latencies and
// fault rates, reproducible for a given seed.
class rng {
public:
    explicit rng(uint64_t seed) noexcept;
    uint64_t next() noexcept;
    // Uniform in [0, 1).
    double uniform() noexcept { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
    // Standard normal (Box-Muller; the second value is cached).
    double normal() noexcept;

private:
    uint64_t s_[4];
    double spare_ = 0;
    bool has_spare_ = false;
};

struct latency_model {
    enum class kind : uint8_t { fixed, uniform, normal, lognormal };
    kind k = kind::fixed;
    double a = 0;  // fixed: value; uniform: min; normal: mean; lognormal: median   (seconds)
    double b = 0;  // uniform: max; normal: standard deviation; lognormal: sigma (of ln)

    // A draw in seconds, never negative.
    [[nodiscard]] double sample(rng& r) const noexcept;
    // The mean of the model in seconds (for documentation and tests).
    [[nodiscard]] double mean() const noexcept;
    [[nodiscard]] bool is_zero() const noexcept { return k == kind::fixed && a == 0; }
};

// Parses "0.5", "fixed:0.5", "uniform:0.2,0.8", "normal:0.5,0.1", "lognormal:0.5,0.3"
// (seconds; at most 31 years). False with an explanation in why when malformed.
[[nodiscard]] bool parse_latency_model(std::string_view text, latency_model& out, std::string& why);

// The model as the text parse_latency_model takes ("uniform:0.2,0.8").
[[nodiscard]] std::string to_string(const latency_model& m);

}  // namespace lms
