#include "observe/stats.hpp"

namespace lms {

const char* route_label(route r) noexcept {
    switch (r) {
    case route::chat: return "chat_completions";
    case route::completions: return "completions";
    case route::embeddings: return "embeddings";
    case route::models: return "models";
    case route::health: return "health";
    case route::metrics: return "metrics";
    case route::not_found: return "other";
    default: return "bad_request";
    }
}

const char* fault_label(fault f) noexcept {
    switch (f) {
    case fault::http_429: return "http_429";
    case fault::http_500: return "http_500";
    case fault::http_503: return "http_503";
    case fault::disconnect: return "disconnect";
    case fault::stall: return "stall";
    case fault::stream_error: return "stream_error";
    default: return "none";
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

}  // namespace lms
