#pragma once
// schema_pattern: a string that matches a "pattern" of the simple subset — literals, escapes
// (\d \w \s \n \t, escaped punctuation), '.', classes [a-z0-9_] with the quantifiers ? * +
// {n} {n,} {n,m} (lazy too), and the ^ $ anchors. Groups, alternation, negated classes and
// the other escapes are refused.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions; writes into the ctx's out_buf, draws from its rng.
// Any thread may call it with its own ctx. Cost: O(pattern length) plus at most 3 repeats
// past each atom's minimum.
#include "answer/schema_value.hpp"

namespace lms::schema_detail {

// Appends the inside of a JSON string (no quotes; JSON-escaped) that matches pattern p,
// minimal repeats when c.small(depth). False for a pattern outside the subset: c.o then
// holds junk the caller discards (by restoring its len).
bool gen_pattern(ctx& c, string_view p, int depth) noexcept;

}  // namespace lms::schema_detail
