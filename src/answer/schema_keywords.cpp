#include "answer/schema_keywords.hpp"

#include <cmath>

namespace lms::schema_detail {

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

namespace {

// Whether the pointer segment seg (with ~0 for '~' and ~1 for '/') names key.
bool segment_is(string_view seg, string_view key) noexcept {
    size_t j = 0;
    for (size_t i = 0; i < seg.size(); i++, j++) {
        char c = seg[i];
        if (c == '~' && i + 1 < seg.size()) { c = seg[++i] == '1' ? '/' : '~'; }
        if (j >= key.size() || key[j] != c) { return false; }
    }
    return j == key.size();
}

}  // namespace

// O(keys) a segment: an object's keys are searched in order (a pointer is resolved once per
// $ref a value meets, and schemas have few $defs).
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

}  // namespace lms::schema_detail
