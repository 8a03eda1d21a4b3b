#pragma once
// openai_completions: OpenAI (legacy) text completions, POST /v1/completions: the
// text_completion body and its stream.
//
// Level 0. No allocation, no clock: renders into a caller's out_buf. Any thread.
#include <cstdint>
#include <string_view>

#include "dialects/dialect.hpp"

namespace lms {

extern const dialect OPENAI_COMPLETIONS;

// The stream's events: one text chunk per token, the finish chunk, the usage chunk
// (include_usage), then [DONE] (render_done_event).
void render_completion_text_chunk(out_buf& o, const answer_meta& m, uint32_t choice, std::string_view text) noexcept;
void render_completion_finish_chunk(out_buf& o, const answer_meta& m, uint32_t choice,
                                    std::string_view finish_reason) noexcept;
void render_completion_usage_chunk(out_buf& o, const answer_meta& m, usage_counts u) noexcept;

// A whole text_completion whose text is `tokens` tokens of text, cycling through it.
void render_text_completion(out_buf& o, const answer_meta& m, const answer_body& b) noexcept;

}  // namespace lms
