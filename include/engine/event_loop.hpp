#pragma once
// event_loop: one epoll instance and one timerfd, owned by one worker thread (Redis's ae.c
// reduced to what we use). Level 1.
//
// The timerfd is armed (TFD_TIMER_ABSTIME, CLOCK_MONOTONIC) to the earliest deadline only;
// arm() is a no-op when that deadline has not moved, so a steady stream of timers costs no
// timerfd_settime per request. Nothing ticks while nothing is due.
// Not thread-safe: only the owning worker calls it. Errors are -errno values.
#include <sys/epoll.h>

#include <cstdint>

namespace lms {

class event_loop {
public:
    static constexpr uint64_t TIMER_TAG = ~uint64_t(0);  // epoll data of the timerfd event

    event_loop() noexcept = default;
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    // Creates the epoll fd and the timerfd. 0 or -errno.
    [[nodiscard]] int open() noexcept;

    // Registers fd for events with data. 0 or -errno.
    [[nodiscard]] int add(int fd, uint32_t events, uint64_t data) noexcept;
    // Unregisters fd (closing it does the same). 0 or -errno.
    int remove(int fd) noexcept;

    // Waits up to timeout_ms (-1: forever). Returns the event count, or 0 on EINTR.
    [[nodiscard]] int wait(epoll_event* events, int max, int timeout_ms) noexcept;

    // Arms the timerfd for monotonic time at_ns (UINT64_MAX disarms). No syscall when unchanged.
    void arm(uint64_t at_ns) noexcept;
    // The timerfd fired. Its expiry count is not read: the next arm() always calls
    // timerfd_settime (to re-arm or disarm), which resets the count and with it the epoll
    // readiness, so a wakeup by the timer costs one syscall fewer. The caller must call arm()
    // before it waits again (the worker does, every loop turn).
    void timer_fired() noexcept;

private:
    static constexpr uint64_t FIRED = ~uint64_t(0) - 1;  // never a deadline: forces the next arm()
    int epfd_ = -1;
    int tfd_ = -1;
    uint64_t armed_at_ = ~uint64_t(0);
};

}  // namespace lms
