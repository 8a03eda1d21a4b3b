// timer_wheel tests: unit cases with a fake clock, then a model check against a sorted
// multimap under seeded random insert/cancel/advance, with jumps of hours, days and years.
#include "engine/timer_wheel.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <type_traits>
#include <vector>

namespace {

using lms::timer_entry;
using lms::timer_wheel;

constexpr uint64_t NEVER = UINT64_MAX;
constexpr uint64_t SECOND = 1000;
constexpr uint64_t MINUTE = 60 * SECOND;
constexpr uint64_t HOUR = 60 * MINUTE;
constexpr uint64_t DAY = 24 * HOUR;
constexpr uint64_t YEAR = 365 * DAY;

// An owner with its timer embedded first, mapped back container_of style.
struct item {
    timer_entry timer;
    int id = 0;
};
static_assert(std::is_standard_layout_v<item> && offsetof(item, timer) == 0);

item* owner_of(timer_entry* e) { return reinterpret_cast<item*>(e); }

std::vector<item> make_items(size_t n) {
    std::vector<item> items(n);
    for (size_t i = 0; i < n; ++i) {
        items[i].id = static_cast<int>(i);
    }
    return items;
}

// Expires to now_ms and returns the ids fired, in order.
std::vector<int> fire(timer_wheel& w, uint64_t now_ms) {
    std::vector<int> ids;
    const size_t n = w.expire(now_ms, [&](timer_entry* e) { ids.push_back(owner_of(e)->id); });
    REQUIRE(n == ids.size());
    return ids;
}

}  // namespace

TEST_CASE("timer_wheel: empty wheel", "[timer_wheel]") {
    timer_wheel w(1000);
    REQUIRE(w.size() == 0);
    REQUIRE(w.now() == 1000);
    REQUIRE(w.next_wakeup() == NEVER);
    REQUIRE(fire(w, 1000).empty());
    REQUIRE(fire(w, 5000).empty());
    REQUIRE(w.now() == 5000);
    REQUIRE(fire(w, 5000 + 40 * YEAR).empty());
    REQUIRE(w.now() == 5000 + 40 * YEAR);
    REQUIRE(w.next_wakeup() == NEVER);

    SECTION("time never goes back: an earlier now_ms is taken as now()") {
        REQUIRE(fire(w, 7).empty());
        REQUIRE(w.now() == 5000 + 40 * YEAR);
    }
    SECTION("a wheel may start at 0 and at the far end of time") {
        timer_wheel z(0);
        REQUIRE(fire(z, 0).empty());
        timer_wheel e(NEVER - 10);
        REQUIRE(fire(e, NEVER).empty());
        REQUIRE(e.now() == NEVER);
    }
}

TEST_CASE("timer_wheel: insert, cancel and fire in deadline order", "[timer_wheel]") {
    auto items = make_items(6);
    timer_wheel w(100);

    w.insert(&items[0].timer, 130);
    w.insert(&items[1].timer, 110);
    w.insert(&items[2].timer, 120);
    w.insert(&items[3].timer, 110);  // same ms as 1: insertion order
    w.insert(&items[4].timer, 100 + 5000);
    w.insert(&items[5].timer, 115);
    REQUIRE(w.size() == 6);
    for (auto& it : items) {
        REQUIRE(timer_wheel::is_linked(&it.timer));
    }
    REQUIRE(w.next_wakeup() == 110);

    w.cancel(&items[5].timer);
    REQUIRE_FALSE(timer_wheel::is_linked(&items[5].timer));
    REQUIRE(w.size() == 5);
    w.cancel(&items[5].timer);  // cancelling an unlinked entry is a no-op
    REQUIRE(w.size() == 5);

    REQUIRE(fire(w, 109).empty());
    REQUIRE(w.next_wakeup() == 110);
    REQUIRE(fire(w, 125) == std::vector<int>{1, 3, 2});
    REQUIRE(w.now() == 125);
    REQUIRE(w.size() == 2);
    REQUIRE_FALSE(timer_wheel::is_linked(&items[1].timer));
    // 130 is past the 64 ms block of 125 (64..127), so it waits in level 1 and the wakeup is
    // the cascade at 128; from there it is in level 0 and exact.
    REQUIRE(w.next_wakeup() == 128);
    REQUIRE(fire(w, 128).empty());
    REQUIRE(w.next_wakeup() == 130);
    REQUIRE(fire(w, 129).empty());
    REQUIRE(fire(w, 130) == std::vector<int>{0});

    // 5100 and 130 differ at bit 12: 4 waits in level 2 until the 4096 block starts, then in
    // level 1 until its 64 ms block (5056) starts, then in level 0, exact.
    REQUIRE(w.next_wakeup() == 4096);
    REQUIRE(fire(w, 4095).empty());
    REQUIRE(fire(w, 4096).empty());
    REQUIRE(w.next_wakeup() == 5056);
    REQUIRE(fire(w, 5056).empty());
    REQUIRE(w.next_wakeup() == 5100);
    REQUIRE(fire(w, 5099).empty());
    REQUIRE(fire(w, 5100) == std::vector<int>{4});
    REQUIRE(w.size() == 0);
    REQUIRE(w.next_wakeup() == NEVER);

    // now() is 5100; its 64 ms block is 5056..5119 (level 0).
    SECTION("a cancelled slot no longer drives next_wakeup") {
        w.insert(&items[0].timer, 5110);
        w.insert(&items[1].timer, 5115);
        w.cancel(&items[0].timer);
        REQUIRE(w.next_wakeup() == 5115);
        w.cancel(&items[1].timer);
        REQUIRE(w.next_wakeup() == NEVER);
        REQUIRE(fire(w, 10 * DAY).empty());
    }
    SECTION("inserting a linked entry re-arms it") {
        w.insert(&items[0].timer, 5118);
        w.insert(&items[0].timer, 5105);
        REQUIRE(w.size() == 1);
        REQUIRE(w.next_wakeup() == 5105);
        REQUIRE(fire(w, 5300) == std::vector<int>{0});
        REQUIRE(w.size() == 0);
    }
}

