#pragma once
// answer: the bytes of generated answers — tokens, streamed Server-Sent Events (chat and text
// completions, the way the OpenAI API sends them), whole bodies with computed usage, the
// models list and deterministic embeddings.
//
// Level 0. No syscalls, no clock, no allocation: everything renders into a caller's out_buf
// (truncation is reported by out_buf::truncated, never an overflow). Any thread.
#include <cstdint>
#include <string_view>

#include "answer/chat_body.hpp"
#include "engine/response.hpp"

namespace lms {

// Tokens are cut from a text the way a BPE tokenizer roughly does: a run of ASCII letters or
// digits with its leading spaces (at most 8 bytes), a single other ASCII byte, or one UTF-8
// character. The length in bytes of the token starting at off (0 when off >= text.size()).
[[nodiscard]] size_t token_length(std::string_view text, size_t off) noexcept;
// The number of tokens in text.
[[nodiscard]] uint32_t count_tokens(std::string_view text) noexcept;
// Prompt tokens estimated from text bytes: about 4 bytes a token (OpenAI's rule of thumb),
// at least 1.
[[nodiscard]] inline uint32_t estimate_prompt_tokens(uint64_t bytes) noexcept {
    uint64_t t = (bytes + 3) / 4;
    return t == 0 ? 1 : (t > 0xffffffffu ? 0xffffffffu : uint32_t(t));
}

enum class answer_api : uint8_t { chat, completion };

struct answer_meta {
    answer_api api;
    std::string_view id;     // "chatcmpl-..." / "cmpl-..."
    int64_t created;
    std::string_view model;  // unescaped
    bool usage_null;         // streamed with include_usage: every chunk carries "usage":null
};

struct usage_counts {
    uint32_t prompt;
    uint32_t completion;
};

// "chatcmpl-" or "cmpl-" + 32 hex digits of (hi, lo); out must hold 41 bytes.
std::string_view format_answer_id(answer_api api, uint64_t hi, uint64_t lo, char out[41]) noexcept;

// One SSE event each ("data: {...}\n\n").
void render_role_event(out_buf& o, const answer_meta& m) noexcept;  // chat: delta role assistant, content ""
void render_token_event(out_buf& o, const answer_meta& m, std::string_view text) noexcept;
void render_finish_event(out_buf& o, const answer_meta& m, std::string_view finish_reason) noexcept;
void render_usage_event(out_buf& o, const answer_meta& m, usage_counts u) noexcept;
void render_error_event(out_buf& o, std::string_view message, std::string_view type, std::string_view code) noexcept;
void render_done_event(out_buf& o) noexcept;  // "data: [DONE]\n\n"

// A whole (non-streamed) answer whose content is `tokens` tokens of text, cycling through it.
void render_full_body(out_buf& o, const answer_meta& m, std::string_view text, uint32_t tokens,
                      std::string_view finish_reason, usage_counts u) noexcept;

// GET /v1/models: every name in models_csv (comma-separated).
void render_models(out_buf& o, std::string_view models_csv, int64_t created) noexcept;

// POST /v1/embeddings: one unit-length vector of `dimensions` floats per input, drawn from the
// input's hash (the same input always gets the same vector); floats or base64 float32.
void render_embeddings(out_buf& o, const embedding_request& r, uint32_t dimensions, std::string_view model,
                       uint32_t prompt_tokens) noexcept;

}  // namespace lms
