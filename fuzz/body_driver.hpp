#pragma once
// body_driver: what the request-body fuzz targets (fuzz_chat_body, fuzz_responses_body,
// fuzz_anthropic_body) share: the input copied as a pool buffer holds it, a reader's verdict
// checked for determinism and for a refusal that names its problem, and the schemas an
// accepted request holds run through generate_json.
//
// Test code, not server code: it allocates freely. Single-threaded (libFuzzer runs one input at
// a time); the parser and output buffers are static.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <simdjson.h>

#include "answer/generation_request.hpp"
#include "answer/json_body.hpp"
#include "answer/schema_json.hpp"
#include "service/prefix_cache.hpp"

namespace lms::fuzz {

inline constexpr size_t MAX_BODY = 16384;  // the server's default MAX_BODY_BYTES

using read_fn = bool (*)(json_body_parser&, const char*, size_t, generation_request&, body_error&) noexcept;

[[noreturn]] inline void broken(const char* target, const char* what, const char* reader = nullptr) {
    if (reader != nullptr) {
        std::fprintf(stderr, "reader: %s\n", reader);
    }
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
}

// The input with exactly PADDING readable bytes after it, as a pool buffer provides (filled
// with 0xff, not zeros, so nothing may rely on the padding's content); ASan reports a read
// beyond.
inline std::unique_ptr<char[]> padded(const uint8_t* data, size_t size) {
    std::unique_ptr<char[]> buf(new char[size + json_body_parser::PADDING]);
    std::memcpy(buf.get(), data, size);
    std::memset(buf.get() + size, 0xff, json_body_parser::PADDING);
    return buf;
}

inline std::string text_of(const char* s) { return s != nullptr ? s : "<null>"; }

// Reads body twice with read: the two verdicts agree (no state leaks between requests), a
// refusal names its problem, the model view is live (ASan checks the copy); out holds the second
// read, whose document stays live until the parser's next call, made with the prefix cache's
// block hasher lent (as the server does when PREFIX_CACHE_BLOCKS is on): an accepted body fed
// it exactly the bytes prompt_bytes counts. Returns the verdict.
inline bool read_checked(const char* target, const char* name, read_fn read, json_body_parser& p, const char* body,
                         size_t len, generation_request& out) {
    generation_request first;
    body_error e1, e2;
    const bool ok1 = read(p, body, len, first, e1);
    const std::string model(first.model.data(), first.model.size());
    const std::string m1 = text_of(e1.message);
    static prompt_blocks blocks;
    blocks.reset(uint32_t(1 + len % 64));
    out.blocks = &blocks;
    const bool ok2 = read(p, body, len, out, e2);
    if (ok2 && blocks.bytes() != out.prompt_bytes) {
        broken(target, "the prefix cache's hasher was fed other bytes than prompt_bytes counts", name);
    }
    if (ok1 != ok2 || (!ok1 && m1 != text_of(e2.message)) ||
        (ok1 && (model != std::string(out.model) || first.message_count != out.message_count ||
                 first.max_tokens != out.max_tokens || first.tool_count != out.tool_count))) {
        broken(target, "two reads of the same body disagree", name);
    }
    if (!ok1 && (e1.message == nullptr || e1.message[0] == '\0' || e1.param == nullptr)) {
        broken(target, "refused without naming the problem", name);
    }
    if (ok1 && first.has_max_tokens == false && first.max_tokens != 0) {
        broken(target, "max_tokens set without has_max_tokens", name);
    }
    return ok2;
}

// Every schema rq holds (tool parameters, the output schema) gives generate_json a value that
// parses as JSON, or a clean too_large / bad_schema.
inline void check_schemas(const char* target, const generation_request& rq, size_t seed) {
    static char out[4096];
    static simdjson::dom::parser check;
    auto generate = [&](simdjson::dom::element schema) {
        out_buf o(out, sizeof out);
        rng r(seed);
        if (generate_json(schema, o, r) == schema_status::ok) {
            const std::string v(o.view());
            simdjson::dom::element e;
            if (o.truncated || check.parse(v).get(e) != simdjson::SUCCESS) {
                broken(target, "generate_json wrote a value that is not JSON");
            }
        }
    };
    for (uint32_t i = 0; i < rq.tool_count; ++i) {
        const tool_ref t = request_tool(rq, i);
        if (t.has_parameters) {
            generate(t.parameters);
        }
    }
    if (rq.has_output_schema) {
        generate(rq.output_schema);
    }
}

}  // namespace lms::fuzz
