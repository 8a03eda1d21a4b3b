// live_config: generations, reclamation (an idle or quiescent worker pins nothing; a reading
// worker pins what it may read), and readers on threads while a writer publishes (run under
// TSan by test/suite_tsan.sh with the rest of the unit tests).
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "service/live_config.hpp"

using namespace lms;

TEST_CASE("live_config: generations and what a reading worker pins") {
    config c;
    c.output_tokens = 1;
    live_config live(c, 2);
    CHECK(live.generation() == 0);
    CHECK(live.current()->cfg.output_tokens == 1);
    CHECK(live.current()->text_tokens > 1);  // the original answer's text
    const live_snapshot* w0 = live.acquire(0);  // worker 0 reads generation 0 ...
    CHECK(w0->generation == 0);
    config d = c;
    d.output_tokens = 2;
    {
        auto l = live.lock();
        CHECK(live.publish(d, d) == 1);
    }
    CHECK(live.kept() == 2);  // ... so generation 0 stays
    CHECK(w0->cfg.output_tokens == 1);
    const live_snapshot* again = live.acquire(0);
    CHECK(again->generation == 1);
    CHECK(again->cfg.output_tokens == 2);
    {
        auto l = live.lock();
        d.output_tokens = 3;
        CHECK(live.publish(d, d) == 2);
    }
    CHECK(live.kept() == 2);  // 0 freed; worker 0 may still read 1
    live.quiesce(0);
    {
        auto l = live.lock();
        d.output_tokens = 4;
        CHECK(live.publish(d, d) == 3);
    }
    CHECK(live.kept() == 1);  // nobody reads: only the current one
    CHECK(live.acquire(1)->cfg.output_tokens == 4);
    // Base and effective apart (a scenario's overrides).
    config eff = d;
    eff.output_tokens = 99;
    {
        auto l = live.lock();
        live.publish(d, eff);
        CHECK(live.base().output_tokens == 4);
    }
    CHECK(live.acquire(1)->cfg.output_tokens == 99);
    // The derived text follows CONTENT_MODE.
    config t = d;
    t.content = content_mode::text;
    t.content_text = "a b c";
    {
        auto l = live.lock();
        live.publish(t, t);
    }
    const live_snapshot* ts = live.acquire(1);
    CHECK(ts->text == "a b c");
}

TEST_CASE("live_config: readers on threads while one writer publishes") {
    config c;
    c.output_tokens = 0;
    c.max_output_tokens = 7;
    live_config live(c, 4);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> torn{0};  // Catch2's assertions are not thread-safe: count, check after

    std::atomic<uint64_t> reads{0};
    std::atomic<unsigned> reading{0};  // readers past their first read: the writer starts then
    std::vector<std::thread> readers;
    for (unsigned w = 0; w < 4; ++w) {
        readers.emplace_back([&, w] {
            uint64_t last = 0, n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                const live_snapshot* s = live.acquire(w);
                // Generations never go back, and the snapshot is whole: its two fields agree.
                if (s->generation < last || s->cfg.output_tokens != uint32_t(s->generation) ||
                    s->cfg.max_output_tokens != uint32_t(s->generation) + 7) {
                    torn.fetch_add(1);
                }
                last = s->generation;
                if (n == 0) {
                    reading.fetch_add(1);
                }
                if (++n % 64 == 0) {
                    live.quiesce(w);
                }
            }
            live.quiesce(w);
            reads.fetch_add(n);
        });
    }
    while (reading.load() < 4) {
        std::this_thread::yield();  // every reader is reading before the first change
    }
    config d = c;
    for (uint32_t g = 1; g <= 2000; ++g) {
        d.output_tokens = g;
        d.max_output_tokens = g + 7;
        auto l = live.lock();
        if (live.publish(d, d) != g) {
            torn.fetch_add(1);
        }
    }
    stop = true;
    for (auto& t : readers) {
        t.join();
    }
    // Every reader quiescent: the next change frees every older snapshot.
    {
        auto l = live.lock();
        d.output_tokens = 2001;
        d.max_output_tokens = 2008;
        live.publish(d, d);
    }
    CHECK(live.kept() == 1);
    CHECK(torn.load() == 0);
    CHECK(reads.load() >= 4);
    CHECK(live.generation() == 2001);
}
