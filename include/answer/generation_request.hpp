#pragma once
// generation_request: what any dialect asks the mock to generate, in neutral terms. A
// dialect's reader fills it from its own JSON body; the answer plan reads nothing else.
//
// Level 0. Plain data: the views point into the request's body (the lent read buffer) and
// stay valid only until the request's bytes are released (the end of the request's
// handling: the plan and the cursor copy what they keep).
#include <cstdint>
#include <string_view>

namespace lms {

// The limits a reader enforces (OpenAI's): choices, stop sequences, tools.
inline constexpr uint32_t MAX_CHOICES = 128;
inline constexpr uint32_t MAX_STOP_SEQUENCES = 4;
inline constexpr uint32_t MAX_TOOLS = 128;

enum class tool_choice_kind : uint8_t { unset, none, auto_, required, named };
enum class response_format_kind : uint8_t { unset, text, json_object, json_schema };
enum class reasoning_ask : uint8_t { unset, off, on };  // unset: the model's default

struct generation_request {
    std::string_view model;      // empty when absent
    std::string_view last_user;  // the last user message's text (first text part), for echo
    uint64_t prompt_bytes = 0;   // bytes of message/prompt/input text, for the token estimate
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    bool has_max_tokens = false;
    uint64_t max_tokens = 0;     // max_tokens or max_completion_tokens
    uint32_t message_count = 0;
    uint32_t n = 1;              // choices asked for
    uint32_t stop_count = 0;     // stop sequences given
    uint32_t tool_count = 0;     // function tools offered
    uint32_t tool_choice_index = 0;  // tool_choice_kind::named: the named function's index in tools
    tool_choice_kind tool_choice = tool_choice_kind::unset;
    response_format_kind response_format = response_format_kind::unset;
    reasoning_ask reasoning = reasoning_ask::unset;  // enable_thinking, reasoning_effort
};

}  // namespace lms
