#include "answer/schema_check.hpp"

#include <algorithm>

#include "answer/schema_keywords.hpp"

namespace lms {
namespace {

using namespace schema_detail;

enum class sub : uint8_t { none, one, one_or_list, list, map };
// How each keyword holds schemas (none: it holds none).
constexpr sub SUBSCHEMAS[K_COUNT + 1] = {
    sub::none, sub::none, sub::none, sub::none, sub::list, sub::list, sub::list, sub::one, sub::map, sub::map,  // type .. definitions
    sub::map,  sub::none, sub::one,  sub::none, sub::none,                                                     // properties .. maxProperties
    sub::one_or_list, sub::list, sub::one, sub::none, sub::none, sub::none,                                     // items .. uniqueItems
    sub::none, sub::none, sub::none, sub::none,                                                                // minLength .. format
    sub::none, sub::none, sub::none, sub::none, sub::none, sub::none};
// The bounds: pair p is the keywords PAIR_LO[p] and PAIR_LO[p] + 1 (min below max, or refused).
constexpr kw PAIR_LO[] = {K_MINIMUM, K_MIN_LENGTH, K_MIN_ITEMS, K_MIN_PROPERTIES};
constexpr string_view PAIR_NAME[] = {"minimum", "minLength", "minItems", "minProperties"};
static_assert(K_MAXIMUM == K_MINIMUM + 1 && K_MAX_LENGTH == K_MIN_LENGTH + 1 && K_MAX_ITEMS == K_MIN_ITEMS + 1 &&
              K_MAX_PROPERTIES == K_MIN_PROPERTIES + 1);
// The pair of a min/max keyword (-1: none), and whether it is the max.
int pair_of(kw w) noexcept {
    for (int p = 0; p < 4; p++) {
        if (w == PAIR_LO[p] || w == PAIR_LO[p] + 1) { return p; }
    }
    return -1;
}

struct checker {
    element root;
    out_buf* where;
};
// Appends ".seg" (or "seg" first) to the path; returns the length to restore on success.
size_t push(checker& k, string_view seg) noexcept {
    if (!k.where) { return 0; }
    size_t at = k.where->len;
    if (at) { k.where->append('.'); }
    k.where->append(seg);
    return at;
}
void pop(checker& k, size_t at) noexcept {
    if (k.where) { k.where->len = at; }
}
int value_depth(element e, int depth) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return depth; }
    int m = depth;
    array a;
    object o;
    if (e.get_array().get(a) == SUCCESS) {
        for (element x : a) {
            if (x.is_array() || x.is_object()) { m = std::max(m, value_depth(x, depth + 1)); }
            else { m = std::max(m, depth + 1); }
        }
    } else if (e.get_object().get(o) == SUCCESS) {
        for (auto kv : o) {
            if (kv.value.is_array() || kv.value.is_object()) { m = std::max(m, value_depth(kv.value, depth + 1)); }
            else { m = std::max(m, depth + 1); }
        }
    }
    return m;
}

const char* check(checker& k, element s, int depth) noexcept;

const char* check_sub(checker& k, element v, sub kind, int depth) noexcept {
    array a;
    object o;
    char idx[20];
    if (kind == sub::one || (kind == sub::one_or_list && !v.is_array())) { return check(k, v, depth + 1); }
    if (kind == sub::map) {
        if (v.get_object().get(o) != SUCCESS) { return "Invalid schema: expected an object of schemas"; }
        for (auto kv : o) {
            size_t at = push(k, kv.key);
            if (const char* e = check(k, kv.value, depth + 1)) { return e; }
            pop(k, at);
        }
        return nullptr;
    }
    if (v.get_array().get(a) != SUCCESS || (kind == sub::list && a.size() == 0)) {
        return "Invalid schema: expected a non-empty array of schemas";
    }
    size_t i = 0;
    for (element x : a) {
        size_t at = k.where ? push(k, string_view(idx, format_decimal(i, idx))) : 0;  // no digits unless wanted
        i++;
        if (const char* e = check(k, x, depth + 1)) { return e; }
        pop(k, at);
    }
    return nullptr;
}


