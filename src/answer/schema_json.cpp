#include "answer/schema_json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

// Design: a value is generated for a "view" — the set of schemas it must satisfy at once: the
// schema itself, what its $ref points to, every allOf branch, one chosen anyOf/oneOf branch.
// The view is expanded in place, breadth first (no recursion, and a $ref cycle just meets
// schemas already in the view), then every keyword is read across all its members: types
// intersect, bounds take the tightest, properties and required unite. Recursion happens only
// from a value into its children, one level of SCHEMA_MAX_DEPTH per level of the value.
//
// Cost: a schema object's keywords are read in one pass over its keys (keys: dispatch on the
// key's length, then one fixed-length compare), never by one lookup per keyword. A value
// reads each member of its view twice: once for what every value needs (read_view: $ref,
// allOf, anyOf/oneOf, const, enum, type), once for its type's keywords. An object's names are
// matched against required, the other members' properties and additionalProperties in chunks
// of 64 (name_chunk: a bit per name, the search starting after the last match, so lists in the
// same order cost O(1) a name); O(N*M) only when the orders differ.
//
// Stack: what stays live while a child is generated is small (gen, gen_object with its
// emit_property, or gen_array); the 488-byte keys and the 1 KiB name_chunk live only in
// [[gnu::noinline]] helpers that return before the recursion goes on.

namespace lms {
namespace {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using std::string_view;

enum : uint8_t { T_NULL = 1, T_BOOL = 2, T_OBJ = 4, T_ARR = 8, T_STR = 16, T_INT = 32, T_NUM = 64, T_ALL = 127 };
constexpr double BIG = 9007199254740991.0;  // 2^53 - 1: integers stay exact in a double


// k is known to be N - 1 bytes long: a compare the compiler expands in place.
template <size_t N>
bool is(string_view k, const char (&lit)[N]) noexcept {
    return std::memcmp(k.data(), lit, N - 1) == 0;
}
uint8_t type_bit(string_view t) noexcept {
    switch (t.size()) {
        case 4: return is(t, "null") ? T_NULL : 0;
        case 5: return is(t, "array") ? T_ARR : 0;
        case 6:
            if (is(t, "string")) { return T_STR; }
            if (is(t, "object")) { return T_OBJ; }
            return is(t, "number") ? T_NUM | T_INT : 0;  // every integer is a number
        case 7: return is(t, "integer") ? T_INT : is(t, "boolean") ? T_BOOL : 0;
        default: return 0;
    }
}
// The number of bits set (no popcnt in the baseline x86-64 target: __builtin_popcount is a call).
int bit_count(uint64_t x) noexcept {
    x = x - ((x >> 1) & 0x5555555555555555);
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
    return int((x * 0x0101010101010101) >> 56);
}

bool is_false(element s) noexcept {
    bool b;
    return s.get_bool().get(b) == SUCCESS && !b;
}
// The same schema object (not an equal one): objects are identified by their tape position.
bool same(element a, element b) noexcept {
    object x, y;
    return a.get_object().get(x) == SUCCESS && b.get_object().get(y) == SUCCESS && x.begin() == y.begin();
}
bool scalar_eq(element a, element b) noexcept {
    if (a.is_number() && b.is_number()) {
        double x = 0, y = 0;
        return a.get_double().get(x) == SUCCESS && b.get_double().get(y) == SUCCESS && x == y;
    }
    if (a.type() != b.type()) { return false; }
    string_view x, y;
    bool p, q;
    if (a.get_string().get(x) == SUCCESS && b.get_string().get(y) == SUCCESS) { return x == y; }
    if (a.get_bool().get(p) == SUCCESS && b.get_bool().get(q) == SUCCESS) { return p == q; }
    return a.is_null();
}
uint8_t value_type(element e) noexcept {
    switch (e.type()) {
        case element_type::ARRAY: return T_ARR;
        case element_type::OBJECT: return T_OBJ;
        case element_type::INT64:
        case element_type::UINT64: return T_INT | T_NUM;
        case element_type::DOUBLE: {
            double d = 0;
            d = e.get_double().value_unsafe();
            return d == std::floor(d) ? T_INT | T_NUM : T_NUM;
        }
        case element_type::STRING: return T_STR;
        case element_type::BOOL: return T_BOOL;
        default: return T_NULL;
    }
}
// The types s declares (0 when "type" names none), T_ALL when it does not say.

// ---- keywords: one pass over a schema object ---------------------------------------------------

enum kw : uint8_t {
    K_TYPE, K_ENUM, K_CONST, K_REF, K_ALL_OF, K_ANY_OF, K_ONE_OF, K_NOT, K_DEFS, K_DEFINITIONS,
    K_PROPERTIES, K_REQUIRED, K_ADDITIONAL_PROPERTIES, K_MIN_PROPERTIES, K_MAX_PROPERTIES,
    K_ITEMS, K_PREFIX_ITEMS, K_ADDITIONAL_ITEMS, K_MIN_ITEMS, K_MAX_ITEMS, K_UNIQUE_ITEMS,
    K_MIN_LENGTH, K_MAX_LENGTH, K_PATTERN, K_FORMAT,
    K_MINIMUM, K_MAXIMUM, K_EXCLUSIVE_MINIMUM, K_EXCLUSIVE_MAXIMUM, K_MULTIPLE_OF,
    K_COUNT  // and any other key
};
static_assert(K_COUNT <= 32, "keys::has is a 32-bit mask");

[[gnu::always_inline]] inline kw keyword(string_view k) noexcept {
    switch (k.size()) {
        case 3: return is(k, "not") ? K_NOT : K_COUNT;
        case 4: return is(k, "type") ? K_TYPE : is(k, "enum") ? K_ENUM : is(k, "$ref") ? K_REF : K_COUNT;
        case 5:
            if (is(k, "items")) { return K_ITEMS; }
            if (is(k, "const")) { return K_CONST; }
            if (is(k, "allOf")) { return K_ALL_OF; }
            if (is(k, "anyOf")) { return K_ANY_OF; }
            if (is(k, "oneOf")) { return K_ONE_OF; }
            return is(k, "$defs") ? K_DEFS : K_COUNT;
        case 6: return is(k, "format") ? K_FORMAT : K_COUNT;
        case 7: return is(k, "minimum") ? K_MINIMUM : is(k, "maximum") ? K_MAXIMUM : is(k, "pattern") ? K_PATTERN : K_COUNT;
        case 8: return is(k, "required") ? K_REQUIRED : is(k, "minItems") ? K_MIN_ITEMS : is(k, "maxItems") ? K_MAX_ITEMS : K_COUNT;
        case 9: return is(k, "minLength") ? K_MIN_LENGTH : is(k, "maxLength") ? K_MAX_LENGTH : K_COUNT;
        case 10: return is(k, "properties") ? K_PROPERTIES : is(k, "multipleOf") ? K_MULTIPLE_OF : K_COUNT;
        case 11:
            if (is(k, "uniqueItems")) { return K_UNIQUE_ITEMS; }
            return is(k, "prefixItems") ? K_PREFIX_ITEMS : is(k, "definitions") ? K_DEFINITIONS : K_COUNT;
        case 13: return is(k, "minProperties") ? K_MIN_PROPERTIES : is(k, "maxProperties") ? K_MAX_PROPERTIES : K_COUNT;
        case 15: return is(k, "additionalItems") ? K_ADDITIONAL_ITEMS : K_COUNT;
        case 16:
            if (is(k, "exclusiveMinimum")) { return K_EXCLUSIVE_MINIMUM; }
            return is(k, "exclusiveMaximum") ? K_EXCLUSIVE_MAXIMUM : K_COUNT;
        case 20: return is(k, "additionalProperties") ? K_ADDITIONAL_PROPERTIES : K_COUNT;
        default: return K_COUNT;
    }
}

// The type a keyword implies in an untyped schema (T_ALL: none).
constexpr uint8_t IMPLIES[K_COUNT + 1] = {
    T_ALL, T_ALL, T_ALL, T_ALL, T_ALL, T_ALL, T_ALL, T_ALL, T_ALL, T_ALL,  // type .. definitions
    T_OBJ, T_OBJ, T_OBJ, T_OBJ, T_OBJ,                                     // properties .. maxProperties
    T_ARR, T_ARR, T_ALL, T_ARR, T_ARR, T_ARR,                              // items .. uniqueItems
    T_STR, T_STR, T_STR, T_STR,                                            // minLength .. format
    T_NUM | T_INT, T_NUM | T_INT, T_NUM | T_INT, T_NUM | T_INT, T_NUM | T_INT,
    T_ALL};

// One schema object's keywords, read in one pass; the first of duplicate keys counts (as
// at_key finds it). Not an object (a boolean schema, a $ref to something else): none.
struct keys {
    uint32_t has = 0;        // bit per kw
    uint8_t implied = T_ALL;  // what the first type-implying key implies
    // Left uninitialised: only the keywords present are written and read (an element is
    // trivially copyable and destructible), so a schema with few keys pays for few.
    union slot {
        element e;
        slot() noexcept {}
    } v[K_COUNT];

