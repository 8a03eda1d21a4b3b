#include <catch2/catch.hpp>

#include <atomic>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

#include "engine/wait_queue.hpp"

using namespace lms;

namespace {

wait_queue::waiter who(uint32_t conn, uint16_t worker, uint64_t t = 0) { return {conn, 7, worker, t}; }

// Takes worker w's grants and returns their connection numbers in order.
std::vector<uint32_t> grants(wait_queue& q, unsigned w) {
    wait_queue::waiter out[64];
    std::vector<uint32_t> got;
    size_t n;
    while ((n = q.take_grants(w, out, 64)) != 0) {
        for (size_t i = 0; i < n; ++i) {
            got.push_back(out[i].conn);
        }
    }
    return got;
}

}  // namespace

TEST_CASE("wait_queue: init limits") {
    wait_queue q;
    CHECK_FALSE(q.enabled());
    CHECK_FALSE(q.init(0, 1));
    CHECK_FALSE(q.init(1, 0));
    CHECK_FALSE(q.init(wait_queue::MAX_CAPACITY + 1, 1));
    CHECK_FALSE(q.init(1, wait_queue::MAX_WORKERS + 1));
    CHECK(q.init(1, wait_queue::MAX_WORKERS));
    CHECK(q.enabled());
    CHECK(q.capacity() == 1);
}

TEST_CASE("wait_queue: free slots first, then the queue, then full; slots go to the oldest waiter") {
    slot_limiter slots(2);
    wait_queue q;
    REQUIRE(q.init(3, 2));
    uint32_t n[6];
    CHECK(q.enqueue(slots, who(0, 0), n[0]) == wait_queue::entry::slot);
    CHECK(n[0] == wait_queue::NO_NODE);
    CHECK(q.enqueue(slots, who(1, 1), n[1]) == wait_queue::entry::slot);
    CHECK(slots.active() == 2);
    CHECK(q.enqueue(slots, who(2, 1, 100), n[2]) == wait_queue::entry::queued);
    CHECK(q.enqueue(slots, who(3, 0, 200), n[3]) == wait_queue::entry::queued);
    CHECK(q.enqueue(slots, who(4, 1, 300), n[4]) == wait_queue::entry::queued);
    CHECK(q.enqueue(slots, who(5, 0, 400), n[5]) == wait_queue::entry::full);
    CHECK(q.waiting() == 3);
    CHECK(q.oldest_ns() == 100);

    // Each slot given back goes to the oldest waiter, on its own worker; the count stays.
    CHECK(q.release(slots) == 1);
    CHECK(slots.active() == 2);
    CHECK(q.has_grants(1));
    CHECK_FALSE(q.has_grants(0));
    CHECK(q.release(slots) == 0);
    CHECK(q.waiting() == 1);
    CHECK(q.oldest_ns() == 300);
    CHECK(grants(q, 1) == std::vector<uint32_t>{2});
    CHECK(grants(q, 0) == std::vector<uint32_t>{3});
    CHECK_FALSE(q.has_grants(1));

    // A newcomer never overtakes a waiter, even when a slot is free meanwhile... which it
    // cannot be: the last waiter takes the next slot; then the slots empty out.
    CHECK(q.release(slots) == 1);
    CHECK(grants(q, 1) == std::vector<uint32_t>{4});
    CHECK(q.waiting() == 0);
    CHECK(q.oldest_ns() == 0);
    CHECK(q.release(slots) == wait_queue::NOBODY);
    CHECK(slots.active() == 1);
    CHECK(q.enqueue(slots, who(9, 0), n[0]) == wait_queue::entry::slot);
}

TEST_CASE("wait_queue: a waiter that leaves is gone at once; one already granted hands its slot on") {
    slot_limiter slots(1);
    wait_queue q;
    REQUIRE(q.init(4, 2));
    uint32_t n[5];
    REQUIRE(q.enqueue(slots, who(0, 0), n[0]) == wait_queue::entry::slot);
    REQUIRE(q.enqueue(slots, who(1, 0), n[1]) == wait_queue::entry::queued);
    REQUIRE(q.enqueue(slots, who(2, 1), n[2]) == wait_queue::entry::queued);
    REQUIRE(q.enqueue(slots, who(3, 0), n[3]) == wait_queue::entry::queued);
    // The middle one leaves: the order of the others holds, and its place is free again.
    CHECK(q.cancel(n[2]) == wait_queue::left::waiting);
    CHECK(q.waiting() == 2);
    REQUIRE(q.enqueue(slots, who(4, 1), n[4]) == wait_queue::entry::queued);
    CHECK(q.release(slots) == 0);  // to conn 1
    // Conn 1 leaves before its worker took the grant: the caller holds the slot.
    CHECK(q.cancel(n[1]) == wait_queue::left::granted);
    CHECK_FALSE(q.has_grants(0));
    CHECK(q.release(slots) == 0);  // passed on to conn 3
    CHECK(grants(q, 0) == std::vector<uint32_t>{3});
    CHECK(q.release(slots) == 1);
    CHECK(grants(q, 1) == std::vector<uint32_t>{4});
    CHECK(q.waiting() == 0);
    CHECK(slots.active() == 1);
    // The first of them leaves at the head: the queue is empty and every node free again.
    for (int i = 0; i < 4; ++i) {
        REQUIRE(q.enqueue(slots, who(uint32_t(10 + i), 0), n[i]) == wait_queue::entry::queued);
    }
    CHECK(q.enqueue(slots, who(20, 0), n[4]) == wait_queue::entry::full);
    for (int i = 0; i < 4; ++i) {
        CHECK(q.cancel(n[i]) == wait_queue::left::waiting);
    }
    CHECK(q.waiting() == 0);
    CHECK(q.release(slots) == wait_queue::NOBODY);
    CHECK(slots.active() == 0);
}

