// dialect: what the tables share.
#include "dialects/dialect.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "answer/json_text.hpp"
#include "answer/tokens.hpp"

namespace lms {

namespace {

// The 16 hex digits of v, most significant first. With SSE2 (every x86-64): the 8 bytes split
// into high and low nibbles, interleaved, and turned into '0'..'9' / 'a'..'f' in one pass
// (about a dozen instructions); elsewhere a byte table.
inline void put_hex16(char* out, uint64_t v) noexcept {
#if defined(__SSE2__)
    const __m128i bytes = _mm_cvtsi64_si128(int64_t(__builtin_bswap64(v)));
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), low4);
    const __m128i lo = _mm_and_si128(bytes, low4);
    const __m128i nibbles = _mm_unpacklo_epi8(hi, lo);  // the high nibble of each byte first
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                     _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letter));
#else
    static constexpr char HEX[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) {
        out[i] = HEX[(v >> (60 - 4 * i)) & 15];
    }
#endif
}

}  // namespace

std::string_view format_answer_id(std::string_view prefix, uint64_t hi, uint64_t lo, char* out) noexcept {
    const size_t p = prefix.size() <= 16 ? prefix.size() : 16;
    if (p == 9) {
        std::memcpy(out, prefix.data(), 9);  // "chatcmpl-": a fixed-size copy is a couple of moves
    } else {
        std::memcpy(out, prefix.data(), p);
    }
    put_hex16(out + p, hi);
    put_hex16(out + p + 16, lo);
    return {out, p + 32};
}

std::string_view format_uuid(std::string_view prefix, uint64_t hi, uint64_t lo, char* out) noexcept {
    const size_t p = prefix.size() <= 16 ? prefix.size() : 16;
    std::memcpy(out, prefix.data(), p);
    // Version 4 (random) and the RFC 9562 variant, as DashScope's newer ids are.
    hi = (hi & ~0xf000ull) | 0x4000ull;
    lo = (lo & ~(0xc000ull << 48)) | (0x8000ull << 48);
    char hex[32];
    put_hex16(hex, hi);
    put_hex16(hex + 16, lo);
    char* o = out + p;
    std::memcpy(o, hex, 8);
    o[8] = '-';
    std::memcpy(o + 9, hex + 8, 4);
    o[13] = '-';
    std::memcpy(o + 14, hex + 12, 4);
    o[18] = '-';
    std::memcpy(o + 19, hex + 16, 4);
    o[23] = '-';
    std::memcpy(o + 24, hex + 20, 12);
    return {out, p + 36};
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

namespace {

// Calls f(index, token) for each token of the run, while o has room.
template <class F>
void for_each_token(out_buf& o, const text_run& r, F f) noexcept {
    size_t off = r.off;
    for (uint32_t t = 0; t < r.tokens && !r.text.empty() && !o.truncated; ++t) {
        if (off >= r.text.size()) {
            off = 0;
        }
        size_t len = token_length(r.text, off);
        if (t + 1 == r.tokens && r.last_len != 0 && r.last_len < len) {
            len = r.last_len;
        }
        f(t, r.text.substr(off, len));
        off += len;
    }
}

}  // namespace

void append_text_run(out_buf& o, const text_run& r) noexcept {
    for_each_token(o, r, [&](uint32_t, std::string_view token) { json_escape(o, token); });
}

namespace {

void append_token_fields(out_buf& o, std::string_view token, double logprob) noexcept {
    o.append("{\"token\":\"");
    json_escape(o, token);
    o.append("\",\"logprob\":");
    o.format("{:.6g}", logprob);
    o.append(",\"bytes\":[");
    for (size_t i = 0; i < token.size(); ++i) {
        if (i != 0) {
            o.append(',');
        }
        o.append_decimal(static_cast<unsigned char>(token[i]));
    }
    o.append(']');
}

}  // namespace

void append_logprob_entry(out_buf& o, const answer_meta& m, uint32_t choice, uint32_t index,
                          std::string_view token) noexcept {
    append_token_fields(o, token, token_logprob(m.logprob_seed, choice, index, token, 0));
    o.append(",\"top_logprobs\":[");
    const uint32_t top = m.logprobs > 0 ? m.logprobs - 1u : 0u;
    for (uint32_t r = 0; r < top; ++r) {
        if (r != 0) {
            o.append(',');
        }
        const std::string_view t = r == 0 ? token : alternative_token(m.logprob_seed, index, r);
        append_token_fields(o, t, token_logprob(m.logprob_seed, choice, index, token, r));
        o.append('}');
    }
    o.append("]}");
}

void append_run_logprobs(out_buf& o, const answer_meta& m, uint32_t choice, const text_run& r) noexcept {
    o.append("{\"content\":[");
    for_each_token(o, r, [&](uint32_t t, std::string_view token) {
        if (t != 0) {
            o.append(',');
        }
        append_logprob_entry(o, m, choice, t, token);
    });
    o.append("],\"refusal\":null}");
}

void append_usage_counts(out_buf& o, usage_counts u) noexcept {
    o.append("{\"prompt_tokens\":");
    o.append_decimal(u.prompt);
    o.append(",\"completion_tokens\":");
    o.append_decimal(u.completion);
    o.append(",\"total_tokens\":");
    o.append_decimal(int64_t(uint64_t(u.prompt) + u.completion));
}

void append_chunk_open(out_buf& o, const answer_meta& m, std::string_view object, std::string_view after_model) noexcept {
    o.append("data: {\"id\":\"");
    o.append(m.id);
    o.append(object);
    o.append_decimal(m.created);
    o.append(",\"model\":\"");
    json_escape(o, m.model);
    o.append(after_model);
}

void append_chunk_close(out_buf& o, const answer_meta& m) noexcept {
    o.append(m.usage_null ? "],\"usage\":null}\n\n" : "]}\n\n");
}

}  // namespace lms