TEST_CASE("timer_wheel: never early, never late, at every level boundary", "[timer_wheel]") {
    const uint64_t base = 123456789;  // not aligned to any level
    const uint64_t deltas[] = {1, 2, 63, 64, 65, 4095, 4096, 4097, (1u << 18) - 1, 1u << 18,
                               (uint64_t{1} << 24) + 3, uint64_t{1} << 30, (uint64_t{1} << 36) - 1,
                               uint64_t{1} << 36, (uint64_t{1} << 42) - 1, uint64_t{1} << 42,
                               (uint64_t{1} << 42) + 5, uint64_t{1} << 50, 3 * DAY + 17, 20 * YEAR};
    for (const uint64_t delta : deltas) {
        INFO("delta " << delta);
        const uint64_t at = base + delta;
        auto items = make_items(1);

        SECTION("by direct expire") {
            timer_wheel w(base);
            w.insert(&items[0].timer, at);
            const uint64_t wake = w.next_wakeup();
            REQUIRE(wake > base);
            REQUIRE(wake <= at);
            REQUIRE(fire(w, at - 1).empty());
            REQUIRE(w.next_wakeup() <= at);
            REQUIRE(w.next_wakeup() > at - 1);
            REQUIRE(fire(w, at) == std::vector<int>{0});
            REQUIRE(w.size() == 0);
        }
        SECTION("by following next_wakeup: fires exactly at at, after few cascades") {
            timer_wheel w(base);
            w.insert(&items[0].timer, at);
            int wakeups = 0;
            while (w.size() != 0) {
                const uint64_t wake = w.next_wakeup();
                REQUIRE(wake > w.now());
                REQUIRE(wake <= at);
                const auto ids = fire(w, wake);
                REQUIRE((ids.empty() || wake == at));
                ++wakeups;
                REQUIRE(wakeups <= int{timer_wheel::LEVELS} + 2);
            }
            REQUIRE(w.now() == at);
        }
    }
}

TEST_CASE("timer_wheel: deadlines at or before now", "[timer_wheel]") {
    auto items = make_items(5);
    timer_wheel w(10 * SECOND);
    w.insert(&items[0].timer, 10 * SECOND + 3);
    w.insert(&items[1].timer, 10 * SECOND - 5);  // past
    w.insert(&items[2].timer, 10 * SECOND);      // now
    w.insert(&items[3].timer, 0);                // long past
    REQUIRE(w.size() == 4);
    REQUIRE(w.next_wakeup() == 0);  // due: the earliest deadline, <= now()

    SECTION("they fire on the next expire, even at the same now, before later deadlines") {
        REQUIRE(fire(w, 10 * SECOND) == std::vector<int>{1, 2, 3});
        REQUIRE(w.next_wakeup() == 10 * SECOND + 3);
        REQUIRE(fire(w, 11 * SECOND) == std::vector<int>{0});
    }
    SECTION("and ahead of every other due deadline") {
        REQUIRE(fire(w, 11 * SECOND) == std::vector<int>{1, 2, 3, 0});
    }
    SECTION("an earlier now_ms still fires what is due at now()") {
        REQUIRE(fire(w, 5) == std::vector<int>{1, 2, 3});
        REQUIRE(w.now() == 10 * SECOND);
    }
    SECTION("cancelling a due entry") {
        w.cancel(&items[3].timer);
        REQUIRE(w.next_wakeup() <= 10 * SECOND - 5);  // a lower bound once the minimum is gone
        w.cancel(&items[1].timer);
        w.cancel(&items[2].timer);
        REQUIRE(w.next_wakeup() == 10 * SECOND + 3);  // only the late list was holding it back
        REQUIRE(fire(w, 20 * SECOND) == std::vector<int>{0});
    }
}

