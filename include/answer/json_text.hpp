#pragma once
// json_text: the JSON string pieces every renderer writes.
//
// Level 0. No allocation; appends into a caller's out_buf (truncation reported there).
#include <string_view>

#include "engine/http_response.hpp"

namespace lms {

// Appends s as the inside of a JSON string (quotes not included): escapes ", \ and control
// bytes; passes UTF-8 through.
void json_escape(out_buf& o, std::string_view s) noexcept;

// A JSON string of s, or null when s is empty.
void json_nullable(out_buf& o, std::string_view s) noexcept;

}  // namespace lms
