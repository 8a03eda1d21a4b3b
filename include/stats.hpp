#pragma once
// stats: the counters behind /metrics and /health. Each worker owns one worker_stats (on its
// own cache lines) and is its only writer; readers (the worker answering /metrics) sum all
// workers' relaxed loads. Level 0: no syscalls, no allocation.
#include <atomic>
#include <cstdint>

namespace lms {

enum class route : uint8_t { chat, health, metrics, not_found, bad_request, count_ };
[[nodiscard]] const char* route_label(route r) noexcept;

// The statuses this server sends, each with a fixed index.
inline constexpr int STATUSES[] = {200, 400, 404, 405, 408, 413, 414, 431, 501, 503, 505};
inline constexpr unsigned STATUS_COUNT = sizeof STATUSES / sizeof STATUSES[0];
[[nodiscard]] unsigned status_index(int status) noexcept;  // STATUS_COUNT when unknown

// Histogram bucket upper bounds in seconds (+Inf is implicit).
inline constexpr double DELAY_BUCKETS[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60};
inline constexpr unsigned DELAY_BUCKET_COUNT = sizeof DELAY_BUCKETS / sizeof DELAY_BUCKETS[0];
// Lateness of a delayed answer (served delay minus the configured one), in seconds.
inline constexpr double LATE_BUCKETS[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
inline constexpr unsigned LATE_BUCKET_COUNT = sizeof LATE_BUCKETS / sizeof LATE_BUCKETS[0];

struct alignas(64) worker_stats {
    using counter = std::atomic<uint64_t>;
    counter requests[unsigned(route::count_)][STATUS_COUNT + 1] = {};
    counter overload_rejections{0};   // 503 for want of a slot
    counter connections_accepted{0};
    counter connections_refused{0};   // accepted and closed at once: no record or no fd
    counter connections_closed{0};
    counter client_aborts{0};         // client left while its request held a slot
    counter delay_buckets[DELAY_BUCKET_COUNT + 1] = {};
    counter delay_sum_us{0};
    counter late_buckets[LATE_BUCKET_COUNT + 1] = {};
    counter late_sum_us{0};

    // Single writer: a relaxed load+store is enough and avoids a locked instruction.
    static void bump(counter& c, uint64_t by = 1) noexcept {
        c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    void count_request(route r, int status) noexcept { bump(requests[unsigned(r)][status_index(status)]); }
    // Records an answered delayed request: served delay and configured delay in microseconds.
    void observe_delay(uint64_t served_us, uint64_t configured_us) noexcept;
};

}  // namespace lms
