// timer_wheel: a hierarchical timing wheel of intrusive timers. Contract in
// include/engine/timer_wheel.hpp; the ideas (not the code) come from h2o lib/common/timerwheel.c and
// Varghese & Lauck, "Hashed and Hierarchical Timing Wheels".
//
// Design table. Granularity 1 ms, 64 slots per level (one uint64_t occupancy bitmap each),
// 7 levels: range 2^42 ms ~ 139 years ahead of now; anything farther waits in far_.
//
//   level  slot width   one turn   an entry (at > now) is filed here when
//   -----  -----------  ---------  -----------------------------------------------------------
//     0    1 ms         64 ms      at and now share their 2^6 ms block      slot = at bits 0..5
//     1    64 ms        4.1 s      ... share their 2^12 block, not 2^6      slot = at bits 6..11
//     2    4.1 s        4.4 min    ... share their 2^18 block, not 2^12     slot = at bits 12..17
//     3    4.4 min      4.7 h      ... share their 2^24 block, not 2^18     slot = at bits 18..23
//     4    4.7 h        12.4 days  ... share their 2^30 block, not 2^24     slot = at bits 24..29
//     5    12.4 days    2.2 years  ... share their 2^36 block, not 2^30     slot = at bits 30..35
//     6    2.2 years    139 years  at is 1..63 2^36 blocks ahead (circular) slot = at bits 36..41
//    far   -            -          at is 64 or more 2^36 blocks ahead       one unordered list
//   late   -            -          at <= now when inserted                  FIFO, fires first
//
// Why it cascades. When now enters the block of a level-l slot, that slot's entries are
// re-filed relative to the new now and so drop to a lower level, reaching level 0 (exact to
// the millisecond) before they fire. Linux's non-cascading wheel instead fires late, with
// precision falling per level, because most kernel timeouts are cancelled before they expire
// and cascading them would be wasted work. Ours almost always fire (token pacing, think time,
// response deadlines), so the cascade is paid anyway and buys exact deadline order: each entry
// is re-filed at most LEVELS - 1 times over its life, O(1) each (plus far-list re-files, for
// deadlines more than ~139 years out).
//
// Invariants between events (at rest), with cur_l = (now_ >> 6l) & 63:
//  (I1) every entry in slots_ or far_ has at_ms > now_.
//  (I2) levels 0..5: an entry in slot s of level l has at >> (6l + 6) == now_ >> (6l + 6) and
//       s = (at >> 6l) & 63 > cur_l, so the slot's event (the start of its 2^6l block,
//       ((now_ >> 6l) + (s - cur_l)) << 6l) is <= at, and equal to at on level 0.
//  (I3) level 6: an entry in slot s has 1 <= (at >> 36) - (now_ >> 36) <= 63 and
//       s = (at >> 36) & 63: the circular distance from cur_6 is that difference.
//  (I4) slot cur_l of every level is empty; bit s of occupied_[l] is set iff slot s is not.
//  (I5) far_min_ <= every at in far_, and now_ <= far_min_.
//  (I6) entries in late_ and firing_ are due (at <= now_, or <= target_ inside a call).
// Hence the lowest non-empty level holds the wheel's next event: level l's events lie inside
// now's current 2^(6l + 6) block, level l + 1's lie beyond it. Jumping now_ to any time t at
// or before the next event keeps (I1)-(I5) (the block start of every slot that t enters would
// be an event <= t, so such a slot is either empty or its event is t, and is cascaded at t).
#include "engine/timer_wheel.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

