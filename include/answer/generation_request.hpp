#pragma once
// generation_request: what any dialect asks the mock to generate, in neutral terms. A
// dialect's reader fills it from its own JSON body; the answer plan reads nothing else.
//
// Level 0. Plain data: the views and the JSON elements (the tools' schemas, the output schema)
// point into the request's body and the worker's parser, and stay valid only until the
// request's bytes are released or the next body is parsed (the end of the request's handling:
// the plan, the script and the cursor copy what they keep).
#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace lms {

class prompt_blocks;  // service/prefix_cache.hpp: the prefix cache's block hasher

// The limits a reader enforces: choices (the mock's own: OpenAI allows 128, DashScope 4), stop
// sequences and tools (OpenAI's), tool calls in one answer (the mock's).
inline constexpr uint32_t MAX_CHOICES = 8;
inline constexpr uint32_t MAX_STOP_SEQUENCES = 4;
inline constexpr uint32_t MAX_TOOLS = 128;
inline constexpr uint32_t MAX_TOOL_CALLS = 16;
inline constexpr uint32_t MAX_TOP_LOGPROBS = 20;

enum class tool_choice_kind : uint8_t { unset, none, auto_, required, named };
enum class response_format_kind : uint8_t { unset, text, json_object, json_schema };
enum class reasoning_ask : uint8_t { unset, off, on };  // unset: the model's default
// reasoning_effort, as OpenAI names its levels (any other string counts as medium).
enum class effort_level : uint8_t { unset, none, minimal, low, medium, high };

struct generation_request {
    std::string_view model;      // empty when absent
    std::string_view last_user;  // the last user message's text (first text part), for echo
    uint64_t prompt_bytes = 0;   // bytes of message/prompt/input text, for the token estimate
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    bool has_max_tokens = false;
    bool parallel_tool_calls = true;
    bool mentions_json = false;  // some message's text holds "json" (any case): DashScope's json_object rule
    bool has_thinking_budget = false;
    uint64_t max_tokens = 0;     // max_tokens or max_completion_tokens
    uint32_t message_count = 0;
    uint32_t n = 1;              // choices asked for
    uint32_t stop_count = 0;     // stop sequences given
    uint32_t tool_count = 0;     // function tools offered
    uint32_t tool_choice_index = 0;  // tool_choice_kind::named: the named function's index in tools
    uint32_t tool_turns = 0;     // assistant messages with tool_calls since the last user message
    uint32_t thinking_budget = 0;
    tool_choice_kind tool_choice = tool_choice_kind::unset;
    response_format_kind response_format = response_format_kind::unset;
    reasoning_ask reasoning = reasoning_ask::unset;  // enable_thinking, else reasoning_effort
    reasoning_ask thinking = reasoning_ask::unset;   // enable_thinking alone
    effort_level effort = effort_level::unset;
    bool show_reasoning = false;  // reasoning asked by effort is shown (Responses' reasoning.summary)
    uint8_t logprobs = 0;        // 0: none; else 1 + top_logprobs (logprobs: true)
    std::string_view stop[MAX_STOP_SEQUENCES];  // non-empty ones only
    // The offered tools: tool i's name and its "parameters" schema (an element of the body;
    // a tool without parameters has an empty object's element).
    simdjson::dom::array tools;
    bool tools_flat = false;     // {"type":"function","name","parameters"} (Responses) vs under "function"
    bool tools_input_schema = false;  // {"name","input_schema"} (Anthropic): no "function", no "parameters"
    bool has_output_schema = false;
    simdjson::dom::element output_schema;  // response_format json_schema's "schema" (has_output_schema)
    // The body's top-level object, for a dialect whose answer repeats request fields (the
    // Responses API's response object: instructions, tools, text, ...); echo_wanted when the
    // body sets one of them (else the dialect's defaults are the echo). The chat reader sets it
    // too: /tokenize walks its messages (chat_prompt_text).
    simdjson::dom::object body;
    bool echo_wanted = false;
    // The worker's block hasher while the prefix cache is on (else null): the reader feeds it
    // the text it counts into prompt_bytes, in the same order, system prompt first, with a
    // separator before each message (answer/prompt_text.hpp). A reader's reset keeps it.
    prompt_blocks* blocks = nullptr;
};

// Tool i of the request (i < tool_count): its name and its parameters schema (has_parameters
// false when the tool has none: any object will do).
struct tool_ref {
    std::string_view name;
    bool has_parameters = false;
    simdjson::dom::element parameters;
};
[[nodiscard]] tool_ref request_tool(const generation_request& rq, uint32_t i) noexcept;

}  // namespace lms
