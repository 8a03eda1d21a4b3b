// fuzz_chat_body: libFuzzer target for every request-body reader: read_chat_request (checked in
// depth below), then on the same input DashScope's chat, the completions and embeddings readers,
// the Responses API's and Anthropic's (messages and count_tokens) (simdjson DOM, error-code API).
// The input is a request body. It is copied into a buffer with exactly PADDING (64) readable
// bytes after it, as a pool buffer provides (filled with 0xff, not zeros, so nothing may rely
// on the padding's content); ASan reports a read beyond. Checked: the verdict is deterministic
// (a second read of the same bytes by the same reader gives the same answer: no state leaks
// between requests), an accepted body has at least one message and a model that is safe to
// copy, a refused one names its problem; every schema the reader accepted (tool parameters, the
// output schema) gives generate_json a value that parses as JSON, or a clean too_large. Bodies over the reader's capacity never reach it (the
// HTTP parser refuses them with 413), so they are skipped here.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <simdjson.h>

#include "answer/schema_json.hpp"
#include "dialects/anthropic_messages.hpp"
#include "dialects/openai_reader.hpp"
#include "dialects/openai_responses.hpp"

namespace {

constexpr size_t MAX_BODY = 16384;  // the server's default MAX_BODY_BYTES

struct result {
    bool ok;
    lms::generation_request req;
    std::string model;
    std::string message;
    std::string param;
};

result read_once(lms::json_body_parser& reader, const char* body, size_t len) {
    result r{};
    lms::body_error err;
    r.ok = lms::read_chat_request(reader, body, len, r.req, err);
    r.model.assign(r.req.model.data(), r.req.model.size());  // ASan checks the view is live
    r.message = err.message != nullptr ? err.message : "<null>";
    r.param = err.param != nullptr ? err.param : "<null>";
    return r;
}

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "fuzz_chat_body: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static lms::json_body_parser reader(MAX_BODY);
    if (size > MAX_BODY) {
        return 0;
    }
    std::unique_ptr<char[]> buf(new char[size + lms::json_body_parser::PADDING]);
    std::memcpy(buf.get(), data, size);
    std::memset(buf.get() + size, 0xff, lms::json_body_parser::PADDING);

    const result a = read_once(reader, buf.get(), size);
    const result b = read_once(reader, buf.get(), size);
    if (a.ok != b.ok || a.model != b.model || a.req.stream != b.req.stream ||
        a.req.include_usage != b.req.include_usage || a.req.has_max_tokens != b.req.has_max_tokens ||
        a.req.max_tokens != b.req.max_tokens || a.req.message_count != b.req.message_count ||
        (!a.ok && (a.message != b.message || a.param != b.param))) {
        broken("two reads of the same body disagree");
    }
    if (std::memcmp(buf.get(), data, size) != 0) {
        broken("the body was modified");
    }
    if (a.ok) {
        if (a.req.message_count == 0) {
            broken("accepted with no messages");
        }
        if (a.req.has_max_tokens && a.req.max_tokens == 0) {
            broken("accepted max_tokens 0");
        }
        if (!a.req.has_max_tokens && a.req.max_tokens != 0) {
            broken("max_tokens set without has_max_tokens");
        }
    } else if (a.message.empty() || a.message == "<null>" || a.param == "<null>") {
        broken("refused without naming the problem");
    }
    if (a.ok) {
        // The reader's third run leaves its document live for the schemas.
        lms::generation_request q;
        lms::body_error qe;
        if (!lms::read_chat_request(reader, buf.get(), size, q, qe)) {
            broken("a third read refused what two accepted");
        }
        static char out[4096];
        static simdjson::dom::parser check;
        auto generate = [&](simdjson::dom::element schema) {
            lms::out_buf o(out, sizeof out);
            lms::rng r(size);
            const lms::schema_status st = lms::generate_json(schema, o, r);
            if (st == lms::schema_status::ok) {
                std::string v(o.view());
                simdjson::dom::element e;
                if (o.truncated || check.parse(v).get(e) != simdjson::SUCCESS) {
                    broken("generate_json wrote a value that is not JSON");
                }
            }
        };
        for (uint32_t i = 0; i < q.tool_count; ++i) {
            const lms::tool_ref t = lms::request_tool(q, i);
            if (t.has_parameters) {
                generate(t.parameters);
            }
        }
        if (q.has_output_schema) {
            generate(q.output_schema);
        }
    }
    // The other readers of the family, on the same bytes.
    lms::generation_request c;
    lms::body_error ce;
    if (lms::read_completion_request(reader, buf.get(), size, c, ce)) {
        if (c.message_count != 1) {
            broken("completion accepted without its prompt");
        }
        std::string prompt(c.last_user.data(), c.last_user.size());  // ASan checks the view is live
    } else if (ce.message == nullptr || ce.message[0] == '\0' || ce.param == nullptr) {
        broken("completion refused without naming the problem");
    }
    // The other dialects' readers: deterministic, and a refusal names its problem.
    using read_fn = bool (*)(lms::json_body_parser&, const char*, size_t, lms::generation_request&, lms::body_error&) noexcept;
    static constexpr struct {
        read_fn read;
        const char* name;
    } OTHERS[] = {
        {lms::read_dashscope_chat_request, "dashscope chat"},
        {lms::read_responses_request, "responses"},
        {lms::read_anthropic_request, "anthropic messages"},
        {lms::read_anthropic_count_request, "anthropic count_tokens"},
    };
    for (const auto& o : OTHERS) {
        lms::generation_request g1, g2;
        lms::body_error e1, e2;
        const bool ok1 = o.read(reader, buf.get(), size, g1, e1);
        const std::string model(g1.model.data(), g1.model.size());  // ASan checks the view is live
        const std::string m1 = e1.message != nullptr ? e1.message : "<null>";
        const bool ok2 = o.read(reader, buf.get(), size, g2, e2);
        if (ok1 != ok2 || (!ok1 && m1 != (e2.message != nullptr ? e2.message : "<null>"))) {
            std::fprintf(stderr, "reader: %s\n", o.name);
            broken("two reads of the same body disagree");
        }
        if (!ok1 && (e1.message == nullptr || e1.message[0] == '\0' || e1.param == nullptr)) {
            std::fprintf(stderr, "reader: %s\n", o.name);
            broken("refused without naming the problem");
        }
        if (ok2) {
            // The schemas it accepted give a value that parses (the document is g2's, still live).
            static char gen_out[4096];
            for (uint32_t i = 0; i < g2.tool_count; ++i) {
                const lms::tool_ref t = lms::request_tool(g2, i);
                if (t.has_parameters) {
                    lms::out_buf go(gen_out, sizeof gen_out);
                    lms::rng r(size);
                    if (lms::generate_json(t.parameters, go, r) == lms::schema_status::ok) {
                        static simdjson::dom::parser gp;
                        std::string v(go.view());
                        simdjson::dom::element e;
                        if (go.truncated || gp.parse(v).get(e) != simdjson::SUCCESS) {
                            broken("generate_json wrote a value that is not JSON");
                        }
                    }
                }
            }
        }
    }
    static lms::embedding_request emb;
    lms::body_error ee;
    if (lms::read_embeddings_request(reader, buf.get(), size, emb, ee)) {
        if (emb.count == 0 || emb.count > lms::embedding_request::MAX_INPUTS) {
            broken("embeddings accepted with no input, or too many");
        }
    } else if (ee.message == nullptr || ee.message[0] == '\0' || ee.param == nullptr) {
        broken("embeddings refused without naming the problem");
    }
    return 0;
}
