// anthropic_reader: the Messages API's body (wire-formats.md §3.1), its top-level fields found
// in one pass. The refusals use Anthropic's words where they are known (its validator's
// "FIELD: Field required", "FIELD: Input should be ...") and name the field otherwise; the
// messages' own index is not in the message (the refusals are static text).
//
// What the answer plan needs from a conversation: the prompt's bytes (system, text blocks and
// tool results' text), the last user text (for echo) and the tool turns: assistant messages
// with a tool_use block since the last user message that is not only tool_result blocks (a
// user message of tool results is the tools' answer, as chat's role "tool" is).
#include "dialects/anthropic_messages.hpp"

#include <simdjson.h>

#include "dialects/body_fields.hpp"

#include "answer/prompt_text.hpp"
#include "answer/schema_json.hpp"

namespace lms {

namespace {

namespace anthropic_field {
enum name : uint8_t {
    model, max_tokens, messages, system, stop_sequences, stream, tools, tool_choice, thinking, metadata,
    temperature, top_p, top_k, count
};
}  // namespace anthropic_field

struct anthropic_fields : field_slots<anthropic_field::count> {
    using name = anthropic_field::name;
    using enum anthropic_field::name;
    explicit anthropic_fields(simdjson::dom::object obj) noexcept {
        for (simdjson::dom::key_value_pair kv : obj) {
            const std::string_view k = kv.key;
            auto take = [&](std::string_view key, name f) { field_slots::take(k, key, f, kv.value); };
            switch (k.size()) {
            case 5:
                take("model", model);
                take("tools", tools);
                take("top_p", top_p);
                take("top_k", top_k);
                break;
            case 6:
                take("system", system);
                take("stream", stream);
                break;
            case 8:
                take("messages", messages);
                take("thinking", thinking);
                take("metadata", metadata);
                break;
            case 10: take("max_tokens", max_tokens); break;
            case 11:
                take("tool_choice", tool_choice);
                take("temperature", temperature);
                break;
            case 14: take("stop_sequences", stop_sequences); break;
            default: break;
            }
        }
    }
};

// Tool names as Anthropic takes them: ^[a-zA-Z0-9_-]{1,128}$.
bool tool_name_ok(std::string_view n) noexcept {
    if (n.empty() || n.size() > 128) {
        return false;
    }
    for (char c : n) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// A text block's text, or nothing.
bool block_text(simdjson::dom::element block, std::string_view& text) noexcept {
    std::string_view type;
    return block["type"].get(type) == simdjson::SUCCESS && type == "text" && block["text"].get(text) == simdjson::SUCCESS;
}

// One message: its role and content read, the counts advanced; false and err on a bad one.
bool read_message(simdjson::dom::element m, generation_request& out, body_error& err) noexcept {
    simdjson::dom::object mo;
    if (m.get(mo) != simdjson::SUCCESS) {
        err = {"messages: Input should be a valid dictionary", "messages"};
        return false;
    }
    simdjson::dom::element content, role_value;
    bool has_content = false, has_role = false;
    for (simdjson::dom::key_value_pair kv : mo) {
        if (!has_content && kv.key == "content") {
            has_content = true;
            content = kv.value;
        } else if (!has_role && kv.key == "role") {
            has_role = true;
            role_value = kv.value;
        }
    }
    std::string_view role;
    if (!has_role) {
        err = {"messages.role: Field required", "messages.role"};
        return false;
    }
    if (role_value.get(role) != simdjson::SUCCESS || (role != "user" && role != "assistant")) {
        err = {"messages.role: Input should be 'user' or 'assistant'", "messages.role"};
        return false;
    }
    if (!has_content) {
        err = {"messages.content: Field required", "messages.content"};
        return false;
    }
    const bool user = role == "user";
    begin_prompt_message(out, role);
    std::string_view s;
    simdjson::dom::array blocks;
    if (content.get(s) == simdjson::SUCCESS) {
        count_prompt(out, s);
        if (user) {
            out.last_user = s;
            out.tool_turns = 0;
        }
        return true;
    }
    if (content.get(blocks) != simdjson::SUCCESS) {
        err = {"messages.content: Input should be a valid string or a list of content blocks", "messages.content"};
        return false;
    }
    bool calls = false, other = false, have_text = false;
    std::string_view first;
    for (simdjson::dom::element b : blocks) {
        std::string_view type;
        if (b["type"].get(type) != simdjson::SUCCESS) {
            err = {"messages.content.type: Field required", "messages.content"};
            return false;
        }
        if (type == "text") {
            std::string_view t;
            if (b["text"].get(t) != simdjson::SUCCESS) {
                err = {"messages.content.text: Field required", "messages.content"};
                return false;
            }
            count_prompt(out, t);
            if (!have_text) {
                first = t;
                have_text = true;
            }
            other = true;
        } else if (type == "tool_result") {
            // Its content: a string or text blocks (images and documents count nothing).
            simdjson::dom::element c;
            simdjson::dom::array parts;
            if (b["content"].get(c) == simdjson::SUCCESS) {
                if (c.get(s) == simdjson::SUCCESS) {
                    count_prompt(out, s);
                } else if (c.get(parts) == simdjson::SUCCESS) {
                    for (simdjson::dom::element part : parts) {
                        std::string_view t;
                        if (block_text(part, t)) {
                            count_prompt(out, t);
                        }
                    }
                }
            }
        } else if (type == "tool_use") {
            calls = true;
        } else {
            other = true;  // image, document, thinking, ...: accepted, not counted
        }
    }
    if (user && other) {
        out.tool_turns = 0;  // a new user turn: the agent's rounds count from here
        out.last_user = first;
    } else if (!user && calls) {
        ++out.tool_turns;
    }
    return true;
}

bool read_tools(const anthropic_fields& f, generation_request& out, body_error& err) noexcept {
    simdjson::dom::array tools;
    if (f[anthropic_fields::tools].get(tools) != simdjson::SUCCESS) {
        err = {"tools: Input should be a valid list", "tools"};
        return false;
    }
    if (tools.size() > MAX_TOOLS) {
        err = {"tools: List should have at most 128 items after validation", "tools"};
        return false;
    }
    for (simdjson::dom::element t : tools) {
        simdjson::dom::object to;
        std::string_view name, type;
        if (t.get(to) != simdjson::SUCCESS) {
            err = {"tools: Input should be a valid dictionary", "tools"};
            return false;
        }
        if (to["name"].get(name) != simdjson::SUCCESS) {
            err = {"tools.name: Field required", "tools.name"};
            return false;
        }
        if (!tool_name_ok(name)) {
            err = {"tools.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", "tools.name"};
            return false;
        }
        // A custom tool (no type, or "custom") needs its input_schema; the server tools
        // (bash_20250124, web_search_...) have none: their input is any object.
        const bool custom = to["type"].get(type) != simdjson::SUCCESS || type == "custom";
        simdjson::dom::element schema;
        if (to["input_schema"].get(schema) != simdjson::SUCCESS) {
            if (custom) {
                err = {"tools.input_schema: Field required", "tools.input_schema"};
                return false;
            }
        } else {
            simdjson::dom::object so;
            if (schema.get(so) != simdjson::SUCCESS) {
                err = {"tools.input_schema: Input should be a valid dictionary", "tools.input_schema"};
                return false;
            }
            if (const char* bad = check_schema(schema)) {
                err = {bad, "tools.input_schema"};
                return false;
            }
        }
        ++out.tool_count;
    }
    out.tools = tools;
    out.tools_input_schema = true;
    return true;
}

bool read_tool_choice(const anthropic_fields& f, generation_request& out, body_error& err) noexcept {
    const simdjson::dom::element tc = f[anthropic_fields::tool_choice];
    std::string_view type;
    if (!tc.is_object() || tc["type"].get(type) != simdjson::SUCCESS) {
        err = {"tool_choice: Input should be an object with 'type' 'auto', 'any', 'tool' or 'none'", "tool_choice"};
        return false;
    }
    if (type == "auto") {
        out.tool_choice = tool_choice_kind::auto_;
    } else if (type == "any") {
        out.tool_choice = tool_choice_kind::required;
    } else if (type == "none") {
        out.tool_choice = tool_choice_kind::none;
    } else if (type == "tool") {
        std::string_view name;
        if (tc["name"].get(name) != simdjson::SUCCESS) {
            err = {"tool_choice.tool.name: Field required", "tool_choice.name"};
            return false;
        }
        out.tool_choice = tool_choice_kind::named;
        bool found = false;
        uint32_t i = 0;
        // Without "tools" there is no array to search (a default dom::array must not be walked).
        if (out.tool_count != 0) {
            for (simdjson::dom::element t : out.tools) {
                std::string_view n;
                if (t["name"].get(n) == simdjson::SUCCESS && n == name) {
                    found = true;
                    out.tool_choice_index = i;
                    break;
                }
                ++i;
            }
        }
        if (out.tool_count == 0 || !found) {
            err = {"tool_choice.tool.name: the named tool is not among 'tools'", "tool_choice.name"};
            return false;
        }
    } else {
        err = {"tool_choice.type: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
               "tool_choice.type"};
        return false;
    }
    if ((out.tool_choice == tool_choice_kind::required) && out.tool_count == 0) {
        err = {"tool_choice: 'any' may only be specified while providing tools", "tool_choice"};
        return false;
    }
    simdjson::dom::element dp;
    if (tc["disable_parallel_tool_use"].get(dp) == simdjson::SUCCESS && !dp.is_null()) {
        bool off;
        if (dp.get(off) != simdjson::SUCCESS) {
            err = {"tool_choice.disable_parallel_tool_use: Input should be a valid boolean",
                   "tool_choice.disable_parallel_tool_use"};
            return false;
        }
        out.parallel_tool_calls = !off;
    }
    return true;
}

bool read_thinking(const anthropic_fields& f, generation_request& out, body_error& err) noexcept {
    const simdjson::dom::element th = f[anthropic_fields::thinking];
    std::string_view type;
    if (!th.is_object() || th["type"].get(type) != simdjson::SUCCESS) {
        err = {"thinking: Input should be an object with 'type' 'enabled' or 'disabled'", "thinking"};
        return false;
    }
    if (type == "disabled") {
        out.thinking = out.reasoning = reasoning_ask::off;
        return true;
    }
    if (type == "adaptive") {  // the newer models' own budget
        out.thinking = out.reasoning = reasoning_ask::on;
        return true;
    }
    if (type != "enabled") {
        err = {"thinking.type: Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'",
               "thinking.type"};
        return false;
    }
    simdjson::dom::element b;
    if (th["budget_tokens"].get(b) != simdjson::SUCCESS) {
        err = {"thinking.enabled.budget_tokens: Field required", "thinking.budget_tokens"};
        return false;
    }
    uint64_t budget;
    if (b.get(budget) != simdjson::SUCCESS || budget > 0xffffffffu) {
        err = {"thinking.enabled.budget_tokens: Input should be a valid integer", "thinking.budget_tokens"};
        return false;
    }
    if (budget < 1024) {
        err = {"thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
               "thinking.budget_tokens"};
        return false;
    }
    if (out.has_max_tokens && budget >= out.max_tokens) {
        err = {"`max_tokens` must be greater than `thinking.budget_tokens`.", "thinking.budget_tokens"};
        return false;
    }
    out.thinking = out.reasoning = reasoning_ask::on;
    out.has_thinking_budget = true;
    out.thinking_budget = uint32_t(budget);
    return true;
}

// A number in [lo, hi] (temperature, top_p).
bool number_in(simdjson::dom::element e, double lo, double hi) noexcept {
    double v;
    return e.get(v) == simdjson::SUCCESS && v >= lo && v <= hi;
}

bool read_body(json_body_parser& p, const char* body, size_t len, generation_request& out, body_error& err,
               bool need_max_tokens) noexcept {
    reset_request(out);
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    const anthropic_fields f(obj);
    using af = anthropic_fields;
    if (!f.given(af::model)) {
        err = {"model: Field required", "model"};
        return false;
    }
    if (f[af::model].get(out.model) != simdjson::SUCCESS) {
        err = {"model: Input should be a valid string", "model"};
        return false;
    }
    if (f.given(af::max_tokens)) {
        int64_t n;
        if (f[af::max_tokens].get(n) != simdjson::SUCCESS) {
            err = {"max_tokens: Input should be a valid integer", "max_tokens"};
            return false;
        }
        if (n < 1) {
            err = {"max_tokens: Input should be greater than or equal to 1", "max_tokens"};
            return false;
        }
        out.has_max_tokens = true;
        out.max_tokens = uint64_t(n);
    } else if (need_max_tokens) {
        err = {"max_tokens: Field required", "max_tokens"};
        return false;
    }
    if (!f.given(af::messages)) {
        err = {"messages: Field required", "messages"};
        return false;
    }
    simdjson::dom::array messages;
    if (f[af::messages].get(messages) != simdjson::SUCCESS) {
        err = {"messages: Input should be a valid list", "messages"};
        return false;
    }
    out.message_count = uint32_t(messages.size());
    if (out.message_count == 0) {
        err = {"messages: at least one message is required", "messages"};
        return false;
    }
    // The system prompt first: it heads the prompt's blocks (the prefix cache).
    if (f.given(af::system)) {
        begin_prompt_message(out, "system");
        std::string_view s;
        simdjson::dom::array blocks;
        if (f[af::system].get(s) == simdjson::SUCCESS) {
            count_prompt(out, s);
        } else if (f[af::system].get(blocks) == simdjson::SUCCESS) {
            for (simdjson::dom::element b : blocks) {
                if (!block_text(b, s)) {
                    err = {"system: Input should be a valid string or a list of text blocks", "system"};
                    return false;
                }
                count_prompt(out, s);
            }
        } else {
            err = {"system: Input should be a valid string or a list of text blocks", "system"};
            return false;
        }
    }
    for (simdjson::dom::element m : messages) {
        if (!read_message(m, out, err)) {
            return false;
        }
    }
    if (f.given(af::stop_sequences)) {
        simdjson::dom::array arr;
        if (f[af::stop_sequences].get(arr) != simdjson::SUCCESS) {
            err = {"stop_sequences: Input should be a valid list", "stop_sequences"};
            return false;
        }
        if (arr.size() > MAX_STOP_SEQUENCES) {
            err = {"stop_sequences: List should have at most 4 items after validation", "stop_sequences"};
            return false;
        }
        for (simdjson::dom::element e : arr) {
            std::string_view s;
            if (e.get(s) != simdjson::SUCCESS) {
                err = {"stop_sequences: Input should be a valid string", "stop_sequences"};
                return false;
            }
            if (!s.empty()) {
                out.stop[out.stop_count++] = s;
            }
        }
    }
    if (f.given(af::stream) && f[af::stream].get(out.stream) != simdjson::SUCCESS) {
        err = {"stream: Input should be a valid boolean", "stream"};
        return false;
    }
    if (f.given(af::tools) && !read_tools(f, out, err)) {
        return false;
    }
    if (f.given(af::tool_choice) && !read_tool_choice(f, out, err)) {
        return false;
    }
    if (f.given(af::thinking) && !read_thinking(f, out, err)) {
        return false;
    }
    if (f.given(af::metadata) && !f[af::metadata].is_object()) {
        err = {"metadata: Input should be a valid dictionary", "metadata"};
        return false;
    }
    if (f.given(af::temperature) && !number_in(f[af::temperature], 0, 1)) {
        err = {"temperature: Input should be a number from 0 to 1", "temperature"};
        return false;
    }
    if (f.given(af::top_p) && !number_in(f[af::top_p], 0, 1)) {
        err = {"top_p: Input should be a number from 0 to 1", "top_p"};
        return false;
    }
    if (f.given(af::top_k)) {
        int64_t k;
        if (f[af::top_k].get(k) != simdjson::SUCCESS || k < 0) {
            err = {"top_k: Input should be a non-negative integer", "top_k"};
            return false;
        }
    }
    // Anthropic streams always state the usage (message_start and message_delta).
    out.include_usage = out.stream;
    return true;
}

}  // namespace

bool read_anthropic_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                            body_error& err) noexcept {
    return read_body(p, body, len, out, err, true);
}

bool read_anthropic_count_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                                  body_error& err) noexcept {
    return read_body(p, body, len, out, err, false);
}

}  // namespace lms
