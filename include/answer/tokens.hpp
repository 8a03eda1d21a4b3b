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

}  // namespace lms
