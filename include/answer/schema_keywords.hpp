#pragma once
// schema_keywords: reading a JSON Schema object — its keywords in one pass over its keys, the
// types it declares or accepts, and local $ref pointers — for schema_check and the generator.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions. Everything here borrows the caller's simdjson DOM:
// the elements a keys holds, and what resolve returns, stay valid as long as that document.
// Any thread may call these (no shared state). keys is 488 bytes: keep it out of the frames
// that stay live while a child value is generated.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lms::schema_detail {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using std::string_view;

// JSON types as bits; T_INT is set for every integral number, T_NUM for every number.
enum : uint8_t { T_NULL = 1, T_BOOL = 2, T_OBJ = 4, T_ARR = 8, T_STR = 16, T_INT = 32, T_NUM = 64, T_ALL = 127 };
inline constexpr double BIG = 9007199254740991.0;  // 2^53 - 1: integers stay exact in a double

// Whether k equals lit; k is known to be N - 1 bytes long: a compare the compiler expands in place.
template <size_t N>
inline bool is(string_view k, const char (&lit)[N]) noexcept {
    return std::memcmp(k.data(), lit, N - 1) == 0;
}
// The bit of the type named t ("number" is T_NUM | T_INT); 0 for an unknown name.
uint8_t type_bit(string_view t) noexcept;
// The number of bits set (no popcnt in the baseline x86-64 target: __builtin_popcount is a call).
inline int bit_count(uint64_t x) noexcept {
    x = x - ((x >> 1) & 0x5555555555555555);
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f;
    return int((x * 0x0101010101010101) >> 56);
}
// Whether s is the boolean schema false.
inline bool is_false(element s) noexcept {
    bool b;
    return s.get_bool().get(b) == SUCCESS && !b;
}
// Whether a and b are the same schema object (not an equal one): objects are identified by
// their tape position.
inline bool same(element a, element b) noexcept {
    object x, y;
    return a.get_object().get(x) == SUCCESS && b.get_object().get(y) == SUCCESS && x.begin() == y.begin();
}
// Whether scalars a and b are equal JSON values (numbers compared as doubles); false for
// arrays and objects.
bool scalar_eq(element a, element b) noexcept;
// The type bits of value e (an integral double is T_INT | T_NUM).
uint8_t value_type(element e) noexcept;

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

// The keyword key names (K_COUNT for any other key): a switch on the length, then one
// fixed-length compare.
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
inline constexpr uint8_t IMPLIES[K_COUNT + 1] = {
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
uint8_t declared_types(const keys& k) noexcept;
// What k accepts at most: its "type", else the types of its const/enum values.
uint8_t accepted_types(const keys& k) noexcept;

// The element the JSON pointer fragment ref ("#", "#/$defs/a~1b", "#/items/0") names in root,
// into out; false when ref is not local or does not resolve. out borrows root's document.
bool resolve(element root, string_view ref, element& out) noexcept;

}  // namespace lms::schema_detail