// flatten: the per-key helpers (push, keyword, simdjson's iterator step) inline; the recursion
// through check_sub stays a call.
[[gnu::flatten]] const char* check(checker& k, element s, int depth) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return "Invalid schema: nested deeper than 24 levels"; }
    if (s.is_bool()) { return depth == 0 && is_false(s) ? "Invalid schema: false accepts no value" : nullptr; }
    object o;
    if (s.get_object().get(o) != SUCCESS) { return "Invalid schema: a schema must be an object or a boolean"; }
    double bound[8];      // the first minimum, maximum, minLength, ... (PAIR_LO order, min then max)
    uint8_t bounds = 0;   // bit per bound[] slot
    for (auto kv : o) {
        string_view key = kv.key;
        kw w = keyword(key);
        if (w == K_COUNT) { continue; }
        element v = kv.value;
        size_t at = push(k, key);
        const char* err = nullptr;
        string_view str;
        array a;
        switch (w) {
            case K_TYPE:
                if (v.get_string().get(str) == SUCCESS) {
                    if (!type_bit(str)) { err = "Invalid schema: unknown type"; }
                } else if (v.get_array().get(a) == SUCCESS && a.size() > 0) {
                    for (element x : a) {
                        if (x.get_string().get(str) != SUCCESS || !type_bit(str)) { err = "Invalid schema: unknown type"; }
                    }
                } else {
                    err = "Invalid schema: type must be a string or a non-empty array of strings";
                }
                break;
            case K_REQUIRED:
                if (v.get_array().get(a) != SUCCESS) {
                    err = "Invalid schema: required must be an array of strings";
                } else {
                    for (element x : a) {
                        if (!x.is_string()) { err = "Invalid schema: required must be an array of strings"; }
                    }
                }
                break;
            case K_ENUM:
                if (v.get_array().get(a) != SUCCESS || a.size() == 0) { err = "Invalid schema: enum must be a non-empty array"; }
                else if (value_depth(v, depth) > SCHEMA_MAX_DEPTH) { err = "Invalid schema: enum nested deeper than 24 levels"; }
                break;
            case K_CONST:
                if (value_depth(v, depth) > SCHEMA_MAX_DEPTH) { err = "Invalid schema: const nested deeper than 24 levels"; }
                break;
            case K_REF: {
                element t;
                if (v.get_string().get(str) != SUCCESS || !resolve(k.root, str, t)) {
                    err = "Invalid schema: $ref does not resolve (only local '#...' references are supported)";
                }
                break;
            }
            case K_MULTIPLE_OF: {
                double m = 0;
                if (!v.is_number() || v.get_double().get(m) != SUCCESS || !(m > 0)) { err = "Invalid schema: multipleOf must be a number above 0"; }
                break;
            }
            case K_EXCLUSIVE_MINIMUM:
            case K_EXCLUSIVE_MAXIMUM:
                if (!v.is_number() && !v.is_bool()) { err = "Invalid schema: a bound must be a number"; }
                break;
            case K_MINIMUM: case K_MAXIMUM: case K_MIN_LENGTH: case K_MAX_LENGTH:
            case K_MIN_ITEMS: case K_MAX_ITEMS: case K_MIN_PROPERTIES: case K_MAX_PROPERTIES: {
                double d = 0;
                if (v.get_double().get(d) != SUCCESS) {  // not a number
                    err = "Invalid schema: a bound must be a number";
                    break;
                }
                int p = pair_of(w), slot = 2 * p + (w != PAIR_LO[p]);
                if (!(bounds >> slot & 1)) { bound[slot] = d, bounds |= uint8_t(1u << slot); }
                break;
            }
            default:
                if (SUBSCHEMAS[w] != sub::none) { err = check_sub(k, v, SUBSCHEMAS[w], depth); }
                break;
        }
        if (err) { return err; }
        pop(k, at);
    }
    for (unsigned both = bounds & bounds >> 1 & 0x55; both; both &= both - 1) {  // pairs with both ends
        int p = __builtin_ctz(both) / 2;
        if (bound[2 * p] > bound[2 * p + 1]) {
            push(k, PAIR_NAME[p]);
            return "Invalid schema: a minimum above its maximum accepts no value";
        }
    }
    return nullptr;
}

}  // namespace

const char* check_schema(element schema, out_buf* where) noexcept {
    checker k{schema, where};
    return check(k, schema, 0);
}

}  // namespace lms
