// timer_wheel micro-benchmark: ns per insert, cancel and expiry for 1M timers with random
// deadlines over 0..20 s (a fake clock; the entries are allocated before timing starts).
// A 10k column runs the same with a working set that fits in cache: at 1M the 24 MB of
// entries do not, and every list walk (each timer is cascaded about twice, then fired) is a
// chain of dependent cache misses.
//
//   make build/bench/timer_wheel_bench && build/bench/timer_wheel_bench
//
// Expiry is measured two ways: an event loop ticking every millisecond over the 20 s (20,001
// expire() calls, most firing ~50 timers), and one expire() that jumps the whole 20 s.
#include "engine/timer_wheel.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

namespace {

using lms::timer_entry;
using lms::timer_wheel;
using bench_clock = std::chrono::steady_clock;

constexpr uint64_t START = 1'700'000'000'000;  // an unaligned, realistic monotonic ms value
constexpr uint64_t SPAN = 20'000;              // deadlines in START + 0..20 s
constexpr int ROUNDS = 5;                      // best of

double ns_per(bench_clock::duration d, size_t ops) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) /
           static_cast<double>(ops);
}

struct result {
    double insert = 1e300;
    double cancel = 1e300;
    double expire_tick = 1e300;
    double expire_jump = 1e300;
};

void fill(timer_wheel& w, std::vector<timer_entry>& timers, const std::vector<uint64_t>& at) {
    for (size_t i = 0; i < timers.size(); ++i) {
        w.insert(&timers[i], at[i]);
    }
}

uint64_t sink = 0;  // keeps the callbacks observable

// Best-of-ROUNDS figures for n timers; exits on a miscount.
result measure(size_t n) {
    std::mt19937_64 rng(12345);
    std::vector<uint64_t> at(n);
    std::uniform_int_distribution<uint64_t> deadline(0, SPAN);
    for (auto& a : at) {
        a = START + deadline(rng);
    }
    // Cancels come in random order, as connections close in no particular order.
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) {
        order[i] = i;
    }
    for (size_t i = n - 1; i > 0; --i) {
        std::swap(order[i], order[std::uniform_int_distribution<size_t>(0, i)(rng)]);
    }
    std::vector<timer_entry> timers(n);

    result best;
    for (int round = 0; round < ROUNDS; ++round) {
        {
            timer_wheel w(START);
            auto t0 = bench_clock::now();
            fill(w, timers, at);
            auto t1 = bench_clock::now();
            best.insert = std::min(best.insert, ns_per(t1 - t0, n));

            t0 = bench_clock::now();
            for (const size_t i : order) {
                w.cancel(&timers[i]);
            }
            t1 = bench_clock::now();
            best.cancel = std::min(best.cancel, ns_per(t1 - t0, n));
            if (w.size() != 0) {
                std::fprintf(stderr, "cancel left %zu timers\n", w.size());
                std::exit(1);
            }
        }
        {
            timer_wheel w(START);
            fill(w, timers, at);
            size_t fired = 0;
            const auto t0 = bench_clock::now();
            for (uint64_t now = START; now <= START + SPAN; ++now) {
                fired += w.expire(now, [&](timer_entry* e) { sink += e->at_ms; });
            }
            const auto t1 = bench_clock::now();
            if (fired != n) {
                std::fprintf(stderr, "tick expiry fired %zu of %zu\n", fired, n);
                std::exit(1);
            }
            best.expire_tick = std::min(best.expire_tick, ns_per(t1 - t0, n));
        }
        {
            timer_wheel w(START);
            fill(w, timers, at);
            const auto t0 = bench_clock::now();
            const size_t fired = w.expire(START + SPAN, [&](timer_entry* e) { sink += e->at_ms; });
            const auto t1 = bench_clock::now();
            if (fired != n) {
                std::fprintf(stderr, "jump expiry fired %zu of %zu\n", fired, n);
                std::exit(1);
            }
            best.expire_jump = std::min(best.expire_jump, ns_per(t1 - t0, n));
        }
    }

    return best;
}

}  // namespace

int main() {
    const result big = measure(1'000'000);
    const result small = measure(10'000);
    std::printf("timer_wheel: ns per operation, deadlines uniform over 0..%llu ms, best of %d\n",
                static_cast<unsigned long long>(SPAN), ROUNDS);
    std::printf("  %-34s %10s %10s\n", "operation", "1M timers", "10k timers");
    std::printf("  %-34s %10.1f %10.1f\n", "insert", big.insert, small.insert);
    std::printf("  %-34s %10.1f %10.1f\n", "cancel (random order)", big.cancel, small.cancel);
    std::printf("  %-34s %10.1f %10.1f\n", "expiry, 1 ms ticks (20001 calls)", big.expire_tick,
                small.expire_tick);
    std::printf("  %-34s %10.1f %10.1f\n", "expiry, one 20 s jump", big.expire_jump,
                small.expire_jump);
    std::printf("RESULT timer_wheel insert_ns=%.1f cancel_ns=%.1f expire_tick_ns=%.1f expire_jump_ns=%.1f "
                "insert_10k_ns=%.1f expire_tick_10k_ns=%.1f\n",
                big.insert, big.cancel, big.expire_tick, big.expire_jump, small.insert, small.expire_tick);
    std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(sink % 1000));
    return 0;
}
