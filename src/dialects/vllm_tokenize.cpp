// vllm_tokenize: the count comes from the readers the generating routes use (a prompt's bytes;
// the chat reader's prompt_bytes), and the ids from walking the very same bytes, so that
// /tokenize's count and a completion's usage.prompt_tokens cannot disagree.
#include "dialects/vllm_tokenize.hpp"

#include "answer/json_text.hpp"
#include "answer/tokens.hpp"
#include "dialects/openai_reader.hpp"

namespace lms {

namespace {

// Cuts a text fed in pieces into PROMPT_TOKEN_BYTES-byte chunks (one may span two pieces: the
// messages' texts are cut as one text) and hands each to emit; a text of no bytes is one empty
// chunk, the empty token.
template <class Emit>
struct chunker {
    Emit emit;
    char held[PROMPT_TOKEN_BYTES] = {};
    size_t n = 0;
    uint64_t chunks = 0;

    void feed(std::string_view s) noexcept {
        while (!s.empty()) {
            if (n == 0 && s.size() >= PROMPT_TOKEN_BYTES) {
                emit(s.substr(0, PROMPT_TOKEN_BYTES));
                s.remove_prefix(PROMPT_TOKEN_BYTES);
                ++chunks;
                continue;
            }
            held[n++] = s.front();
            s.remove_prefix(1);
            if (n == PROMPT_TOKEN_BYTES) {
                emit(std::string_view(held, n));
                n = 0;
                ++chunks;
            }
        }
    }
    void finish() noexcept {
        if (n != 0 || chunks == 0) {
            emit(std::string_view(held, n));
            n = 0;
            ++chunks;
        }
    }
    static void piece(void* self, std::string_view s) noexcept { static_cast<chunker*>(self)->feed(s); }
};

// Walks the request's text once, chunk by chunk; returns the bytes walked.
template <class Emit>
uint64_t cut(const tokenize_request& rq, Emit emit) noexcept {
    chunker<Emit> c{emit};
    uint64_t bytes = rq.prompt.size();
    if (rq.chat != nullptr) {
        bytes = chat_prompt_text(*rq.chat, &chunker<Emit>::piece, &c);
    } else {
        c.feed(rq.prompt);
    }
    c.finish();
    return bytes;
}

// "model": a string, or null (vLLM's Optional[str]).
bool read_model(simdjson::dom::object obj, std::string_view& model, body_error& err) noexcept {
    simdjson::dom::element v;
    if (obj["model"].get(v) == simdjson::SUCCESS && !v.is_null() && v.get(model) != simdjson::SUCCESS) {
        err = {"Invalid type for 'model': expected a string.", "model"};
        return false;
    }
    return true;
}

}  // namespace

bool read_tokenize_request(json_body_parser& p, const char* body, size_t len, generation_request& chat,
                           tokenize_request& out, body_error& err) noexcept {
    out = tokenize_request{};
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    simdjson::dom::element v;
    if (obj["return_token_strs"].get(v) == simdjson::SUCCESS && !v.is_null() &&
        v.get(out.token_strs) != simdjson::SUCCESS) {
        err = {"Invalid type for 'return_token_strs': expected a boolean.", "return_token_strs"};
        return false;
    }
    if (obj["prompt"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(out.prompt) != simdjson::SUCCESS) {
            err = {"Invalid type for 'prompt': expected a string.", "prompt"};
            return false;
        }
        out.prompt_bytes = out.prompt.size();
        return read_model(obj, out.model, err);
    }
    if (obj["messages"].get(v) != simdjson::SUCCESS) {
        err = {"Missing required parameter: 'prompt' (a string) or 'messages' (a chat's messages).", "prompt"};
        return false;
    }
    // The chat route's own reader, on the body again (its one pass stays as the chat route
    // runs it; /tokenize pays the second parse): the same refusals, the same prompt_bytes.
    if (!read_chat_request(p, body, len, chat, err)) {
        return false;
    }
    out.chat = &chat;
    out.model = chat.model;
    out.prompt_bytes = chat.prompt_bytes;
    return true;
}

bool render_tokenize(out_buf& o, const tokenize_request& rq, uint64_t max_model_len) noexcept {
    const size_t start = o.len;
    o.append("{\"count\":");
    o.append_decimal(estimate_prompt_tokens(rq.prompt_bytes));
    o.append(",\"max_model_len\":");
    o.append_decimal(int64_t(max_model_len));
    o.append(",\"tokens\":[");
    bool first = true;
    const uint64_t bytes = cut(rq, [&](std::string_view chunk) {
        if (!first) {
            o.append(',');
        }
        first = false;
        o.append_decimal(int64_t(prompt_token_id(chunk)));
    });
    if (bytes != rq.prompt_bytes) {
        o.len = start;
        return false;
    }
    o.append("],\"token_strs\":");
    if (!rq.token_strs) {
        o.append("null}");
        return true;
    }
    // Each token's own text (a character cut between two tokens is U+FFFD in both).
    o.append('[');
    first = true;
    (void)cut(rq, [&](std::string_view chunk) {
        o.append(first ? "\"" : ",\"");
        first = false;
        json_utf8_writer w(o);
        w.feed(chunk);
        w.finish();
        o.append('"');
    });
    o.append("]}");
    return true;
}

bool read_detokenize_request(json_body_parser& p, const char* body, size_t len, detokenize_request& out,
                             body_error& err) noexcept {
    out.model = {};
    out.tokens = {};
    out.why[0] = '\0';
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    simdjson::dom::element v;
    if (obj["tokens"].get(v) != simdjson::SUCCESS) {
        err = {"Missing required parameter: 'tokens'.", "tokens"};
        return false;
    }
    if (v.get(out.tokens) != simdjson::SUCCESS) {
        err = {"Invalid type for 'tokens': expected an array of token ids.", "tokens"};
        return false;
    }
    // Every id is checked before any byte is rendered: a refusal is never half an answer.
    uint64_t i = 0;
    char bytes[PROMPT_TOKEN_BYTES];
    for (simdjson::dom::element t : out.tokens) {
        uint64_t id;
        const bool integer = t.get(id) == simdjson::SUCCESS;
        if (!integer || prompt_token_bytes(id, bytes) < 0) {
            out_buf w(out.why, sizeof out.why - 1);
            if (integer) {
                w.format("Invalid 'tokens'[{}]: {} is not a token id (out of vocabulary: an id holds 0 to 4 bytes "
                         "of text, as /tokenize gives them).", i, id);
            } else {
                w.format("Invalid 'tokens'[{}]: not a token id (expected a non-negative integer).", i);
            }
            out.why[w.len] = '\0';
            err = {out.why, "tokens"};
            return false;
        }
        ++i;
    }
    return read_model(obj, out.model, err);
}

void render_detokenize(out_buf& o, const detokenize_request& rq) noexcept {
    o.append("{\"prompt\":\"");
    json_utf8_writer w(o);
    char bytes[PROMPT_TOKEN_BYTES];
    for (simdjson::dom::element t : rq.tokens) {
        uint64_t id;
        // Checked by the reader: every element is an id.
        if (t.get(id) == simdjson::SUCCESS) {
            const int n = prompt_token_bytes(id, bytes);
            if (n > 0) {
                w.feed(std::string_view(bytes, size_t(n)));
            }
        }
    }
    w.finish();
    o.append("\"}");
}

}  // namespace lms
