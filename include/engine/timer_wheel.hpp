#pragma once
// timer_wheel: a hierarchical timing wheel of intrusive timers (after h2o's
// lib/common/timerwheel.c and the Varghese & Lauck paper). The design table is at the top of
// src/engine/timer_wheel.cpp.
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

    // Links e to fire at at_ms. A deadline at or before now() (or, from inside an expire()
    // callback, at or before that call's now_ms) counts as due at now() and fires on the next
    // expire() call. e must not be linked (a linked e is cancelled first: a re-arm). O(1).
    void insert(timer_entry* e, uint64_t at_ms) noexcept;

    // Unlinks e if linked; a no-op otherwise. O(1).
    void cancel(timer_entry* e) noexcept;

    [[nodiscard]] static bool is_linked(const timer_entry* e) noexcept { return e->next != nullptr; }

    // The earliest time at which expire() may have work, never later than the earliest
    // deadline: exact when the earliest timer is in the lowest level (due within the current
    // 64 ms block) or already due (then <= now(); only a lower bound if the earliest due
    // timer was cancelled), otherwise the time the next cascade is due (> now()).
    // UINT64_MAX when no timer is linked (a timer at UINT64_MAX looks the same). O(LEVELS).
    // Used to arm the timerfd.
    [[nodiscard]] uint64_t next_wakeup() const noexcept;

    // Advances the wheel to now_ms and unlinks every entry with at_ms <= now_ms, calling
    // fn(timer_entry*) for each, in deadline order at millisecond granularity (entries that
    // were already due when inserted count as due at the now() of their insert and fire
    // first, in insertion order). Returns the count fired. A now_ms below now() is taken as
    // now() (the clock is monotonic).
    // fn may insert or cancel any entry (including re-inserting the one it was given) but must
    // not call expire(). An entry fn inserts with at_ms <= now_ms does NOT fire in this call:
    // it fires on the next expire(), so a callback that keeps re-arming at now cannot loop.
    // Bounded: cascades touch each entry at most LEVELS times over its life; empty stretches
    // are skipped through the occupancy bitmaps, so a jump of years costs no more than one
    // of milliseconds.
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
    // nullptr when none is due (which also ends the expire() call: expire() always calls
    // pop_due until it returns nullptr).
    timer_entry* pop_due(uint64_t now_ms) noexcept;
    // Files e (at_ms >= now_) into its wheel slot or the far list, relative to now_.
    void link(timer_entry* e) noexcept;
    // Moves the wheel to its next event if that is at or before target_; false otherwise.
    bool advance() noexcept;
    // Sets t to the time of the wheel's next event (a slot to fire or cascade, or the far
    // list to re-file); false when slots_ and far_ are empty.
    [[nodiscard]] bool next_event(uint64_t& t) const noexcept;

    uint64_t now_;        // the wheel's time: all slots before it have been processed
    uint64_t target_;     // == now_ between calls; the now_ms of the expire() in progress
    uint64_t late_min_ = 0;    // <= every at_ms in late_ (exact unless its minimum was cancelled)
    uint64_t firing_min_ = 0;  // <= every at_ms in firing_
    uint64_t far_min_ = 0;     // <= every at_ms in far_
    size_t count_ = 0;
    bool expiring_ = false;    // an expire() call is in progress
    uint64_t occupied_[LEVELS] = {};  // bit i set when slot i of the level is non-empty
    timer_entry slots_[LEVELS][SLOTS];  // list heads (circular, sentinel)
    timer_entry late_;    // inserted already due: fire at the start of the next expire()
    timer_entry firing_;  // due in the expire() in progress, in firing order
    timer_entry far_;     // beyond the top level's range (~139 years out), unordered
};

}  // namespace lms
