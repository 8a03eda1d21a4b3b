#pragma once
// stats: the counters behind /metrics and /health. Each worker owns one worker_stats (on its
// own cache lines) and is its only writer; readers (the worker answering /metrics) sum all
// workers' relaxed loads. Level 0: no syscalls, no allocation.
#include <atomic>
#include <cstdint>

namespace lms {

enum class route : uint8_t {
    chat, completions, embeddings, models, health, metrics, not_found, bad_request, responses, messages, count_tokens,
    mock, admin, tokenize, detokenize, dashboard, count_
};
[[nodiscard]] const char* route_label(route r) noexcept;

// The statuses a request is counted under, each with a fixed index: 200, every 400..599 (an
// X-Return-Error may name any), a reset with no status (an injected disconnect before any
// byte), and anything else.
inline constexpr int STATUS_RESET = 0;            // counted as status="reset"
inline constexpr unsigned STATUS_COUNT = 1 + 200 + 1;  // 200, 400..599, reset
[[nodiscard]] unsigned status_index(int status) noexcept;  // STATUS_COUNT when none of those
// The label of an index: "200", "404", "reset", "other" (index STATUS_COUNT); out holds 8 bytes.
[[nodiscard]] const char* status_label(unsigned index, char out[8]) noexcept;

// Histogram bucket upper bounds in seconds (+Inf is implicit).
inline constexpr double DELAY_BUCKETS[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60};
inline constexpr unsigned DELAY_BUCKET_COUNT = sizeof DELAY_BUCKETS / sizeof DELAY_BUCKETS[0];
// Lateness of a delayed answer or token (served time minus scheduled time), in seconds. Fine
// below 1 ms (0.05, 0.1, 0.25, 0.5 ms): the wheel ticks in 0.1 ms, and "within 1 ms of the
// deadline" must be readable from the buckets.
inline constexpr double LATE_BUCKETS[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
                                          0.01,    0.025,  0.05,    0.1,    0.25,  1};
inline constexpr unsigned LATE_BUCKET_COUNT = sizeof LATE_BUCKETS / sizeof LATE_BUCKETS[0];
// Inter-token gaps (vLLM's time_per_output_token buckets, roughly).
inline constexpr double ITL_BUCKETS[] = {0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04,
                                         0.05,  0.075,  0.1,   0.15, 0.2,   0.3,  0.5,   1,    2.5};
inline constexpr unsigned ITL_BUCKET_COUNT = sizeof ITL_BUCKETS / sizeof ITL_BUCKETS[0];

// How long a client waited after a 429 relative to what it was told (1.0: exactly as told).
// Observed in millionths through histogram (its "us" are millionths of the ratio here).
inline constexpr double WAIT_RATIO_BUCKETS[] = {0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0, 1.01, 1.1, 1.25, 1.5, 2, 5, 10};
inline constexpr unsigned WAIT_RATIO_BUCKET_COUNT = sizeof WAIT_RATIO_BUCKETS / sizeof WAIT_RATIO_BUCKETS[0];

enum class fault : uint8_t { none, http_429, http_500, http_503, disconnect, stall, stream_error, count_ };
[[nodiscard]] const char* fault_label(fault f) noexcept;

using counter = std::atomic<uint64_t>;

// Single writer: a relaxed load+store is enough and avoids a locked instruction.
inline void bump(counter& c, uint64_t by = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// Non-cumulative bucket counts (made cumulative when rendered) and the sum in microseconds.
template <unsigned N>
struct histogram {
    counter buckets[N + 1] = {};
    counter sum_us{0};

    void observe(const double (&bounds)[N], uint64_t us) noexcept {
        double s = double(us) / 1e6;
        unsigned i = 0;
        while (i < N && s > bounds[i]) {
            ++i;
        }
        bump(buckets[i]);
        bump(sum_us, us);
    }
};

struct alignas(64) worker_stats {
    counter requests[unsigned(route::count_)][STATUS_COUNT + 1] = {};
    counter overload_rejections{0};   // 503 for want of a slot
    counter connections_accepted{0};
    counter connections_refused{0};   // accepted and closed at once: no record or no fd
    counter connections_closed{0};
    counter client_aborts{0};         // client left while its request held a slot
    counter read_buffer_reclaims{0};  // slowest partial request cut (408): read buffers all lent
    counter faults[unsigned(fault::count_)] = {};
    counter prompt_tokens{0};
    counter generated_tokens{0};
    counter finished_stop{0};
    counter finished_length{0};
    histogram<DELAY_BUCKET_COUNT> delay;    // complete request -> whole answer written
    histogram<LATE_BUCKET_COUNT> late;      // answer or token time minus its schedule
    histogram<DELAY_BUCKET_COUNT> ttft;     // complete request -> first token written (streams)
    histogram<DELAY_BUCKET_COUNT> ttfat;    // complete request -> first answer token (after reasoning; streams)
    histogram<ITL_BUCKET_COUNT> itl;        // gap between consecutive tokens (streams)
    // Rate limits (RATE_LIMIT_*): 429s by the limit that refused, early retries, and the
    // first request after each 429's wait against what it was told.
    counter rate_limited_requests{0};
    counter rate_limited_tokens{0};
    counter early_retries{0};
    histogram<WAIT_RATIO_BUCKET_COUNT> retry_wait_ratio;
    // The waiting queue (MAX_WAITING): time from arrival to a slot (0 for one that found a
    // slot free), and the requests it refused (full, or waited MAX_WAIT_SECONDS).
    histogram<DELAY_BUCKET_COUNT> queue_time;
    // Streams: from the slot to the first token (vLLM's prefill phase), and from the first token
    // to the last (its decode phase).
    histogram<DELAY_BUCKET_COUNT> prefill_time;
    histogram<DELAY_BUCKET_COUNT> decode_time;
    counter queue_full{0};
    counter queue_timeouts{0};

    static void bump(counter& c, uint64_t by = 1) noexcept { lms::bump(c, by); }
    void count_request(route r, int status) noexcept { bump(requests[unsigned(r)][status_index(status)]); }
    // An answered request: served and scheduled delay in microseconds.
    void observe_delay(uint64_t served_us, uint64_t scheduled_us) noexcept {
        delay.observe(DELAY_BUCKETS, served_us);
        late.observe(LATE_BUCKETS, served_us > scheduled_us ? served_us - scheduled_us : 0);
    }
};

}  // namespace lms
