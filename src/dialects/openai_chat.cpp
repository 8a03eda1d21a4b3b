// openai_chat: the chunk shapes follow the OpenAI API reference for chat.completion.chunk (id,
// created and model repeated in every chunk; usage only in the last one when
// stream_options.include_usage asks for it, and "usage":null in the others).
#include "dialects/openai_chat.hpp"

#include <cstring>

#include "answer/json_text.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_reader.hpp"

namespace lms {

namespace {

void open_chunk(out_buf& o, const answer_meta& m) noexcept {
    append_chunk_open(o, m, "\",\"object\":\"chat.completion.chunk\",\"created\":", "\",\"system_fingerprint\":null,\"choices\":[");
}

void stream_close(out_buf& o, const answer_meta& m, std::string_view finish_reason, const usage_counts* u) noexcept {
    render_chat_finish_chunk(o, m, finish_reason);
    if (u != nullptr) {
        render_chat_usage_chunk(o, m, *u);
    }
    render_done_event(o);
}

}  // namespace

const dialect OPENAI_CHAT = {
    "chatcmpl-", true, read_chat_request, render_chat_completion, render_chat_role_chunk, nullptr,
    render_chat_content_chunk, nullptr, stream_close, render_openai_error, render_openai_stream_error,
};

void render_chat_role_chunk(out_buf& o, const answer_meta& m) noexcept {
    open_chunk(o, m);
    o.append(R"({"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null})");
    append_chunk_close(o, m);
}

void render_chat_content_chunk(out_buf& o, const answer_meta& m, std::string_view text) noexcept {
    open_chunk(o, m);
    o.append(R"({"index":0,"delta":{"content":")");
    json_escape(o, text);
    o.append(R"("},"logprobs":null,"finish_reason":null})");
    append_chunk_close(o, m);
}

void render_chat_finish_chunk(out_buf& o, const answer_meta& m, std::string_view finish_reason) noexcept {
    open_chunk(o, m);
    o.append(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append("\"}");
    append_chunk_close(o, m);
}

void render_chat_usage_chunk(out_buf& o, const answer_meta& m, usage_counts u) noexcept {
    open_chunk(o, m);
    o.append("],\"usage\":");
    append_usage_counts(o, u);
    o.append("}}\n\n");
}

void render_done_event(out_buf& o) noexcept { o.append("data: [DONE]\n\n"); }

void render_chat_completion(out_buf& o, const answer_meta& m, std::string_view text, uint32_t tokens,
                            std::string_view finish_reason, usage_counts u) noexcept {
    o.append(R"({"choices":[{"message":{"role":"assistant","content":")");
    append_cycled_text(o, text, tokens);
    o.append(R"("},"finish_reason":")");
    o.append(finish_reason);
    o.append(R"(","index":0,"logprobs":null}],"object":"chat.completion","usage":)");
    append_usage_counts(o, u);
    o.append(R"(,"prompt_tokens_details":{"cached_tokens":0}},"created":)");
    o.append_decimal(m.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, m.model);
    o.append(R"(","id":")");
    o.append(m.id);
    o.append("\"}");
}

void render_chat_body(out_buf& o, const chat_reply& r) noexcept {
    o.append(R"({"choices":[{"message":{"role":"assistant","content":")");
    o.append(CHAT_CONTENT);
    o.append(R"("},"finish_reason":"stop","index":0,"logprobs":null}],"object":"chat.completion",)"
             R"("usage":{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,)"
             R"("prompt_tokens_details":{"cached_tokens":2048}},"created":)");
    o.append_decimal(r.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, r.model);
    o.append(R"(","id":")");
    o.append(r.id);
    o.append(R"("})");
}

std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept {
    return format_answer_id(OPENAI_CHAT.id_prefix, hi, lo, out);  // 9 + 32 = 41 bytes
}

}  // namespace lms
