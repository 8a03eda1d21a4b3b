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

uint8_t type_bit(string_view t) noexcept {
    if (t == "null") { return T_NULL; }
    if (t == "boolean") { return T_BOOL; }
    if (t == "object") { return T_OBJ; }
    if (t == "array") { return T_ARR; }
    if (t == "string") { return T_STR; }
    if (t == "integer") { return T_INT; }
    if (t == "number") { return T_NUM | T_INT; }  // every integer is a number
    return 0;
}

bool field(element s, string_view k, element& out) noexcept {
    object o;
    return s.get_object().get(o) == SUCCESS && o.at_key(k).get(out) == SUCCESS;
}
bool num_field(element s, string_view k, double& d) noexcept {
    element e;
    return field(s, k, e) && e.is_number() && e.get_double().get(d) == SUCCESS;
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
uint8_t declared_types(element s) noexcept {
    element t;
    if (!field(s, "type", t)) { return T_ALL; }
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
// What s accepts at most: its "type", else the types of its const/enum values.
uint8_t accepted_types(element s) noexcept {
    uint8_t m = declared_types(s);
    element e;
    array a;
    if (field(s, "const", e)) { return m & value_type(e); }
    if (field(s, "enum", e) && e.get_array().get(a) == SUCCESS) {
        uint8_t v = 0;
        for (element x : a) { v |= value_type(x); }
        return m & v;
    }
    return m;
}
// The type an untyped schema's keywords imply (T_ALL when none do).
uint8_t implied_types(element s) noexcept {
    object o;
    if (s.get_object().get(o) != SUCCESS) { return T_ALL; }
    for (auto kv : o) {
        string_view k = kv.key;
        if (k == "properties" || k == "required" || k == "additionalProperties" || k == "minProperties" ||
            k == "maxProperties") {
            return T_OBJ;
        }
        if (k == "items" || k == "prefixItems" || k == "minItems" || k == "maxItems" || k == "uniqueItems") { return T_ARR; }
        if (k == "minLength" || k == "maxLength" || k == "format" || k == "pattern") { return T_STR; }
        if (k == "minimum" || k == "maximum" || k == "exclusiveMinimum" || k == "exclusiveMaximum" || k == "multipleOf") {
            return T_NUM | T_INT;
        }
    }
    return T_ALL;
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

enum class sub : uint8_t { one, one_or_list, list, map };
struct sub_keyword {
    string_view name;
    sub kind;
};
constexpr sub_keyword SUBSCHEMAS[] = {
    {"properties", sub::map},    {"$defs", sub::map},        {"definitions", sub::map},
    {"items", sub::one_or_list}, {"prefixItems", sub::list}, {"additionalItems", sub::one},
    {"additionalProperties", sub::one}, {"anyOf", sub::list}, {"oneOf", sub::list},
    {"allOf", sub::list},        {"not", sub::one},
};
constexpr string_view PAIRS[][2] = {
    {"minimum", "maximum"}, {"minLength", "maxLength"}, {"minItems", "maxItems"}, {"minProperties", "maxProperties"}};

constexpr string_view BOUNDS[] = {"minimum",   "maximum",  "exclusiveMinimum", "exclusiveMaximum", "minLength",
                                  "maxLength", "minItems", "maxItems",         "minProperties",    "maxProperties"};
bool is_bound(string_view k) noexcept {
    for (string_view b : BOUNDS) {
        if (b == k) { return true; }
    }
    return false;
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
        for (element x : a) { m = std::max(m, value_depth(x, depth + 1)); }
    } else if (e.get_object().get(o) == SUCCESS) {
        for (auto kv : o) { m = std::max(m, value_depth(kv.value, depth + 1)); }
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
        size_t at = push(k, string_view(idx, format_decimal(i++, idx)));
        if (const char* e = check(k, x, depth + 1)) { return e; }
        pop(k, at);
    }
    return nullptr;
}

const char* check(checker& k, element s, int depth) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return "Invalid schema: nested deeper than 24 levels"; }
    if (s.is_bool()) { return depth == 0 && is_false(s) ? "Invalid schema: false accepts no value" : nullptr; }
    object o;
    if (s.get_object().get(o) != SUCCESS) { return "Invalid schema: a schema must be an object or a boolean"; }
    for (auto kv : o) {
        string_view key = kv.key;
        element v = kv.value;
        size_t at = push(k, key);
        const char* err = nullptr;
        string_view str;
        array a;
        if (key == "type") {
            if (v.get_string().get(str) == SUCCESS) {
                if (!type_bit(str)) { err = "Invalid schema: unknown type"; }
            } else if (v.get_array().get(a) == SUCCESS && a.size() > 0) {
                for (element x : a) {
                    if (x.get_string().get(str) != SUCCESS || !type_bit(str)) { err = "Invalid schema: unknown type"; }
                }
            } else {
                err = "Invalid schema: type must be a string or a non-empty array of strings";
            }
        } else if (key == "required") {
            if (v.get_array().get(a) != SUCCESS) {
                err = "Invalid schema: required must be an array of strings";
            } else {
                for (element x : a) {
                    if (!x.is_string()) { err = "Invalid schema: required must be an array of strings"; }
                }
            }
        } else if (key == "enum") {
            if (v.get_array().get(a) != SUCCESS || a.size() == 0) { err = "Invalid schema: enum must be a non-empty array"; }
            else if (value_depth(v, depth) > SCHEMA_MAX_DEPTH) { err = "Invalid schema: enum nested deeper than 24 levels"; }
        } else if (key == "const") {
            if (value_depth(v, depth) > SCHEMA_MAX_DEPTH) { err = "Invalid schema: const nested deeper than 24 levels"; }
        } else if (key == "$ref") {
            element t;
            if (v.get_string().get(str) != SUCCESS || !resolve(k.root, str, t)) {
                err = "Invalid schema: $ref does not resolve (only local '#...' references are supported)";
            }
        } else if (key == "multipleOf") {
            double m = 0;
            if (!v.is_number() || v.get_double().get(m) != SUCCESS || !(m > 0)) { err = "Invalid schema: multipleOf must be a number above 0"; }
        } else if (is_bound(key)) {
            if (!v.is_number() && !(key.substr(0, 9) == "exclusive" && v.is_bool())) { err = "Invalid schema: a bound must be a number"; }
        } else {
            for (const sub_keyword& w : SUBSCHEMAS) {
                if (w.name == key) { err = check_sub(k, v, w.kind, depth); }
            }
        }
        if (err) { return err; }
        pop(k, at);
    }
    for (const auto& p : PAIRS) {
        double lo = 0, hi = 0;
        if (num_field(s, p[0], lo) && num_field(s, p[1], hi) && lo > hi) {
            push(k, p[0]);
            return "Invalid schema: a minimum above its maximum accepts no value";
        }
    }
    return nullptr;
}