namespace lms {

namespace {

constexpr uint64_t MASK = timer_wheel::SLOTS - 1;
constexpr unsigned TOP = timer_wheel::LEVELS - 1;
constexpr unsigned TOP_SHIFT = TOP * timer_wheel::BITS;

static_assert(timer_wheel::SLOTS == 64, "occupied_ is one uint64_t per level");
static_assert(TOP_SHIFT + timer_wheel::BITS < 64, "the top level must fit in 64-bit time");

// Circular doubly-linked lists with a sentinel head; an unlinked entry has next == nullptr.
void list_init(timer_entry* h) noexcept {
    h->next = h;
    h->prev = h;
}

bool list_empty(const timer_entry* h) noexcept { return h->next == h; }

void list_push_back(timer_entry* h, timer_entry* e) noexcept {
    e->prev = h->prev;
    e->next = h;
    h->prev->next = e;
    h->prev = e;
}

void list_unlink(timer_entry* e) noexcept {
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->next = nullptr;
    e->prev = nullptr;
}

// Appends all of src to dst, in order; src is left empty.
void list_splice_back(timer_entry* dst, timer_entry* src) noexcept {
    if (list_empty(src)) {
        return;
    }
    src->next->prev = dst->prev;
    dst->prev->next = src->next;
    src->prev->next = dst;
    dst->prev = src->prev;
    list_init(src);
}

}  // namespace

timer_wheel::timer_wheel(uint64_t now_ms) noexcept : now_(now_ms), target_(now_ms) {
    for (auto& level : slots_) {
        for (auto& head : level) {
            list_init(&head);
        }
    }
    list_init(&late_);
    list_init(&firing_);
    list_init(&far_);
}

void timer_wheel::insert(timer_entry* e, uint64_t at_ms) noexcept {
    if (is_linked(e)) {
        cancel(e);  // the contract forbids it; a re-arm is the harmless reading
    }
    e->at_ms = at_ms;
    ++count_;
    // target_ == now_ outside expire(); inside, anything due by the call's now_ms waits for
    // the next call, so a callback re-arming at now cannot keep the call going.
    if (at_ms <= target_) {
        late_min_ = list_empty(&late_) ? at_ms : std::min(late_min_, at_ms);
        list_push_back(&late_, e);
        return;
    }
    link(e);
}

void timer_wheel::link(timer_entry* e) noexcept {
    const uint64_t at = e->at_ms;
    const uint64_t diff = at ^ now_;
    unsigned level = 0;
    if (diff >= SLOTS) {
        level = (static_cast<unsigned>(std::bit_width(diff)) - 1) / BITS;
    }
    if (level >= TOP) {
        // at > now_ here, so the block difference is >= 1.
        if ((at >> TOP_SHIFT) - (now_ >> TOP_SHIFT) >= SLOTS) {
            far_min_ = list_empty(&far_) ? at : std::min(far_min_, at);
            list_push_back(&far_, e);
            return;
        }
        level = TOP;
    }
    const unsigned slot = static_cast<unsigned>((at >> (level * BITS)) & MASK);
    list_push_back(&slots_[level][slot], e);
    occupied_[level] |= uint64_t{1} << slot;
}

void timer_wheel::cancel(timer_entry* e) noexcept {
    if (!is_linked(e)) {
        return;
    }
    timer_entry* const head = e->next;
    const bool emptied = head == e->prev;  // e was the only node besides the sentinel
    list_unlink(e);
    --count_;
    if (!emptied) {
        return;
    }
    // Which list was it? Only the slot heads carry an occupancy bit; late_, firing_ and far_
    // keep lower bounds that an emptied list makes irrelevant. Compared as integers because
    // the heads are distinct members (no common array for pointer arithmetic).
    const auto base = reinterpret_cast<std::uintptr_t>(&slots_[0][0]);
    const auto off = reinterpret_cast<std::uintptr_t>(head) - base;
    if (off < sizeof(slots_)) {
        const size_t index = off / sizeof(timer_entry);
        occupied_[index / SLOTS] &= ~(uint64_t{1} << (index % SLOTS));
    }
}

bool timer_wheel::next_event(uint64_t& t) const noexcept {
    bool found = false;
    for (unsigned level = 0; level < LEVELS; ++level) {
        if (occupied_[level] == 0) {
            continue;
        }
        const unsigned shift = level * BITS;
        const uint64_t block = now_ >> shift;
        // Rotate so that slot cur + 1 is bit 0: the distance is then trailing zeros + 1.
        // (I4) keeps slot cur empty, so the distance is 1..63 and never wraps a full turn.
        const int first = static_cast<int>((block + 1) & MASK);
        const uint64_t distance =
            static_cast<uint64_t>(std::countr_zero(std::rotr(occupied_[level], first))) + 1;
        // No overflow: the slot's block start is <= the deadlines in it.
        t = (block + distance) << shift;
        found = true;
        break;  // the lowest non-empty level holds the earliest event (see the top of the file)
    }
    if (!list_empty(&far_) && (!found || far_min_ < t)) {
        t = far_min_;
        found = true;
    }
    return found;
}

uint64_t timer_wheel::next_wakeup() const noexcept {
    uint64_t t = UINT64_MAX;
    if (!next_event(t)) {
        t = UINT64_MAX;
    }
    if (!list_empty(&late_)) {
        t = std::min(t, late_min_);
    }
    if (!list_empty(&firing_)) {
        t = std::min(t, firing_min_);
    }
    return t;
}

bool timer_wheel::advance() noexcept {
    uint64_t t = 0;
    if (!next_event(t) || t > target_) {
        return false;
    }
    // t is the next event, so this jump skips only empty slots (O(LEVELS) however far it goes).
    now_ = t;
    timer_entry pending;  // re-filed entries never land back in a slot being emptied (I4)
    list_init(&pending);
    if (!list_empty(&far_) && far_min_ <= t) {
        // O(entries in far_) per re-file: deadlines beyond 139 years are "never" in practice.
        list_splice_back(&pending, &far_);
    }
    for (unsigned level = 1; level < LEVELS; ++level) {
        const unsigned slot = static_cast<unsigned>((t >> (level * BITS)) & MASK);
        if (((occupied_[level] >> slot) & 1) != 0) {
            list_splice_back(&pending, &slots_[level][slot]);
            occupied_[level] &= ~(uint64_t{1} << slot);
        }
    }
    while (!list_empty(&pending)) {
        timer_entry* const e = pending.next;
        pending.next = e->next;
        e->next->prev = &pending;
        link(e);  // at >= now_: to a lower level, to far_ again, or (at == now_) level 0 slot cur
    }
    const unsigned slot0 = static_cast<unsigned>(t & MASK);
    if (((occupied_[0] >> slot0) & 1) != 0) {
        // Every entry here has at == t (I2), so appending keeps firing_ in deadline order.
        firing_min_ = std::min(firing_min_, t);
        list_splice_back(&firing_, &slots_[0][slot0]);
        occupied_[0] &= ~(uint64_t{1} << slot0);
    }
    return true;
}

timer_entry* timer_wheel::pop_due(uint64_t now_ms) noexcept {
    if (!expiring_) {
        // First pop of an expire() call. firing_ is empty: the previous call drained it.
        expiring_ = true;
        target_ = std::max(now_ms, now_);
        firing_min_ = list_empty(&late_) ? UINT64_MAX : late_min_;
        list_splice_back(&firing_, &late_);  // due at or before now_: ahead of every slot
    }
    for (;;) {
        if (!list_empty(&firing_)) {
            timer_entry* const e = firing_.next;
            list_unlink(e);
            --count_;
            return e;
        }
        if (!advance()) {
            break;
        }
    }
    // Nothing else is due by target_ and the next event lies beyond it, so the jump is safe.
    expiring_ = false;
    now_ = target_;
    return nullptr;
}

}  // namespace lms
