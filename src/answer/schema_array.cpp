#include "answer/schema_array.hpp"

#include <algorithm>
#include <cstring>

namespace lms::schema_detail {
namespace {

arr_kw arr_parts(const keys& k) noexcept {
    arr_kw a;
    bool prefix = k.arr(K_PREFIX_ITEMS, a.tuple);
    bool draft4 = !prefix && k.arr(K_ITEMS, a.tuple);
    a.has_tuple = prefix || draft4;
    a.has_rest = k.get(draft4 ? K_ADDITIONAL_ITEMS : K_ITEMS, a.rest);
    return a;
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

}  // namespace

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
    p.min_i = size_t(std::min(BIG, std::max(0.0, dmin))), p.max_i = std::min(size_t(std::min(BIG, std::max(0.0, dmax))), cap);  // clamped both ways: 1.8e19 fits no size_t, nor does -15
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

}  // namespace lms::schema_detail
