// dialect: what the tables share.
#include "dialects/dialect.hpp"

#include <cstring>

#include "answer/json_text.hpp"
#include "answer/tokens.hpp"

namespace lms {

std::string_view format_answer_id(std::string_view prefix, uint64_t hi, uint64_t lo, char out[48]) noexcept {
    // A byte (two digits) per step: 16 table loads instead of 32 shift-and-mask digits.
    static constexpr auto HEX_PAIRS = [] {
        struct table {
            char c[512];
        } t{};
        constexpr char HEX[] = "0123456789abcdef";
        for (int i = 0; i < 256; ++i) {
            t.c[2 * i] = HEX[i >> 4];
            t.c[2 * i + 1] = HEX[i & 15];
        }
        return t;
    }();
    const size_t p = prefix.size() <= 16 ? prefix.size() : 16;
    std::memcpy(out, prefix.data(), p);
    for (int i = 0; i < 8; ++i) {
        std::memcpy(out + p + 2 * i, HEX_PAIRS.c + 2 * ((hi >> (56 - 8 * i)) & 255), 2);
        std::memcpy(out + p + 16 + 2 * i, HEX_PAIRS.c + 2 * ((lo >> (56 - 8 * i)) & 255), 2);
    }
    return {out, p + 32};
}

void append_cycled_text(out_buf& o, std::string_view text, uint32_t tokens) noexcept {
    size_t off = 0;
    for (uint32_t t = 0; t < tokens && !text.empty() && !o.truncated; ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        size_t len = token_length(text, off);
        json_escape(o, text.substr(off, len));
        off += len;
    }
}

void append_usage_counts(out_buf& o, usage_counts u) noexcept {
    o.format("{{\"prompt_tokens\":{},\"completion_tokens\":{},\"total_tokens\":{}", u.prompt, u.completion,
             uint64_t(u.prompt) + u.completion);
}

}  // namespace lms
