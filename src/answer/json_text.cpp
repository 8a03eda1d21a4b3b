// json_text: escaping copies the unescaped runs in one append each (most text has none).
#include "answer/json_text.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lms {

namespace {

#if defined(__SSE2__)
// Whether any of the n bytes at p is a control character, '"' or '\\'. Reads whole 16-byte
// blocks: the caller guarantees 16 readable bytes past p + n, filled with 'a' (no match).
bool needs_escape(const char* p, size_t n) noexcept {
    const __m128i ctl = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    for (size_t i = 0; i < n; i += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x),  // x <= 0x1f
                                         _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)));
        if (_mm_movemask_epi8(hit) != 0) {
            return true;
        }
    }
    return false;
}
#endif

}  // namespace

void json_escape(out_buf& o, std::string_view s) noexcept {
#if defined(__SSE2__)
    // Most strings (a model name, a token) need no escape: with room for them and 16 bytes
    // more, copy them and scan the copy 16 bytes at a time; only one with a byte to escape
    // goes through the loop below (which overwrites the copy).
    if (s.size() + 16 <= o.cap - o.len) {
        char* d = o.p + o.len;
        std::memset(d + s.size(), 'a', 16);
        if (!s.empty()) {
            std::memcpy(d, s.data(), s.size());
        }
        if (!needs_escape(d, s.size())) {
            o.len += s.size();
            return;
        }
    }
#endif
    static const char HEX[] = "0123456789abcdef";
    size_t run = 0;  // copy unescaped runs in one append
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        o.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': o.append("\\\""); break;
        case '\\': o.append("\\\\"); break;
        case '\n': o.append("\\n"); break;
        case '\r': o.append("\\r"); break;
        case '\t': o.append("\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
            o.append(std::string_view(u, 6));
        }
        }
    }
    o.append(s.substr(run));
}

namespace {

constexpr std::string_view REPLACEMENT = "\xef\xbf\xbd";  // U+FFFD, as vLLM's JSON sends it (not escaped)

}  // namespace

void json_utf8_writer::feed(std::string_view s) noexcept {
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (have_ != 0) {
            const unsigned char lo = have_ == 1 ? lo_ : 0x80, hi = have_ == 1 ? hi_ : 0xbf;
            if (b >= lo && b <= hi) {
                held_[have_++] = char(b);
                ++i;
                if (have_ == need_) {
                    o_.append(std::string_view(held_, need_));
                    have_ = 0;
                }
                continue;
            }
            // The bytes held are a maximal ill-formed subpart: one U+FFFD; b starts afresh.
            o_.append(REPLACEMENT);
            have_ = 0;
        }
        if (b < 0x80) {
            size_t end = i + 1;  // the ASCII run, escaped in one call
            while (end < s.size() && static_cast<unsigned char>(s[end]) < 0x80) {
                ++end;
            }
            json_escape(o_, s.substr(i, end - i));
            i = end;
            continue;
        }
        // Well-formed leads (table 3-7): the second byte's range rules out overlong forms,
        // surrogates and code points past U+10FFFF.
        ++i;
        auto lead = [&](uint8_t need, uint8_t lo, uint8_t hi) {
            held_[0] = char(b);
            have_ = 1;
            need_ = need;
            lo_ = lo;
            hi_ = hi;
        };
        if (b >= 0xc2 && b <= 0xdf) {
            lead(2, 0x80, 0xbf);
        } else if (b >= 0xe0 && b <= 0xef) {
            lead(3, b == 0xe0 ? 0xa0 : 0x80, b == 0xed ? 0x9f : 0xbf);
        } else if (b >= 0xf0 && b <= 0xf4) {
            lead(4, b == 0xf0 ? 0x90 : 0x80, b == 0xf4 ? 0x8f : 0xbf);
        } else {
            o_.append(REPLACEMENT);  // a continuation byte alone, or C0, C1, F5..FF
        }
    }
}

void json_utf8_writer::finish() noexcept {
    if (have_ != 0) {
        o_.append(REPLACEMENT);
        have_ = 0;
    }
}

void json_nullable(out_buf& o, std::string_view s) noexcept {
    if (s.empty()) {
        o.append("null");
        return;
    }
    o.append('"');
    json_escape(o, s);
    o.append('"');
}

}  // namespace lms
