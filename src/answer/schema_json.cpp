#include "answer/schema_json.hpp"

#include "answer/schema_check.hpp"
#include "answer/schema_literal.hpp"
#include "answer/schema_value.hpp"

// Design: a value is generated for a "view" — the set of schemas it must satisfy at once: the
// schema itself, what its $ref points to, every allOf branch, one chosen anyOf/oneOf branch.
// The view is expanded in place, breadth first (no recursion, and a $ref cycle just meets
// schemas already in the view), then every keyword is read across all its members: types
// intersect, bounds take the tightest, properties and required unite. Recursion happens only
// from a value into its children, one level of SCHEMA_MAX_DEPTH per level of the value.
//
// Cost: a schema object's keywords are read in one pass over its keys (keys: dispatch on the
// key's length, then one fixed-length compare), never by one lookup per keyword. A value
// reads each member of its view twice: once for what every value needs (value_core: $ref,
// allOf, anyOf/oneOf, const, enum, type), once for its type's keywords. An object's names are
// matched against required, the other members' properties and additionalProperties in chunks
// of 64 (name_chunk: a bit per name, the search starting after the last match, so lists in the
// same order cost O(1) a name); O(N*M) only when the orders differ.
//
// Stack: what stays live while a child is generated is small (gen, gen_object with its
// emit_property, or gen_array); the 488-byte keys and the 1 KiB name_chunk live only in
// [[gnu::noinline]] helpers that return before the recursion goes on.
//
// The modules: schema_keywords (the one-pass keyword reader, types, $ref), schema_check (the
// checker), schema_value (the view, the context, one value and its branch choice),
// schema_string with schema_pattern, schema_number, schema_object, schema_array (each type's
// keywords), schema_literal (strings, numbers and const/enum values written as JSON).

namespace lms {

using schema_detail::ctx;
using schema_detail::gen;
using schema_detail::view;

schema_status generate_json(simdjson::dom::element schema, out_buf& o, rng& r) noexcept {
    if (check_schema(schema)) { return schema_status::bad_schema; }
    if (o.truncated) { return schema_status::too_large; }
    size_t start = o.len;
    // First with the usual choices; when that does not fit, once more with minimal values.
    for (int pass = 0; pass < 2; pass++) {
        o.len = start;
        o.truncated = false;
        ctx c{schema, o, r, pass == 1, 0};
        view v;
        v.add(schema);
        schema_status st = gen(c, v, 0, {});
        if (st == schema_status::bad_schema) { return st; }
        if (st == schema_status::ok && !o.truncated) { return st; }
    }
    o.truncated = true;
    return schema_status::too_large;
}

// The readers checked every schema to SCHEMA_MAX_DEPTH; a tools array wraps its schemas in
// 4 more levels at most (the array, a tool, its "function", its "parameters").
bool write_json(out_buf& o, simdjson::dom::element e) noexcept { return schema_detail::write_element(o, e, -4); }

}  // namespace lms
