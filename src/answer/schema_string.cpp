#include "answer/schema_string.hpp"

#include <algorithm>
#include <cmath>

#include "answer/schema_literal.hpp"
#include "answer/schema_pattern.hpp"

namespace lms::schema_detail {
namespace {

constexpr string_view CITIES[] = {"Paris", "London", "Tokyo", "Berlin", "Madrid", "Toronto", "Sydney", "Rome"};
constexpr string_view NAMES[] = {"Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry"};

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

// Whether lit occurs in s (string_view::find is a libc call per candidate; hints are short).
template <size_t N>
bool contains(string_view s, const char (&lit)[N]) noexcept {
    for (size_t i = 0; i + (N - 1) <= s.size(); i++) {
        if (s[i] == lit[0] && std::memcmp(s.data() + i, lit, N - 1) == 0) { return true; }
    }
    return false;
}

}  // namespace

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
    // Clamped before the conversion: a minLength past BIG (up to 1.8e19 in a body) would not fit
    // a size_t; past BIG it cannot be met in any buffer, and the length check below says so.
    size_t min_l = any_min ? size_t(std::min(BIG, std::max(0.0, std::ceil(dmin)))) : 0;
    size_t max_l = any_max ? size_t(std::min(BIG, std::max(0.0, std::floor(dmax)))) : size_t(BIG);  // a negative max: 0
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

}  // namespace lms::schema_detail
