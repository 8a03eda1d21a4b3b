#pragma once
// server: the state every worker shares — settings, the slot counter, the system probe and
// the per-worker counters. Level 2. Built once by main before the workers start; afterwards
// only slots and the counters change (both atomic), everything else is read-only.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "settings/config.hpp"
#include "engine/slot_limiter.hpp"
#include "engine/clock.hpp"
#include "engine/wait_queue.hpp"
#include "observe/stats.hpp"
#include "observe/system_probe.hpp"

namespace lms {

class rate_limiter;
class prefix_cache;
class live_config;
class admin_api;

struct server {
    // connection_budget: open client connections over all workers; kept below the open-file
    // limit so that accept() never meets EMFILE in normal operation (see worker::on_accept).
    server(const config& c, uint32_t max_concurrent, unsigned worker_count, uint32_t connection_budget = ~0u)
        : cfg(c),
          slots(max_concurrent),
          connections(connection_budget),
          workers(worker_count),
          stats(new worker_stats[worker_count]),
          wake_fds(new std::atomic<int>[worker_count]) {
        for (unsigned i = 0; i < worker_count; ++i) {
            wake_fds[i].store(-1, std::memory_order_relaxed);
        }
    }

    const config cfg;
    slot_limiter slots;
    slot_limiter connections;        // one per open client connection, over all workers
    system_probe probe;
    const unsigned workers;
    std::unique_ptr<worker_stats[]> stats;
    uint64_t max_fds = 0;            // the open-file limit in force
    uint32_t max_connections = 0;    // over all workers
    int64_t start_unix = 0;
    std::string_view model_name;     // the first of MODELS (vLLM metrics' model_name label)
    std::string_view text;           // the answer text (original or CONTENT_TEXT)
    uint32_t text_tokens = 1;        // its length in tokens
    std::atomic<bool> draining{false};
    // The per-key rate limits (RATE_LIMIT_*), shared by every worker; main always sets it (the
    // global limits may be turned on live): enabled() says whether any limit is on.
    rate_limiter* rate = nullptr;
    // vLLM's prefix cache (PREFIX_CACHE_BLOCKS), shared by every worker; null when off.
    prefix_cache* prefix = nullptr;
    // The settings the answers follow, changed live (ADMIN_TOKEN, SCENARIO_FILE); main sets both
    // before the workers start. cfg above stays the startup settings (what cannot change).
    live_config* live = nullptr;
    admin_api* admin = nullptr;
    // Worker 0's eventfd (-1 until it runs): the admin path wakes it when the scenario's next
    // due time moves, so that the boundary lands on its timer wheel (admin_api::tick).
    std::atomic<int> timekeeper_wake_fd{-1};
    // MAX_WAITING: the waiting queue in front of the slots (main inits it; off otherwise).
    wait_queue queue;
    // Each worker's eventfd (-1 until it is built): a slot granted to a waiter on another
    // worker wakes it.
    std::unique_ptr<std::atomic<int>[]> wake_fds;

    // A slot given back by worker self: to the oldest waiter when the queue is on (waking its
    // worker if that is another; self takes its own grants at the end of its loop turn), else
    // to the counter. Every release of a request's slot goes through here.
    void release_slot(unsigned self) noexcept {
        if (!queue.enabled()) {
            slots.release();
            return;
        }
        const int w = queue.release(slots, monotonic_ns());
        if (w != wait_queue::NOBODY && unsigned(w) != self) {
            wake_worker(unsigned(w));
        }
    }
    // Writes worker w's eventfd (a slot was granted to one of its waiters).
    void wake_worker(unsigned w) noexcept;

    [[nodiscard]] uint64_t open_connections() const noexcept;
};

}  // namespace lms