// ---- generation ------------------------------------------------------------------------------

struct view {
    element m[SCHEMA_MAX_VIEW];
    int n = 0;
    void add(element e) noexcept {
        if (e.is_bool() && !is_false(e)) { return; }  // true adds nothing
        for (int i = 0; i < n; i++) {
            if (same(m[i], e)) { return; }
        }
        if (n < SCHEMA_MAX_VIEW) { m[n++] = e; }
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

// Whether a value of branch a can never be accepted by branch b (the oneOf rule).
bool excludes(ctx& c, element a, element b) noexcept {
    element ra, rb, pa, pb, e;
    string_view ref;
    if (field(a, "$ref", e) && e.get_string().get(ref) == SUCCESS && resolve(c.root, ref, ra)) { a = ra; }
    if (field(b, "$ref", e) && e.get_string().get(ref) == SUCCESS && resolve(c.root, ref, rb)) { b = rb; }
    uint8_t ta = accepted_types(a);  // what a generates: its type, else what its keywords imply
    if (ta == T_ALL) { ta = implied_types(a); }
    if ((ta & accepted_types(b)) == 0) { return true; }
    object props;
    array req;
    if (field(a, "properties", pa) && pa.get_object().get(props) == SUCCESS && field(a, "required", e) &&
        e.get_array().get(req) == SUCCESS) {
        for (element name : req) {
            string_view n;
            element sa, sb, x, y;
            if (name.get_string().get(n) != SUCCESS || props.at_key(n).get(sa) != SUCCESS) { continue; }
            if (!field(sa, "const", x)) {
                array one;
                if (!field(sa, "enum", y) || y.get_array().get(one) != SUCCESS || one.size() != 1) { continue; }
                x = one.at(0).value_unsafe();
            }
            if (!field(b, "properties", pb) || !field(pb, n, sb)) { continue; }
            array en;
            if (field(sb, "const", y) && !scalar_eq(x, y)) { return true; }
            if (field(sb, "enum", y) && y.get_array().get(en) == SUCCESS) {
                bool in = false;
                for (element z : en) { in = in || scalar_eq(x, z); }
                if (!in) { return true; }
            }
        }
    }
    // b requires a name that a forbids.
    if (field(b, "required", e) && e.get_array().get(req) == SUCCESS && field(a, "additionalProperties", pa) &&
        is_false(pa)) {
        for (element name : req) {
            string_view n;
            element x;
            if (name.get_string().get(n) == SUCCESS && !(field(a, "properties", pb) && field(pb, n, x))) { return true; }
        }
    }
    return false;
}

element pick_branch(ctx& c, const view& v, array branches, bool one_of, int depth) noexcept {
    size_t n = branches.size(), start = c.below(n);
    element first, b;
    first = branches.at(start).value_unsafe();
    uint8_t have = T_ALL;
    for (int i = 0; i < v.n; i++) { have &= declared_types(v.m[i]); }
    for (element x : branches) {
        if (c.small(depth) && accepted_types(x) == T_NULL) { return x; }  // the end of a recursion
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

// Adds what the members imply — $ref targets, allOf members, one anyOf/oneOf branch — in
// place, breadth first: bounded by SCHEMA_MAX_VIEW, and a $ref cycle meets schemas already in.
void expand(ctx& c, view& v, int depth) noexcept {
    for (int i = 0; i < v.n; i++) {
        element s = v.m[i], e, t;
        string_view ref;
        array a;
        if (field(s, "$ref", e) && e.get_string().get(ref) == SUCCESS && resolve(c.root, ref, t)) { v.add(t); }
        if (field(s, "allOf", e) && e.get_array().get(a) == SUCCESS) {
            for (element x : a) { v.add(x); }
        }
        if (field(s, "anyOf", e) && e.get_array().get(a) == SUCCESS && a.size()) { v.add(pick_branch(c, v, a, false, depth)); }
        if (field(s, "oneOf", e) && e.get_array().get(a) == SUCCESS && a.size()) { v.add(pick_branch(c, v, a, true, depth)); }
    }
}

// The tightest of a numeric keyword across the view (lowest when low, else highest).
bool tightest(const view& v, string_view key, bool low, double& out) noexcept {
    bool any = false;
    for (int i = 0; i < v.n; i++) {
        double d;
        if (num_field(v.m[i], key, d) && (!any || (low ? d < out : d > out))) {
            out = d;
            any = true;
        }
    }
    return any;
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

schema_status gen_string(ctx& c, const view& v, int depth, string_view hint) noexcept {
    double dmin = 0, dmax = BIG;
    (void)tightest(v, "minLength", false, dmin);
    (void)tightest(v, "maxLength", true, dmax);
    size_t min_l = size_t(std::max(0.0, std::ceil(dmin))), max_l = size_t(std::min(BIG, std::floor(dmax)));
    size_t start = c.o.len;
    element e;
    string_view s;
    for (int i = 0; i < v.n; i++) {
        if (field(v.m[i], "pattern", e) && e.get_string().get(s) == SUCCESS) {
            c.o.append('"');
            size_t body = c.o.len;
            if (gen_pattern(c, s, depth)) {
                size_t n = 0;  // code points (ASCII): an escaped character counts once
                for (size_t j = body; j < c.o.len; j++, n++) { j += c.o.p[j] == '\\'; }
                if (n >= min_l && n <= max_l) {
                    c.o.append('"');
                    return schema_status::ok;
                }
            }
            c.o.len = start;
            break;
        }
    }
    char fb[48];
    out_buf f(fb, sizeof fb);
    for (int i = 0; i < v.n; i++) {
        if (field(v.m[i], "format", e) && e.get_string().get(s) == SUCCESS) {
            if (gen_format(c, s, f) && !f.truncated && f.len >= min_l && f.len <= max_l) {
                write_string(c.o, f.view());
                return schema_status::ok;
            }
            break;
        }
    }
    // Plain words: a phrase of 1 to 3 words (a name or a city when the property says so),
    // padded with more words to minLength, cut at maxLength.
    bool city = hint.find("city") != string_view::npos || hint.find("location") != string_view::npos;
    bool name = !city && hint.find("name") != string_view::npos;
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

schema_status gen_number(ctx& c, const view& v, bool integer, int depth) noexcept {
    double lo = -BIG, hi = BIG, x, m = 0;
    bool lo_x = false, hi_x = false, has_lo = false, has_hi = false;
    for (int i = 0; i < v.n; i++) {
        element s = v.m[i], e;
        bool b = false;
        bool d4_lo = field(s, "exclusiveMinimum", e) && e.get_bool().get(b) == SUCCESS && b;
        bool d4_hi = field(s, "exclusiveMaximum", e) && e.get_bool().get(b) == SUCCESS && b;
        if (num_field(s, "minimum", x) && (!has_lo || x > lo || (x == lo && d4_lo))) { lo = x, lo_x = d4_lo, has_lo = true; }
        if (num_field(s, "exclusiveMinimum", x) && (!has_lo || x >= lo)) { lo = x, lo_x = true, has_lo = true; }
        if (num_field(s, "maximum", x) && (!has_hi || x < hi || (x == hi && d4_hi))) { hi = x, hi_x = d4_hi, has_hi = true; }
        if (num_field(s, "exclusiveMaximum", x) && (!has_hi || x <= hi)) { hi = x, hi_x = true, has_hi = true; }
        if (m == 0 && num_field(s, "multipleOf", x) && x > 0) { m = x; }
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

// Where name is declared: the first member whose properties has it (-1: none); its schema in e.
int declared(const view& v, string_view name, element& e) noexcept {
    for (int i = 0; i < v.n; i++) {
        element p;
        if (field(v.m[i], "properties", p) && field(p, name, e)) { return i; }
    }
    return -1;
}
bool required(const view& v, string_view name) noexcept {
    for (int i = 0; i < v.n; i++) {
        element r;
        array a;
        if (!field(v.m[i], "required", r) || r.get_array().get(a) != SUCCESS) { continue; }
        for (element x : a) {
            string_view n;
            if (x.get_string().get(n) == SUCCESS && n == name) { return true; }
        }
    }
    return false;
}
// Allowed by every member with additionalProperties false, and by every properties (not false).
bool allowed(const view& v, string_view name) noexcept {
    for (int i = 0; i < v.n; i++) {
        element p, e, s;
        bool in = field(v.m[i], "properties", p) && field(p, name, s);
        if (in && is_false(s)) { return false; }
        if (!in && field(v.m[i], "additionalProperties", e) && is_false(e)) { return false; }
    }
    return true;
}
// The child view for name: each member's property schema, else its additionalProperties.
void child_of(const view& v, string_view name, view& child) noexcept {
    for (int i = 0; i < v.n; i++) {
        element p, s;
        if (field(v.m[i], "properties", p) && field(p, name, s)) { child.add(s); }
        else if (field(v.m[i], "additionalProperties", s) && s.is_object()) { child.add(s); }
    }
}

schema_status emit_property(ctx& c, const view& v, string_view name, bool& first, int depth) noexcept {
    if (!first) { c.o.append(','); }
    first = false;
    write_string(c.o, name);
    c.o.append(':');
    view child;
    child_of(v, name, child);
    return gen(c, child, depth + 1, name);
}

// Each name once: declared properties in member order, then required names declared nowhere.
// f(name, is_required) returns false to stop.
template <class F>
bool each_name(const view& v, F&& f) noexcept {
    for (int i = 0; i < v.n; i++) {
        element p, e;
        object props;
        if (!field(v.m[i], "properties", p) || p.get_object().get(props) != SUCCESS) { continue; }
        for (auto kv : props) {
            if (declared(v, kv.key, e) == i && !f(kv.key, required(v, kv.key))) { return false; }
        }
    }
    for (int i = 0; i < v.n; i++) {
        element r, e;
        array a;
        if (!field(v.m[i], "required", r) || r.get_array().get(a) != SUCCESS) { continue; }
        size_t at = 0;
        for (element x : a) {
            string_view n;
            bool seen = false;  // an earlier required entry (this member's or a previous one's)
            for (int j = 0; j <= i && !seen; j++) {
                element r2;
                array a2;
                if (!field(v.m[j], "required", r2) || r2.get_array().get(a2) != SUCCESS) { continue; }
                size_t upto = j == i ? at : a2.size(), q = 0;
                for (element y : a2) {
                    string_view m;
                    if (q++ >= upto) { break; }
                    seen = seen || (y.get_string().get(m) == SUCCESS && x.get_string().get(n) == SUCCESS && m == n);
                }
            }
            at++;
            if (!seen && x.get_string().get(n) == SUCCESS && declared(v, n, e) < 0 && !f(n, true)) { return false; }
        }
    }
    return true;
}

schema_status gen_object(ctx& c, const view& v, int depth) noexcept {
    double dmin = 0, dmax = BIG;
    (void)tightest(v, "minProperties", false, dmin);
    (void)tightest(v, "maxProperties", true, dmax);
    size_t reqs = 0, opts = 0;
    (void)each_name(v, [&](string_view n, bool req) {
        if (req) { reqs++; }
        else if (allowed(v, n)) { opts++; }
        return true;
    });
    size_t min_p = size_t(std::max(0.0, dmin)), max_p = size_t(std::min(BIG, dmax));
    size_t need = min_p > reqs ? min_p - reqs : 0, room = max_p > reqs ? max_p - reqs : 0, taken = 0, emitted = 0;
    bool small = c.small(depth), first = true;
    schema_status st = schema_status::ok;
    c.o.append('{');
    (void)each_name(v, [&](string_view n, bool req) {
        if (!req) {
            if (!allowed(v, n)) { return true; }
            size_t still = need > taken ? need - taken : 0;  // optional names minProperties needs
            bool take = opts-- <= still || (!small && c.coin());
            if (!take || taken >= room) { return true; }
            taken++;
        }
        emitted++;
        st = emit_property(c, v, n, first, depth);
        return st == schema_status::ok && !c.o.truncated;
    });
    // minProperties beyond the declared names: extra keys, where extra keys are allowed.
    char key[32] = "extra_";
    for (size_t k = 1; st == schema_status::ok && emitted < min_p && allowed(v, "extra_") && !c.o.truncated; k++) {
        emitted++;
        st = emit_property(c, v, string_view(key, 6 + format_decimal(k, key + 6)), first, depth);
    }
    c.o.append('}');
    return st;
}

schema_status gen_array(ctx& c, const view& v, int depth, string_view hint) noexcept {
    double dmin = 0, dmax = BIG;
    (void)tightest(v, "minItems", false, dmin);
    (void)tightest(v, "maxItems", true, dmax);
    size_t min_i = size_t(std::max(0.0, dmin)), max_i = size_t(std::min(BIG, dmax)), tuple = 0;
    bool unique = false;
    for (int i = 0; i < v.n; i++) {
        element e, rest;
        array a;
        bool b = false;
        if (field(v.m[i], "uniqueItems", e) && e.get_bool().get(b) == SUCCESS && b) { unique = true; }
        bool prefix = field(v.m[i], "prefixItems", e) && e.get_array().get(a) == SUCCESS;
        bool draft4 = !prefix && field(v.m[i], "items", e) && e.get_array().get(a) == SUCCESS;
        if (prefix || draft4) { tuple = std::max(tuple, a.size()); }
        if ((prefix || draft4) && field(v.m[i], draft4 ? "additionalItems" : "items", rest) && is_false(rest)) {
            max_i = std::min(max_i, a.size());
        }
    }
    size_t n = c.small(depth) ? min_i : tuple ? tuple : 1 + c.below(3);
    n = std::max(min_i, std::min(n, max_i));
    uint32_t starts[SCHEMA_MAX_UNIQUE], ends[SCHEMA_MAX_UNIQUE];  // items compared for uniqueItems
    schema_status st = schema_status::ok;
    c.o.append('[');
    for (size_t i = 0; i < n && st == schema_status::ok && !c.o.truncated; i++) {
        size_t before = c.o.len;
        if (i) { c.o.append(','); }
        size_t at = c.o.len;
        bool dup = true;
        for (int attempt = 0; dup && attempt < (unique ? 32 : 1); attempt++) {
            c.o.len = at;
            view child;
            for (int k = 0; k < v.n; k++) {  // the tuple's schema at i, else the schema for the rest
                element e, x;
                array a;
                bool prefix = field(v.m[k], "prefixItems", e) && e.get_array().get(a) == SUCCESS;
                bool draft4 = !prefix && field(v.m[k], "items", e) && e.get_array().get(a) == SUCCESS;
                if ((prefix || draft4) && i < a.size()) {
                    if (a.at(i).get(x) == SUCCESS) { child.add(x); }
                } else if (field(v.m[k], draft4 ? "additionalItems" : "items", x)) {
                    child.add(x);
                }
            }
            c.vary += attempt > 0;
            st = gen(c, child, depth + 1, hint);
            c.vary -= attempt > 0;
            // Our values are canonical (fixed key order, shortest numbers): equal means same bytes.
            dup = false;
            for (size_t j = 0; unique && j < std::min(i, size_t(SCHEMA_MAX_UNIQUE)) && !dup; j++) {
                dup = ends[j] - starts[j] == c.o.len - at && std::memcmp(c.o.p + starts[j], c.o.p + at, c.o.len - at) == 0;
            }
        }
        if (dup && i >= min_i) {  // no distinct value found: the array ends here
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

schema_status gen(ctx& c, view& v, int depth, string_view hint) noexcept {
    if (depth > SCHEMA_MAX_DEPTH) { return schema_status::too_large; }
    expand(c, v, depth);
    uint8_t types = T_ALL, implied = T_ALL;
    for (int i = 0; i < v.n; i++) {
        if (is_false(v.m[i])) { return schema_status::bad_schema; }  // no value validates
        element e;
        if (field(v.m[i], "const", e)) { return write_element(c.o, e, depth) ? schema_status::ok : schema_status::bad_schema; }
        uint8_t t = declared_types(v.m[i]);
        types = (types & t) ? types & t : types;  // a conflict: the earlier types win
        if (implied == T_ALL) { implied = implied_types(v.m[i]); }
    }
    for (int i = 0; i < v.n; i++) {  // enum: a member of an allowed type, else the first
        element e, x, pick;
        array a;
        if (!field(v.m[i], "enum", e) || e.get_array().get(a) != SUCCESS || a.size() == 0) { continue; }
        size_t n = a.size(), start = c.below(n);
        pick = a.at(start).value_unsafe();
        for (size_t k = 0; k < n; k++) {
            if (a.at((start + k) % n).get(x) == SUCCESS && (value_type(x) & types)) {
                pick = x;
                break;
            }
        }
        return write_element(c.o, pick, depth) ? schema_status::ok : schema_status::bad_schema;
    }
    if (types == T_ALL && implied == T_ALL) {  // any value: a short string
        if (c.small(depth)) { c.o.append("\"\""); }
        else { write_string(c.o, pick(c, WORDS)); }
        return schema_status::ok;
    }
    if (types == T_ALL) { types = implied; }
    // One type: null 1 time in 4 when others are allowed (always when values are minimal);
    // when deep, scalars before containers.
    uint8_t others = types & ~T_NULL;
    if ((types & T_NULL) && (!others || c.small(depth) || c.below(4) == 0)) {
        c.o.append("null");
        return schema_status::ok;
    }
    if (depth > SCHEMA_SOFT_DEPTH && (others & ~(T_OBJ | T_ARR))) { others &= ~(T_OBJ | T_ARR); }
    if (others & T_NUM) { others &= ~T_INT; }  // number covers integer
    int count = __builtin_popcount(others), k = int(c.below(uint64_t(count)));
    uint8_t t = others;
    for (; k > 0; k--) { t &= t - 1; }
    t &= uint8_t(-t);  // the k-th set bit
    switch (t) {
        case T_BOOL: c.o.append(c.coin() ? "true" : "false"); return schema_status::ok;
        case T_OBJ: return gen_object(c, v, depth);
        case T_ARR: return gen_array(c, v, depth, hint);
        case T_STR: return gen_string(c, v, depth, hint);
        case T_INT: return gen_number(c, v, true, depth);
        default: return gen_number(c, v, false, depth);
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

