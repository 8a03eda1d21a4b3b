#include "answer/schema_pattern.hpp"

#include <algorithm>

namespace lms::schema_detail {
namespace {

// A character of a pattern atom, or of a class range list, written JSON-escaped.
void pattern_char(ctx& c, char ch) noexcept {
    // \n and \t atoms stand for control characters: JSON wants them escaped (found by
    // fuzz_chat_body: a raw newline made the value invalid JSON).
    if (ch == '\n' || ch == '\t') {
        c.o.append(ch == '\n' ? "\\n" : "\\t");
        return;
    }
    if (ch == '"' || ch == '\\') { c.o.append('\\'); }
    c.o.append(ch);
}
// \d \w \s \n \t and escaped punctuation; not \b, \D, \p{..}, \u...., backreferences.
bool plain_escape(char e) noexcept {
    bool alnum = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9');
    return !alnum || e == 'd' || e == 'w' || e == 's' || e == 'n' || e == 't';
}
char class_escape(ctx& c, char e) noexcept {
    if (e == 'd') { return char('0' + c.below(10)); }
    if (e == 'w') { return char('a' + c.below(26)); }
    if (e == 's') { return ' '; }
    return e;
}

}  // namespace

// Generates the exact match, so anchors do not matter.
bool gen_pattern(ctx& c, string_view p, int depth) noexcept {
    size_t i = 0;
    if (i < p.size() && p[i] == '^') { i++; }
    while (i < p.size()) {
        char lo[16], hi[16];  // one atom: a set of ranges
        int nr = 0;
        char ch = p[i++];
        if (ch == '$' && i == p.size()) { break; }
        if (ch == '(' || ch == ')' || ch == '|' || ch == '*' || ch == '+' || ch == '?' || ch == '{' || ch == '^' ||
            ch == '$' || static_cast<unsigned char>(ch) >= 0x80 || static_cast<unsigned char>(ch) < 0x20) {
            return false;
        }
        if (ch == '\\') {
            if (i == p.size()) { return false; }
            char e = p[i++];
            if (!plain_escape(e)) { return false; }
            lo[0] = hi[0] = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            nr = e == 'd' || e == 'w' || e == 's' ? -int(e) : 1;
        } else if (ch == '[') {
            if (i < p.size() && p[i] == '^') { return false; }
            while (i < p.size() && p[i] != ']') {
                char a = p[i++];
                if (a == '\\' && i < p.size()) {
                    char e = p[i++];
                    if (e == 'd') { a = '0', hi[nr] = '9'; }
                    else if (e == 'w') { a = 'a', hi[nr] = 'z'; }
                    else if (e == 's') { a = ' ', hi[nr] = ' '; }
                    else if (!plain_escape(e) || e == 'n' || e == 't') { return false; }
                    else { hi[nr] = a = e; }
                } else if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
                    hi[nr] = p[i + 1];
                    i += 2;
                    if (hi[nr] < a || hi[nr] == '\\') { return false; }
                } else {
                    hi[nr] = a;
                }
                if (static_cast<unsigned char>(a) >= 0x80 || static_cast<unsigned char>(a) < 0x20 || nr == 15) { return false; }
                lo[nr++] = a;
            }
            if (i == p.size() || nr == 0) { return false; }
            i++;
        } else {
            lo[0] = hi[0] = ch == '.' ? 'x' : ch;
            nr = 1;
        }
        uint64_t rmin = 1, rmax = 1;  // the quantifier
        if (i < p.size() && (p[i] == '?' || p[i] == '*' || p[i] == '+')) {
            rmin = p[i] == '+' ? 1 : 0;
            rmax = p[i] == '?' ? 1 : 3;
            i++;
        } else if (i < p.size() && p[i] == '{') {
            uint64_t a = 0, b = 0;
            bool comma = false, digits = false;
            for (i++; i < p.size() && p[i] != '}'; i++) {
                uint64_t& d = comma ? b : a;
                if (p[i] == ',' && !comma) {
                    comma = true;
                } else if (p[i] >= '0' && p[i] <= '9' && d < 100000) {
                    d = d * 10 + uint64_t(p[i] - '0');
                    digits = true;
                } else {
                    return false;
                }
            }
            if (i == p.size() || !digits) { return false; }
            i++;
            rmin = a;
            rmax = !comma ? a : b ? b : a + 2;
            if (rmax < rmin) { return false; }
        }
        if (i < p.size() && p[i] == '?') { i++; }  // lazy: the same strings
        uint64_t count = c.small(depth) ? rmin : rmin + c.below(std::min<uint64_t>(rmax - rmin, 3) + 1);
        for (uint64_t r = 0; r < count && !c.o.truncated; r++) {
            if (nr < 0) {
                pattern_char(c, class_escape(c, char(-nr)));
                continue;
            }
            int k = int(c.below(uint64_t(nr)));
            pattern_char(c, char(lo[k] + char(c.below(uint64_t(hi[k] - lo[k]) + 1))));
        }
    }
    return true;
}


}  // namespace lms::schema_detail
