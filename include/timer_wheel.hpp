#pragma once
// timer_wheel: a hierarchical timing wheel of intrusive timers (after h2o's
// lib/common/timerwheel.c and the Varghese & Lauck paper). The design table is at the top of
// src/timer_wheel.cpp.
//
// Level 0. No syscalls, no clock (time is an argument, in milliseconds of any monotonic
// clock), no allocation: entries are embedded in their owners (a connection record) and
// linked into the wheel's slots. One wheel per worker; not thread-safe.
//
// The wheel never sees the owner: expire() hands back the timer_entry and the caller maps it
// to its owner (container_of style).
#include <cstddef>
#include <cstdint>

namespace lms {

// An intrusive timer. Zero-initialised (or default-constructed) = not linked.
struct timer_entry {
    timer_entry* next = nullptr;
    timer_entry* prev = nullptr;
    uint64_t at_ms = 0;  // absolute deadline
};

class timer_wheel {
public:
    static constexpr unsigned BITS = 6;                  // 64 slots per level
    static constexpr unsigned SLOTS = 1u << BITS;
    static constexpr unsigned LEVELS = 7;                // 2^42 ms ~ 139 years of range

    // now_ms: the current time; nothing may be scheduled before it.
    explicit timer_wheel(uint64_t now_ms) noexcept;
    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    // Links e to fire at at_ms (a deadline in the past fires on the next expire()).
    // e must not be linked. O(1).
    void insert(timer_entry* e, uint64_t at_ms) noexcept;

    // Unlinks e if linked; a no-op otherwise. O(1).
    void cancel(timer_entry* e) noexcept;

    [[nodiscard]] static bool is_linked(const timer_entry* e) noexcept { return e->next != nullptr; }

    // The earliest time at which expire() may have work: exact for timers due within the
    // lowest level, otherwise the time the next cascade is due (never later than the
    // earliest deadline). UINT64_MAX when no timer is linked. Used to arm the timerfd.
    [[nodiscard]] uint64_t next_wakeup() const noexcept;

    // Advances the wheel to now_ms and unlinks every entry with at_ms <= now_ms, calling
    // fn(timer_entry*) for each, in deadline order at millisecond granularity. fn may insert
    // or cancel any entry (including re-inserting the one it was given). Returns the count fired.
    // Bounded: cascades touch each entry at most LEVELS times over its life.
    template <class Fn>
    size_t expire(uint64_t now_ms, Fn&& fn) noexcept {
        size_t fired = 0;
        timer_entry* e;
        while ((e = pop_due(now_ms)) != nullptr) {
            fn(e);
            ++fired;
        }
        return fired;
    }

    [[nodiscard]] size_t size() const noexcept { return count_; }
    [[nodiscard]] uint64_t now() const noexcept { return now_; }

private:
    // Unlinks and returns one entry due at or before now_ms, advancing/cascading as needed;
    // nullptr when none is due.
    timer_entry* pop_due(uint64_t now_ms) noexcept;
    void link(timer_entry* e) noexcept;

    uint64_t now_;        // the wheel's time: all slots before it have been processed
    size_t count_ = 0;
    uint64_t occupied_[LEVELS] = {};  // bit i set when slot i of the level is non-empty
    timer_entry slots_[LEVELS][SLOTS];  // list heads (circular, sentinel)
};

}  // namespace lms
