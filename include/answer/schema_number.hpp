#pragma once
// schema_number: a number or integer value for a view — inside every member's minimum/maximum
// and exclusive bounds (draft-06+ numbers and the draft-04 booleans), a multiple of the first
// multipleOf; 1..100 when open, or 100 wide beside the one bound given.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions; writes into the ctx's out_buf, draws from its rng.
// Any thread may call it with its own ctx. Bounds beyond ±2^53 are clamped.
#include "answer/schema_value.hpp"

namespace lms::schema_detail {

// A JSON number valid for the view's numeric keywords (an integer when integer), appended to
// c.o; k0 is member 0's keys. Always ok: an empty range gets a best-effort value.
[[gnu::noinline]] schema_status gen_number(ctx& c, const view& v, const keys& k0, bool integer, int depth) noexcept;

}  // namespace lms::schema_detail
