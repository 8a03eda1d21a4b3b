#pragma once
// openai_error: the OpenAI error envelope, whole and as an in-stream event; the error type
// and code the OpenAI SDKs map each HTTP status to.
//
// Level 0. No allocation; renders into a caller's out_buf. Any thread.
#include <string_view>

#include "engine/http_response.hpp"

namespace lms {

// {"error":{"message":..,"type":..,"param":..,"code":..}}; param and code may be empty
// (rendered as null).
void render_error_body(out_buf& o, std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) noexcept;

// The error type and code an OpenAI client expects for an HTTP status (400..599).
struct error_kind {
    std::string_view type;
    std::string_view code;
};
[[nodiscard]] error_kind error_kind_for(int status) noexcept;

// The envelope for status with message and param, typed by error_kind_for.
void render_openai_error(out_buf& o, int status, std::string_view message, std::string_view param) noexcept;

// The envelope with an explicit code (empty: error_kind_for's) — invalid_api_key,
// model_not_found, context_length_exceeded.
void render_openai_error_code(out_buf& o, int status, std::string_view message, std::string_view param,
                              std::string_view code) noexcept;

// The OpenAI envelope in the dialect table's shape (OpenAI's body has no request id); type
// empty: the status's (a rate limit's 429 says "requests" or "tokens").
void render_openai_envelope(out_buf& o, int status, std::string_view message, std::string_view param,
                            std::string_view code, std::string_view type, std::string_view request_id) noexcept;

// DashScope's compatible-mode envelope (dashscope.md §0 item 12, §6.3), in its key order:
// {"error":{"code":..,"param":..,"message":..,"type":..},"request_id":".."}; code empty: the
// one DashScope sends for the status (400 invalid_parameter_error, 401 invalid_api_key, 404
// model_not_found, 429 limit_requests, 500 internal_server_error); type empty: the status's
// (for a 429, its code: limit_requests or insufficient_quota).
void render_dashscope_error(out_buf& o, int status, std::string_view message, std::string_view param,
                            std::string_view code, std::string_view type, std::string_view request_id) noexcept;

// An error inside a stream: "data: {envelope}\n\n".
void render_error_event(out_buf& o, std::string_view message, std::string_view type, std::string_view code) noexcept;

// The in-stream error of an answer that fails mid-way (a server_error event).
void render_openai_stream_error(out_buf& o, std::string_view message) noexcept;

}  // namespace lms
