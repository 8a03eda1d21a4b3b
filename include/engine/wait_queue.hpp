#pragma once
// wait_queue: vLLM's waiting queue in front of the slots (MAX_WAITING). With it, a request
// that finds every MAX_CONCURRENT slot taken waits, first come first served over all workers,
// instead of the immediate 503; a slot given back goes to the oldest waiter, whichever worker
// holds it.
//
// Level 0. One wait_queue is shared by every worker; every member may be called from any
// thread at once, but init() only before the workers run. No syscalls and no allocation
// after init: the waiters are nodes of a pool sized at init (MAX_WAITING of them), kept in
// one FIFO (a doubly linked list, so that a client that leaves is unlinked in O(1)), and a
// granted waiter moves to its worker's inbox list until that worker takes it. One spinlock
// guards the lists and the handing over of slots: each operation is a few dozen ns of list
// surgery (a single global FIFO is what makes the order exact across workers).
//
// Slots and the queue: while the queue is on, every slot is given back through release()
// (never slot_limiter::release directly), and a new request may take a free slot only when
// nobody waits (enqueue() checks both under the lock). So the FIFO is exact: no request
// overtakes an older one, and a slot is never free while someone waits (pump() repairs that
// when MAX_CONCURRENT is raised live).
//
// Who to wake: a slot granted to another worker's waiter is that worker's to start; the
// functions that grant say which worker (the caller writes its eventfd). A worker takes its
// grants with take_grants().
#include <atomic>
#include <cstdint>
#include <memory>

#include "engine/slot_limiter.hpp"

namespace lms {

class wait_queue {
public:
    static constexpr uint32_t NO_NODE = UINT32_MAX;
    static constexpr int NOBODY = -1;  // "no worker to wake"
    static constexpr uint32_t MAX_CAPACITY = 1u << 22;
    static constexpr unsigned MAX_WORKERS = 1024;

    // Who a waiter is: its worker and its connection (index and generation, so that a grant
    // that outlives its connection is recognised).
    struct waiter {
        uint32_t conn = 0;
        uint32_t gen = 0;
        uint16_t worker = 0;
        uint64_t enqueued_ns = 0;
        uint64_t granted_ns = 0;  // the release() that handed it a slot: its now_ns (0: unknown)
    };

    wait_queue() noexcept = default;
    wait_queue(const wait_queue&) = delete;
    wait_queue& operator=(const wait_queue&) = delete;

    // Startup only: room for capacity waiters (0: off, the immediate 503) over workers
    // workers. False when out of range (1 to MAX_CAPACITY, workers 1 to MAX_WORKERS) or the
    // memory cannot be had.
    [[nodiscard]] bool init(uint32_t capacity, unsigned workers);
    [[nodiscard]] bool enabled() const noexcept { return capacity_ != 0; }
    [[nodiscard]] uint32_t capacity() const noexcept { return capacity_; }

    enum class entry : uint8_t { slot, queued, full };
    // A new request: takes a free slot when nobody waits (slot), else joins the queue's tail
    // (queued: node is its ticket, for cancel()), else (capacity waiters already) full.
    [[nodiscard]] entry enqueue(slot_limiter& slots, const waiter& w, uint32_t& node) noexcept;

    // A slot given back: to the oldest waiter (moved to its worker's inbox; returns that
    // worker), or to the slots when nobody waits (returns NOBODY).
    // now_ns: the release's time, handed to the waiter (its wait ends then, not when its
    // worker gets round to taking the grant).
    int release(slot_limiter& slots, uint64_t now_ns = 0) noexcept;

    // The waiter leaves (its client left, or it waited MAX_WAIT_SECONDS). waiting: it was
    // still in the queue and is gone. granted: a slot had already been granted to it (it was
    // in its worker's inbox): the caller now holds that slot (keep it, or release() it).
    enum class left : uint8_t { waiting, granted };
    left cancel(uint32_t node) noexcept;

    // Worker w's grants, oldest first: up to cap waiters into out, their nodes freed; each
    // now holds a slot. Returns how many. A cheap relaxed check first: has_grants().
    size_t take_grants(unsigned w, waiter* out, size_t cap) noexcept;
    [[nodiscard]] bool has_grants(unsigned w) const noexcept {
        return inbox_[w].count.load(std::memory_order_relaxed) != 0;
    }

    // While slots are free and someone waits, grant them (MAX_CONCURRENT raised live). Calls
    // wake(worker) for each worker that got a grant (at most once each per call, in no order).
    template <class Wake>
    void pump(slot_limiter& slots, Wake&& wake) noexcept {
        bool woke[MAX_WORKERS] = {};
        for (;;) {
            int w = pump_one(slots);
            if (w == NOBODY) {
                return;
            }
            if (!woke[w]) {
                woke[w] = true;
                wake(w);
            }
        }
    }

    // Requests waiting now (a snapshot).
    [[nodiscard]] uint32_t waiting() const noexcept { return waiting_.load(std::memory_order_relaxed); }
    // The oldest waiter's enqueue time; 0 when none waits.
    [[nodiscard]] uint64_t oldest_ns() const noexcept;

private:
    enum class state : uint8_t { free, queued, granted };
    struct node {
        uint32_t prev = NO_NODE, next = NO_NODE;
        state st = state::free;
        waiter who;
    };
    struct list {
        uint32_t head = NO_NODE, tail = NO_NODE;
    };
    struct alignas(64) inbox {
        list l;
        std::atomic<uint32_t> count{0};
    };

    class guard;
    void push_back(list& l, uint32_t n) noexcept;
    void unlink(list& l, uint32_t n) noexcept;
    // Moves the FIFO's head to its worker's inbox (lock held); returns that worker.
    int grant_head(uint64_t now_ns) noexcept;
    int pump_one(slot_limiter& slots) noexcept;

    std::unique_ptr<node[]> nodes_;
    std::unique_ptr<inbox[]> inbox_;
    uint32_t capacity_ = 0;
    unsigned workers_ = 0;
    list fifo_;
    list free_;  // unused nodes (singly used through next)
    alignas(64) mutable std::atomic<uint32_t> lock_{0};
    std::atomic<uint32_t> waiting_{0};
};

}  // namespace lms
