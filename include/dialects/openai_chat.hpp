#pragma once
// openai_chat: OpenAI chat completions (POST /v1/chat/completions) and DashScope's compatible
// mode (/compatible-mode/v1/chat/completions): the chat.completion body, the
// chat.completion.chunk stream (text, reasoning and tool-call deltas, per choice), and the
// original service's fixed body.
//
// Level 0. No allocation, no clock: renders into a caller's out_buf. Any thread.
#include <cstdint>
#include <string_view>

#include "dialects/dialect.hpp"

namespace lms {

extern const dialect OPENAI_CHAT;
extern const dialect DASHSCOPE_CHAT;

// The stream's events, in order, per choice: the role chunk (delta role assistant; content ""
// or, for reasoning and OpenAI's tool calls, null), each tool call's first chunk (index, id,
// type, name, arguments ""), one delta chunk per token (content, reasoning_content or an
// arguments fragment), the finish chunk; then the usage chunk (include_usage) and [DONE].
void render_chat_role_chunk(out_buf& o, const answer_meta& m, const block_ref& first) noexcept;
void render_chat_call_start(out_buf& o, const answer_meta& m, const block_ref& b) noexcept;
void render_chat_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept;
void render_chat_content_chunk(out_buf& o, const answer_meta& m, std::string_view text) noexcept;  // choice 0 text
void render_chat_finish_chunk(out_buf& o, const answer_meta& m, uint32_t choice, std::string_view finish_reason) noexcept;
void render_chat_usage_chunk(out_buf& o, const answer_meta& m, usage_counts u) noexcept;
void render_done_event(out_buf& o) noexcept;  // "data: [DONE]\n\n" (chat and text completions)

// A whole chat.completion.
void render_chat_completion(out_buf& o, const answer_meta& m, const answer_body& b) noexcept;

// The answer's text, as the original service gave it.
inline constexpr std::string_view CHAT_CONTENT =
    "\xe6\x88\x91\xe6\x98\xaf\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe5\xbc\x80\xe5\x8f\x91\xe7\x9a\x84\xe4\xb8\x80"
    "\xe6\xac\xbe\xe8\xb6\x85\xe5\xa4\xa7\xe8\xa7\x84\xe6\xa8\xa1\xe8\xaf\xad\xe8\xa8\x80\xe6\xa8\xa1\xe5\x9e\x8b"
    "\xef\xbc\x8c\xe6\x88\x91\xe5\x8f\xab\xe9\x80\x9a\xe4\xb9\x89\xe5\x8d\x83\xe9\x97\xae\xe3\x80\x82";

// The original service's usage and completion tokens (its fixed body says so).
inline constexpr uint32_t ORIGINAL_PROMPT_TOKENS = 3019;
inline constexpr uint32_t ORIGINAL_COMPLETION_TOKENS = 104;

// What varies between two original answers.
struct chat_reply {
    std::string_view id;     // "chatcmpl-..." (already unique)
    int64_t created;         // unix seconds
    std::string_view model;  // unescaped; escaped here
};

// The non-streamed chat.completion body of the original service, with id, created and model.
// It ends with the id and ORIGINAL_BODY_TAIL.
void render_chat_body(out_buf& o, const chat_reply& r) noexcept;
inline constexpr std::string_view ORIGINAL_BODY_TAIL = "\"}";

// Writes "chatcmpl-" + 32 lowercase hex digits of (hi, lo) into out (41 bytes); returns the view.
std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept;

}  // namespace lms
