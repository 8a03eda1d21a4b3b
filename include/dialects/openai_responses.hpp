#pragma once
// openai_responses: OpenAI's Responses API (POST /v1/responses, also under /compatible-mode/v1):
// the reader of its request (input items, flat function tools, text.format, reasoning) and the
// renderer of the response object and of its named SSE events (response.created ...
// response.completed), numbered by sequence_number from 0, with no [DONE].
//
// Level 0. No allocation, no clock, no socket: renders into a caller's out_buf; the reader's
// views point into the body and the worker's parser (valid until the parser's next call). A
// stream's sequence numbers live in the cursor (answer_meta::events). Any thread.
//
// The response object repeats the request's fields (instructions, max_output_tokens, tools,
// tool_choice, parallel_tool_calls, reasoning, text, temperature, top_p, store,
// previous_response_id, metadata): render_response_echo writes them at admission into the
// answer's script (answer_meta::echo); a request that sets none gets RESPONSE_DEFAULT_ECHO.
//
// Known limits: the mock keeps no state (previous_response_id and store are accepted, echoed,
// and ignored); tools whose schemas do not fit the script buffer are echoed by name only. The
// in-stream error is a bare `error` event without a sequence_number (the table's stream_error
// is given no meta).
#include <cstddef>
#include <string_view>

#include "answer/generation_request.hpp"
#include "answer/json_body.hpp"
#include "dialects/dialect.hpp"

namespace lms {

extern const dialect OPENAI_RESPONSES;

// /v1/responses: true and out filled when body[0, len) is an object with an "input" (a string
// or a non-empty array of items: messages, function_call, function_call_output, reasoning,
// item_reference) and well-typed optional fields (model, instructions, stream,
// max_output_tokens >= 16, tools (function tools only), tool_choice, parallel_tool_calls,
// reasoning, text.format, temperature, top_p, metadata, previous_response_id, store); false
// and err naming the field otherwise.
[[nodiscard]] bool read_responses_request(json_body_parser& p, const char* body, size_t len,
                                          generation_request& out, body_error& err) noexcept;

// The events, in wire order (each `event: NAME\ndata: {...}\n\n`, advancing *m.events):
// response.created and response.in_progress (the skeleton, no output, usage null);
// per block response.output_item.added (+ content_part.added for a message,
// reasoning_summary_part.added for reasoning), its deltas, its *.done events and
// response.output_item.done; then response.completed (response.incomplete when the answer was
// cut by max_output_tokens) with the whole response.
void render_response_created(out_buf& o, const answer_meta& m, const block_ref& first) noexcept;
void render_response_output_item_added(out_buf& o, const answer_meta& m, const block_ref& b) noexcept;
void render_response_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept;
void render_response_output_item_done(out_buf& o, const answer_meta& m, const block_ref& b,
                                      const answer_body& body) noexcept;
void render_response_completed(out_buf& o, const answer_meta& m, const stream_end& e) noexcept;
// A bare error event: {"type":"error","code":"server_error","message":..,"param":null}.
void render_response_error_event(out_buf& o, std::string_view message) noexcept;

// The echo of a request that sets none of the repeated fields.
inline constexpr std::string_view RESPONSE_DEFAULT_ECHO =
    "\"instructions\":null,\"max_output_tokens\":null,\"parallel_tool_calls\":true,\"previous_response_id\":null,"
    "\"reasoning\":{\"effort\":null,\"summary\":null},\"store\":true,\"temperature\":1.0,"
    "\"text\":{\"format\":{\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,"
    "\"truncation\":\"disabled\",\"user\":null,\"metadata\":{}";

// The repeated fields of rq (whose body must still be parsed) as a fragment of the response
// object: "instructions":..,... "metadata":{..} (no braces); brief: the tools by name only.
// o.truncated when it does not fit (or nests too deep to copy).
void render_response_echo(out_buf& o, const generation_request& rq, bool brief) noexcept;

// The whole response object.
void render_response(out_buf& o, const answer_meta& m, const answer_body& b) noexcept;

}  // namespace lms
