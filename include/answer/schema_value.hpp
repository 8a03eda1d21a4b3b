#pragma once
// schema_value: one generated value — the view it is generated for (the schemas it must satisfy
// at once), the generation context every part shares, and gen, the recursion from a value
// into its children.
//
// Level 0. Internal to the schema_json modules (namespace lms::schema_detail): pure, no
// syscalls, no allocation, no exceptions. A ctx borrows the caller's schema document, out_buf
// and rng for one generate_json call; a view borrows schema elements of that document. Any
// thread may generate with its own ctx. Stack: gen, and what the object and array generators
// keep live while a child is generated, is about 1 KiB a value level (see schema_json.hpp);
// gen returns too_large past SCHEMA_MAX_DEPTH.
#include "answer/latency_model.hpp"
#include "answer/schema_json.hpp"
#include "answer/schema_keywords.hpp"
#include "engine/http_response.hpp"

namespace lms::schema_detail {

// The schemas one value must satisfy at once: each distinct schema object once, at most
// SCHEMA_MAX_VIEW (more are dropped); true adds nothing, false is kept (nothing validates).
struct view {
    // Uninitialised past n: a view is made per value, and 16 elements cost 32 stores.
    union slot {
        element e;
        slot() noexcept {}
    } s_[SCHEMA_MAX_VIEW];
    int n = 0;
    [[nodiscard]] element m(int i) const noexcept { return s_[i].e; }  // member i < n
    void add(element e) noexcept {
        if (e.is_bool() && !is_false(e)) { return; }  // true adds nothing
        for (int i = 0; i < n; i++) {
            if (same(s_[i].e, e)) { return; }
        }
        if (n < SCHEMA_MAX_VIEW) { s_[n++].e = e; }
    }
};

// What one generate_json call shares: the root (for $ref), the output, the choices.
struct ctx {
    element root;
    out_buf& o;
    rng& r;
    bool minimal;
    int vary;  // > 0 while redrawing an item for uniqueItems: no minimal (identical) values
    // A draw in [0, n) (0 when n is 0); a fair coin; whether values at depth are minimal.
    uint64_t below(uint64_t n) noexcept { return n ? r.next() % n : 0; }
    bool coin() noexcept { return r.next() >> 63; }
    bool small(int depth) const noexcept {
        return vary == 0 && (minimal || depth > SCHEMA_SOFT_DEPTH || o.cap - o.len < SCHEMA_TIGHT_BYTES);
    }
};

// The tightest of a numeric keyword of k (lowest when low, else highest) into out; any says
// whether out holds one yet.
inline void tighten(const keys& k, kw w, bool low, bool& any, double& out) noexcept {
    double d;
    if (k.num(w, d) && (!any || (low ? d < out : d > out))) {
        out = d;
        any = true;
    }
}

// Member i's keys: k0 for member 0 (read once per value by value_core), else read into tmp;
// valid until tmp is read again.
inline const keys& keys_of(const view& v, const keys& k0, int i, keys& tmp) noexcept {
    if (i == 0) { return k0; }
    tmp.read(v.m(i));
    return tmp;
}

// One value valid against every schema of v, appended to c.o (the hint: the property name,
// or the array's, for realistic strings). ok; too_large past SCHEMA_MAX_DEPTH; bad_schema for
// an unsatisfiable part (a false member). v is expanded in place ($ref, allOf, one
// anyOf/oneOf branch).
schema_status gen(ctx& c, view& v, int depth, string_view hint) noexcept;

}  // namespace lms::schema_detail