    keys() noexcept = default;  // none
    explicit keys(element s) noexcept { read(s); }
    // flatten: simdjson's iterator step (after_element) is otherwise a call per key.
    [[gnu::flatten]] void read(element s) noexcept {
        has = 0, implied = T_ALL;
        object o;
        if (s.get_object().get(o) != SUCCESS) { return; }
        for (auto kv : o) {
            kw k = keyword(kv.key);
            if (implied == T_ALL) { implied = IMPLIES[k]; }
            if (k == K_COUNT || (has >> k & 1)) { continue; }
            has |= 1u << k;
            v[k].e = kv.value;
        }
    }
    [[nodiscard]] bool get(kw k, element& e) const noexcept {
        if (!(has >> k & 1)) { return false; }
        e = v[k].e;
        return true;
    }
    [[nodiscard]] bool num(kw k, double& d) const noexcept {
        return (has >> k & 1) && v[k].e.get_double().get(d) == SUCCESS;  // any number, as is_number()
    }
    [[nodiscard]] bool arr(kw k, array& a) const noexcept { return (has >> k & 1) && v[k].e.get_array().get(a) == SUCCESS; }
    [[nodiscard]] bool obj(kw k, object& o) const noexcept { return (has >> k & 1) && v[k].e.get_object().get(o) == SUCCESS; }
    [[nodiscard]] bool str(kw k, string_view& s) const noexcept { return (has >> k & 1) && v[k].e.get_string().get(s) == SUCCESS; }
    // Present and the boolean b.
    [[nodiscard]] bool flag(kw k, bool b) const noexcept {
        bool x = false;
        return (has >> k & 1) && v[k].e.get_bool().get(x) == SUCCESS && x == b;
    }
};

// The types k declares (0 when "type" names none), T_ALL when it does not say.
uint8_t declared_types(const keys& k) noexcept {
    element t;
    if (!k.get(K_TYPE, t)) { return T_ALL; }
    string_view n;
    if (t.get_string().get(n) == SUCCESS) { return type_bit(n); }
    array a;
    uint8_t m = 0;
    if (t.get_array().get(a) == SUCCESS) {
        for (element x : a) {
            if (x.get_string().get(n) == SUCCESS) { m |= type_bit(n); }
        }
    }
    return m;
}
// What k accepts at most: its "type", else the types of its const/enum values.
uint8_t accepted_types(const keys& k) noexcept {
    uint8_t m = declared_types(k);
    element e;
    array a;
    if (k.get(K_CONST, e)) { return m & value_type(e); }
    if (k.arr(K_ENUM, a)) {
        uint8_t v = 0;
        for (element x : a) { v |= value_type(x); }
        return m & v;
    }
    return m;
}

// A JSON pointer fragment ("#", "#/$defs/a~1b", "#/items/0") resolved against root.
bool segment_is(string_view seg, string_view key) noexcept {
    size_t j = 0;
    for (size_t i = 0; i < seg.size(); i++, j++) {
        char c = seg[i];
        if (c == '~' && i + 1 < seg.size()) { c = seg[++i] == '1' ? '/' : '~'; }
        if (j >= key.size() || key[j] != c) { return false; }
    }
    return j == key.size();
}
bool resolve(element root, string_view ref, element& out) noexcept {
    if (ref.empty() || ref[0] != '#') { return false; }
    ref.remove_prefix(1);
    element cur = root;
    while (!ref.empty()) {
        if (ref[0] != '/') { return false; }
        ref.remove_prefix(1);
        size_t end = ref.find('/');
        string_view seg = ref.substr(0, end);
        ref = end == string_view::npos ? string_view{} : ref.substr(end);
        object o;
        array a;
        bool found = false;
        if (cur.get_object().get(o) == SUCCESS) {
            for (auto kv : o) {
                if (segment_is(seg, kv.key)) {
                    cur = kv.value;
                    found = true;
                    break;
                }
            }
        } else if (cur.get_array().get(a) == SUCCESS && !seg.empty() && seg.size() < 10) {
            size_t idx = 0;
            for (char c : seg) {
                if (c < '0' || c > '9') { return false; }
                idx = idx * 10 + size_t(c - '0');
            }
            found = a.at(idx).get(cur) == SUCCESS;
        }
        if (!found) { return false; }
    }
    out = cur;
    return true;
}

void write_string(out_buf& o, string_view s) noexcept {
    static constexpr char HEX[] = "0123456789abcdef";
    if (s.size() + 2 <= o.cap - o.len) {  // it fits: copy while looking for what needs escaping
        char* d = o.p + o.len + 1;
        size_t i = 0;
        for (; i < s.size(); i++) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == '"' || c == '\\') { break; }
            d[i] = char(c);
        }
        if (i == s.size()) {  // nothing to escape (the bytes past o.len are o's to overwrite otherwise)
            d[-1] = '"', d[i] = '"';
            o.len += s.size() + 2;
            return;
        }
    }
    o.append('"');
    size_t from = 0;
    for (size_t i = 0; i < s.size(); i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') { continue; }
        o.append(s.substr(from, i - from));
        from = i + 1;
        if (c == '"' || c == '\\') {
            o.append('\\');
            o.append(char(c));
        } else if (c == '\n') {
            o.append("\\n");
        } else {
            o.append("\\u00");
            o.append(HEX[c >> 4]);
            o.append(HEX[c & 15]);
        }
    }
    o.append(s.substr(from));
    o.append('"');
}
void write_double(out_buf& o, double d) noexcept { o.format("{}", d); }  // shortest round-trip