TEST_CASE("wait_queue: pump grants the slots a raised limit frees, oldest first") {
    slot_limiter slots(1);
    wait_queue q;
    REQUIRE(q.init(8, 2));
    uint32_t n;
    REQUIRE(q.enqueue(slots, who(0, 0), n) == wait_queue::entry::slot);
    for (uint32_t i = 1; i <= 5; ++i) {
        REQUIRE(q.enqueue(slots, who(i, uint16_t(i % 2)), n) == wait_queue::entry::queued);
    }
    slots.set_limit(4);
    std::vector<int> woken;
    q.pump(slots, [&](int w) { woken.push_back(w); });
    CHECK(slots.active() == 4);
    CHECK(q.waiting() == 2);
    CHECK(woken.size() == 2);  // each worker once
    CHECK(grants(q, 1) == std::vector<uint32_t>{1, 3});
    CHECK(grants(q, 0) == std::vector<uint32_t>{2});
    woken.clear();
    q.pump(slots, [&](int w) { woken.push_back(w); });
    CHECK(woken.empty());  // no slot free
}

TEST_CASE("wait_queue: threads entering, leaving and releasing never lose or duplicate a slot") {
    constexpr unsigned WORKERS = 4;
    constexpr uint32_t LIMIT = 3;
    slot_limiter slots(LIMIT);
    wait_queue q;
    REQUIRE(q.init(64, WORKERS));
    std::atomic<int64_t> holding{0};
    std::atomic<bool> over_limit{false};
    std::atomic<uint64_t> served{0};
    std::atomic<bool> unknown_grant{false};
    std::vector<std::thread> ts;
    for (unsigned w = 0; w < WORKERS; ++w) {
        ts.emplace_back([&, w] {
            // As a worker does: each of its queued requests (id -> node) until granted or gone.
            std::map<uint32_t, uint32_t> mine;
            auto serve = [&] {
                if (holding.fetch_add(1) + 1 > int64_t(LIMIT)) {
                    over_limit = true;
                }
                served.fetch_add(1);
                holding.fetch_sub(1);
                (void)q.release(slots);
            };
            auto take = [&] {
                wait_queue::waiter got[8];
                size_t k;
                while ((k = q.take_grants(w, got, 8)) != 0) {
                    for (size_t j = 0; j < k; ++j) {
                        if (mine.erase(got[j].conn) != 1) {  // granted: its node is not ours now
                            unknown_grant = true;  // (no Catch assertion here: it is not thread-safe)
                        }
                        serve();
                    }
                }
            };
            for (uint32_t i = 0; i < 20'000; ++i) {
                uint32_t n;
                switch (q.enqueue(slots, who(i, uint16_t(w)), n)) {
                case wait_queue::entry::slot: serve(); break;
                case wait_queue::entry::queued: mine.emplace(i, n); break;
                case wait_queue::entry::full: break;
                }
                if (i % 3 == 0 && !mine.empty()) {  // the newest leaves
                    auto last = std::prev(mine.end());
                    if (q.cancel(last->second) == wait_queue::left::granted) {
                        (void)q.release(slots);  // the slot it was granted goes on
                    }
                    mine.erase(last);
                }
                take();
            }
            // The rest leave or are served.
            while (!mine.empty()) {
                take();
                if (!mine.empty()) {
                    auto first = mine.begin();
                    if (q.cancel(first->second) == wait_queue::left::granted) {
                        (void)q.release(slots);
                    }
                    mine.erase(first);
                }
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    CHECK_FALSE(over_limit.load());
    CHECK_FALSE(unknown_grant.load());
    CHECK(holding.load() == 0);
    CHECK(q.waiting() == 0);
    CHECK(slots.active() == 0);  // every slot came back
    CHECK(served.load() > 0);
}

TEST_CASE("wait_queue: a grant carries its release's time (the wait ends there)") {
    slot_limiter slots(1);
    wait_queue q;
    REQUIRE(q.init(4, 1));
    uint32_t n[3];
    CHECK(q.enqueue(slots, who(0, 0), n[0]) == wait_queue::entry::slot);
    CHECK(q.enqueue(slots, who(1, 0, 100), n[1]) == wait_queue::entry::queued);
    CHECK(q.enqueue(slots, who(2, 0, 200), n[2]) == wait_queue::entry::queued);
    CHECK(q.release(slots, 777) == 0);
    CHECK(q.release(slots) == 0);  // no time given: 0, the taker's clock decides
    wait_queue::waiter got[4];
    REQUIRE(q.take_grants(0, got, 4) == 2);
    CHECK(got[0].conn == 1);
    CHECK(got[0].enqueued_ns == 100);
    CHECK(got[0].granted_ns == 777);
    CHECK(got[1].conn == 2);
    CHECK(got[1].granted_ns == 0);
}
