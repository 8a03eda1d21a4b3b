// wait_queue: see the header. Lists of node indices in one pool:
//
//   fifo_        the waiters, oldest at head                     state queued
//   inbox_[w]    waiters granted a slot, not yet taken by w      state granted
//   free_        unused nodes                                    state free
//
// A node is in exactly one list. Every list operation, and every hand-over of a slot between
// the queue and the slot_limiter, happens under lock_, which is what makes "nobody waits and a
// slot is free" impossible to observe half-done.
#include "engine/wait_queue.hpp"

#include <new>

#include "engine/spin_lock.hpp"

namespace lms {

class wait_queue::guard {
public:
    explicit guard(const wait_queue& q) noexcept : lock_(q.lock_) { spin_acquire(lock_); }
    ~guard() { spin_release(lock_); }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

private:
    std::atomic<uint32_t>& lock_;
};

bool wait_queue::init(uint32_t capacity, unsigned workers) {
    if (capacity == 0 || capacity > MAX_CAPACITY || workers == 0 || workers > MAX_WORKERS) {
        return false;
    }
    nodes_.reset(new (std::nothrow) node[capacity]);
    inbox_.reset(new (std::nothrow) inbox[workers]);
    if (nodes_ == nullptr || inbox_ == nullptr) {
        nodes_.reset();
        inbox_.reset();
        return false;
    }
    capacity_ = capacity;
    workers_ = workers;
    fifo_ = {};
    free_ = {};
    for (uint32_t i = 0; i < capacity; ++i) {
        push_back(free_, i);
    }
    waiting_.store(0, std::memory_order_relaxed);
    return true;
}

void wait_queue::push_back(list& l, uint32_t n) noexcept {
    node& x = nodes_[n];
    x.prev = l.tail;
    x.next = NO_NODE;
    if (l.tail == NO_NODE) {
        l.head = n;
    } else {
        nodes_[l.tail].next = n;
    }
    l.tail = n;
}

void wait_queue::unlink(list& l, uint32_t n) noexcept {
    node& x = nodes_[n];
    if (x.prev == NO_NODE) {
        l.head = x.next;
    } else {
        nodes_[x.prev].next = x.next;
    }
    if (x.next == NO_NODE) {
        l.tail = x.prev;
    } else {
        nodes_[x.next].prev = x.prev;
    }
    x.prev = x.next = NO_NODE;
}

wait_queue::entry wait_queue::enqueue(slot_limiter& slots, const waiter& w, uint32_t& node_out) noexcept {
    node_out = NO_NODE;
    guard g(*this);
    if (fifo_.head == NO_NODE && slots.try_acquire()) {
        return entry::slot;
    }
    const uint32_t n = free_.head;
    if (n == NO_NODE) {
        return entry::full;
    }
    unlink(free_, n);
    node& x = nodes_[n];
    x.st = state::queued;
    x.who = w;
    push_back(fifo_, n);
    waiting_.fetch_add(1, std::memory_order_relaxed);
    node_out = n;
    return entry::queued;
}

int wait_queue::grant_head(uint64_t now_ns) noexcept {
    const uint32_t n = fifo_.head;
    unlink(fifo_, n);
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    node& x = nodes_[n];
    x.st = state::granted;
    x.who.granted_ns = now_ns;
    inbox& box = inbox_[x.who.worker];
    push_back(box.l, n);
    box.count.fetch_add(1, std::memory_order_release);
    return x.who.worker;
}

int wait_queue::release(slot_limiter& slots, uint64_t now_ns) noexcept {
    guard g(*this);
    if (fifo_.head == NO_NODE) {
        slots.release();
        return NOBODY;
    }
    // The slot passes to the oldest waiter as it is: the count of slots in use does not move.
    return grant_head(now_ns);
}

int wait_queue::pump_one(slot_limiter& slots) noexcept {
    guard g(*this);
    if (fifo_.head == NO_NODE || !slots.try_acquire()) {
        return NOBODY;
    }
    return grant_head(0);  // MAX_CONCURRENT raised live: the taker's clock says when
}

wait_queue::left wait_queue::cancel(uint32_t n) noexcept {
    guard g(*this);
    node& x = nodes_[n];
    left out;
    if (x.st == state::queued) {
        unlink(fifo_, n);
        waiting_.fetch_sub(1, std::memory_order_relaxed);
        out = left::waiting;
    } else {
        inbox& box = inbox_[x.who.worker];
        unlink(box.l, n);
        box.count.fetch_sub(1, std::memory_order_relaxed);
        out = left::granted;
    }
    x.st = state::free;
    push_back(free_, n);
    return out;
}

size_t wait_queue::take_grants(unsigned w, waiter* out, size_t cap) noexcept {
    guard g(*this);
    inbox& box = inbox_[w];
    size_t k = 0;
    while (k < cap && box.l.head != NO_NODE) {
        const uint32_t n = box.l.head;
        unlink(box.l, n);
        node& x = nodes_[n];
        out[k++] = x.who;
        x.st = state::free;
        push_back(free_, n);
    }
    box.count.fetch_sub(uint32_t(k), std::memory_order_relaxed);
    return k;
}

uint64_t wait_queue::oldest_ns() const noexcept {
    guard g(*this);
    return fifo_.head == NO_NODE ? 0 : nodes_[fifo_.head].who.enqueued_ns;
}

}  // namespace lms