// e as compact JSON (an enum or const member, byte for byte the same value).
bool write_element(out_buf& o, element e, int depth) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return false; }
    bool first = true;
    switch (e.type()) {
        case element_type::ARRAY: {
            array a = e.get_array().value_unsafe();  // named: a range-for over the result would dangle
            o.append('[');
            for (element x : a) {
                if (!first) { o.append(','); }
                first = false;
                if (!write_element(o, x, depth + 1)) { return false; }
            }
            o.append(']');
            return true;
        }
        case element_type::OBJECT: {
            object ob = e.get_object().value_unsafe();
            o.append('{');
            for (auto kv : ob) {
                if (!first) { o.append(','); }
                first = false;
                write_string(o, kv.key);
                o.append(':');
                if (!write_element(o, kv.value, depth + 1)) { return false; }
            }
            o.append('}');
            return true;
        }
        case element_type::STRING: write_string(o, e.get_string().value_unsafe()); return true;
        case element_type::INT64: o.append_decimal(e.get_int64().value_unsafe()); return true;
        case element_type::UINT64: o.format("{}", e.get_uint64().value_unsafe()); return true;
        case element_type::DOUBLE: write_double(o, e.get_double().value_unsafe()); return true;
        case element_type::BOOL: o.append(e.get_bool().value_unsafe() ? "true" : "false"); return true;
        default: o.append("null"); return true;
    }
}


// ---- check_schema ----------------------------------------------------------------------------

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

// ---- generation ------------------------------------------------------------------------------

struct view {
    // Uninitialised past n: a view is made per value, and 16 elements cost 32 stores.
    union slot {
        element e;
        slot() noexcept {}
    } s_[SCHEMA_MAX_VIEW];
    int n = 0;
    [[nodiscard]] element m(int i) const noexcept { return s_[i].e; }
    void add(element e) noexcept {
        if (e.is_bool() && !is_false(e)) { return; }  // true adds nothing
        for (int i = 0; i < n; i++) {
            if (same(s_[i].e, e)) { return; }
        }
        if (n < SCHEMA_MAX_VIEW) { s_[n++].e = e; }
    }
};

struct ctx {
    element root;
    out_buf& o;
    rng& r;
    bool minimal;
    int vary;  // > 0 while redrawing an item for uniqueItems: no minimal (identical) values
    uint64_t below(uint64_t n) noexcept { return n ? r.next() % n : 0; }
    bool coin() noexcept { return r.next() >> 63; }
    bool small(int depth) const noexcept {
        return vary == 0 && (minimal || depth > SCHEMA_SOFT_DEPTH || o.cap - o.len < SCHEMA_TIGHT_BYTES);
    }
};

// s with its $ref followed once (s itself when it has none that resolves).
element deref(const ctx& c, element s) noexcept {
    element e, t;
    string_view ref;
    object o;
    if (s.get_object().get(o) == SUCCESS && o.at_key("$ref").get(e) == SUCCESS && e.get_string().get(ref) == SUCCESS &&
        resolve(c.root, ref, t)) {
        return t;
    }
    return s;
}
// The single value k pins: its const, or an enum of one member.
bool pinned(const keys& k, element& x) noexcept {
    array one;
    if (k.get(K_CONST, x)) { return true; }
    if (!k.arr(K_ENUM, one) || one.size() != 1) { return false; }
    x = one.at(0).value_unsafe();
    return true;
}

// Whether a value of branch a can never be accepted by branch b (the oneOf rule).
bool excludes(ctx& c, element a, element b) noexcept {
    a = deref(c, a), b = deref(c, b);
    keys ka(a), kb(b);
    uint8_t ta = accepted_types(ka);  // what a generates: its type, else what its keywords imply
    if (ta == T_ALL) { ta = ka.implied; }
    if ((ta & accepted_types(kb)) == 0) { return true; }
    object pa, pb;
    array req;
    bool b_props = kb.obj(K_PROPERTIES, pb);
    if (ka.obj(K_PROPERTIES, pa) && ka.arr(K_REQUIRED, req) && b_props) {
        for (element name : req) {
            string_view n;
            element sa, sb, x, y;
            if (name.get_string().get(n) != SUCCESS || pa.at_key(n).get(sa) != SUCCESS) { continue; }
            if (!pinned(keys(sa), x) || pb.at_key(n).get(sb) != SUCCESS) { continue; }
            keys ks(sb);
            array en;
            if (ks.get(K_CONST, y) && !scalar_eq(x, y)) { return true; }
            if (ks.arr(K_ENUM, en)) {
                bool in = false;
                for (element z : en) { in = in || scalar_eq(x, z); }
                if (!in) { return true; }
            }
        }
    }
    // b requires a name that a forbids.
    if (kb.arr(K_REQUIRED, req) && ka.flag(K_ADDITIONAL_PROPERTIES, false)) {
        bool a_props = ka.obj(K_PROPERTIES, pa);
        for (element name : req) {
            string_view n;
            element x;
            if (name.get_string().get(n) == SUCCESS && !(a_props && pa.at_key(n).get(x) == SUCCESS)) { return true; }
        }
    }
    return false;
}

uint8_t accepted_types(element s) noexcept { return accepted_types(keys(s)); }

element pick_branch(ctx& c, const view& v, array branches, bool one_of, int depth) noexcept {
    size_t n = branches.size(), start = c.below(n);
    element first, b;
    first = branches.at(start).value_unsafe();
    uint8_t have = T_ALL;
    for (int i = 0; i < v.n; i++) { have &= declared_types(keys(v.m(i))); }
    if (c.small(depth)) {
        for (element x : branches) {
            if (accepted_types(x) == T_NULL) { return x; }  // the end of a recursion
        }
    }
    for (size_t k = 0; k < n; k++) {
        b = branches.at((start + k) % n).value_unsafe();
        if ((accepted_types(b) & have) == 0) { continue; }
        if (!one_of) { return b; }
        bool alone = true;
        for (size_t j = 0; j < n && alone; j++) {
            element other;
            if (j != (start + k) % n && branches.at(j).get(other) == SUCCESS) { alone = excludes(c, b, other); }
        }
        if (alone) { return b; }
    }
    return first;
}

// A member of enum a of one of types, else its member at a random start.
bool write_enum(ctx& c, element e, uint8_t types, int depth) noexcept {
    array a = e.get_array().value_unsafe();
    size_t n = a.size(), start = c.below(n), j = 0;
    element first, pick;
    bool found = false;
    for (element x : a) {  // from start to the end, then from 0 to start: one walk each
        if (j == start) { first = x; }
        if (j++ >= start && (value_type(x) & types)) {
            pick = x, found = true;
            break;
        }
    }
    j = 0;
    for (element x : a) {
        if (found || j++ >= start) { break; }
        if (value_type(x) & types) { pick = x, found = true; }
    }
    return write_element(c.o, found ? pick : first, depth);
}

// The tightest of a numeric keyword (lowest when low, else highest) into out.
inline void tighten(const keys& k, kw w, bool low, bool& any, double& out) noexcept {
    double d;
    if (k.num(w, d) && (!any || (low ? d < out : d > out))) {
        out = d;
        any = true;
    }
}

// Member i's keys: k0 for member 0 (read once per value by value_core), else read into tmp.
const keys& keys_of(const view& v, const keys& k0, int i, keys& tmp) noexcept {
    if (i == 0) { return k0; }
    tmp.read(v.m(i));
    return tmp;
}

schema_status gen(ctx& c, view& v, int depth, string_view hint) noexcept;
// ---- strings ---

constexpr string_view WORDS[] = {"example", "text", "sample", "report", "blue", "update", "meeting", "project",
                                 "quick", "summary", "value", "green", "notes", "draft", "alpha", "data"};
