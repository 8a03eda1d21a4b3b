#pragma once
// prompt_text: how a reader counts the prompt's text. Every byte counted into prompt_bytes
// (the usage's prompt tokens) goes, when the prefix cache is on, to the request's block hasher
// too, in the order counted; a message boundary becomes a separator carrying the role's first
// letter, so that the same words said by another role are another block.
//
// Level 0. Inline: without the cache a piece costs one add and one test of a null pointer.
#include <cstdint>
#include <string_view>

#include "answer/generation_request.hpp"
#include "service/prefix_cache.hpp"

namespace lms {

inline void count_prompt(generation_request& r, std::string_view text) noexcept {
    r.prompt_bytes += text.size();
    if (r.blocks != nullptr) {
        r.blocks->append(text);
    }
}

inline void begin_prompt_message(generation_request& r, std::string_view role) noexcept {
    if (r.blocks != nullptr) {
        r.blocks->separate(role.empty() ? uint8_t(0) : uint8_t(role[0]));
    }
}

// A reader's fresh start: every field at its default but the hasher the worker lent.
inline void reset_request(generation_request& r) noexcept {
    prompt_blocks* const b = r.blocks;
    r = generation_request{};
    r.blocks = b;
}

}  // namespace lms
