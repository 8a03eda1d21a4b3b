#pragma once
// schema_json: one JSON value that validates against a JSON Schema — the mock's tool-call
// arguments (tools[].function.parameters) and structured output (response_format json_schema).
//
// Level 0. Pure: no syscalls, no clock, no allocation, no exceptions. The schema is a simdjson
// DOM element the caller owns (it must outlive the call); the value goes into the caller's
// out_buf; every choice comes from the caller's rng, so one seed gives the same bytes. Any
// thread may call these with its own rng and buffer (no shared state). Recursion is bounded by
// SCHEMA_MAX_DEPTH; a value level costs about 1 KiB of stack (g++ 12 -O2 -fstack-usage: gen 224 +
// gen_object 416 + emit_property 368 bytes; an array level gen 224 + gen_array 704), so about
// 24 KiB at the limit plus ~5 KiB at the leaf (value_core 1232 + gen_number 688 + fmt's ~3 KiB).
//
// Honoured: type (string or array: one picked; null picked 1 time in 4 when others are
// allowed), properties (in their order), required (a required name with no property schema
// gets a value for additionalProperties or the empty schema), additionalProperties (false or a
// schema; keys are never invented, except to reach minProperties when extra keys are allowed),
// minProperties/maxProperties, enum/const (written back verbatim), items, prefixItems, items
// as an array (draft-04 tuples) with additionalItems, minItems/maxItems, uniqueItems (values
// compared as bytes over the first SCHEMA_MAX_UNIQUE items, 31 redraws per item, then the array
// stops if minItems allows), minLength/maxLength (ASCII, so bytes == code points), minimum/
// maximum, exclusiveMinimum/exclusiveMaximum (draft-06+ numbers and the draft-04 booleans),
// multipleOf (integers exactly; for fractions a k*m that passes ajv's x/m integer test),
// anyOf/oneOf (one branch; oneOf prefers a branch that no other branch can accept: disjoint
// types, a const/enum discriminator property, or a required name the branch forbids), allOf
// (all branches hold at once: types intersect, properties and required unite, bounds take the
// tightest; up to SCHEMA_MAX_VIEW schemas per value), $ref to local JSON pointers ("#",
// "#/$defs/NAME", "#/definitions/NAME", any "#/a/b" with ~0 ~1), format (date-time, date,
// time, email, idn-email, uri, uri-reference, url, uuid, ipv4, ipv6, hostname, duration), and
// pattern for a simple subset: literals, escapes (\d \w \s, \. ...), '.', classes [a-z0-9_]
// with quantifiers ? * + {n} {n,} {n,m} and the ^ $ anchors.
//
// Not honoured (the value is valid for the rest of the schema, and may fail these): pattern
// with groups, alternation or negated classes; patternProperties (names it matches are never
// emitted under additionalProperties false); propertyNames, dependentRequired,
// dependentSchemas, if/then/else, not, contains/minContains, unevaluated*, $dynamicRef,
// $anchor/$id-relative or remote $ref; formats not listed above (a plain string); enum or const
// in more than one allOf branch (the first is used); oneOf whose branches cannot be told apart
// by the rules above (one is picked at random); integer-vs-number oneOf; bounds beyond ±2^53.
//
// Limits: SCHEMA_MAX_DEPTH value levels (deeper: too_large; past SCHEMA_SOFT_DEPTH, or with
// less than SCHEMA_TIGHT_BYTES left in the buffer, values are minimal: required properties
// only, minItems, minLength, null when allowed). When the first value does not fit, it is
// generated once more minimal; too_large when that does not fit either.
#include <cstddef>
#include <cstdint>

#include "answer/latency_model.hpp"
#include "engine/http_response.hpp"

namespace simdjson::dom {
class element;
}

namespace lms {

inline constexpr int SCHEMA_MAX_DEPTH = 24;          // nesting of schemas and of values
inline constexpr int SCHEMA_SOFT_DEPTH = 8;          // deeper values are minimal
inline constexpr int SCHEMA_MAX_VIEW = 16;           // schemas one value satisfies at once
inline constexpr int SCHEMA_MAX_UNIQUE = 32;         // uniqueItems compares this many items
inline constexpr size_t SCHEMA_TIGHT_BYTES = 1024;   // below this much room, values are minimal

enum class schema_status : uint8_t { ok, too_large, bad_schema };

// nullptr when schema is one generate_json accepts, else a static message naming the problem
// ("Invalid schema: unknown type"). It must be an object or a boolean (false accepts nothing
// and is refused at the top); every "type" a known name; properties, items, prefixItems,
// additionalItems, additionalProperties, anyOf/oneOf/allOf, not, $defs/definitions checked
// as schemas to SCHEMA_MAX_DEPTH levels; required an array of strings; enum a non-empty array;
// $ref a local pointer that resolves; min above max refused. When where is given, the dotted
// path of the offending schema ("properties.city") is written into it (cut if it does not fit).
[[nodiscard]] const char* check_schema(simdjson::dom::element schema, out_buf* where = nullptr) noexcept;

// One JSON value valid against schema, appended to o: compact, keys in "properties" order.
// ok; too_large when even a minimal value does not fit in o's remaining room or the schema
// recurses past SCHEMA_MAX_DEPTH (o then holds a partial value: discard it); bad_schema for
// what check_schema refuses, or an unsatisfiable part found while generating (a required
// property whose schema is false).
[[nodiscard]] schema_status generate_json(simdjson::dom::element schema, out_buf& o, rng& r) noexcept;

// A request's element (tools with their schemas, a tool_choice, metadata) appended to o as
// compact JSON, the same value byte for byte but for whitespace, numbers in shortest form;
// false when it nests deeper than a checked schema plus its wrappers can (SCHEMA_MAX_DEPTH +
// 4 levels: o then holds a partial value). Truncation is o's.
[[nodiscard]] bool write_json(out_buf& o, simdjson::dom::element e) noexcept;

}  // namespace lms
