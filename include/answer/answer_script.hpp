#pragma once
// answer_script: what an answer says beyond the server's text, written once at admission into
// a lent pool buffer: the echoed message, each choice's run of text (its start, its tokens, a
// stop sequence's cut), the tool calls (names and generated arguments) and a JSON content
// (structured output). The cursor streams from it; whole answers render from it.
//
// Level 0. Pure: build_script() reads the request (its schemas must still be parsed), the plan
// and the text, draws from the caller's rng, and writes only into the caller's memory. No
// allocation, no syscalls. The script lives in the first bytes of its buffer, its bytes after.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "answer/answer_plan.hpp"
#include "answer/generation_request.hpp"

namespace lms {

struct script_call {
    uint32_t name_off = 0;
    uint32_t name_len = 0;
    uint32_t args_off = 0;
    uint32_t args_len = 0;
    uint32_t args_tokens = 0;
};

// A choice's content run: its start in the text (then, while streaming, its next token's
// offset), its tokens, and the cut of its last token (0: whole).
struct script_choice {
    uint32_t start = 0;     // where its run begins (kept)
    uint32_t off = 0;       // its next token while streaming
    uint32_t tokens = 0;
    uint32_t last_len = 0;
    bool stopped = false;  // a stop sequence ended it (finish_reason "stop")
    uint8_t stop_index = 0;  // which one (the request's stop[stop_index]; its text is stop_off/stop_len)
    uint32_t stop_off = 0;
    uint32_t stop_len = 0;
};

struct answer_script {
    uint32_t text_off = 0;  // the content's text in bytes (echo text or JSON); text_len 0: the server's
    uint32_t text_len = 0;
    uint32_t used = 0;      // bytes written
    uint32_t echo_off = 0;  // the dialect's echo of request fields (echo_len 0: its defaults)
    uint32_t echo_len = 0;
    uint32_t calls = 0;
    script_call call[MAX_TOOL_CALLS];
    script_choice choice[MAX_CHOICES];

    [[nodiscard]] const char* bytes() const noexcept { return reinterpret_cast<const char*>(this + 1); }
    [[nodiscard]] char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
    [[nodiscard]] std::string_view text(std::string_view server_text) const noexcept {
        return text_len != 0 ? std::string_view(bytes() + text_off, text_len) : server_text;
    }
    [[nodiscard]] std::string_view call_name(uint32_t i) const noexcept {
        return {bytes() + call[i].name_off, call[i].name_len};
    }
    [[nodiscard]] std::string_view stop_text(uint32_t k) const noexcept {
        return {bytes() + choice[k].stop_off, choice[k].stop_len};
    }
    [[nodiscard]] std::string_view echo() const noexcept { return {bytes() + echo_off, echo_len}; }
    [[nodiscard]] std::string_view call_args(uint32_t i) const noexcept {
        return {bytes() + call[i].args_off, call[i].args_len};
    }
};

enum class script_status : uint8_t { ok, too_large, bad_schema };

// Whether the plan needs a script (else the cursor alone describes the answer; a stop
// sequence may still turn out not to occur: build_script then says so in needed).
// Inline: it runs on every request.
[[nodiscard]] inline bool script_wanted(const generation_request& rq, const answer_plan& p) noexcept {
    return p.echo || p.tool_calls != 0 || p.json || p.choices > 1 || rq.stop_count != 0 || rq.echo_wanted;
}

// Writes the script for the plan into s (whose bytes() hold cap bytes): copies the echoed text,
// generates the tool calls' arguments and the JSON content (p.tokens becomes their token
// count; max_tokens still cuts a JSON content, finish "length"), places each choice's run
// (choice k starts k x CHOICE_SHIFT tokens into the text) and cuts it at the first stop
// sequence. needed is false when the answer turned out plain (the caller gives the buffer back).
[[nodiscard]] script_status build_script(const generation_request& rq, answer_plan& p, std::string_view server_text,
                                         answer_script& s, size_t cap, rng& r, bool& needed) noexcept;

inline constexpr uint32_t CHOICE_SHIFT = 7;

}  // namespace lms
