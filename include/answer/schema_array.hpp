#pragma once
// schema_array: an array value for a view — its length planned first (minItems/maxItems, the
// longest tuple, a closed tuple's cap), then each item generated for the view of its position:
// every member's tuple schema there (prefixItems, or draft-04 items as an array), else its
// schema for the rest (items, or additionalItems after a draft-04 tuple).
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions; writes into the ctx's out_buf, draws from its rng.
// Any thread may call these with its own ctx. uniqueItems compares items as bytes over the
// first SCHEMA_MAX_UNIQUE items, 31 redraws per item, then the array stops if minItems allows.
// Stack: gen_array (with its SCHEMA_MAX_UNIQUE item offsets) stays live per array level.
#include "answer/schema_value.hpp"

namespace lms::schema_detail {

// One member's array keywords.
struct arr_kw {
    array tuple;   // prefixItems, or items as an array (draft-04)
    element rest;  // the schema past the tuple: items, or additionalItems after a draft-04 tuple
    bool has_tuple = false, has_rest = false;
};
// An array's length bounds and longest tuple, planned before any item is generated.
struct arr_plan {  // every field set by plan_array
    arr_kw a0;  // member 0's
    size_t min_i, max_i, tuple;
    bool unique;
};

// Plans the array for view v (k0: member 0's keys) into p, every field set.
[[gnu::noinline]] void plan_array(const view& v, const keys& k0, arr_plan& p) noexcept;
// The array planned in p, appended to c.o; its items generated at depth + 1 (hint: the
// array's property name). ok, or the first item's failure (c.o then holds a partial value).
[[gnu::noinline]] schema_status gen_array(ctx& c, const view& v, const arr_plan& p, int depth, string_view hint) noexcept;

}  // namespace lms::schema_detail