constexpr string_view CITIES[] = {"Paris", "London", "Tokyo", "Berlin", "Madrid", "Toronto", "Sydney", "Rome"};
constexpr string_view NAMES[] = {"Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry"};

template <size_t N>
string_view pick(ctx& c, const string_view (&list)[N]) noexcept {
    return list[c.below(N)];
}

// The formats we can produce, into f (at most 48 bytes); false for any other.
bool gen_format(ctx& c, string_view fmt, out_buf& f) noexcept {
    auto two = [&](uint64_t v) {
        f.append(char('0' + v / 10));
        f.append(char('0' + v % 10));
    };
    auto date = [&] {
        f.append_decimal(int64_t(2020 + c.below(7)));
        f.append('-');
        two(1 + c.below(12));
        f.append('-');
        two(1 + c.below(28));
    };
    auto time = [&] {
        two(c.below(24));
        f.append(':');
        two(c.below(60));
        f.append(":00Z");
    };
    if (fmt == "date-time") {
        date();
        f.append('T');
        time();
    } else if (fmt == "date") {
        date();
    } else if (fmt == "time") {
        time();
    } else if (fmt == "email" || fmt == "idn-email") {
        f.append(pick(c, NAMES));
        f.append("@example.com");
    } else if (fmt == "uri" || fmt == "url" || fmt == "uri-reference" || fmt == "iri") {
        f.append("https://example.com/");
        f.append(pick(c, WORDS));
    } else if (fmt == "hostname" || fmt == "idn-hostname") {
        f.append(pick(c, WORDS));
        f.append(".example.com");
    } else if (fmt == "uuid") {
        static constexpr char HEX[] = "0123456789abcdef";
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) { f.append('-'); }
            f.append(i == 12 ? '4' : i == 16 ? HEX[8 + c.below(4)] : HEX[c.below(16)]);
        }
    } else if (fmt == "ipv4") {
        for (int i = 0; i < 4; i++) {
            if (i) { f.append('.'); }
            f.append_decimal(int64_t(i == 0 ? 10 : c.below(256)));
        }
    } else if (fmt == "ipv6") {
        f.append("2001:db8::");
        f.append_decimal(int64_t(1 + c.below(9)));
    } else if (fmt == "duration") {
        f.append('P');
        f.append_decimal(int64_t(1 + c.below(9)));
        f.append('D');
    } else {
        return false;
    }
    return true;
}

// A character of a pattern atom, or of a class range list, written JSON-escaped.
void pattern_char(ctx& c, char ch) noexcept {
    // \n and \t atoms stand for control characters: JSON wants them escaped (found by
    // fuzz_chat_body: a raw newline made the value invalid JSON).
    if (ch == '\n' || ch == '\t') {
        c.o.append(ch == '\n' ? "\\n" : "\\t");
        return;
    }
    if (ch == '"' || ch == '\\') { c.o.append('\\'); }
    c.o.append(ch);
}
// \d \w \s \n \t and escaped punctuation; not \b, \D, \p{..}, \u...., backreferences.
bool plain_escape(char e) noexcept {
    bool alnum = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9');
    return !alnum || e == 'd' || e == 'w' || e == 's' || e == 'n' || e == 't';
}
char class_escape(ctx& c, char e) noexcept {
    if (e == 'd') { return char('0' + c.below(10)); }
    if (e == 'w') { return char('a' + c.below(26)); }
    if (e == 's') { return ' '; }
    return e;
}
// The simple regular expressions (see the header); false for the rest (o then holds junk the
// caller discards). Generates the exact match, so anchors do not matter.
bool gen_pattern(ctx& c, string_view p, int depth) noexcept {
    size_t i = 0;
    if (i < p.size() && p[i] == '^') { i++; }
    while (i < p.size()) {
        char lo[16], hi[16];  // one atom: a set of ranges
        int nr = 0;
        char ch = p[i++];
        if (ch == '$' && i == p.size()) { break; }
        if (ch == '(' || ch == ')' || ch == '|' || ch == '*' || ch == '+' || ch == '?' || ch == '{' || ch == '^' ||
            ch == '$' || static_cast<unsigned char>(ch) >= 0x80 || static_cast<unsigned char>(ch) < 0x20) {
            return false;
        }
        if (ch == '\\') {
            if (i == p.size()) { return false; }
            char e = p[i++];
            if (!plain_escape(e)) { return false; }
            lo[0] = hi[0] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            nr = e == 'd' || e == 'w' || e == 's' ? -int(e) : 1;
        } else if (ch == '[') {
            if (i < p.size() && p[i] == '^') { return false; }
            while (i < p.size() && p[i] != ']') {
                char a = p[i++];
                if (a == '\\' && i < p.size()) {
                    char e = p[i++];
                    if (e == 'd') { a = '0', hi[nr] = '9'; }
                    else if (e == 'w') { a = 'a', hi[nr] = 'z'; }
                    else if (e == 's') { a = ' ', hi[nr] = ' '; }
                    else if (!plain_escape(e) || e == 'n' || e == 't') { return false; }
                    else { hi[nr] = a = e; }
                } else if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
                    hi[nr] = p[i + 1];
                    i += 2;
                    if (hi[nr] < a || hi[nr] == '\\') { return false; }
                } else {
                    hi[nr] = a;
                }
                if (static_cast<unsigned char>(a) >= 0x80 || static_cast<unsigned char>(a) < 0x20 || nr == 15) { return false; }
                lo[nr++] = a;
            }
            if (i == p.size() || nr == 0) { return false; }
            i++;
        } else {
            lo[0] = hi[0] = ch == '.' ? 'x' : ch;
            nr = 1;
        }
        uint64_t rmin = 1, rmax = 1;  // the quantifier
        if (i < p.size() && (p[i] == '?' || p[i] == '*' || p[i] == '+')) {
            rmin = p[i] == '+' ? 1 : 0;
            rmax = p[i] == '?' ? 1 : 3;
            i++;
        } else if (i < p.size() && p[i] == '{') {
            uint64_t a = 0, b = 0;
            bool comma = false, digits = false;
            for (i++; i < p.size() && p[i] != '}'; i++) {
                uint64_t& d = comma ? b : a;
                if (p[i] == ',' && !comma) {
                    comma = true;
                } else if (p[i] >= '0' && p[i] <= '9' && d < 100000) {
                    d = d * 10 + uint64_t(p[i] - '0');
                    digits = true;
                } else {
                    return false;
                }
            }
            if (i == p.size() || !digits) { return false; }
            i++;
            rmin = a;
            rmax = !comma ? a : b ? b : a + 2;
            if (rmax < rmin) { return false; }
        }
        if (i < p.size() && p[i] == '?') { i++; }  // lazy: the same strings
        uint64_t count = c.small(depth) ? rmin : rmin + c.below(std::min<uint64_t>(rmax - rmin, 3) + 1);
        for (uint64_t r = 0; r < count && !c.o.truncated; r++) {
            if (nr < 0) {
                pattern_char(c, class_escape(c, char(-nr)));
                continue;
            }
            int k = int(c.below(uint64_t(nr)));
            pattern_char(c, char(lo[k] + char(c.below(uint64_t(hi[k] - lo[k]) + 1))));
        }
    }
    return true;
}


