// fuzz_anthropic_body: libFuzzer target for Anthropic's request readers (read_anthropic_request
// for /v1/messages, read_anthropic_count_request for /v1/messages/count_tokens). The input is a
// request body (see body_driver.hpp for its buffer). Checked: each verdict is deterministic and
// a refusal names its problem; an accepted message request has messages and its required
// max_tokens (above a thinking budget); count_tokens accepts every body messages accepts; the
// schemas give generate_json a value that parses.
#include "body_driver.hpp"
#include "dialects/anthropic_messages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lms;
    static json_body_parser reader(fuzz::MAX_BODY);
    if (size > fuzz::MAX_BODY) {
        return 0;  // the HTTP parser refuses these with 413
    }
    const auto buf = fuzz::padded(data, size);
    generation_request count;
    const bool counted = fuzz::read_checked("fuzz_anthropic_body", "count_tokens", read_anthropic_count_request,
                                            reader, buf.get(), size, count);
    generation_request rq;
    if (fuzz::read_checked("fuzz_anthropic_body", "messages", read_anthropic_request, reader, buf.get(), size, rq)) {
        if (rq.message_count == 0) {
            fuzz::broken("fuzz_anthropic_body", "accepted without messages");
        }
        if (!rq.has_max_tokens || rq.max_tokens == 0) {
            fuzz::broken("fuzz_anthropic_body", "accepted without max_tokens");
        }
        if (rq.has_thinking_budget && rq.thinking_budget >= rq.max_tokens) {
            fuzz::broken("fuzz_anthropic_body", "accepted a thinking budget not below max_tokens");
        }
        if (!counted) {
            fuzz::broken("fuzz_anthropic_body", "count_tokens refused a body messages accepts");
        }
        fuzz::check_schemas("fuzz_anthropic_body", rq, size);
    }
    if (std::memcmp(buf.get(), data, size) != 0) {
        fuzz::broken("fuzz_anthropic_body", "the body was modified");
    }
    return 0;
}
