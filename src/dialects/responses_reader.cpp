// responses_reader: the Responses API's request (wire-formats.md §2.1), read in one pass over
// the top-level object (each field the FIRST of its name), each field checked the way the
// OpenAI API checks it, the refusal naming the field.
//
// Tool turns: the agent's rounds since the last user message, counted as runs of tool items
// (function_call and function_call_output items with no message between them). A parallel
// call's outputs belong to its turn; a function_call_output is the tool's result, not a user
// turn; item_reference and reasoning items (what a client sends for a stored response's items)
// neither start nor end a run. Built-in tools (web_search, file_search, ...) are refused: the
// mock generates only function calls.
#include <simdjson.h>

#include "dialects/body_fields.hpp"

#include "answer/prompt_text.hpp"
#include "answer/schema_json.hpp"
#include "dialects/openai_responses.hpp"

namespace lms {

namespace {

namespace responses_field {
enum name : uint8_t {
    model, input, instructions, max_output_tokens, stream, tools, tool_choice, parallel_tool_calls, reasoning,
    text, previous_response_id, store, metadata, temperature, top_p, count
};
}  // namespace responses_field

struct responses_fields : field_slots<responses_field::count> {
    using name = responses_field::name;
    using enum responses_field::name;
    explicit responses_fields(simdjson::dom::object obj) noexcept {
        for (simdjson::dom::key_value_pair kv : obj) {
            const std::string_view k = kv.key;
            auto take = [&](std::string_view key, name f) { field_slots::take(k, key, f, kv.value); };
            switch (k.size()) {
            case 4: take("text", text); break;
            case 5:
                take("model", model);
                take("input", input);
                take("tools", tools);
                take("store", store);
                take("top_p", top_p);
                break;
            case 6: take("stream", stream); break;
            case 8: take("metadata", metadata); break;
            case 9: take("reasoning", reasoning); break;
            case 11:
                take("tool_choice", tool_choice);
                take("temperature", temperature);
                break;
            case 12: take("instructions", instructions); break;
            case 17: take("max_output_tokens", max_output_tokens); break;
            case 19: take("parallel_tool_calls", parallel_tool_calls); break;
            case 20: take("previous_response_id", previous_response_id); break;
            default: break;
            }
        }
    }
};

// OpenAI's lower bound on max_output_tokens.
constexpr uint64_t MIN_OUTPUT_TOKENS = 16;
// OpenAI's limit on metadata pairs.
constexpr size_t MAX_METADATA = 16;

constexpr const char* BAD_INPUT = "Invalid 'input': expected a string or an array of input items.";
constexpr const char* BAD_TOOL = "Invalid 'tools': each tool must be {\"type\":\"function\",\"name\":...} with a non-empty "
                                 "name (the mock offers no built-in tools such as web_search).";
constexpr const char* BAD_TOOL_CHOICE =
    "Invalid 'tool_choice': expected 'none', 'auto', 'required' or {\"type\":\"function\",\"name\":...}.";

// A flat function tool's name; empty when e is not one.
std::string_view flat_function_name(simdjson::dom::element e) noexcept {
    std::string_view type, name;
    if (e["type"].get(type) != simdjson::SUCCESS || type != "function" || e["name"].get(name) != simdjson::SUCCESS) {
        return {};
    }
    return name;
}

// A message's content (a string or an array of parts): its text counted into out's prompt, the
// first text returned; false when it is neither.
bool message_text(simdjson::dom::element content, generation_request& out, std::string_view& first) noexcept {
    std::string_view s;
    if (content.get(s) == simdjson::SUCCESS) {
        count_prompt(out, s);
        first = s;
        return true;
    }
    simdjson::dom::array parts;
    if (content.get(parts) != simdjson::SUCCESS) {
        return false;
    }
    first = {};
    for (simdjson::dom::element part : parts) {
        std::string_view type;
        if (part["type"].get(type) != simdjson::SUCCESS) {
            return false;
        }
        // input_text, output_text, refusal carry text; input_image / input_file do not.
        std::string_view t;
        if (part["text"].get(t) == simdjson::SUCCESS || part["refusal"].get(t) == simdjson::SUCCESS) {
            count_prompt(out, t);
            if (first.empty()) {
                first = t;
            }
        }
    }
    return true;
}

bool read_input(simdjson::dom::element input, generation_request& out, body_error& err) noexcept {
    std::string_view s;
    if (input.get(s) == simdjson::SUCCESS) {
        out.last_user = s;
        begin_prompt_message(out, "user");
        count_prompt(out, s);
        out.message_count = 1;
        return true;
    }
    simdjson::dom::array items;
    if (input.get(items) != simdjson::SUCCESS) {
        err = {BAD_INPUT, "input"};
        return false;
    }
    if (items.size() == 0) {
        err = {"Invalid 'input': empty array. Expected an array with minimum length 1.", "input"};
        return false;
    }
    bool in_tools = false;  // inside a run of tool items (one agent turn)
    for (simdjson::dom::element item : items) {
        simdjson::dom::object io;
        if (item.get(io) != simdjson::SUCCESS) {
            err = {BAD_INPUT, "input"};
            return false;
        }
        ++out.message_count;
        // The item's first type, role, content, call_id, name, arguments, output: one pass.
        simdjson::dom::element type_v, role_v, content_v, call_id_v, output_v, args_v, name_v;
        bool has_type = false, has_role = false, has_content = false, has_call_id = false, has_output = false,
             has_args = false, has_name = false;
        for (simdjson::dom::key_value_pair kv : io) {
            const std::string_view k = kv.key;
            auto take = [&](std::string_view key, bool& has, simdjson::dom::element& v) {
                if (!has && k == key) {
                    has = true;
                    v = kv.value;
                }
            };
            take("type", has_type, type_v);
            take("role", has_role, role_v);
            take("content", has_content, content_v);
            take("call_id", has_call_id, call_id_v);
            take("output", has_output, output_v);
            take("arguments", has_args, args_v);
            take("name", has_name, name_v);
        }
        std::string_view type = "message";
        if (has_type && type_v.get(type) != simdjson::SUCCESS) {
            err = {"Invalid type for 'input[].type': expected a string.", "input"};
            return false;
        }
        if (type == "message") {
            std::string_view role;
            if (!has_role || role_v.get(role) != simdjson::SUCCESS ||
                (role != "user" && role != "assistant" && role != "system" && role != "developer")) {
                err = {"Invalid 'input[].role': expected 'user', 'assistant', 'system' or 'developer'.", "input"};
                return false;
            }
            std::string_view first;
            begin_prompt_message(out, role);
            if (!has_content || !message_text(content_v, out, first)) {
                err = {"Invalid 'input[].content': expected a string or an array of content parts.", "input"};
                return false;
            }
            in_tools = false;
            if (role == "user") {
                out.last_user = first;
                out.tool_turns = 0;  // the agent's rounds count from the last user message
            }
        } else if (type == "function_call") {
            std::string_view call_id, name, args;
            if (!has_call_id || call_id_v.get(call_id) != simdjson::SUCCESS || !has_name ||
                name_v.get(name) != simdjson::SUCCESS || !has_args || args_v.get(args) != simdjson::SUCCESS) {
                err = {"Invalid 'input[]': a function_call item needs string 'call_id', 'name' and 'arguments'.",
                       "input"};
                return false;
            }
            begin_prompt_message(out, "function_call");
            count_prompt(out, args);
            if (!in_tools) {
                ++out.tool_turns;
                in_tools = true;
            }
        } else if (type == "function_call_output") {
            std::string_view call_id, output, first;
            if (!has_call_id || call_id_v.get(call_id) != simdjson::SUCCESS || !has_output) {
                err = {"Invalid 'input[]': a function_call_output item needs a string 'call_id' and an 'output'.",
                       "input"};
                return false;
            }
            begin_prompt_message(out, "tool");
            if (output_v.get(output) == simdjson::SUCCESS) {
                count_prompt(out, output);
            } else if (!message_text(output_v, out, first)) {
                err = {"Invalid 'input[].output': expected a string or an array of content parts.", "input"};
                return false;
            }
            if (!in_tools) {
                ++out.tool_turns;
                in_tools = true;
            }
        } else if (type != "reasoning" && type != "item_reference") {
            err = {"Invalid 'input[].type': expected 'message', 'function_call', 'function_call_output', "
                   "'reasoning' or 'item_reference'.", "input"};
            return false;
        }
    }
    return true;
}

bool read_tools(const responses_fields& f, generation_request& out, body_error& err) noexcept {
    simdjson::dom::array tools;
    if (f.given(responses_fields::tools)) {
        if (f[responses_fields::tools].get(tools) != simdjson::SUCCESS) {
            err = {"Invalid type for 'tools': expected an array of function tools.", "tools"};
            return false;
        }
        if (tools.size() > MAX_TOOLS) {
            err = {"Invalid 'tools': at most 128 tools.", "tools"};
            return false;
        }
        for (simdjson::dom::element t : tools) {
            if (flat_function_name(t).empty()) {
                err = {BAD_TOOL, "tools"};
                return false;
            }
            simdjson::dom::element params;
            if (t["parameters"].get(params) == simdjson::SUCCESS && !params.is_null()) {
                if (const char* bad = check_schema(params)) {
                    err = {bad, "tools"};
                    return false;
                }
            }
            ++out.tool_count;
        }
        out.tools = tools;
        out.tools_flat = true;
    }
    if (f.given(responses_fields::parallel_tool_calls) &&
        f[responses_fields::parallel_tool_calls].get(out.parallel_tool_calls) != simdjson::SUCCESS) {
        err = {"Invalid type for 'parallel_tool_calls': expected a boolean.", "parallel_tool_calls"};
        return false;
    }
    if (!f.given(responses_fields::tool_choice)) {
        return true;
    }
    std::string_view s;
    if (f[responses_fields::tool_choice].get(s) == simdjson::SUCCESS) {
        out.tool_choice = s == "none"       ? tool_choice_kind::none
                          : s == "auto"     ? tool_choice_kind::auto_
                          : s == "required" ? tool_choice_kind::required
                                            : tool_choice_kind::unset;
        if (out.tool_choice == tool_choice_kind::unset) {
            err = {BAD_TOOL_CHOICE, "tool_choice"};
            return false;
        }
        if (out.tool_choice == tool_choice_kind::required && out.tool_count == 0) {
            err = {"Invalid 'tool_choice': only allowed when 'tools' are specified.", "tool_choice"};
            return false;
        }
        return true;
    }
    const std::string_view name = flat_function_name(f[responses_fields::tool_choice]);
    if (name.empty()) {
        err = {BAD_TOOL_CHOICE, "tool_choice"};
        return false;
    }
    out.tool_choice = tool_choice_kind::named;
    if (out.tool_count == 0) {
        // Checked before the search: without "tools" there is no array to search.
        err = {"Invalid 'tool_choice': only allowed when 'tools' are specified.", "tool_choice"};
        return false;
    }
    uint32_t i = 0;
    for (simdjson::dom::element t : tools) {
        if (flat_function_name(t) == name) {
            out.tool_choice_index = i;
            return true;
        }
        ++i;
    }
    err = {"Invalid 'tool_choice': the named function is not among 'tools'.", "tool_choice"};
    return false;
}

// reasoning {effort, summary}: effort as chat's reasoning_effort; a summary shows the reasoning
// (as one summary_text part); a summary without an effort asks for medium.
bool read_reasoning(simdjson::dom::element r, generation_request& out, body_error& err) noexcept {
    simdjson::dom::object ro;
    if (r.get(ro) != simdjson::SUCCESS) {
        err = {"Invalid type for 'reasoning': expected an object.", "reasoning"};
        return false;
    }
    simdjson::dom::element v;
    std::string_view effort, summary;
    if (ro["effort"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(effort) != simdjson::SUCCESS ||
            (effort != "none" && effort != "minimal" && effort != "low" && effort != "medium" && effort != "high" &&
             effort != "xhigh")) {
            err = {"Invalid 'reasoning.effort': expected 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'.",
                   "reasoning.effort"};
            return false;
        }
    }
    if (ro["summary"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(summary) != simdjson::SUCCESS ||
            (summary != "auto" && summary != "concise" && summary != "detailed")) {
            err = {"Invalid 'reasoning.summary': expected 'auto', 'concise' or 'detailed'.", "reasoning.summary"};
            return false;
        }
    }
    if (effort.empty() && !summary.empty()) {
        effort = "medium";
    }
    if (effort.empty()) {
        return true;
    }
    out.effort = effort == "none"      ? effort_level::none
                 : effort == "minimal" ? effort_level::minimal
                 : effort == "low"     ? effort_level::low
                 : effort == "medium"  ? effort_level::medium
                                       : effort_level::high;
    out.reasoning = out.effort <= effort_level::minimal ? reasoning_ask::off : reasoning_ask::on;
    out.show_reasoning = !summary.empty();
    return true;
}

// text {format: {type: text | json_object | json_schema (+ name, schema, strict)}}.
bool read_text(simdjson::dom::element t, generation_request& out, body_error& err) noexcept {
    simdjson::dom::object to;
    if (t.get(to) != simdjson::SUCCESS) {
        err = {"Invalid type for 'text': expected an object.", "text"};
        return false;
    }
    simdjson::dom::element fmt;
    if (to["format"].get(fmt) != simdjson::SUCCESS || fmt.is_null()) {
        return true;
    }
    std::string_view type;
    if (fmt["type"].get(type) != simdjson::SUCCESS) {
        err = {"Invalid 'text.format': expected an object with 'type' 'text', 'json_object' or 'json_schema'.",
               "text.format"};
        return false;
    }
    if (type == "text") {
        out.response_format = response_format_kind::text;
        return true;
    }
    if (type == "json_object") {
        out.response_format = response_format_kind::json_object;
        return true;
    }
    if (type != "json_schema") {
        err = {"Invalid 'text.format.type': expected 'text', 'json_object' or 'json_schema'.", "text.format.type"};
        return false;
    }
    std::string_view name;
    if (fmt["name"].get(name) != simdjson::SUCCESS || name.empty()) {
        err = {"Missing required parameter: 'text.format.name'.", "text.format.name"};
        return false;
    }
    simdjson::dom::element schema;
    simdjson::dom::object so;
    if (fmt["schema"].get(schema) != simdjson::SUCCESS) {
        err = {"Missing required parameter: 'text.format.schema'.", "text.format.schema"};
        return false;
    }
    if (schema.get(so) != simdjson::SUCCESS) {
        err = {"Invalid 'text.format.schema': expected a JSON Schema object.", "text.format.schema"};
        return false;
    }
    if (const char* bad = check_schema(schema)) {
        err = {bad, "text.format.schema"};
        return false;
    }
    simdjson::dom::element strict;
    bool b;
    if (fmt["strict"].get(strict) == simdjson::SUCCESS && !strict.is_null() && strict.get(b) != simdjson::SUCCESS) {
        err = {"Invalid type for 'text.format.strict': expected a boolean.", "text.format.strict"};
        return false;
    }
    out.output_schema = schema;
    out.has_output_schema = true;
    out.response_format = response_format_kind::json_schema;
    return true;
}

// A number in [0, max] (temperature, top_p).
bool read_unit(const responses_fields& f, responses_fields::name n, double max, const char* bad_type,
               const char* bad_range, const char* param, body_error& err) noexcept {
    if (!f.given(n)) {
        return true;
    }
    double d;
    if (f[n].get(d) != simdjson::SUCCESS) {
        err = {bad_type, param};
        return false;
    }
    if (d < 0 || d > max) {
        err = {bad_range, param};
        return false;
    }
    return true;
}

}  // namespace

bool read_responses_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                            body_error& err) noexcept {
    reset_request(out);
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    const responses_fields f(obj);
    if (f.given(responses_fields::model) && f[responses_fields::model].get(out.model) != simdjson::SUCCESS) {
        err = {"Invalid type for 'model': expected a string.", "model"};
        return false;
    }
    if (!f.given(responses_fields::input)) {
        err = {"Missing required parameter: 'input'.", "input"};
        return false;
    }
    // The instructions first: the system prompt heads the prompt's blocks (the prefix cache).
    if (f.given(responses_fields::instructions)) {
        std::string_view s;
        if (f[responses_fields::instructions].get(s) != simdjson::SUCCESS) {
            err = {"Invalid type for 'instructions': expected a string.", "instructions"};
            return false;
        }
        begin_prompt_message(out, "system");
        count_prompt(out, s);
    }
    if (!read_input(f[responses_fields::input], out, err)) {
        return false;
    }
    if (f.given(responses_fields::stream) && f[responses_fields::stream].get(out.stream) != simdjson::SUCCESS) {
        err = {"Invalid type for 'stream': expected a boolean.", "stream"};
        return false;
    }
    if (f.given(responses_fields::max_output_tokens)) {
        int64_t n;
        if (f[responses_fields::max_output_tokens].get(n) != simdjson::SUCCESS) {
            err = {"Invalid type for 'max_output_tokens': expected an integer.", "max_output_tokens"};
            return false;
        }
        if (n < int64_t(MIN_OUTPUT_TOKENS)) {
            err = {"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16.",
                   "max_output_tokens"};
            return false;
        }
        out.has_max_tokens = true;
        out.max_tokens = uint64_t(n);
    }
    if (!read_tools(f, out, err)) {
        return false;
    }
    if (f.given(responses_fields::reasoning) && !read_reasoning(f[responses_fields::reasoning], out, err)) {
        return false;
    }
    if (f.given(responses_fields::text) && !read_text(f[responses_fields::text], out, err)) {
        return false;
    }
    if (!read_unit(f, responses_fields::temperature, 2, "Invalid type for 'temperature': expected a number.",
                   "Invalid 'temperature': expected a number from 0 to 2.", "temperature", err) ||
        !read_unit(f, responses_fields::top_p, 1, "Invalid type for 'top_p': expected a number.",
                   "Invalid 'top_p': expected a number from 0 to 1.", "top_p", err)) {
        return false;
    }
    // Accepted and ignored: the mock keeps no state.
    std::string_view s;
    if (f.given(responses_fields::previous_response_id) &&
        f[responses_fields::previous_response_id].get(s) != simdjson::SUCCESS) {
        err = {"Invalid type for 'previous_response_id': expected a string.", "previous_response_id"};
        return false;
    }
    bool b;
    if (f.given(responses_fields::store) && f[responses_fields::store].get(b) != simdjson::SUCCESS) {
        err = {"Invalid type for 'store': expected a boolean.", "store"};
        return false;
    }
    if (f.given(responses_fields::metadata)) {
        simdjson::dom::object md;
        if (f[responses_fields::metadata].get(md) != simdjson::SUCCESS) {
            err = {"Invalid type for 'metadata': expected an object of string values.", "metadata"};
            return false;
        }
        if (md.size() > MAX_METADATA) {
            err = {"Invalid 'metadata': at most 16 key-value pairs.", "metadata"};
            return false;
        }
        for (simdjson::dom::key_value_pair kv : md) {
            if (!kv.value.is_string()) {
                err = {"Invalid type for 'metadata': expected an object of string values.", "metadata"};
                return false;
            }
        }
    }
    // The fields the response object repeats (stream, model, input are not among them).
    constexpr uint32_t ECHOED = ~((1u << responses_fields::model) | (1u << responses_fields::input) |
                                  (1u << responses_fields::stream));
    out.body = obj;
    out.echo_wanted = (f.present & ECHOED) != 0;
    return true;
}

}  // namespace lms
