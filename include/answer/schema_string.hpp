#pragma once
// schema_string: a string value for a view — its pattern when the pattern can be generated and
// fits minLength/maxLength, else its format (date-time, email, uuid, ...), else plain words
// (a name or a city when the property's name says so) padded to minLength and cut at maxLength.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions; writes into the ctx's out_buf, draws from its rng.
// Any thread may call it with its own ctx. Strings are ASCII, so bytes == code points.
#include "answer/schema_value.hpp"

namespace lms::schema_detail {

// The plain words strings are made of (also the value of a schema that allows anything).
inline constexpr string_view WORDS[] = {"example", "text", "sample", "report", "blue", "update", "meeting", "project",
                                        "quick", "summary", "value", "green", "notes", "draft", "alpha", "data"};

// A random entry of list (a static table: the view lives forever).
template <size_t N>
inline string_view pick(ctx& c, const string_view (&list)[N]) noexcept {
    return list[c.below(N)];
}

// A JSON string valid for every member's minLength, maxLength, pattern and format (the first
// member's pattern and format that has one), appended to c.o; k0 is member 0's keys. hint is
// the property name. Always ok (a pattern or format that does not fit falls back to words).
[[gnu::noinline]] schema_status gen_string(ctx& c, const view& v, const keys& k0, int depth, string_view hint) noexcept;

}  // namespace lms::schema_detail
