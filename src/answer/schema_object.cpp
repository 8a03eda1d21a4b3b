#include "answer/schema_object.hpp"

#include <algorithm>
#include <cstring>

#include "answer/schema_literal.hpp"

namespace lms::schema_detail {
namespace {

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

}  // namespace

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
    p.min_p = size_t(std::min(BIG, std::max(0.0, dmin))), p.max_p = size_t(std::min(BIG, std::max(0.0, dmax)));  // clamped both ways: 1.8e19 fits no size_t, nor does -15
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

}  // namespace lms::schema_detail
