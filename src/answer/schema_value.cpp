#include "answer/schema_value.hpp"

#include "answer/schema_array.hpp"
#include "answer/schema_literal.hpp"
#include "answer/schema_number.hpp"
#include "answer/schema_object.hpp"
#include "answer/schema_string.hpp"

// A value is generated for its view, expanded in place, breadth first (no recursion, and a
// $ref cycle just meets schemas already in the view); then every keyword is read across all
// its members: types intersect, bounds take the tightest, properties and required unite.
// Recursion happens only from a value into its children (gen -> gen_object -> emit_property
// -> gen, or gen -> gen_array -> gen), one level of SCHEMA_MAX_DEPTH per level of the value.

namespace lms::schema_detail {
namespace {

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

}  // namespace

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

}  // namespace lms::schema_detail
