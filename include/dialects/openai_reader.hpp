#pragma once
// openai_reader: the OpenAI family's request readers (chat completions, text completions,
// embeddings; DashScope's compatible mode takes the same bodies). Each reads its body once,
// through the worker's json_body_parser, into the neutral generation_request (or the
// embeddings request), or refuses it naming the field.
//
// Level 0. No syscalls, no allocation. The views in what they fill point into the body (or
// the parser's document) and stay valid until the parser's next call.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "answer/generation_request.hpp"
#include "answer/json_body.hpp"

namespace lms {

// An /v1/embeddings request: up to MAX_INPUTS inputs, each reduced to a 64-bit hash of its
// text (or token ids) that seeds its deterministic vector.
struct embedding_request {
    static constexpr unsigned MAX_INPUTS = 256;
    std::string_view model;
    uint64_t input_hash[MAX_INPUTS];
    uint32_t count = 0;
    uint32_t dimensions = 0;  // 0: the server's setting
    bool base64 = false;      // encoding_format "base64" (the OpenAI SDKs' default)
    uint64_t prompt_bytes = 0;
};

// /v1/chat/completions: true and out filled when body[0, len) is a JSON object with a
// non-empty "messages" array and well-typed optional fields (model, stream, stream_options,
// max_tokens / max_completion_tokens, n, stop, tools, tool_choice, enable_thinking,
// reasoning_effort, response_format); false and err set otherwise.
[[nodiscard]] bool read_chat_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                                     body_error& err) noexcept;

// The text read_chat_request counted into rq.prompt_bytes, in the order it counted it, one
// piece at a time: each message's first "content", the string or the "text" of each of its
// parts (a message that is not an object, or has no content, adds none). Calls f(ctx, piece)
// for each; returns the bytes passed (rq.prompt_bytes when read_chat_request accepted rq, whose
// document must still be live: until the parser's next call).
using text_piece_fn = void (*)(void* ctx, std::string_view piece) noexcept;
uint64_t chat_prompt_text(const generation_request& rq, text_piece_fn f, void* ctx) noexcept;

// /compatible-mode/v1/chat/completions: read_chat_request, then DashScope's own limits (n 1..4,
// n 1 with tools, "json" mentioned for json_object), each its literal 400.
[[nodiscard]] bool read_dashscope_chat_request(json_body_parser& p, const char* body, size_t len,
                                               generation_request& out, body_error& err) noexcept;

// /v1/completions: "prompt" (a string or an array of strings) instead of "messages";
// last_user is the (first) prompt. The chat-only fields are not read.
[[nodiscard]] bool read_completion_request(json_body_parser& p, const char* body, size_t len,
                                           generation_request& out, body_error& err) noexcept;

// /v1/embeddings: "input" (a string, an array of strings, an array of token ids, or an array
// of such arrays), optional "dimensions" and "encoding_format".
[[nodiscard]] bool read_embeddings_request(json_body_parser& p, const char* body, size_t len, embedding_request& out,
                                           body_error& err) noexcept;

}  // namespace lms