TEST_CASE("timer_wheel: callbacks insert and cancel", "[timer_wheel]") {
    auto items = make_items(8);
    timer_wheel w(0);

    SECTION("re-arming at now fires once per expire call, never loops") {
        w.insert(&items[0].timer, 5);
        for (uint64_t call = 0; call < 4; ++call) {
            size_t n = w.expire(10, [&](timer_entry* e) { w.insert(e, 10); });
            REQUIRE(n == 1);
            REQUIRE(w.size() == 1);
            REQUIRE(w.next_wakeup() == 10);
        }
    }
    SECTION("re-arming in the past or before now_ms waits for the next call") {
        w.insert(&items[0].timer, 5);
        w.insert(&items[1].timer, 50);
        std::vector<int> ids;
        size_t n = w.expire(40, [&](timer_entry* e) {
            ids.push_back(owner_of(e)->id);
            w.insert(e, 20);  // <= 40, and after the wheel's position (5): still next call
            w.insert(&items[2].timer, 1);
        });
        REQUIRE(n == 1);
        REQUIRE(ids == std::vector<int>{0});
        REQUIRE(w.size() == 3);
        REQUIRE(w.next_wakeup() == 1);
        ids.clear();
        n = w.expire(40, [&](timer_entry* e) { ids.push_back(owner_of(e)->id); });
        REQUIRE(n == 2);
        REQUIRE(ids == std::vector<int>{0, 2});
        REQUIRE(fire(w, 50) == std::vector<int>{1});
    }
    SECTION("re-arming beyond now_ms is an ordinary timer") {
        w.insert(&items[0].timer, 10);
        size_t n = w.expire(30, [&](timer_entry* e) { w.insert(e, 31); });
        REQUIRE(n == 1);
        REQUIRE(w.next_wakeup() == 31);
        REQUIRE(fire(w, 30).empty());
        REQUIRE(fire(w, 31) == std::vector<int>{0});
    }
    SECTION("cancelling an entry due later in the same call stops it") {
        w.insert(&items[0].timer, 10);
        w.insert(&items[1].timer, 10);  // same slot, already on the firing list
        w.insert(&items[2].timer, 20);  // a later slot
        w.insert(&items[3].timer, 5000);  // a higher level
        std::vector<int> ids;
        size_t n = w.expire(6000, [&](timer_entry* e) {
            ids.push_back(owner_of(e)->id);
            if (e == &items[0].timer) {
                w.cancel(&items[1].timer);
                w.cancel(&items[3].timer);
                w.insert(&items[4].timer, 7000);
            }
        });
        REQUIRE(n == 2);
        REQUIRE(ids == std::vector<int>{0, 2});
        REQUIRE(w.size() == 1);
        REQUIRE(w.next_wakeup() <= 7000);
        REQUIRE(fire(w, 7000) == std::vector<int>{4});
    }
    SECTION("cancelling the entry just fired is a no-op") {
        w.insert(&items[0].timer, 1);
        size_t n = w.expire(1, [&](timer_entry* e) {
            REQUIRE_FALSE(timer_wheel::is_linked(e));
            w.cancel(e);
        });
        REQUIRE(n == 1);
        REQUIRE(w.size() == 0);
    }
}

