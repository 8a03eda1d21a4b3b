// fuzz_chat_body: libFuzzer target for the OpenAI family's request-body readers:
// read_chat_request (checked in depth below), then on the same input DashScope's chat, the
// completions and embeddings readers, and vLLM's /tokenize and /detokenize readers with their
// answers (whole JSON; count == the ids; the ids decode) (simdjson DOM, error-code API); the Responses API's and
// Anthropic's readers have their own targets (fuzz_responses_body, fuzz_anthropic_body).
// The input is a request body, in a buffer as body_driver.hpp lays it out. Checked: the verdict is deterministic
// (a second read of the same bytes by the same reader gives the same answer: no state leaks
// between requests), an accepted body has at least one message and a model that is safe to
// copy, a refused one names its problem; every schema the reader accepted (tool parameters, the
// output schema) gives generate_json a value that parses as JSON, or a clean too_large. Bodies over the reader's capacity never reach it (the
// HTTP parser refuses them with 413), so they are skipped here.
#include "body_driver.hpp"
#include "answer/tokens.hpp"
#include "dialects/openai_reader.hpp"
#include "dialects/vllm_tokenize.hpp"

namespace {

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

[[noreturn]] void broken(const char* what) { lms::fuzz::broken("fuzz_chat_body", what); }

// /tokenize: an accepted body's answer is whole JSON (a 16 KiB body's fits 1 MiB) with count
// ids, each of which decodes; /detokenize: an accepted body's answer is one valid JSON string.
void check_tokenizer(lms::json_body_parser& reader, const char* body, size_t size) {
    static char out[1 << 20];
    static simdjson::dom::parser check;
    lms::generation_request chat;
    lms::tokenize_request tok;
    lms::body_error err;
    if (lms::read_tokenize_request(reader, body, size, chat, tok, err)) {
        lms::out_buf o(out, sizeof out);
        if (!lms::render_tokenize(o, tok, 7) || o.truncated) {
            broken("tokenize: an accepted body not rendered whole");
        }
        simdjson::dom::element doc;
        simdjson::dom::array ids;
        uint64_t count = 0;
        if (check.parse(out, o.len).get(doc) != simdjson::SUCCESS || doc["count"].get(count) != simdjson::SUCCESS ||
            doc["tokens"].get(ids) != simdjson::SUCCESS || ids.size() != count ||
            count != lms::estimate_prompt_tokens(tok.prompt_bytes)) {
            broken("tokenize: the answer is not JSON with count ids, count the usage's estimate");
        }
        for (simdjson::dom::element e : ids) {
            uint64_t id;
            char bytes[lms::PROMPT_TOKEN_BYTES];
            if (e.get(id) != simdjson::SUCCESS || lms::prompt_token_bytes(id, bytes) < 0) {
                broken("tokenize: an id that does not decode");
            }
        }
    } else if (err.message == nullptr || err.message[0] == '\0' || err.param == nullptr) {
        broken("tokenize refused without naming the problem");
    }
    static lms::detokenize_request detok;
    if (lms::read_detokenize_request(reader, body, size, detok, err)) {
        lms::out_buf o(out, sizeof out);
        lms::render_detokenize(o, detok);
        simdjson::dom::element doc;
        std::string_view prompt;
        if (o.truncated || check.parse(out, o.len).get(doc) != simdjson::SUCCESS ||
            doc["prompt"].get(prompt) != simdjson::SUCCESS) {
            broken("detokenize: the answer is not one JSON string");
        }
    } else if (err.message == nullptr || err.message[0] == '\0' || err.param == nullptr) {
        broken("detokenize refused without naming the problem");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static lms::json_body_parser reader(lms::fuzz::MAX_BODY);
    if (size > lms::fuzz::MAX_BODY) {
        return 0;
    }
    const auto buf = lms::fuzz::padded(data, size);

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
        lms::fuzz::check_schemas("fuzz_chat_body", q, size);
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
    // DashScope's chat reader: deterministic, a refusal names its problem, its schemas generate.
    lms::generation_request ds;
    if (lms::fuzz::read_checked("fuzz_chat_body", "dashscope chat", lms::read_dashscope_chat_request, reader, buf.get(),
                                size, ds)) {
        lms::fuzz::check_schemas("fuzz_chat_body", ds, size);
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
    check_tokenizer(reader, buf.get(), size);
    return 0;
}
