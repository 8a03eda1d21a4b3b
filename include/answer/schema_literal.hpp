#pragma once
// schema_literal: the JSON literals the schema generator writes — strings escaped, doubles in
// their shortest round-trip form, and schema elements (const and enum members) byte for byte.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions. Appends into the caller's out_buf; running out of
// room sets its truncated flag, never overflows. Any thread may call these.
#include "answer/schema_keywords.hpp"
#include "engine/http_response.hpp"

namespace lms::schema_detail {

// Appends s as a JSON string (quotes included): escapes ", \ and control bytes.
void write_string(out_buf& o, string_view s) noexcept;
// Appends d in its shortest round-trip form.
void write_double(out_buf& o, double d) noexcept;
// Appends e as compact JSON (an enum or const member, byte for byte the same value); false
// when e nests past SCHEMA_MAX_DEPTH counting from depth (o then holds a partial value).
bool write_element(out_buf& o, element e, int depth) noexcept;

}  // namespace lms::schema_detail
