#pragma once
// schema_object: an object value for a view — its names planned first (required names,
// optional names that every member allows, minProperties/maxProperties), then each emitted
// once: declared properties in member order, then required names no member declares, then
// "extra_N" keys when minProperties needs more and extra keys are allowed.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions; writes into the ctx's out_buf, draws from its rng.
// Any thread may call these with its own ctx. Cost: names are matched against required, the
// other members' properties and additionalProperties in chunks of 64 (a bit per name, the
// search starting after the last match, so lists in the same order cost O(1) a name); O(N*M)
// only when the orders differ. Stack: the 1 KiB name chunks live only in helpers that return
// before a child is generated; gen_object and emit_property stay live per object level.
#include "answer/schema_value.hpp"

namespace lms::schema_detail {

// One member's object keywords.
struct obj_kw {
    object props;
    array req;
    element addl;  // additionalProperties
    bool has_props = false, has_req = false, has_addl = false;
};

// What the view says of a chunk of member i's property names: a bit per name.
struct name_masks {
    uint64_t first = 0;  // declared by no earlier member (each name is emitted once, for its first)
    uint64_t req = 0;    // in some member's required
    uint64_t ok = 0;     // allowed by every member: not false in its properties, and not outside
                         // the properties of one with additionalProperties false
};

// An object's names, counted before any is emitted (every field set by plan_object).
struct obj_plan {
    obj_kw m0;
    size_t min_p, max_p;
    size_t reqs;   // required names
    size_t opts;   // optional names that are allowed
    bool nowhere;  // some required name may be declared by no member: look for them
    bool one;      // one chunk of names in all (masks): not computed twice
    name_masks masks;
};

// Counts the object's names for view v (k0: member 0's keys) into p, every field set.
[[gnu::noinline]] void plan_object(const view& v, const keys& k0, obj_plan& p) noexcept;
// The object planned in p, appended to c.o; its values generated at depth + 1. ok, or the
// first child's failure (c.o then holds a partial value).
[[gnu::noinline]] schema_status gen_object(ctx& c, const view& v, const obj_plan& p, int depth) noexcept;

}  // namespace lms::schema_detail
