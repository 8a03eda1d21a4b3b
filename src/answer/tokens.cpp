// tokens: a rough BPE stand-in; what matters is that streams have realistic token sizes
// (a word, a CJK character) and that counting and cutting agree.
#include "answer/tokens.hpp"

#include "answer/latency_model.hpp"

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

namespace {


double unit(uint64_t h) noexcept { return double(h >> 11) * (1.0 / 9007199254740992.0); }

}  // namespace

double token_logprob(uint64_t seed, uint32_t choice, uint32_t index, std::string_view token, uint32_t rank) noexcept {
    uint64_t h = splitmix64(seed ^ (uint64_t(choice) << 32 | index));
    for (unsigned char c : token) {
        h = (h ^ c) * 0x100000001b3ull;
    }
    // The chosen token is likely (-0.0001 .. -1.5); each alternative 0.5 .. 2.5 below the last.
    double lp = -0.0001 - 1.5 * unit(splitmix64(h)) * unit(splitmix64(h + 1));
    for (uint32_t r = 1; r <= rank; ++r) {
        lp -= 0.5 + 2.0 * unit(splitmix64(h + 1 + r));
    }
    return lp < -20 ? -20 : lp;
}

std::string_view alternative_token(uint64_t seed, uint32_t index, uint32_t rank) noexcept {
    static constexpr std::string_view WORDS[] = {
        " the", " a", " and", " of", " to", " in", " is", " it", " that", " for", " on", " with",
        " as", " was", " be", " at", " by", " this", " an", " or", " we", " you", " are", " from",
    };
    constexpr uint64_t N = sizeof WORDS / sizeof WORDS[0];
    // Distinct within one token's list: rank r takes the r-th word after a per-token start.
    return WORDS[(splitmix64(seed ^ index) + rank) % N];
}

}  // namespace lms