// Whether lit occurs in s (string_view::find is a libc call per candidate; hints are short).
template <size_t N>
bool contains(string_view s, const char (&lit)[N]) noexcept {
    for (size_t i = 0; i + (N - 1) <= s.size(); i++) {
        if (s[i] == lit[0] && std::memcmp(s.data() + i, lit, N - 1) == 0) { return true; }
    }
    return false;
}

[[gnu::noinline]] schema_status gen_string(ctx& c, const view& v, const keys& k0, int depth, string_view hint) noexcept {
    double dmin = 0, dmax = BIG;
    bool any_min = false, any_max = false, has_pattern = false, has_format = false;
    string_view pattern, format;
    keys tmp;
    for (int i = 0; i < v.n; i++) {
        const keys& k = keys_of(v, k0, i, tmp);
        if (!(k.has & (1u << K_MIN_LENGTH | 1u << K_MAX_LENGTH | 1u << K_PATTERN | 1u << K_FORMAT))) { continue; }
        tighten(k, K_MIN_LENGTH, false, any_min, dmin);
        tighten(k, K_MAX_LENGTH, true, any_max, dmax);
        if (!has_pattern) { has_pattern = k.str(K_PATTERN, pattern); }  // the first member's that has one
        if (!has_format) { has_format = k.str(K_FORMAT, format); }
    }
    size_t min_l = any_min ? size_t(std::max(0.0, std::ceil(dmin))) : 0;
    size_t max_l = any_max ? size_t(std::min(BIG, std::floor(dmax))) : size_t(BIG);
    size_t start = c.o.len;
    if (has_pattern) {
        c.o.append('"');
        size_t body = c.o.len;
        if (gen_pattern(c, pattern, depth)) {
            size_t n = 0;  // code points (ASCII): an escaped character counts once
            for (size_t j = body; j < c.o.len; j++, n++) { j += c.o.p[j] == '\\'; }
            if (n >= min_l && n <= max_l) {
                c.o.append('"');
                return schema_status::ok;
            }
        }
        c.o.len = start;
    }
    char fb[48];
    out_buf f(fb, sizeof fb);
    if (has_format && gen_format(c, format, f) && !f.truncated && f.len >= min_l && f.len <= max_l) {
        write_string(c.o, f.view());
        return schema_status::ok;
    }
    // Plain words: a phrase of 1 to 3 words (a name or a city when the property says so),
    // padded with more words to minLength, cut at maxLength.
    bool city = contains(hint, "city") || contains(hint, "location");
    bool name = !city && contains(hint, "name");
    bool small = c.small(depth);
    size_t words = small ? 0 : 1 + c.below(city || name ? 1 : 3), len = 0;
    if (small) { max_l = min_l; }  // the smallest string: exactly minLength
    c.o.append('"');
    for (size_t w = 0; (len < min_l || w < words) && len < max_l && !c.o.truncated; w++) {
        string_view word = city ? pick(c, CITIES) : name ? pick(c, NAMES) : pick(c, WORDS);
        if (w) {
            if (len + 1 == max_l) { word = "s"; }
            else { c.o.append(' '), len++; }
        }
        word = word.substr(0, max_l - len);
        c.o.append(word);
        len += word.size();
    }
    c.o.append('"');
    return schema_status::ok;
}
// ---- numbers ---

// A multiple of m in [lo, hi] that also passes the validators' (x / m) integer test.
bool multiple_in(ctx& c, double lo, double hi, double m, bool integer, double& out) noexcept {
    double klo = std::ceil(lo / m), khi = std::floor(hi / m);
    if (!(klo <= khi) || std::fabs(klo) > BIG || std::fabs(khi) > BIG) { return false; }
    double span = std::min(khi - klo, 100.0), k0 = klo + double(c.below(uint64_t(span) + 1));
    for (int t = 0; t < 64; t++) {
        double k = k0 + t > khi ? klo + (k0 + t - khi - 1) : k0 + t;
        double x = k * m;
        if (x >= lo && x <= hi && (!integer || x == std::floor(x)) && x / m == std::trunc(x / m)) {
            out = x;
            return true;
        }
    }
    return false;
}


[[gnu::noinline]] schema_status gen_number(ctx& c, const view& v, const keys& k0, bool integer, int depth) noexcept {
    double lo = -BIG, hi = BIG, x, m = 0;
    bool lo_x = false, hi_x = false, has_lo = false, has_hi = false;
    keys tmp;
    for (int i = 0; i < v.n; i++) {
        const keys& k = keys_of(v, k0, i, tmp);
        bool d4_lo = k.flag(K_EXCLUSIVE_MINIMUM, true), d4_hi = k.flag(K_EXCLUSIVE_MAXIMUM, true);
        if (k.num(K_MINIMUM, x) && (!has_lo || x > lo || (x == lo && d4_lo))) { lo = x, lo_x = d4_lo, has_lo = true; }
        if (k.num(K_EXCLUSIVE_MINIMUM, x) && (!has_lo || x >= lo)) { lo = x, lo_x = true, has_lo = true; }
        if (k.num(K_MAXIMUM, x) && (!has_hi || x < hi || (x == hi && d4_hi))) { hi = x, hi_x = d4_hi, has_hi = true; }
        if (k.num(K_EXCLUSIVE_MAXIMUM, x) && (!has_hi || x <= hi)) { hi = x, hi_x = true, has_hi = true; }
        if (m == 0 && k.num(K_MULTIPLE_OF, x) && x > 0) { m = x; }
    }
    lo = std::clamp(lo, -BIG, BIG), hi = std::clamp(hi, -BIG, BIG);
    bool small = c.small(depth);
    // Realistic defaults when open: 1..100, or 100 wide beside the one bound given.
    if (!has_lo && !has_hi) { lo = small ? 0 : 1, hi = 100; }
    else if (!has_hi) { hi = std::min(BIG, std::floor(lo) + 100); }
    else if (!has_lo) { lo = hi >= 1 ? std::max(0.0, std::ceil(hi) - 100) : std::ceil(hi) - 100; }
    if (integer || (m > 0 && m == std::floor(m)) || (!small && c.coin())) {
        // An integer: exclusive bounds step in by one.
        double ilo = lo_x ? std::floor(lo) + 1 : std::ceil(lo), ihi = hi_x ? std::ceil(hi) - 1 : std::floor(hi);
        if (m > 0) {
            if (multiple_in(c, ilo, ihi, m, true, x)) {
                c.o.append_decimal(int64_t(x));
                return schema_status::ok;
            }
        } else if (ilo <= ihi) {
            x = small && ilo <= 0 && ihi >= 0 ? 0 : ilo + double(c.below(uint64_t(std::min(ihi - ilo, 1e15)) + 1));
            c.o.append_decimal(int64_t(x));
            return schema_status::ok;
        }
        if (integer && m == 0) {  // empty range: best effort
            c.o.append_decimal(int64_t(ilo));
            return schema_status::ok;
        }
    }
    if (m > 0) {
        if (multiple_in(c, lo_x ? std::nextafter(lo, HUGE_VAL) : lo, hi_x ? std::nextafter(hi, -HUGE_VAL) : hi, m, integer, x)) {
            write_double(c.o, x);
        } else {
            write_double(c.o, lo <= 0 && hi >= 0 ? 0.0 : lo);  // best effort
        }
        return schema_status::ok;
    }
    // Two decimals inside the bounds; the midpoint when the range is narrower than 0.01.
    double klo = std::ceil(lo * 100), khi = std::floor(hi * 100);
    x = (lo + hi) / 2;
    for (int t = 0; t < 4 && klo <= khi; t++) {
        double k = klo + double(c.below(uint64_t(std::min(khi - klo, 1e15)) + 1)), y = k / 100;
        if ((lo_x ? y > lo : y >= lo) && (hi_x ? y < hi : y <= hi)) {
            x = y;
            break;
        }
    }
    write_double(c.o, x);
    return schema_status::ok;
}

