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

// An error inside a stream: "data: {envelope}\n\n".
void render_error_event(out_buf& o, std::string_view message, std::string_view type, std::string_view code) noexcept;

// The in-stream error of an answer that fails mid-way (a server_error event).
void render_openai_stream_error(out_buf& o, std::string_view message) noexcept;

}  // namespace lms
