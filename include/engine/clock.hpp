#pragma once
// clock: the two clocks the server reads. Level 1 (vDSO clock_gettime, no real syscall).
// Any thread. Timers and delays use the monotonic clock; only "created" and Date use wall time.
#include <cstdint>
#include <ctime>

namespace lms {

// Monotonic time in milliseconds (CLOCK_MONOTONIC): the timer wheel's and timerfd's clock.
[[nodiscard]] inline uint64_t monotonic_ms() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

// Monotonic time in nanoseconds, for measuring served delays.
[[nodiscard]] inline uint64_t monotonic_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000 + uint64_t(ts.tv_nsec);
}

// Wall-clock unix seconds.
[[nodiscard]] inline int64_t unix_seconds() noexcept {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec);
}

}  // namespace lms