// ---- objects and arrays ---

// One member's object keywords.
struct obj_kw {
    object props;
    array req;
    element addl;  // additionalProperties
    bool has_props = false, has_req = false, has_addl = false;
};
obj_kw obj_parts(const keys& k) noexcept {
    obj_kw m;
    m.has_props = k.obj(K_PROPERTIES, m.props);
    m.has_req = k.arr(K_REQUIRED, m.req);
    m.has_addl = k.get(K_ADDITIONAL_PROPERTIES, m.addl);
    return m;
}
[[gnu::noinline]] obj_kw read_obj(element s) noexcept { return obj_parts(keys(s)); }
// Member j's object keywords: member 0's are read once per object (m0).
obj_kw member(const view& v, const obj_kw& m0, int j) noexcept { return j == 0 ? m0 : read_obj(v.m(j)); }

// a == b, without a libc call for the short names schemas mostly have.
bool same_bytes(string_view a, string_view b) noexcept {
    if (a.size() != b.size()) { return false; }
    if (a.size() > 16) { return std::memcmp(a.data(), b.data(), a.size()) == 0; }
    for (size_t i = 0; i < a.size(); i++) {
        if (a[i] != b[i]) { return false; }
    }
    return true;
}

// Up to 64 names, a bit each in the masks below. O(1) a lookup when names are looked up in
// the order they are listed (the search starts after the last match), O(n) otherwise.
constexpr int CHUNK = 64;
struct name_chunk {
    union slot {  // uninitialised past n
        string_view s;
        slot() noexcept {}
    } name_[CHUNK];
    int n = 0, cursor = 0;
    [[nodiscard]] string_view name(int p) const noexcept { return name_[p].s; }
    [[nodiscard]] uint64_t all() const noexcept { return n == CHUNK ? ~uint64_t(0) : (uint64_t(1) << n) - 1; }
    int find(string_view s) noexcept {  // the position of s, -1 when absent
        for (int k = 0, p = cursor; k < n; k++, p = p + 1 == n ? 0 : p + 1) {
            if (same_bytes(name_[p].s, s)) {
                cursor = p + 1 == n ? 0 : p + 1;
                return p;
            }
        }
        return -1;
    }
};
// The names that are keys of o; those whose schema is false also in falses.
uint64_t keys_in(name_chunk& ch, object o, uint64_t& falses) noexcept {
    uint64_t in = 0;
    for (auto at = o.begin(), end = o.end(); at != end; ++at) {
        int p = ch.find(at.key());
        if (p < 0) { continue; }
        in |= uint64_t(1) << p;
        if (is_false(at.value())) { falses |= uint64_t(1) << p; }
    }
    return in;
}
// The names that are strings of a.
uint64_t strings_in(name_chunk& ch, array a) noexcept {
    uint64_t in = 0;
    for (element x : a) {
        string_view s;
        int p = x.get_string().get(s) == SUCCESS ? ch.find(s) : -1;
        if (p >= 0) { in |= uint64_t(1) << p; }
    }
    return in;
}

// What the view says of a chunk of member i's property names: a bit per name.
struct name_masks {
    uint64_t first = 0;  // declared by no earlier member (each name is emitted once, for its first)
    uint64_t req = 0;    // in some member's required
    uint64_t ok = 0;     // allowed by every member: not false in its properties, and not outside
                         // the properties of one with additionalProperties false
};
// The masks of the next (up to 64) names of member i's properties from at; at moves past them.
[[gnu::noinline]] name_masks mask_chunk(const view& v, int i, const obj_kw& mi, const obj_kw& m0, object::iterator& at,
                                        object::iterator end) noexcept {
    name_chunk ch;
    uint64_t falses = 0;
    for (; at != end && ch.n < CHUNK; ++at) {
        if (is_false(at.value())) { falses |= uint64_t(1) << ch.n; }
        ch.name_[ch.n++].s = at.key();
    }
    name_masks m{ch.all(), 0, ch.all() & ~falses};
    for (int j = 0; j < v.n; j++) {
        obj_kw mj = j == i ? mi : member(v, m0, j);
        if (j != i) {
            uint64_t fb = 0, in = mj.has_props ? keys_in(ch, mj.props, fb) : 0;
            if (j < i) { m.first &= ~in; }
            m.ok &= ~fb;
            if (mj.has_addl && is_false(mj.addl)) { m.ok &= in; }
        }
        if (mj.has_req) { m.req |= strings_in(ch, mj.req); }
    }
    return m;
}

// Whether some member's properties declares name.
bool declared(const view& v, const obj_kw& m0, string_view name) noexcept {
    for (int j = 0; j < v.n; j++) {
        obj_kw mj = member(v, m0, j);
        element e;
        if (mj.has_props && mj.props.at_key(name).get(e) == SUCCESS) { return true; }
    }
    return false;
}
// Whether name is an entry of the required of a member before i, or of member i's first upto.
bool named_before(const view& v, const obj_kw& m0, int i, size_t upto, string_view name) noexcept {
    for (int j = 0; j <= i; j++) {
        obj_kw mj = member(v, m0, j);
        if (!mj.has_req) { continue; }
        size_t q = 0;
        for (element x : mj.req) {
            string_view s;
            if (j == i && q++ >= upto) { break; }
            if (x.get_string().get(s) == SUCCESS && s == name) { return true; }
        }
    }
    return false;
}
// Of the next (up to 64) entries of member i's required from at (base entries before it): the
// names no member declares, each at its first entry in the view. at moves past them.
[[gnu::noinline]] uint64_t undeclared_chunk(const view& v, const obj_kw& m0, int i, array::iterator& at,
                                            array::iterator end, size_t base) noexcept {
    name_chunk ch;
    uint64_t cand = 0;
    for (; at != end && ch.n < CHUNK; ++at) {
        string_view s;
        if ((*at).get_string().get(s) == SUCCESS) { cand |= uint64_t(1) << ch.n; }
        ch.name_[ch.n++].s = s;
    }
    for (int j = 0; j < v.n && cand; j++) {
        obj_kw mj = member(v, m0, j);
        uint64_t fb = 0;
        if (mj.has_props) { cand &= ~keys_in(ch, mj.props, fb); }
    }
    for (int p = 0; p < ch.n; p++) {  // rare: each candidate checked exactly
        if (!(cand >> p & 1)) { continue; }
        bool drop = declared(v, m0, ch.name(p)) || named_before(v, m0, i, base + size_t(p), ch.name(p));
        if (drop) { cand &= ~(uint64_t(1) << p); }
    }
    return cand;
}
// Calls f(name) for each required name no member declares, in member and entry order, each
// once; stops when f returns false (and returns false).
template <class F>
bool each_undeclared(const view& v, const obj_kw& m0, F&& f) noexcept {
    for (int i = 0; i < v.n; i++) {
        obj_kw mi = member(v, m0, i);
        if (!mi.has_req) { continue; }
        size_t base = 0;
        for (auto at = mi.req.begin(), end = mi.req.end(); at != end;) {
            auto from = at;
            uint64_t bits = undeclared_chunk(v, m0, i, at, end, base);
            for (int p = 0; from != at; ++from, ++p, ++base) {
                if ((bits >> p & 1) && !f((*from).get_string().value_unsafe())) { return false; }
            }
        }
    }
    return true;
}

