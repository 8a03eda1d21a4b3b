#pragma once
// anthropic_messages: Anthropic's Messages API (POST /v1/messages, POST /v1/messages/count_tokens)
// as a dialect: its reader (the body into the neutral generation_request, or Anthropic's 400),
// the message body, the named-event stream (message_start, content_block_start / _delta /
// _stop per block, ping, message_delta, message_stop), and its error envelope and event.
//
// Level 0. No allocation, no clock, no settings: renders into a caller's out_buf; the reader's
// views point into the body and the parser's document (valid until the parser's next call).
// Any thread.
#include <cstddef>
#include <string_view>

#include "dialects/dialect.hpp"

namespace lms {

// /v1/messages: ids "msg_", tool-use ids "toolu_", the request-id header, 529 when full.
extern const dialect ANTHROPIC_MESSAGES;
// /v1/messages/count_tokens: ANTHROPIC_MESSAGES with a reader that does not ask for max_tokens
// (the count's body is the message's without it).
extern const dialect ANTHROPIC_COUNT_TOKENS;

// The thinking blocks' signature (the mock signs nothing: a fixed opaque value).
inline constexpr std::string_view ANTHROPIC_SIGNATURE = "EqQBCkYIBRgCIkBtb2NrLXNpZ25hdHVyZQ==";

// /v1/messages: true and out filled when body[0, len) is an object with model, max_tokens (a
// positive integer) and a non-empty messages array, and well-typed optional fields (system,
// stop_sequences (at most 4), stream, tools, tool_choice, thinking, metadata, temperature,
// top_p, top_k); false and err (Anthropic's words, naming the field) otherwise.
[[nodiscard]] bool read_anthropic_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                                          body_error& err) noexcept;
// /v1/messages/count_tokens: the same, max_tokens optional.
[[nodiscard]] bool read_anthropic_count_request(json_body_parser& p, const char* body, size_t len,
                                                generation_request& out, body_error& err) noexcept;

// The events, each "event: NAME\ndata: {...}\n\n". A block's index: the thinking block 0 when
// m.thinking, then the text block or tool_use block i after it.
void render_message_start(out_buf& o, const answer_meta& m, const block_ref& first) noexcept;
void render_content_block_start(out_buf& o, const answer_meta& m, const block_ref& b) noexcept;  // + ping at index 0
void render_content_block_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept;
void render_content_block_stop(out_buf& o, const answer_meta& m, const block_ref& b, const answer_body& body) noexcept;
// message_delta (stop_reason, stop_sequence, usage.output_tokens always) and message_stop.
void render_message_stop(out_buf& o, const answer_meta& m, const stream_end& e) noexcept;
// A whole "message" object.
void render_message(out_buf& o, const answer_meta& m, const answer_body& b) noexcept;

// {"type":"error","error":{"type":T,"message":M},"request_id":R}; T by status (400
// invalid_request_error ... 529 overloaded_error; other 4xx invalid_request_error, 5xx api_error).
void render_anthropic_error(out_buf& o, int status, std::string_view message, std::string_view param,
                            std::string_view code, std::string_view type, std::string_view request_id) noexcept;
[[nodiscard]] std::string_view anthropic_error_type(int status) noexcept;
// event: error (overloaded_error for "Overloaded", else api_error).
void render_anthropic_stream_error(out_buf& o, std::string_view message) noexcept;

}  // namespace lms
