// tokens: a rough BPE stand-in; what matters is that streams have realistic token sizes
// (a word, a CJK character) and that counting and cutting agree.
#include "answer/tokens.hpp"

namespace lms {

namespace {

inline bool is_word(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

size_t token_length(std::string_view text, size_t off) noexcept {
    size_t n = text.size();
    if (off >= n) {
        return 0;
    }
    auto c = static_cast<unsigned char>(text[off]);
    if (c >= 0x80) {
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return off + len <= n ? len : n - off;
    }
    size_t i = off;
    while (i < n && text[i] == ' ' && i - off < 8) {
        ++i;
    }
    if (i < n && is_word(static_cast<unsigned char>(text[i]))) {
        while (i < n && is_word(static_cast<unsigned char>(text[i])) && i - off < 8) {
            ++i;
        }
        return i - off;
    }
    if (i > off) {
        return i - off;  // spaces before a non-word byte form their own token
    }
    return 1;
}

uint32_t count_tokens(std::string_view text) noexcept {
    uint32_t t = 0;
    for (size_t off = 0; off < text.size(); off += token_length(text, off)) {
        ++t;
    }
    return t;
}

}  // namespace lms
