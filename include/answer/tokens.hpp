#pragma once
// tokens: how answer text is cut into tokens, and how prompts are counted.
//
// Level 0. Pure functions, no allocation. Any thread.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lms {

// Tokens are cut from a text the way a BPE tokenizer roughly does: a run of ASCII letters or
// digits with its leading spaces (at most 8 bytes), a single other ASCII byte, or one UTF-8
// character. The length in bytes of the token starting at off (0 when off >= text.size()).
[[nodiscard]] size_t token_length(std::string_view text, size_t off) noexcept;
// The number of tokens in text.
[[nodiscard]] uint32_t count_tokens(std::string_view text) noexcept;
// The log probability the mock reports for a token: a pure function of the seed, the choice,
// the token's index in its run and its text, so the same seed gives the same values. rank 0
// is the token itself; rank r > 0 the r-th alternative, always lower. In [-20, 0).
[[nodiscard]] double token_logprob(uint64_t seed, uint32_t choice, uint32_t index, std::string_view token,
                                   uint32_t rank) noexcept;
// The text of the r-th alternative (r >= 1) of a token: a short common word.
[[nodiscard]] std::string_view alternative_token(uint64_t seed, uint32_t index, uint32_t rank) noexcept;

// Prompt tokens estimated from text bytes: about 4 bytes a token (OpenAI's rule of thumb),
// at least 1.
[[nodiscard]] inline uint32_t estimate_prompt_tokens(uint64_t bytes) noexcept {
    uint64_t t = (bytes + 3) / 4;
    return t == 0 ? 1 : (t > 0xffffffffu ? 0xffffffffu : uint32_t(t));
}

// Prompt token ids (vLLM's /tokenize and /detokenize): a prompt is cut into 4-byte chunks, the
// last one shorter, which is exactly what estimate_prompt_tokens counts, and each id holds
// its chunk's bytes, so that ids invert exactly (no vocabulary, no hash):
//     id = b0 | b1 << 8 | b2 << 16 | b3 << 24 | len << 32    (len 1..4; the bytes past len 0)
// Id 0 (len 0) is the empty token: the one id of an empty prompt, which
// estimate_prompt_tokens counts as 1 token; it decodes to no bytes. Every id is below
// PROMPT_TOKEN_ID_END (5 * 2^32, 11 digits: exact in any JSON reader and in a JS number).
inline constexpr uint64_t PROMPT_TOKEN_ID_END = 5ull << 32;
inline constexpr size_t PROMPT_TOKEN_BYTES = 4;

// The id of a chunk of 0 to 4 bytes (only the first 4 are read).
[[nodiscard]] inline uint64_t prompt_token_id(std::string_view chunk) noexcept {
    const size_t n = chunk.size() < PROMPT_TOKEN_BYTES ? chunk.size() : PROMPT_TOKEN_BYTES;
    uint64_t id = uint64_t(n) << 32;
    for (size_t i = 0; i < n; ++i) {
        id |= uint64_t(static_cast<unsigned char>(chunk[i])) << (8 * i);
    }
    return id;
}

// The bytes of a token id into out: their count (0 to 4), or -1 when id is not one that
// prompt_token_id gives (its length past 4, or bytes set past its length).
[[nodiscard]] inline int prompt_token_bytes(uint64_t id, char out[PROMPT_TOKEN_BYTES]) noexcept {
    const uint64_t n = id >> 32;
    if (n > PROMPT_TOKEN_BYTES || (n < PROMPT_TOKEN_BYTES && (id & 0xffffffffu) >> (8 * n) != 0)) {
        return -1;
    }
    for (uint64_t i = 0; i < n; ++i) {
        out[i] = char((id >> (8 * i)) & 0xff);
    }
    return int(n);
}

}  // namespace lms