// Allowed by every member with additionalProperties false, and by every properties (not false).
[[gnu::noinline]] bool allowed(const view& v, const obj_kw& m0, string_view name) noexcept {
    for (int j = 0; j < v.n; j++) {
        obj_kw mj = member(v, m0, j);
        element s;
        bool in = mj.has_props && mj.props.at_key(name).get(s) == SUCCESS;
        if (in && is_false(s)) { return false; }
        if (!in && mj.has_addl && is_false(mj.addl)) { return false; }
    }
    return true;
}
// The child view for name: each member's property schema, else its additionalProperties. Member
// i (when >= 0) declares it, with schema value.
[[gnu::noinline]] void child_of(const view& v, const obj_kw& m0, string_view name, int i, element value,
                                view& child) noexcept {
    for (int j = 0; j < v.n; j++) {
        if (j == i) {
            child.add(value);
            continue;
        }
        obj_kw mj = member(v, m0, j);
        element s;
        if (mj.has_props && mj.props.at_key(name).get(s) == SUCCESS) { child.add(s); }
        else if (mj.has_addl && mj.addl.is_object()) { child.add(mj.addl); }
    }
}

[[gnu::noinline]] schema_status emit_property(ctx& c, const view& v, const obj_kw& m0, string_view name, int i,
                                              element value, bool& first, int depth) noexcept {
    if (!first) { c.o.append(','); }
    first = false;
    write_string(c.o, name);
    c.o.append(':');
    view child;
    child_of(v, m0, name, i, value, child);
    return gen(c, child, depth + 1, name);
}

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
[[gnu::noinline]] void plan_object(const view& v, const keys& k0, obj_plan& p) noexcept {
    double dmin = 0, dmax = BIG;
    bool any_min = false, any_max = false, big = false;
    size_t entries = 0, chunks = 0;
    p.reqs = p.opts = 0;
    keys tmp;
    for (int i = 0; i < v.n; i++) {
        const keys& k = keys_of(v, k0, i, tmp);
        tighten(k, K_MIN_PROPERTIES, false, any_min, dmin);
        tighten(k, K_MAX_PROPERTIES, true, any_max, dmax);
        obj_kw mi = obj_parts(k);
        if (i == 0) { p.m0 = mi; }
        if (mi.has_req) { entries += mi.req.size(); }
        if (!mi.has_props) { continue; }
        big = big || mi.props.size() > size_t(CHUNK);
        for (auto at = mi.props.begin(), end = mi.props.end(); at != end;) {
            name_masks m = mask_chunk(v, i, mi, p.m0, at, end);
            p.reqs += size_t(bit_count(m.first & m.req));
            p.opts += size_t(bit_count(m.first & ~m.req & m.ok));
            if (chunks++ == 0) { p.masks = m; }
        }
    }
    p.one = chunks == 1;
    // Every entry names a declared property unless there are more entries than required names
    // found (with at most one chunk a member, an entry marks at most one name).
    p.nowhere = big || entries != p.reqs;
    if (p.nowhere) {
        (void)each_undeclared(v, p.m0, [&](string_view) {
            p.reqs++;
            return true;
        });
    }
    p.min_p = size_t(std::max(0.0, dmin)), p.max_p = size_t(std::min(BIG, dmax));
}

// Each name once: declared properties in member order, then required names declared nowhere.
[[gnu::noinline]] schema_status gen_object(ctx& c, const view& v, const obj_plan& p, int depth) noexcept {
    size_t need = p.min_p > p.reqs ? p.min_p - p.reqs : 0, room = p.max_p > p.reqs ? p.max_p - p.reqs : 0;
    size_t taken = 0, emitted = 0, opts = p.opts;
    bool small = c.small(depth), first = true, go = true;
    schema_status st = schema_status::ok;
    auto emit = [&](string_view n, bool req, bool ok, int i, element value) {  // false: stop
        if (!req) {
            if (!ok) { return true; }
            size_t still = need > taken ? need - taken : 0;  // optional names minProperties needs
            bool take = opts-- <= still || (!small && c.coin());
            if (!take || taken >= room) { return true; }
            taken++;
        }
        emitted++;
        st = emit_property(c, v, p.m0, n, i, value, first, depth);
        return st == schema_status::ok && !c.o.truncated;
    };
    c.o.append('{');
    for (int i = 0; i < v.n && go; i++) {
        obj_kw mi = member(v, p.m0, i);
        if (!mi.has_props) { continue; }
        for (auto at = mi.props.begin(), end = mi.props.end(); at != end && go;) {
            auto from = at;
            name_masks m = p.masks;
            if (p.one) { at = end; }
            else { m = mask_chunk(v, i, mi, p.m0, at, end); }
            for (int q = 0; from != at && go; ++from, ++q) {
                if (m.first >> q & 1) { go = emit(from.key(), m.req >> q & 1, m.ok >> q & 1, i, from.value()); }
            }
        }
    }
    if (go && p.nowhere) { (void)each_undeclared(v, p.m0, [&](string_view n) { return emit(n, true, true, -1, element()); }); }
    // minProperties beyond the declared names: extra keys, where extra keys are allowed.
    char key[32] = "extra_";
    if (st == schema_status::ok && emitted < p.min_p && allowed(v, p.m0, "extra_")) {
        for (size_t k = 1; st == schema_status::ok && emitted < p.min_p && !c.o.truncated; k++) {
            emitted++;
            st = emit_property(c, v, p.m0, string_view(key, 6 + format_decimal(k, key + 6)), -1, element(), first, depth);
        }
    }
    c.o.append('}');
    return st;
}

// One member's array keywords.
struct arr_kw {
    array tuple;   // prefixItems, or items as an array (draft-04)
    element rest;  // the schema past the tuple: items, or additionalItems after a draft-04 tuple
    bool has_tuple = false, has_rest = false;
};
arr_kw arr_parts(const keys& k) noexcept {
    arr_kw a;
    bool prefix = k.arr(K_PREFIX_ITEMS, a.tuple);
    bool draft4 = !prefix && k.arr(K_ITEMS, a.tuple);
    a.has_tuple = prefix || draft4;
    a.has_rest = k.get(draft4 ? K_ADDITIONAL_ITEMS : K_ITEMS, a.rest);
    return a;
}
struct arr_plan {  // every field set by plan_array
    arr_kw a0;  // member 0's
    size_t min_i, max_i, tuple;
    bool unique;
};
[[gnu::noinline]] void plan_array(const view& v, const keys& k0, arr_plan& p) noexcept {
    double dmin = 0, dmax = BIG;
    bool any_min = false, any_max = false;
    size_t cap = SIZE_MAX;
    p.tuple = 0, p.unique = false;
    keys tmp;
    for (int i = 0; i < v.n; i++) {
        const keys& k = keys_of(v, k0, i, tmp);
        tighten(k, K_MIN_ITEMS, false, any_min, dmin);
        tighten(k, K_MAX_ITEMS, true, any_max, dmax);
        p.unique = p.unique || k.flag(K_UNIQUE_ITEMS, true);
        arr_kw a = arr_parts(k);
        if (i == 0) { p.a0 = a; }
        if (!a.has_tuple) { continue; }
        p.tuple = std::max(p.tuple, a.tuple.size());
        if (a.has_rest && is_false(a.rest)) { cap = std::min(cap, a.tuple.size()); }
    }
    p.min_i = size_t(std::max(0.0, dmin)), p.max_i = std::min(size_t(std::min(BIG, dmax)), cap);
}
// The view for item i: each member's tuple schema at i, else its schema for the rest.
[[gnu::noinline]] void item_view(const view& v, const arr_kw& a0, size_t i, view& child) noexcept {
    for (int k = 0; k < v.n; k++) {
        arr_kw a = k == 0 ? a0 : arr_parts(keys(v.m(k)));
        element x;
        if (a.has_tuple && i < a.tuple.size()) {
            if (a.tuple.at(i).get(x) == SUCCESS) { child.add(x); }
        } else if (a.has_rest) {
            child.add(a.rest);
        }
    }
}

