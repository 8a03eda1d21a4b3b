#pragma once
// body_fields: the top-level fields a request reader looks at, found in one pass over the body's
// object instead of one at_key() scan (with a strlen) per name. Each reader names its fields in
// an enum and dispatches on the key's length; field_slots keeps, per name, the FIRST field of
// that name (as at_key() would find it).
//
// Level 0. No allocation; the elements point into the worker's parsed document and are valid
// until its next parse. Any thread (one reader's slots per call).
#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace lms {

template <unsigned N>
struct field_slots {
    static_assert(N <= 32, "one presence bit per field");
    uint32_t present = 0;  // bit per name
    // Left uninitialised: only the fields present are written (and read), so a body with few
    // fields pays for few (an element is trivially copyable and destructible).
    union slot {
        simdjson::dom::element e;
        slot() noexcept {}
    } v[N];

    [[nodiscard]] bool has(unsigned f) const noexcept { return (present >> f) & 1; }
    // Present and not null.
    [[nodiscard]] bool given(unsigned f) const noexcept { return has(f) && !v[f].e.is_null(); }
    [[nodiscard]] simdjson::dom::element operator[](unsigned f) const noexcept { return v[f].e; }
    // value is field f when key is its name and f has not been seen yet.
    void take(std::string_view key, std::string_view name, unsigned f, simdjson::dom::element value) noexcept {
        if (!has(f) && key == name) {
            present |= 1u << f;
            v[f].e = value;
        }
    }
};

}  // namespace lms
