#include "engine/event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

namespace lms {

event_loop::~event_loop() {
    if (tfd_ >= 0) {
        ::close(tfd_);
    }
    if (epfd_ >= 0) {
        ::close(epfd_);
    }
}

int event_loop::open() noexcept {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) {
        return -errno;
    }
    tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (tfd_ < 0) {
        return -errno;
    }
    return add(tfd_, EPOLLIN, TIMER_TAG);
}

int event_loop::add(int fd, uint32_t events, uint64_t data) noexcept {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

int event_loop::remove(int fd) noexcept {
    return epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) == 0 ? 0 : -errno;
}

int event_loop::wait(epoll_event* events, int max, int timeout_ms) noexcept {
    int n = epoll_wait(epfd_, events, max, timeout_ms);
    return n < 0 ? 0 : n;  // EINTR is the only expected failure: an empty wakeup
}

void event_loop::arm(uint64_t at_ns) noexcept {
    if (at_ns == armed_at_) {
        return;
    }
    armed_at_ = at_ns;
    itimerspec its{};
    if (at_ns != ~uint64_t(0)) {
        // A zero it_value would disarm: the earliest possible deadline is 1 ns.
        uint64_t t = at_ns == 0 ? 1 : at_ns;
        its.it_value.tv_sec = time_t(t / 1000000000);
        its.it_value.tv_nsec = long(t % 1000000000);
    }
    timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr);
}

void event_loop::timer_fired() noexcept {
    armed_at_ = FIRED;
}

}  // namespace lms