[[gnu::noinline]] schema_status gen_array(ctx& c, const view& v, const arr_plan& p, int depth, string_view hint) noexcept {
    size_t n = c.small(depth) ? p.min_i : p.tuple ? p.tuple : 1 + c.below(3);
    n = std::max(p.min_i, std::min(n, p.max_i));
    uint32_t starts[SCHEMA_MAX_UNIQUE], ends[SCHEMA_MAX_UNIQUE];  // items compared for uniqueItems
    schema_status st = schema_status::ok;
    c.o.append('[');
    for (size_t i = 0; i < n && st == schema_status::ok && !c.o.truncated; i++) {
        size_t before = c.o.len;
        if (i) { c.o.append(','); }
        size_t at = c.o.len;
        bool dup = true;
        for (int attempt = 0; dup && attempt < (p.unique ? 32 : 1); attempt++) {
            c.o.len = at;
            view child;
            item_view(v, p.a0, i, child);
            c.vary += attempt > 0;
            st = gen(c, child, depth + 1, hint);
            c.vary -= attempt > 0;
            // Our values are canonical (fixed key order, shortest numbers): equal means same bytes.
            dup = false;
            for (size_t j = 0; p.unique && j < std::min(i, size_t(SCHEMA_MAX_UNIQUE)) && !dup; j++) {
                dup = ends[j] - starts[j] == c.o.len - at && std::memcmp(c.o.p + starts[j], c.o.p + at, c.o.len - at) == 0;
            }
        }
        if (dup && i >= p.min_i) {  // no distinct value found: the array ends here
            c.o.len = before;
            break;
        }
        if (i < SCHEMA_MAX_UNIQUE) {
            starts[i] = uint32_t(at);
            ends[i] = uint32_t(c.o.len);
        }
    }
    c.o.append(']');
    return st;
}

// ---- one value ---

// What value_core leaves to gen: an object or an array, with its plan (nothing else is live
// while the children are generated).
union container_plan {
    obj_plan o;
    arr_plan a;
    container_plan() noexcept {}
};

// Expands the view and reads what every value needs, one pass over each member's keys, as
// the member is reached: members only ever join at the end, so the facts come out as if read
// after the expansion, in member order. Then writes the value when it is not a container
// (st), or plans the object or array (returns T_OBJ or T_ARR; 0 when the value is written).
// Member 0's keys serve its type's keywords too: a one-schema view reads its schema once.
[[gnu::noinline]] uint8_t value_core(ctx& c, view& v, int depth, string_view hint, container_plan& p,
                                     schema_status& st) noexcept {
    keys k0, tmp;
    element konst, enm;
    uint8_t types = T_ALL, implied = T_ALL, stop = 0;  // stop: the first false member (1) or const (2)
    bool has_enum = false;
    // Adds what the members imply — $ref targets, allOf members, one anyOf/oneOf branch — in
    // place, breadth first: bounded by SCHEMA_MAX_VIEW, and a $ref cycle meets schemas already in.
    for (int i = 0; i < v.n; i++) {
        element s = v.m(i), e, t;
        if (is_false(s)) {
            if (!stop) { stop = 1; }
            continue;
        }
        keys& k = i == 0 ? k0 : tmp;
        k.read(s);
        string_view ref;
        array a;
        if (k.str(K_REF, ref) && resolve(c.root, ref, t)) { v.add(t); }
        if (k.arr(K_ALL_OF, a)) {
            for (element x : a) { v.add(x); }
        }
        if (k.arr(K_ANY_OF, a) && a.size()) { v.add(pick_branch(c, v, a, false, depth)); }
        if (k.arr(K_ONE_OF, a) && a.size()) { v.add(pick_branch(c, v, a, true, depth)); }
        if (stop) { continue; }
        if (k.get(K_CONST, e)) {
            stop = 2, konst = e;
            continue;
        }
        uint8_t ty = declared_types(k);
        types = (types & ty) ? types & ty : types;  // a conflict: the earlier types win
        if (implied == T_ALL) { implied = k.implied; }
        if (!has_enum && k.arr(K_ENUM, a) && a.size() > 0) { has_enum = true, enm = k.v[K_ENUM].e; }
    }
    st = schema_status::ok;
    if (stop == 1) {  // no value validates
        st = schema_status::bad_schema;
        return 0;
    }
    if (stop == 2 || has_enum) {  // enum: a member of an allowed type, else any
        if (!(stop == 2 ? write_element(c.o, konst, depth) : write_enum(c, enm, types, depth))) { st = schema_status::bad_schema; }
        return 0;
    }
    if (types == T_ALL && implied == T_ALL) {  // any value: a short string
        if (c.small(depth)) { c.o.append("\"\""); }
        else { write_string(c.o, pick(c, WORDS)); }
        return 0;
    }
    if (types == T_ALL) { types = implied; }
    // One type: null 1 time in 4 when others are allowed (always when values are minimal);
    // when deep, scalars before containers.
    uint8_t others = types & ~T_NULL;
    if ((types & T_NULL) && (!others || c.small(depth) || c.below(4) == 0)) {
        c.o.append("null");
        return 0;
    }
    if (depth > SCHEMA_SOFT_DEPTH && (others & ~(T_OBJ | T_ARR))) { others &= ~(T_OBJ | T_ARR); }
    if (others & T_NUM) { others &= ~T_INT; }  // number covers integer
    int count = bit_count(others), n = int(c.below(uint64_t(count)));
    uint8_t t = others;
    for (; n > 0; n--) { t &= t - 1; }
    t &= uint8_t(-t);  // the n-th set bit
    switch (t) {
        case T_BOOL: c.o.append(c.coin() ? "true" : "false"); return 0;
        case T_OBJ: plan_object(v, k0, p.o); return T_OBJ;
        case T_ARR: plan_array(v, k0, p.a); return T_ARR;
        case T_STR: st = gen_string(c, v, k0, depth, hint); return 0;
        case T_INT: st = gen_number(c, v, k0, true, depth); return 0;
        default: st = gen_number(c, v, k0, false, depth); return 0;
    }
}

schema_status gen(ctx& c, view& v, int depth, string_view hint) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return schema_status::too_large; }
    container_plan p;
    schema_status st;
    switch (value_core(c, v, depth, hint, p, st)) {
        case T_OBJ: return gen_object(c, v, p.o, depth);
        case T_ARR: return gen_array(c, v, p.a, depth, hint);
        default: return st;
    }
}

}  // namespace

const char* check_schema(element schema, out_buf* where) noexcept {
    checker k{schema, where};
    return check(k, schema, 0);
}

schema_status generate_json(element schema, out_buf& o, rng& r) noexcept {
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

}  // namespace lms

