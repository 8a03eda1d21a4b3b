#pragma once
// live_config: the settings the workers answer with, changed while they run (PATCH
// /admin/config, a scenario's phases) without a lock on the request path. Every change builds
// a whole new snapshot (the base settings with any scenario overrides applied, and what is
// derived from them); workers read the newest through one atomic pointer and say which
// generation they are reading (a hazard slot per worker, as in hazard pointers, holding a
// generation instead of a pointer); a snapshot is freed only when no worker's slot can name it.
// A worker empties its slot (quiesce) before it sleeps in epoll_wait, so an idle worker pins
// nothing.
//
// Level 2. acquire() is the request path: any worker, two atomic loads, and a store when its
// slot changes (once per loop turn); no allocation. publish() and the base accessors are the
// admin path: any thread, serialised by a mutex; they allocate.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "settings/config.hpp"

namespace lms {

// One generation of settings, immutable once published.
struct live_snapshot {
    config cfg;
    std::string_view text;     // the answer text: CONTENT_TEXT's, or the original service's
    uint32_t text_tokens = 1;  // its length in tokens
    uint64_t generation = 0;   // 0 for the startup settings, +1 per change
};

class live_config {
public:
    // The startup settings as generation 0; workers: how many will acquire().
    live_config(const config& startup, unsigned workers);
    live_config(const live_config&) = delete;
    live_config& operator=(const live_config&) = delete;

    // The newest snapshot for worker w; valid until w's next acquire() or quiesce(). The slot
    // is written before the pointer is read (both seq_cst, as publish() writes the pointer
    // before it reads the slots): publish() then either sees the slot, or this load sees its
    // new pointer.
    [[nodiscard]] const live_snapshot* acquire(unsigned w) noexcept {
        const uint64_t g = latest_.load(std::memory_order_acquire);
        seen_slot& seen = seen_[w];
        if (seen.generation.load(std::memory_order_relaxed) != g) {
            seen.generation.store(g, std::memory_order_seq_cst);
        }
        return current_.load(std::memory_order_seq_cst);  // its generation is g or newer
    }
    // Worker w holds no snapshot until its next acquire() (it is about to sleep).
    void quiesce(unsigned w) noexcept { seen_[w].generation.store(NONE, std::memory_order_release); }
    // The newest snapshot, for readers outside the workers' calls (startup, tests).
    [[nodiscard]] const live_snapshot* current() const noexcept { return current_.load(std::memory_order_acquire); }
    [[nodiscard]] uint64_t generation() const noexcept { return current()->generation; }

    // The admin lock: hold it around reading the base and publishing a change built from it.
    [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(admin_); }
    // The settings changes are made against (scenario overrides not applied); lock held.
    [[nodiscard]] const config& base() const noexcept { return base_; }
    // Publishes effective (base with a scenario's overrides, or base itself) as the next
    // generation, makes base the new base, and frees the snapshots no worker can still read;
    // lock held. Returns the new generation.
    uint64_t publish(const config& new_base, const config& effective);

    // Snapshots kept (the current one and those a worker may still read): for tests.
    [[nodiscard]] size_t kept() const noexcept { return kept_.size(); }

private:
    static constexpr uint64_t NONE = ~uint64_t(0);  // a quiescent worker's slot
    struct alignas(64) seen_slot {
        std::atomic<uint64_t> generation{NONE};
    };
    std::atomic<const live_snapshot*> current_{nullptr};
    std::atomic<uint64_t> latest_{0};  // current_'s generation, written after current_
    std::unique_ptr<seen_slot[]> seen_;
    const unsigned workers_;
    std::mutex admin_;
    config base_;
    std::vector<std::unique_ptr<live_snapshot>> kept_;  // oldest first; the last is current_
};

// What a snapshot derives from its settings: the answer text and its token count.
void derive_snapshot(live_snapshot& s);

}  // namespace lms
