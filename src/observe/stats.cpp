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
    case route::responses: return "responses";
    case route::messages: return "messages";
    case route::count_tokens: return "count_tokens";
    case route::mock: return "mock";
    case route::admin: return "admin";
    case route::tokenize: return "tokenize";
    case route::detokenize: return "detokenize";
    case route::dashboard: return "dashboard";
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
    if (status == 200) {
        return 0;
    }
    if (status >= 400 && status <= 599) {
        return unsigned(1 + status - 400);
    }
    return status == STATUS_RESET ? STATUS_COUNT - 1 : STATUS_COUNT;
}

const char* status_label(unsigned index, char out[8]) noexcept {
    if (index == 0) {
        return "200";
    }
    if (index == STATUS_COUNT - 1) {
        return "reset";
    }
    if (index >= STATUS_COUNT) {
        return "other";
    }
    unsigned s = 400 + index - 1;
    out[0] = char('0' + s / 100);
    out[1] = char('0' + s / 10 % 10);
    out[2] = char('0' + s % 10);
    out[3] = 0;
    return out;
}

}  // namespace lms
