#include "answer/schema_number.hpp"

#include <algorithm>
#include <cmath>

#include "answer/schema_literal.hpp"

namespace lms::schema_detail {
namespace {

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

}  // namespace

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

}  // namespace lms::schema_detail
