// answer: the streamed chunk shapes follow the OpenAI API reference for
// chat.completion.chunk and text_completion streams (id, created and model repeated in every
// chunk; usage only in the last one when stream_options.include_usage asks for it).
#include "answer/answer.hpp"

#include <cmath>
#include <cstring>

namespace lms {

namespace {

inline bool is_word(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void open_chunk(out_buf& o, const answer_meta& m) noexcept {
    o.append("data: {\"id\":\"");
    o.append(m.id);
    o.append(m.api == answer_api::chat ? "\",\"object\":\"chat.completion.chunk\",\"created\":"
                                       : "\",\"object\":\"text_completion\",\"created\":");
    o.format("{}", m.created);
    o.append(",\"model\":\"");
    json_escape(o, m.model);
    o.append(m.api == answer_api::chat ? "\",\"system_fingerprint\":null,\"choices\":[" : "\",\"choices\":[");
}

void close_chunk(out_buf& o, const answer_meta& m) noexcept {
    o.append(m.usage_null ? "],\"usage\":null}\n\n" : "]}\n\n");
}

void append_usage(out_buf& o, usage_counts u) noexcept {
    o.format("{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{}", u.prompt, u.completion,
             uint64_t(u.prompt) + u.completion);
}

uint64_t mix(uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

size_t token_length(std::string_view text, size_t off) noexcept {
    size_t n = text.size();
    if (off >= n) {
        return 0;
    }
    auto c = static_cast<unsigned char>(text[off]);
    if (c >= 0x80) {
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return off + len <= n ? len : n - off;
    }
    size_t i = off;
    while (i < n && text[i] == ' ' && i - off < 8) {
        ++i;
    }
    if (i < n && is_word(static_cast<unsigned char>(text[i]))) {
        while (i < n && is_word(static_cast<unsigned char>(text[i])) && i - off < 8) {
            ++i;
        }
        return i - off;
    }
    if (i > off) {
        return i - off;  // spaces before a non-word byte form their own token
    }
    return 1;
}

uint32_t count_tokens(std::string_view text) noexcept {
    uint32_t t = 0;
    for (size_t off = 0; off < text.size(); off += token_length(text, off)) {
        ++t;
    }
    return t;
}

std::string_view format_answer_id(answer_api api, uint64_t hi, uint64_t lo, char out[41]) noexcept {
    std::string_view full = format_completion_id(hi, lo, out);  // "chatcmpl-" + 32 hex
    if (api == answer_api::chat) {
        return full;
    }
    std::memmove(out + 5, out + 9, 32);
    std::memcpy(out, "cmpl-", 5);
    return {out, 37};
}

void render_role_event(out_buf& o, const answer_meta& m) noexcept {
    open_chunk(o, m);
    o.append(R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null})");
    close_chunk(o, m);
}

void render_token_event(out_buf& o, const answer_meta& m, std::string_view text) noexcept {
    open_chunk(o, m);
    o.append(m.api == answer_api::chat ? R"({"index":0,"delta":{"content":")" : R"({"text":")");
    json_escape(o, text);
    o.append(m.api == answer_api::chat ? R"("},"logprobs":null,"finish_reason":null})"
                                       : R"(","index":0,"logprobs":null,"finish_reason":null})");
    close_chunk(o, m);
}

void render_finish_event(out_buf& o, const answer_meta& m, std::string_view finish_reason) noexcept {
    open_chunk(o, m);
    o.append(m.api == answer_api::chat ? R"({"index":0,"delta":{},"logprobs":null,"finish_reason":")"
                                       : R"({"text":"","index":0,"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append("\"}");
    close_chunk(o, m);
}

void render_usage_event(out_buf& o, const answer_meta& m, usage_counts u) noexcept {
    open_chunk(o, m);
    o.append("],\"usage\":");
    append_usage(o, u);
    o.append("}}\n\n");
}

void render_error_event(out_buf& o, std::string_view message, std::string_view type, std::string_view code) noexcept {
    o.append("data: ");
    render_error_body(o, message, type, "", code);
    o.append("\n\n");
}

void render_done_event(out_buf& o) noexcept { o.append("data: [DONE]\n\n"); }

