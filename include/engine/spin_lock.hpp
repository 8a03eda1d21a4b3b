#pragma once
// spin_lock: the test-and-test-and-set spinlock the shared tables use for critical sections of
// a few dozen ns (the rate limiter's records, the wait queue's lists). A is a std::atomic<uint32_t>
// or a std::atomic_ref<uint32_t> (over a word in calloc'd memory); 0 is unlocked.
//
// Level 0. Any thread; no syscalls, no allocation.
#include <atomic>
#include <cstdint>

namespace lms {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// Spins on a plain load (no line ping-pong) until the exchange wins.
template <class A>
void spin_acquire(A& lock) noexcept {
    while (lock.exchange(1, std::memory_order_acquire) != 0) {
        while (lock.load(std::memory_order_relaxed) != 0) {
            cpu_relax();
        }
    }
}

template <class A>
void spin_release(A& lock) noexcept {
    lock.store(0, std::memory_order_release);
}

}  // namespace lms
