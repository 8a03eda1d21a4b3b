// json_position: see the header. Both walks trust what they are given: locate() a text
// simdjson accepted (so it skips values without checking them), find_syntax_error() any text
// (it stops at the first byte RFC 8259 refuses).
#include "settings/json_position.hpp"

#include <fmt/format.h>

namespace lms::json_position {

std::string path_text(const where& w) {
    std::string p;
    for (size_t i = 0; i < w.n; ++i) {
        if (w.steps[i].index != SIZE_MAX) {
            p += fmt::format("[{}]", w.steps[i].index);
        } else {
            if (!p.empty()) {
                p += '.';
            }
            p += w.steps[i].key;
        }
    }
    return p;
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view t, size_t i) {
    while (i < t.size() && is_ws(t[i])) {
        ++i;
    }
    return i;
}

// t[i] is '"'; returns the index after the closing quote (t.size() if there is none).
size_t skip_string(std::string_view t, size_t i) {
    for (++i; i < t.size(); ++i) {
        if (t[i] == '\\') {
            ++i;
        } else if (t[i] == '"') {
            return i + 1;
        }
    }
    return t.size();
}

// Skips one value of valid JSON starting at t[i]; returns the index after it.
size_t skip_value(std::string_view t, size_t i) {
    if (i >= t.size()) {
        return i;
    }
    if (t[i] == '"') {
        return skip_string(t, i);
    }
    if (t[i] == '{' || t[i] == '[') {
        size_t depth = 0;
        while (i < t.size()) {
            const char c = t[i];
            if (c == '"') {
                i = skip_string(t, i);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
        return i;
    }
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_ws(t[i])) {
        ++i;  // a number or a literal
    }
    return i;
}

}  // namespace

// The offset of the place w names in valid JSON text: a key step's key, an element's value.
// When a step is not there (a missing key), the offset of the deepest step that is. Keys are
// compared as written, so a key spelt with escapes is not found (its parent is named instead).
size_t locate(std::string_view t, const where& w) {
    size_t i = skip_ws(t, 0);
    size_t found = i;
    for (size_t s = 0; s < w.n; ++s) {
        const step& st = w.steps[s];
        if (i >= t.size()) {
            return found;
        }
        if (st.index == SIZE_MAX) {
            if (t[i] != '{') {
                return found;
            }
            i = skip_ws(t, i + 1);
            unsigned seen = 0;
            bool hit = false;
            while (i < t.size() && t[i] == '"') {
                const size_t key_at = i;
                const size_t key_end = skip_string(t, i);
                const std::string_view raw = t.substr(key_at + 1, key_end - key_at - 2);
                i = skip_ws(t, key_end);
                if (i < t.size() && t[i] == ':') {
                    i = skip_ws(t, i + 1);
                }
                if (raw == st.key && seen++ == st.nth) {
                    found = key_at;
                    hit = true;
                    break;
                }
                i = skip_ws(t, skip_value(t, i));
                if (i >= t.size() || t[i] != ',') {
                    break;
                }
                i = skip_ws(t, i + 1);
            }
            if (!hit) {
                return found;
            }
        } else {
            if (t[i] != '[') {
                return found;
            }
            i = skip_ws(t, i + 1);
            for (size_t e = 0; e < st.index; ++e) {
                i = skip_ws(t, skip_value(t, i));
                if (i >= t.size() || t[i] != ',') {
                    return found;
                }
                i = skip_ws(t, i + 1);
            }
            if (i >= t.size() || t[i] == ']') {
                return found;
            }
            found = i;
        }
    }
    return found;
}

size_t line_of(std::string_view t, size_t pos) {
    size_t line = 1;
    for (size_t i = 0; i < pos && i < t.size(); ++i) {
        line += t[i] == '\n' ? 1 : 0;
    }
    return line;
}

namespace {

// ---- the first syntax error --------------------------------------------------------------

// The first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or npos.
size_t bad_utf8(std::string_view t) {
    size_t i = 0;
    while (i < t.size()) {
        const auto c = uint8_t(t[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + len > t.size()) {
            return i;
        }
        for (size_t j = 1; j < len; ++j) {
            const auto cc = uint8_t(t[i + j]);
            if ((cc & 0xc0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

bool is_digit(std::string_view t, size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 8259 section 7; t[i] is '"'. The index after it, or false with e filled.
bool scan_string(std::string_view t, size_t& i, syntax_error& e) {
    const size_t start = i;
    for (++i; i < t.size(); ++i) {
        const char c = t[i];
        if (c == '"') {
            ++i;
            return true;
        }
        if (uint8_t(c) < 0x20) {
            e = {i, "a control character in a string (escape it)"};
            return false;
        }
        if (c == '\\') {
            if (i + 1 >= t.size()) {
                break;
            }
            const char x = t[i + 1];
            if (x == 'u') {
                if (i + 6 > t.size() || !is_hex(t[i + 2]) || !is_hex(t[i + 3]) || !is_hex(t[i + 4]) ||
                    !is_hex(t[i + 5])) {
                    e = {i, "a \\u escape needs four hex digits"};
                    return false;
                }
                i += 5;
            } else if (std::strchr("\"\\/bfnrt", x) != nullptr && x != '\0') {
                ++i;
            } else {
                e = {i, "an unknown escape in a string"};
                return false;
            }
        }
    }
    e = {start, "a string is not closed"};
    return false;
}

// RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool scan_number(std::string_view t, size_t& i, syntax_error& e) {
    if (t[i] == '-') {
        ++i;
    }
    if (!is_digit(t, i)) {
        e = {i, "a digit expected in a number"};
        return false;
    }
    if (t[i] == '0') {
        ++i;
    } else {
        while (is_digit(t, i)) {
            ++i;
        }
    }
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (!is_digit(t, i)) {
            e = {i, "a digit expected after the decimal point"};
            return false;
        }
        while (is_digit(t, i)) {
            ++i;
        }
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
            ++i;
        }
        if (!is_digit(t, i)) {
            e = {i, "a digit expected in the exponent"};
            return false;
        }
        while (is_digit(t, i)) {
            ++i;
        }
    }
    return true;
}

}  // namespace

// The first syntax error of t, if this scanner sees one (it does not check what simdjson alone
// refuses, such as nesting deeper than its limit or lone surrogates in \u escapes).
bool find_syntax_error(std::string_view t, syntax_error& e) {
    if (size_t bad = bad_utf8(t); bad != std::string_view::npos) {
        e = {bad, "not UTF-8"};
        return true;
    }
    std::string open;  // the enclosing '{' and '['
    size_t i = 0;
    enum class want : uint8_t { value, key, after };
    want w = want::value;
    for (;;) {
        i = skip_ws(t, i);
        if (w == want::value) {
            if (i >= t.size()) {
                e = {i, "a value expected"};
                return true;
            }
            const char c = t[i];
            if (c == '{' || c == '[') {
                open += c;
                i = skip_ws(t, i + 1);
                if (i < t.size() && t[i] == (c == '{' ? '}' : ']')) {
                    open.pop_back();
                    ++i;
                    w = want::after;
                } else {
                    w = c == '{' ? want::key : want::value;
                }
                continue;
            }
            if (c == '"') {
                if (!scan_string(t, i, e)) {
                    return true;
                }
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (!scan_number(t, i, e)) {
                    return true;
                }
            } else if (t.substr(i, 4) == "true" || t.substr(i, 4) == "null") {
                i += 4;
            } else if (t.substr(i, 5) == "false") {
                i += 5;
            } else {
                e = {i, "a value expected"};
                return true;
            }
            w = want::after;
        } else if (w == want::key) {
            if (i >= t.size() || t[i] != '"') {
                e = {i, "a key in double quotes expected"};
                return true;
            }
            if (!scan_string(t, i, e)) {
                return true;
            }
            i = skip_ws(t, i);
            if (i >= t.size() || t[i] != ':') {
                e = {i, "':' expected after a key"};
                return true;
            }
            ++i;
            w = want::value;
        } else {
            if (open.empty()) {
                if (i != t.size()) {
                    e = {i, "more text after the end of the scenario"};
                    return true;
                }
                return false;
            }
            const bool in_object = open.back() == '{';
            if (i < t.size() && t[i] == ',') {
                ++i;
                w = in_object ? want::key : want::value;
            } else if (i < t.size() && t[i] == (in_object ? '}' : ']')) {
                ++i;
                open.pop_back();
            } else {
                e = {i, in_object ? "',' or '}' expected" : "',' or ']' expected"};
                return true;
            }
        }
    }
}

}  // namespace lms::json_position