void render_full_body(out_buf& o, const answer_meta& m, std::string_view text, uint32_t tokens,
                      std::string_view finish_reason, usage_counts u) noexcept {
    o.append(m.api == answer_api::chat ? R"({"choices":[{"message":{"role":"assistant","content":")"
                                       : R"({"choices":[{"text":")");
    size_t off = 0;
    for (uint32_t t = 0; t < tokens && !text.empty() && !o.truncated; ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        size_t len = token_length(text, off);
        json_escape(o, text.substr(off, len));
        off += len;
    }
    o.append(m.api == answer_api::chat ? R"("},"finish_reason":")" : R"(","index":0,"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append(m.api == answer_api::chat ? R"(","index":0,"logprobs":null}],"object":"chat.completion","usage":)"
                                       : R"("}],"object":"text_completion","usage":)");
    append_usage(o, u);
    o.append(m.api == answer_api::chat ? R"(,"prompt_tokens_details":{"cached_tokens":0}},"created":)" : "},\"created\":");
    o.format("{}", m.created);
    o.append(m.api == answer_api::chat ? R"(,"system_fingerprint":null,"model":")" : R"(,"model":")");
    json_escape(o, m.model);
    o.append(R"(","id":")");
    o.append(m.id);
    o.append("\"}");
}

void render_models(out_buf& o, std::string_view models_csv, int64_t created) noexcept {
    o.append(R"({"object":"list","data":[)");
    bool first = true;
    while (!models_csv.empty()) {
        size_t comma = models_csv.find(',');
        std::string_view name = models_csv.substr(0, comma);
        o.append(first ? "" : ",");
        first = false;
        o.append(R"({"id":")");
        json_escape(o, name);
        o.format(R"(","object":"model","created":{},"owned_by":"llm-mock-server"}})", created);
        models_csv = comma == std::string_view::npos ? std::string_view() : models_csv.substr(comma + 1);
    }
    o.append("]}");
}

void render_embeddings(out_buf& o, const embedding_request& r, uint32_t dimensions, std::string_view model,
                       uint32_t prompt_tokens) noexcept {
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    o.append(R"({"object":"list","data":[)");
    for (uint32_t i = 0; i < r.count && !o.truncated; ++i) {
        // Two passes over the same pseudo-random sequence: the norm, then the values.
        uint64_t seed = mix(r.input_hash[i]);
        double norm = 0;
        for (uint32_t d = 0; d < dimensions; ++d) {
            double v = double(mix(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
            norm += v * v;
        }
        norm = norm > 0 ? 1.0 / std::sqrt(norm) : 0;
        o.format(R"({}{{"object":"embedding","index":{},"embedding":)", i ? "," : "", i);
        if (r.base64) {
            o.append('"');
            unsigned char chunk[3];
            unsigned have = 0;
            auto flush3 = [&](unsigned n) {
                char q[4] = {B64[chunk[0] >> 2], B64[((chunk[0] & 3) << 4) | (n > 1 ? chunk[1] >> 4 : 0)],
                             n > 1 ? B64[((chunk[1] & 15) << 2) | (n > 2 ? chunk[2] >> 6 : 0)] : '=',
                             n > 2 ? B64[chunk[2] & 63] : '='};
                o.append(std::string_view(q, 4));
            };
            for (uint32_t d = 0; d < dimensions; ++d) {
                float f = float((double(mix(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0) * norm);
                unsigned char b[4];
                std::memcpy(b, &f, 4);  // little-endian float32, as numpy.frombuffer reads it
                for (unsigned char byte : b) {
                    chunk[have++] = byte;
                    if (have == 3) {
                        flush3(3);
                        have = 0;
                    }
                }
            }
            if (have != 0) {
                for (unsigned k = have; k < 3; ++k) {
                    chunk[k] = 0;
                }
                flush3(have);
            }
            o.append('"');
        } else {
            o.append('[');
            for (uint32_t d = 0; d < dimensions; ++d) {
                double v = (double(mix(seed + d) >> 11) * (2.0 / 9007199254740992.0) - 1.0) * norm;
                if (d != 0) {
                    o.append(',');
                }
                o.format("{:.6f}", v);
            }
            o.append(']');
        }
        o.append('}');
    }
    o.append(R"(],"model":")");
    json_escape(o, model);
    o.format(R"(","usage":{{"prompt_tokens":{},"total_tokens":{}}}}})", prompt_tokens, prompt_tokens);
}

}  // namespace lms
