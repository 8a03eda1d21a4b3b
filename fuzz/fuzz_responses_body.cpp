// fuzz_responses_body: libFuzzer target for the Responses API's request reader
// (read_responses_request) and for what the answer repeats of the request (the dialect's
// request_echo). The input is a request body (see body_driver.hpp for its buffer). Checked: the
// verdict is deterministic and a refusal names its problem; an accepted body has an input;
// its schemas give generate_json a value that parses; the echo, whole and brief, is a fragment
// that makes a JSON object, or says it does not fit.
#include "body_driver.hpp"
#include "dialects/openai_responses.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lms;
    static json_body_parser reader(fuzz::MAX_BODY);
    if (size > fuzz::MAX_BODY) {
        return 0;  // the HTTP parser refuses these with 413
    }
    const auto buf = fuzz::padded(data, size);
    generation_request rq;
    if (!fuzz::read_checked("fuzz_responses_body", "responses", read_responses_request, reader, buf.get(), size, rq)) {
        return 0;
    }
    if (rq.message_count == 0) {
        fuzz::broken("fuzz_responses_body", "accepted without an input");
    }
    if (rq.has_max_tokens && rq.max_tokens < 16) {
        fuzz::broken("fuzz_responses_body", "accepted max_output_tokens below 16");
    }
    // The echo before the schemas: generate_json does not touch the document, but the echo reads
    // the body's object, which must still be the one rq points into.
    static char echo[16384];
    static simdjson::dom::parser check;
    for (const bool brief : {false, true}) {
        out_buf o(echo, sizeof echo);
        OPENAI_RESPONSES.request_echo(o, rq, brief);
        if (o.truncated) {
            continue;  // the service then tries brief, then states the defaults
        }
        const std::string object = "{" + std::string(o.view()) + "}";
        simdjson::dom::element e;
        if (check.parse(object).get(e) != simdjson::SUCCESS || !e.is_object()) {
            fuzz::broken("fuzz_responses_body", "the request echo is not a JSON object's fields");
        }
    }
    fuzz::check_schemas("fuzz_responses_body", rq, size);
    if (std::memcmp(buf.get(), data, size) != 0) {
        fuzz::broken("fuzz_responses_body", "the body was modified");
    }
    return 0;
}