TEST_CASE("timer_wheel: far deadlines and the end of time", "[timer_wheel]") {
    auto items = make_items(6);
    const uint64_t base = 77 * DAY + 12345;
    timer_wheel w(base);
    w.insert(&items[0].timer, base + 300 * YEAR);  // beyond the 2^42 ms range
    w.insert(&items[1].timer, base + 500 * YEAR);
    w.insert(&items[2].timer, NEVER - 1);
    w.insert(&items[3].timer, NEVER);
    w.insert(&items[4].timer, base + 100 * YEAR);
    w.insert(&items[5].timer, uint64_t{1} << 63);
    REQUIRE(w.next_wakeup() > base);
    REQUIRE(w.next_wakeup() <= base + 100 * YEAR);

    REQUIRE(fire(w, base + 300 * YEAR - 1) == std::vector<int>{4});
    REQUIRE(w.next_wakeup() <= base + 300 * YEAR);
    REQUIRE(fire(w, base + 300 * YEAR) == std::vector<int>{0});
    REQUIRE(fire(w, NEVER - 2) == std::vector<int>{1, 5});
    REQUIRE(w.next_wakeup() == NEVER - 1);
    REQUIRE(fire(w, NEVER - 1) == std::vector<int>{2});
    REQUIRE(w.size() == 1);
    REQUIRE(fire(w, NEVER) == std::vector<int>{3});
    REQUIRE(w.size() == 0);
    REQUIRE(w.next_wakeup() == NEVER);

    SECTION("a cancelled far entry leaves nothing behind") {
        timer_wheel v(0);
        v.insert(&items[0].timer, 1000 * YEAR);
        REQUIRE(v.next_wakeup() == 1000 * YEAR);
        v.cancel(&items[0].timer);
        REQUIRE(v.next_wakeup() == NEVER);
        v.insert(&items[0].timer, 2000 * YEAR);
        REQUIRE(v.next_wakeup() == 2000 * YEAR);
    }
}

TEST_CASE("timer_wheel: long jumps skip empty stretches", "[timer_wheel]") {
    // Stepping millisecond by millisecond would take ~10^14 iterations here.
    auto items = make_items(64);
    timer_wheel w(0);
    uint64_t now = 0;
    for (size_t jump = 0; jump < 2000; ++jump) {
        // Each entry fires one jump later, so the one reused here is unlinked.
        REQUIRE_FALSE(timer_wheel::is_linked(&items[jump % 64].timer));
        w.insert(&items[jump % 64].timer, now + 150 * YEAR);  // in far_ until its turn
        now += 80 * YEAR + 17;
        const auto ids = fire(w, now);
        REQUIRE(ids.size() == (jump >= 1 ? 1u : 0u));
        REQUIRE(w.now() == now);
    }
}

// The model check: a multimap deadline -> id next to the wheel, driven by seeded random
// insert/cancel/advance (and callbacks that insert/cancel), checked after every step.
namespace {

class model_check {
public:
    explicit model_check(uint64_t seed, uint64_t start)
        : rng_(seed), wheel_(start), now_(start), items_(make_items(N)), pos_(N, model_.end()),
          in_call_(N, false), maybe_far_(N, false) {}

    void run(int steps) {
        for (int step = 0; step < steps; ++step) {
            const uint64_t r = pick(100);
            if (r < 38) {
                const int id = static_cast<int>(pick(N));  // draws in a fixed order, so a
                arm(id, random_deadline());                // seed means the same run everywhere
            } else if (r < 55) {
                disarm(static_cast<int>(pick(N)));
            } else if (r < 70) {
                follow_wakeup();
            } else {
                advance(random_advance());
            }
            check_wakeup();
        }
        drain();
    }

private:
    static constexpr size_t N = 512;
    static constexpr unsigned TOP_SHIFT = (timer_wheel::LEVELS - 1) * timer_wheel::BITS;
    using model_map = std::multimap<uint64_t, int>;

    uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

    uint64_t random_deadline() {
        const uint64_t r = pick(100);
        if (r < 5) {
            return now_ - std::min(now_, pick(2000));  // past
        }
        if (r < 8) {
            return now_;
        }
        static constexpr uint64_t spans[] = {64,      5 * SECOND, 10 * MINUTE, 5 * HOUR,
                                             3 * DAY, 60 * DAY,   3 * YEAR};
        uint64_t span = spans[pick(std::size(spans))];
        if (r >= 98) {
            span = 400 * YEAR;  // rarely, beyond the wheel's range
        }
        return now_ + 1 + pick(span);
    }

    // A deadline at or up to 99 ms before t.
    uint64_t recent(uint64_t t) { return t - std::min(t, pick(100)); }

