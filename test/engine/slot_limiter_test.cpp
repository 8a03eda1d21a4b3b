#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/slot_limiter.hpp"

using namespace lms;

TEST_CASE("slot limiter: exactly the limit, one past it refused") {
    slot_limiter s(3);
    CHECK(s.try_acquire());
    CHECK(s.try_acquire());
    CHECK(s.try_acquire());
    CHECK_FALSE(s.try_acquire());
    CHECK(s.active() == 3);
    s.release();
    CHECK(s.try_acquire());
    CHECK_FALSE(s.try_acquire());
}

TEST_CASE("slot limiter: many threads never exceed the limit") {
    constexpr uint32_t LIMIT = 7;
    slot_limiter s(LIMIT);
    std::atomic<uint32_t> inside{0};
    std::atomic<uint32_t> peak{0};
    std::atomic<uint64_t> admitted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                if (!s.try_acquire()) {
                    continue;
                }
                uint32_t now = inside.fetch_add(1) + 1;
                uint32_t p = peak.load();
                while (now > p && !peak.compare_exchange_weak(p, now)) {
                }
                CHECK(s.active() <= LIMIT);
                inside.fetch_sub(1);
                admitted.fetch_add(1);
                s.release();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(peak.load() <= LIMIT);
    CHECK(admitted.load() > 0);
    CHECK(s.active() == 0);
}
