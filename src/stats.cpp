#include "stats.hpp"

namespace lms {

const char* route_label(route r) noexcept {
    switch (r) {
    case route::chat: return "chat_completions";
    case route::health: return "health";
    case route::metrics: return "metrics";
    case route::not_found: return "other";
    default: return "bad_request";
    }
}

unsigned status_index(int status) noexcept {
    for (unsigned i = 0; i < STATUS_COUNT; ++i) {
        if (STATUSES[i] == status) {
            return i;
        }
    }
    return STATUS_COUNT;
}

void worker_stats::observe_delay(uint64_t served_us, uint64_t configured_us) noexcept {
    double s = double(served_us) / 1e6;
    unsigned i = 0;
    while (i < DELAY_BUCKET_COUNT && s > DELAY_BUCKETS[i]) {
        ++i;
    }
    bump(delay_buckets[i]);
    bump(delay_sum_us, served_us);
    uint64_t late_us = served_us > configured_us ? served_us - configured_us : 0;
    double l = double(late_us) / 1e6;
    i = 0;
    while (i < LATE_BUCKET_COUNT && l > LATE_BUCKETS[i]) {
        ++i;
    }
    bump(late_buckets[i]);
    bump(late_sum_us, late_us);
}

}  // namespace lms