    uint64_t random_advance() {
        const uint64_t r = pick(100);
        if (r < 5) {
            return 0;
        }
        if (r < 35) {
            return 1 + pick(64);
        }
        if (r < 55) {
            return pick(10 * SECOND);
        }
        if (r < 70) {
            return pick(30 * MINUTE);
        }
        if (r < 80) {
            return HOUR + pick(20 * HOUR);  // hours
        }
        if (r < 87) {
            return DAY + pick(10 * DAY);  // days
        }
        if (r < 89) {
            return YEAR + pick(5 * YEAR);  // years
        }
        if (!model_.empty() && model_.begin()->first > now_) {
            // Exactly to the earliest deadline, or one short of it.
            return model_.begin()->first - now_ - (r < 95 ? 0 : 1);
        }
        return pick(1000);
    }

    // Call right after wheel_.insert(id, at).
    void model_insert(int id, uint64_t at) {
        model_remove(id);
        pos_[static_cast<size_t>(id)] = model_.emplace(at, id);
        // Filed in the far list (relative to the wheel's position, which moves inside a call)?
        const uint64_t pos = wheel_.now();
        maybe_far_[static_cast<size_t>(id)] =
            at > pos && (at >> TOP_SHIFT) - (pos >> TOP_SHIFT) >= timer_wheel::SLOTS;
    }

    // Call right after wheel_.cancel(id), or when id fired.
    void model_remove(int id, bool cancelled = true) {
        auto& p = pos_[static_cast<size_t>(id)];
        if (p != model_.end()) {
            if (cancelled && maybe_far_[static_cast<size_t>(id)]) {
                stale_.insert(p->first);  // may linger as the far list's lower bound
            }
            model_.erase(p);
            p = model_.end();
        }
    }

    bool model_linked(int id) const { return pos_[static_cast<size_t>(id)] != model_.end(); }

    void arm(int id, uint64_t at) {
        timer_entry* e = &items_[static_cast<size_t>(id)].timer;
        if (timer_wheel::is_linked(e) && pick(2) == 0) {
            wheel_.cancel(e);  // half the re-arms go through cancel, half through insert
        }
        model_remove(id);  // either way the old deadline is cancelled
        wheel_.insert(e, at);
        model_insert(id, at);
        REQUIRE(timer_wheel::is_linked(e));
        REQUIRE(wheel_.size() == model_.size());
    }

    void disarm(int id) {
        timer_entry* e = &items_[static_cast<size_t>(id)].timer;
        REQUIRE(timer_wheel::is_linked(e) == model_linked(id));
        wheel_.cancel(e);
        model_remove(id);
        REQUIRE_FALSE(timer_wheel::is_linked(e));
        REQUIRE(wheel_.size() == model_.size());
    }

    // Expires to to_ms, checking each firing against the model. Returns the deadlines fired.
    std::vector<uint64_t> expire_to(uint64_t to_ms) {
        const uint64_t before = now_;
        const uint64_t target = std::max(before, to_ms);
        uint64_t last_effective = 0;
        std::vector<uint64_t> fired;
        std::vector<int> touched;  // ids (re)armed inside this call
        const size_t n = wheel_.expire(to_ms, [&](timer_entry* e) {
            const int id = owner_of(e)->id;
            REQUIRE_FALSE(timer_wheel::is_linked(e));
            REQUIRE(model_linked(id));
            const uint64_t at = pos_[static_cast<size_t>(id)]->first;
            REQUIRE(e->at_ms == at);
            REQUIRE(at <= target);                       // never early
            REQUIRE_FALSE(in_call_[static_cast<size_t>(id)]);  // armed in this call: next call
            // Deadline order, with entries due before the call counting as due at its start.
            const uint64_t effective = std::max(at, before);
            REQUIRE(effective >= last_effective);
            last_effective = effective;
            fired.push_back(at);
            model_remove(id, false);

            const uint64_t r = pick(100);
            if (r < 30) {
                // Re-arm the one just fired, sometimes at or before now.
                const uint64_t again = pick(3) == 0 ? recent(target) : random_deadline();
                model_remove(id);
                wheel_.insert(e, again);
                model_insert(id, again);
                in_call_[static_cast<size_t>(id)] = true;
                touched.push_back(id);
            } else if (r < 45) {
                const int other = static_cast<int>(pick(N));
                wheel_.cancel(&items_[static_cast<size_t>(other)].timer);
                model_remove(other);
            } else if (r < 60) {
                const int other = static_cast<int>(pick(N));
                const uint64_t at2 = pick(2) == 0 ? recent(target) : random_deadline();
                model_remove(other);
                wheel_.insert(&items_[static_cast<size_t>(other)].timer, at2);
                model_insert(other, at2);
                in_call_[static_cast<size_t>(other)] = true;
                touched.push_back(other);
            }
        });
        REQUIRE(n == fired.size());
        now_ = target;
        REQUIRE(wheel_.now() == now_);
        REQUIRE(wheel_.size() == model_.size());
        // Exactly the due set fired: whatever is left due was armed inside the call.
        for (auto it = model_.begin(); it != model_.end() && it->first <= now_; ++it) {
            REQUIRE(in_call_[static_cast<size_t>(it->second)]);
        }
        for (const int id : touched) {
            in_call_[static_cast<size_t>(id)] = false;
        }
        return fired;
    }

