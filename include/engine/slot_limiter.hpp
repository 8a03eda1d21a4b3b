#pragma once
// slot_limiter: the one shared admission counter that enforces MAX_CONCURRENT.
//
// Level 0. Lock-free; any thread may call any member. No allocation, no syscalls.
// A request that cannot take a slot is refused at once (503): there is no queue.
// Invariant: active() never exceeds limit(), even transiently (compare-and-swap, not
// fetch_add-then-undo, so /health and /metrics never show more than the limit), but for a
// limit lowered live while more were held.
#include <atomic>
#include <cstdint>

namespace lms {

class slot_limiter {
public:
    explicit slot_limiter(uint32_t limit) noexcept : limit_(limit) {}
    slot_limiter(const slot_limiter&) = delete;
    slot_limiter& operator=(const slot_limiter&) = delete;

    // Takes one slot; false when all are in use. The caller must release() exactly once
    // for every true.
    [[nodiscard]] bool try_acquire() noexcept {
        uint32_t cur = active_.load(std::memory_order_relaxed);
        const uint32_t limit = limit_.load(std::memory_order_relaxed);
        do {
            if (cur >= limit) {
                return false;
            }
        } while (!active_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel,
                                                std::memory_order_relaxed));
        return true;
    }

    void release() noexcept { active_.fetch_sub(1, std::memory_order_acq_rel); }

    // Slots in use now (a snapshot).
    [[nodiscard]] uint32_t active() const noexcept { return active_.load(std::memory_order_relaxed); }
    [[nodiscard]] uint32_t limit() const noexcept { return limit_.load(std::memory_order_relaxed); }
    // A new limit (MAX_CONCURRENT changed live): raising it frees slots at once; lowering it
    // lets the held requests finish and refuses new ones until fewer than it are in use (so
    // active() may exceed limit() until then).
    void set_limit(uint32_t limit) noexcept { limit_.store(limit, std::memory_order_relaxed); }

private:
    alignas(64) std::atomic<uint32_t> active_{0};
    std::atomic<uint32_t> limit_;
};

}  // namespace lms
