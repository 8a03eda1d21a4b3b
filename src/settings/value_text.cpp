// value_text: the text forms settings take, read and written with no knowledge of the table.
#include "settings/value_text.hpp"

#include <charconv>
#include <fmt/format.h>

namespace lms {

bool parse_u64(std::string_view s, uint64_t& v) {
    if (s.empty()) {
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_percent(std::string_view s, double& v) {
    uint64_t ms;  // reuse the decimal reader: "90" or "92.5"
    if (!parse_seconds_ms(s, ms)) {
        return false;
    }
    v = double(ms) / 1000.0;
    return v > 0 && v <= 100;
}

// A JSON string (RFC 8259 section 7): quote and backslash escaped, control bytes and DEL as
// backslash-u00XX, and every byte that is not part of well-formed UTF-8 (environment values
// need not be) as the replacement character U+FFFD, escaped, so the document always parses.
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    size_t i = 0;
    while (i < s.size()) {
        const auto b = uint8_t(s[i]);
        if (b < 0x80) {
            if (b == '"' || b == '\\') {
                out += '\\';
                out += char(b);
            } else if (b < 0x20 || b == 0x7f) {
                out += fmt::format("\\u{:04x}", b);
            } else {
                out += char(b);
            }
            ++i;
            continue;
        }
        // Well-formed sequences (Unicode 15, table 3-7): the second byte's range depends on the
        // first, which rules out overlong forms, surrogates and code points past U+10FFFF.
        size_t len = 0;
        uint8_t lo = 0x80, hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
        } else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            lo = b == 0xe0 ? 0xa0 : 0x80;
            hi = b == 0xed ? 0x9f : 0xbf;
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            lo = b == 0xf0 ? 0x90 : 0x80;
            hi = b == 0xf4 ? 0x8f : 0xbf;
        }
        bool ok = len != 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k) {
            const auto c = uint8_t(s[i + k]);
            ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
        }
        if (ok) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

bool parse_seconds_ms(std::string_view text, uint64_t& ms) {
    // Digits, optionally '.' and more digits; at most 9 integer digits (31 years).
    size_t i = 0;
    uint64_t whole = 0;
    size_t int_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        if (++int_digits > 9) {
            return false;
        }
        whole = whole * 10 + uint64_t(text[i] - '0');
        ++i;
    }
    uint64_t frac_us = 0;  // microseconds, for rounding to ms
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
        ++i;
        uint64_t scale = 100000;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            frac_us += uint64_t(text[i] - '0') * scale;
            scale /= 10;
            ++frac_digits;
            ++i;
        }
        if (frac_digits == 0) {
            return false;
        }
    }
    if (i != text.size() || int_digits == 0) {
        return false;
    }
    ms = whole * 1000 + (frac_us + 500) / 1000;
    return true;
}

}  // namespace lms