    void advance(uint64_t by) { expire_to(now_ + by); }

    // One step of an event loop that sleeps until next_wakeup(): whatever fires and was not
    // already due fires exactly on its deadline.
    void follow_wakeup() {
        const uint64_t wake = wheel_.next_wakeup();
        if (wake == NEVER) {
            REQUIRE(model_.empty());
            return;
        }
        const uint64_t before = now_;
        const auto fired = expire_to(wake);
        for (const uint64_t at : fired) {
            REQUIRE((at <= before || at == wake));
        }
    }

    // next_wakeup() is a valid wakeup: never after the earliest deadline, after now() when
    // nothing is due; exact when the earliest deadline is in level 0, and otherwise exactly the
    // start of the block that deadline's level cascades (an entry sits at the level of the
    // highest bit where its deadline and now differ: levels 0..5 checked here) unless a
    // cancelled far entry can have left an earlier lower bound.
    void check_wakeup() {
        const uint64_t wake = wheel_.next_wakeup();
        if (model_.empty()) {
            REQUIRE(wake == NEVER);
            return;
        }
        const uint64_t earliest = model_.begin()->first;
        REQUIRE(wake <= earliest);
        if (earliest <= now_) {
            return;  // due: the late list's minimum, a lower bound once cancels touch it
        }
        REQUIRE(wake > now_);
        const uint64_t diff = earliest ^ now_;
        if (diff < timer_wheel::SLOTS) {
            REQUIRE(wake == earliest);
        }
        if (diff >= uint64_t{1} << TOP_SHIFT) {
            return;
        }
        const unsigned shift =
            (static_cast<unsigned>(std::bit_width(diff)) - 1) / timer_wheel::BITS * timer_wheel::BITS;
        const uint64_t cascade = earliest >> shift << shift;
        stale_.erase(stale_.begin(), stale_.upper_bound(now_));  // passed: re-filed since
        if (stale_.empty() || cascade <= *stale_.begin()) {
            REQUIRE(wake == cascade);
            ++exact_checks_;
        }
    }

    // Following next_wakeup() alone fires everything (no lost timers), in few wakeups.
    void drain() {
        const size_t bound = model_.size() * (timer_wheel::LEVELS + 2) + 2;
        size_t wakeups = 0;
        while (wheel_.size() != 0) {
            REQUIRE(!model_.empty());
            const uint64_t wake = wheel_.next_wakeup();
            REQUIRE(wake != NEVER);
            follow_wakeup();
            check_wakeup();
            REQUIRE(++wakeups <= bound);
        }
        REQUIRE(model_.empty());
        REQUIRE(wheel_.next_wakeup() == NEVER);
        // The exactness check must not have been vacuous.
        REQUIRE(exact_checks_ > 1000);
    }

    std::mt19937_64 rng_;
    timer_wheel wheel_;
    uint64_t now_;
    std::vector<item> items_;
    model_map model_;
    std::vector<model_map::iterator> pos_;  // id -> its model entry, or model_.end()
    std::vector<bool> in_call_;             // armed inside the expire() in progress
    std::vector<bool> maybe_far_;           // filed in the far list when armed
    std::multiset<uint64_t> stale_;         // deadlines of cancelled far entries
    size_t exact_checks_ = 0;
};

}  // namespace

TEST_CASE("timer_wheel: model check under seeded random insert/cancel/advance",
          "[timer_wheel][model]") {
    const uint64_t seeds[] = {1, 2, 3, 42, 20240611, 0x9e3779b97f4a7c15};
    const uint64_t starts[] = {0, 63, 1'700'000'000'000, (uint64_t{1} << 42) - 5};
    for (const uint64_t seed : seeds) {
        for (const uint64_t start : starts) {
            INFO("seed " << seed << " start " << start);
            model_check m(seed, start);
            m.run(4000);
        }
    }
}
