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
// Prompt tokens estimated from text bytes: about 4 bytes a token (OpenAI's rule of thumb),
// at least 1.
[[nodiscard]] inline uint32_t estimate_prompt_tokens(uint64_t bytes) noexcept {
    uint64_t t = (bytes + 3) / 4;
    return t == 0 ? 1 : (t > 0xffffffffu ? 0xffffffffu : uint32_t(t));
}

}  // namespace lms
