// openai_reader: the top-level fields are found in one pass over the object (body_fields),
// and each is checked the way the OpenAI API checks it, the refusal naming the field.
#include "dialects/openai_reader.hpp"

#include <simdjson.h>

#include "dialects/body_fields.hpp"

#include "answer/prompt_text.hpp"
#include "answer/schema_json.hpp"

namespace lms {

tool_ref request_tool(const generation_request& rq, uint32_t i) noexcept {
    tool_ref t;
    simdjson::dom::element e;
    if (rq.tools.at(i).get(e) != simdjson::SUCCESS) {
        return t;
    }
    simdjson::dom::element fn = e;
    if (!rq.tools_flat && !rq.tools_input_schema && e["function"].get(fn) != simdjson::SUCCESS) {
        return t;
    }
    if (fn["name"].get(t.name) != simdjson::SUCCESS) {
        return t;
    }
    t.has_parameters = fn[rq.tools_input_schema ? "input_schema" : "parameters"].get(t.parameters) == simdjson::SUCCESS &&
                       !t.parameters.is_null();
    return t;
}

namespace {

// What the reader does with each piece of prompt text: nothing (chat_prompt_text passes it on).
struct no_piece {
    void operator()(std::string_view) const noexcept {}
};

// The text of a message's content: a string, or the first text part of an array of parts;
// adds every text byte to bytes and hands each piece counted to piece (the one rule for what
// the usage counts and /tokenize cuts; a template, so that the reader pays nothing for it).
template <class Piece = no_piece>
std::string_view content_text(simdjson::dom::element content, uint64_t& bytes, Piece piece = {}) noexcept {
    std::string_view s;
    if (content.get(s) == simdjson::SUCCESS) {
        bytes += s.size();
        piece(s);
        return s;
    }
    simdjson::dom::array parts;
    std::string_view first;
    if (content.get(parts) == simdjson::SUCCESS) {
        for (simdjson::dom::element part : parts) {
            std::string_view t;
            if (part["text"].get(t) == simdjson::SUCCESS) {
                bytes += t.size();
                piece(t);
                if (first.empty()) {
                    first = t;
                }
            }
        }
    }
    return first;
}

// Whether some message's text (string content or text parts) holds "json" in any case:
// DashScope refuses json_object otherwise. Only asked for json_object requests.
bool mentions_json(simdjson::dom::array messages) noexcept {
    auto holds = [](std::string_view t) {
        for (size_t i = 0; i + 4 <= t.size(); ++i) {
            if ((t[i] | 0x20) == 'j' && (t[i + 1] | 0x20) == 's' && (t[i + 2] | 0x20) == 'o' && (t[i + 3] | 0x20) == 'n') {
                return true;
            }
        }
        return false;
    };
    for (simdjson::dom::element m : messages) {
        simdjson::dom::element content;
        if (m["content"].get(content) != simdjson::SUCCESS) {
            continue;
        }
        std::string_view s;
        simdjson::dom::array parts;
        if (content.get(s) == simdjson::SUCCESS) {
            if (holds(s)) {
                return true;
            }
        } else if (content.get(parts) == simdjson::SUCCESS) {
            for (simdjson::dom::element part : parts) {
                if (part["text"].get(s) == simdjson::SUCCESS && holds(s)) {
                    return true;
                }
            }
        }
    }
    return false;
}

// The top-level fields the readers look at, found in one pass over the
// object instead of one at_key() scan (with a strlen) per name. Each is the FIRST field of
// its name, as at_key() would find it.
namespace chat_field {
enum name : uint8_t {
    messages, prompt, model, stream, stream_options, max_completion_tokens, max_tokens, n, stop, tools,
    tool_choice, enable_thinking, reasoning_effort, response_format, parallel_tool_calls, thinking_budget, logprobs,
    top_logprobs, count
};
}  // namespace chat_field

struct body_fields : field_slots<chat_field::count> {
    using name = chat_field::name;
    using enum chat_field::name;
    // The chat-only fields: a body with none of them skips their checks in one test.
    static constexpr uint32_t AGENT = 1u << tools | 1u << tool_choice | 1u << enable_thinking |
                                      1u << reasoning_effort | 1u << response_format |
                                      1u << parallel_tool_calls | 1u << thinking_budget | 1u << logprobs |
                                      1u << top_logprobs;

    explicit body_fields(simdjson::dom::object obj) noexcept {
        for (simdjson::dom::key_value_pair kv : obj) {
            const std::string_view k = kv.key;
            auto take = [&](std::string_view key, name f) { field_slots::take(k, key, f, kv.value); };
            switch (k.size()) {
            case 1: take("n", n); break;
            case 4: take("stop", stop); break;
            case 5:
                take("model", model);
                take("tools", tools);
                break;
            case 6:
                take("stream", stream);
                take("prompt", prompt);
                break;
            case 8:
                take("messages", messages);
                take("logprobs", logprobs);
                break;
            case 10: take("max_tokens", max_tokens); break;
            case 11: take("tool_choice", tool_choice); break;
            case 12: take("top_logprobs", top_logprobs); break;
            case 14: take("stream_options", stream_options); break;
            case 15:
                take("enable_thinking", enable_thinking);
                take("response_format", response_format);
                take("thinking_budget", thinking_budget);
                break;
            case 19: take("parallel_tool_calls", parallel_tool_calls); break;
            case 16: take("reasoning_effort", reasoning_effort); break;
            case 21: take("max_completion_tokens", max_completion_tokens); break;
            default: break;
            }
        }
    }
};

bool read_common(const body_fields& f, generation_request& out, body_error& err) noexcept;
bool read_agent_fields(const body_fields& f, generation_request& out, body_error& err) noexcept;

}  // namespace

bool read_chat_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                       body_error& err) noexcept {
    reset_request(out);
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    out.body = obj;  // for chat_prompt_text (/tokenize): 2 instructions a request
    const body_fields f(obj);
    simdjson::dom::array messages;
    if (!f.has(body_fields::messages)) {
        err = {"Missing required parameter: 'messages'.", "messages"};
        return false;
    }
    if (f[body_fields::messages].get(messages) != simdjson::SUCCESS) {
        err = {"Invalid type for 'messages': expected an array of message objects.", "messages"};
        return false;
    }
    out.message_count = uint32_t(messages.size());
    if (out.message_count == 0) {
        err = {"Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages"};
        return false;
    }
    for (simdjson::dom::element m : messages) {
        // The first "content" and "role" of each message object, in one pass; a message
        // without content (or not an object) is skipped.
        simdjson::dom::object mo;
        if (m.get(mo) != simdjson::SUCCESS) {
            continue;
        }
        simdjson::dom::element content, role_value;
        bool has_content = false, has_role = false, has_calls = false;
        for (simdjson::dom::key_value_pair kv : mo) {
            if (!has_content && kv.key == "content") {
                has_content = true;
                content = kv.value;
            } else if (!has_role && kv.key == "role") {
                has_role = true;
                role_value = kv.value;
            } else if (kv.key == "tool_calls") {
                // An assistant turn that called tools (an empty array is no call).
                simdjson::dom::array calls;
                has_calls = kv.value.get(calls) == simdjson::SUCCESS && calls.size() > 0;
            }
        }
        std::string_view role;
        const bool user = has_role && role_value.get(role) == simdjson::SUCCESS && role == "user";
        if (user) {
            out.tool_turns = 0;  // the agent's rounds count from the last user message
        } else if (has_calls) {
            ++out.tool_turns;
        }
        if (!has_content) {
            continue;
        }
        begin_prompt_message(out, role);  // the role read above (empty when it is not a string)
        std::string_view text = content_text(content, out.prompt_bytes, [&out](std::string_view t) noexcept {
            if (out.blocks != nullptr) {
                out.blocks->append(t);
            }
        });
        if (user) {
            out.last_user = text;
        }
    }
    if (!read_common(f, out, err) || !read_agent_fields(f, out, err)) {
        return false;
    }
    if (out.response_format == response_format_kind::json_object) {
        out.mentions_json = mentions_json(messages);
    }
    return true;
}

// The messages as the reader's loop above takes them: the first "messages" and, in each object,
// the first "content" (body_fields and that loop keep the first of a name, as at_key does).
uint64_t chat_prompt_text(const generation_request& rq, text_piece_fn f, void* ctx) noexcept {
    uint64_t bytes = 0;
    simdjson::dom::array messages;
    if (rq.body["messages"].get(messages) != simdjson::SUCCESS) {
        return 0;
    }
    for (simdjson::dom::element m : messages) {
        simdjson::dom::object mo;
        simdjson::dom::element content;
        if (m.get(mo) == simdjson::SUCCESS && mo["content"].get(content) == simdjson::SUCCESS) {
            (void)content_text(content, bytes, [f, ctx](std::string_view piece) noexcept { f(ctx, piece); });
        }
    }
    return bytes;
}

// DashScope's compatible mode takes OpenAI's body with its own limits (dashscope.md §0 item 21,
// §6.3): n from 1 to 4 and 1 with tools; json_object needs "json" in the messages.
bool read_dashscope_chat_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                                 body_error& err) noexcept {
    if (!read_chat_request(p, body, len, out, err)) {
        if (std::string_view(err.param) == "n") {
            err.message = "Range of n should be [1, 4]";  // DashScope's words for any bad n
        }
        return false;
    }
    if (out.n > 4) {
        err = {"Range of n should be [1, 4]", "n"};
        return false;
    }
    if (out.n > 1 && out.tool_count != 0) {
        err = {"n should be 1 when tools are given.", "n"};
        return false;
    }
    if (out.logprobs > 1 + 5) {
        err = {"Range of top_logprobs should be [0, 5]", "top_logprobs"};  // DashScope's limit (§0 item 21)
        return false;
    }
    if (out.response_format == response_format_kind::json_object && !out.mentions_json) {
        err = {"'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
               "response_format"};
        return false;
    }
    return true;
}

bool read_completion_request(json_body_parser& p, const char* body, size_t len, generation_request& out,
                             body_error& err) noexcept {
    reset_request(out);
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    const body_fields f(obj);
    if (!f.has(body_fields::prompt)) {
        err = {"Missing required parameter: 'prompt'.", "prompt"};
        return false;
    }
    const simdjson::dom::element v = f[body_fields::prompt];
    std::string_view s;
    simdjson::dom::array arr;
    if (v.get(s) == simdjson::SUCCESS) {
        out.last_user = s;
        count_prompt(out, s);
    } else if (v.get(arr) == simdjson::SUCCESS && arr.size() > 0) {
        for (simdjson::dom::element e : arr) {
            if (e.get(s) != simdjson::SUCCESS) {
                err = {"Invalid 'prompt': expected a string or an array of strings.", "prompt"};
                return false;
            }
            if (out.last_user.empty()) {
                out.last_user = s;
            }
            count_prompt(out, s);
        }
    } else {
        err = {"Invalid 'prompt': expected a string or a non-empty array of strings.", "prompt"};
        return false;
    }
    out.message_count = 1;
    return read_common(f, out, err);
}

bool read_embeddings_request(json_body_parser& p, const char* body, size_t len, embedding_request& out,
                             body_error& err) noexcept {
    out.count = 0;
    out.dimensions = 0;
    out.base64 = false;
    out.prompt_bytes = 0;
    out.model = {};
    simdjson::dom::object obj;
    if (!p.parse_object(body, len, obj, err)) {
        return false;
    }
    simdjson::dom::element v;
    if (obj["input"].get(v) != simdjson::SUCCESS) {
        err = {"Missing required parameter: 'input'.", "input"};
        return false;
    }
    const char* bad_input = "Invalid 'input': expected a string, an array of strings, or token arrays.";
    std::string_view s;
    simdjson::dom::array arr;
    // FNV-1a: the same text always gives the same vector.
    auto fnv = [](uint64_t h, std::string_view t) {
        for (unsigned char ch : t) {
            h = (h ^ ch) * 0x100000001b3ull;
        }
        return h;
    };
    constexpr uint64_t FNV_OFFSET = 0xcbf29ce484222325ull;
    auto add_hash = [&](uint64_t h, uint64_t bytes) {
        if (out.count >= embedding_request::MAX_INPUTS) {
            return false;
        }
        out.input_hash[out.count++] = h;
        out.prompt_bytes += bytes;
        return true;
    };
    auto add = [&](std::string_view text) { return add_hash(fnv(FNV_OFFSET, text), text.size()); };
    // A token array hashes its ids; each id counts as 4 bytes of prompt.
    auto token_hash = [&](simdjson::dom::array tokens, uint64_t& h, uint64_t& bytes) {
        h = FNV_OFFSET;
        bytes = 0;
        for (simdjson::dom::element t : tokens) {
            uint64_t id;
            if (t.get(id) != simdjson::SUCCESS) {
                return false;
            }
            h = fnv(h, std::string_view(reinterpret_cast<const char*>(&id), sizeof id));
            bytes += 4;
        }
        return true;
    };
    if (v.get(s) == simdjson::SUCCESS) {
        add(s);
    } else if (v.get(arr) == simdjson::SUCCESS && arr.size() > 0) {
        // An array of numbers is one tokenised input; otherwise each element is an input.
        bool numbers = arr.at(0).is_number();
        if (numbers) {
            uint64_t h, bytes;
            if (!token_hash(arr, h, bytes)) {
                err = {bad_input, "input"};
                return false;
            }
            add_hash(h, bytes);
        } else {
            for (simdjson::dom::element e : arr) {
                simdjson::dom::array tokens;
                if (e.get(s) == simdjson::SUCCESS) {
                    if (!add(s)) {
                        err = {"Invalid 'input': at most 256 inputs per request.", "input"};
                        return false;
                    }
                } else if (e.get(tokens) == simdjson::SUCCESS) {
                    uint64_t h, bytes;
                    if (!token_hash(tokens, h, bytes)) {
                        err = {bad_input, "input"};
                        return false;
                    }
                    if (!add_hash(h, bytes)) {
                        err = {"Invalid 'input': at most 256 inputs per request.", "input"};
                        return false;
                    }
                } else {
                    err = {bad_input, "input"};
                    return false;
                }
            }
        }
    } else {
        err = {bad_input, "input"};
        return false;
    }
    if (obj["model"].get(v) == simdjson::SUCCESS && !v.is_null() && v.get(out.model) != simdjson::SUCCESS) {
        err = {"Invalid type for 'model': expected a string.", "model"};
        return false;
    }
    if (obj["dimensions"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        uint64_t d;
        if (v.get(d) != simdjson::SUCCESS || d == 0 || d > 8192) {
            err = {"Invalid 'dimensions': expected an integer from 1 to 8192.", "dimensions"};
            return false;
        }
        out.dimensions = uint32_t(d);
    }
    if (obj["encoding_format"].get(v) == simdjson::SUCCESS && !v.is_null()) {
        if (v.get(s) != simdjson::SUCCESS || (s != "float" && s != "base64")) {
            err = {"Invalid 'encoding_format': expected 'float' or 'base64'.", "encoding_format"};
            return false;
        }
        out.base64 = s == "base64";
    }
    return true;
}

namespace {

// model, stream, stream_options, max_tokens, n, stop: shared by chat and completions.
bool read_common(const body_fields& f, generation_request& out, body_error& err) noexcept {
    if (f.given(body_fields::model)) {
        if (f[body_fields::model].get(out.model) != simdjson::SUCCESS) {
            err = {"Invalid type for 'model': expected a string.", "model"};
            return false;
        }
    }
    if (f.given(body_fields::stream)) {
        if (f[body_fields::stream].get(out.stream) != simdjson::SUCCESS) {
            err = {"Invalid type for 'stream': expected a boolean.", "stream"};
            return false;
        }
    }
    if (f.given(body_fields::stream_options)) {
        simdjson::dom::element iu;
        if (f[body_fields::stream_options]["include_usage"].get(iu) == simdjson::SUCCESS &&
            iu.get(out.include_usage) != simdjson::SUCCESS) {
            err = {"Invalid type for 'stream_options.include_usage': expected a boolean.",
                   "stream_options.include_usage"};
            return false;
        }
    }
    // max_completion_tokens first: the newer name wins when both are given.
    const struct {
        bool has;
        simdjson::dom::element v;
        const char* name;
        const char* bad;
    } limits[] = {
        {f.has(body_fields::max_completion_tokens),
         f.has(body_fields::max_completion_tokens) ? f[body_fields::max_completion_tokens] : simdjson::dom::element(),
         "max_completion_tokens",
         "Invalid 'max_completion_tokens': expected a positive integer."},
        {f.has(body_fields::max_tokens),
         f.has(body_fields::max_tokens) ? f[body_fields::max_tokens] : simdjson::dom::element(), "max_tokens",
         "Invalid 'max_tokens': expected a positive integer."},
    };
    for (const auto& l : limits) {
        if (l.has && !l.v.is_null()) {
            uint64_t n;
            if (l.v.get(n) != simdjson::SUCCESS || n == 0) {
                err = {l.bad, l.name};
                return false;
            }
            out.has_max_tokens = true;
            out.max_tokens = n;
            break;
        }
    }
    if (f.given(body_fields::n)) {
        uint64_t n;
        if (f[body_fields::n].get(n) != simdjson::SUCCESS || n == 0 || n > MAX_CHOICES) {
            err = {"Invalid 'n': expected an integer from 1 to 8 (the mock's limit).", "n"};
            return false;
        }
        out.n = uint32_t(n);
    }
    if (f.given(body_fields::stop)) {
        std::string_view s;
        simdjson::dom::array arr;
        if (f[body_fields::stop].get(s) == simdjson::SUCCESS) {
            if (!s.empty()) {
                out.stop[out.stop_count++] = s;
            }
        } else if (f[body_fields::stop].get(arr) == simdjson::SUCCESS && arr.size() <= MAX_STOP_SEQUENCES) {
            for (simdjson::dom::element e : arr) {
                if (e.get(s) != simdjson::SUCCESS) {
                    err = {"Invalid 'stop': expected a string or an array of at most 4 strings.", "stop"};
                    return false;
                }
                if (!s.empty()) {
                    out.stop[out.stop_count++] = s;
                }
            }
        } else {
            err = {"Invalid 'stop': expected a string or an array of at most 4 strings.", "stop"};
            return false;
        }
    }
    return true;
}

// A function tool's name: {"type":"function","function":{"name":"..."}}; empty when the
// element is not one.
std::string_view function_name(simdjson::dom::element e) noexcept {
    std::string_view type, name;
    if (e["type"].get(type) != simdjson::SUCCESS || type != "function" ||
        e["function"]["name"].get(name) != simdjson::SUCCESS) {
        return {};
    }
    return name;
}

// tools, tool_choice, the thinking switches and response_format (chat only). Validated as the
// OpenAI API does (DashScope's compatible mode takes the same shapes); what the answer does with
// them is the plan's business.
bool read_agent_fields(const body_fields& f, generation_request& out, body_error& err) noexcept {
    if ((f.present & body_fields::AGENT) == 0) {
        return true;  // the usual body: none of them
    }
    simdjson::dom::array tools;
    if (f.given(body_fields::tools)) {
        if (f[body_fields::tools].get(tools) != simdjson::SUCCESS) {
            err = {"Invalid type for 'tools': expected an array of function tools.", "tools"};
            return false;
        }
        if (tools.size() > MAX_TOOLS) {
            err = {"Invalid 'tools': at most 128 tools.", "tools"};
            return false;
        }
        for (simdjson::dom::element t : tools) {
            if (function_name(t).empty()) {
                err = {"Invalid 'tools': each tool must be {\"type\":\"function\",\"function\":{\"name\":...}} "
                       "with a non-empty name.", "tools"};
                return false;
            }
            simdjson::dom::element params;
            if (t["function"]["parameters"].get(params) == simdjson::SUCCESS && !params.is_null()) {
                if (const char* bad = check_schema(params)) {
                    err = {bad, "tools"};
                    return false;
                }
            }
            ++out.tool_count;
        }
        out.tools = tools;
    }
    if (f.given(body_fields::parallel_tool_calls) &&
        f[body_fields::parallel_tool_calls].get(out.parallel_tool_calls) != simdjson::SUCCESS) {
        err = {"Invalid type for 'parallel_tool_calls': expected a boolean.", "parallel_tool_calls"};
        return false;
    }
    if (f.given(body_fields::tool_choice)) {
        std::string_view s;
        if (f[body_fields::tool_choice].get(s) == simdjson::SUCCESS) {
            out.tool_choice = s == "none"       ? tool_choice_kind::none
                              : s == "auto"     ? tool_choice_kind::auto_
                              : s == "required" ? tool_choice_kind::required
                                                : tool_choice_kind::unset;
            if (out.tool_choice == tool_choice_kind::unset) {
                err = {"Invalid 'tool_choice': expected 'none', 'auto', 'required' or "
                       "{\"type\":\"function\",\"function\":{\"name\":...}}.", "tool_choice"};
                return false;
            }
        } else {
            const std::string_view name = function_name(f[body_fields::tool_choice]);
            if (name.empty()) {
                err = {"Invalid 'tool_choice': expected 'none', 'auto', 'required' or "
                       "{\"type\":\"function\",\"function\":{\"name\":...}}.", "tool_choice"};
                return false;
            }
            out.tool_choice = tool_choice_kind::named;
            if (out.tool_count == 0) {
                // Checked before the search: without "tools" there is no array to search.
                err = {"Invalid 'tool_choice': only allowed when 'tools' are specified.", "tool_choice"};
                return false;
            }
            bool found = false;
            uint32_t i = 0;
            for (simdjson::dom::element t : tools) {
                if (function_name(t) == name) {
                    found = true;
                    out.tool_choice_index = i;
                    break;
                }
                ++i;
            }
            if (!found) {
                err = {"Invalid 'tool_choice': the named function is not among 'tools'.", "tool_choice"};
                return false;
            }
        }
        if (out.tool_choice != tool_choice_kind::none && out.tool_count == 0) {
            err = {"Invalid 'tool_choice': only allowed when 'tools' are specified.", "tool_choice"};
            return false;
        }
    }
    if (f.given(body_fields::enable_thinking)) {
        bool on;
        if (f[body_fields::enable_thinking].get(on) != simdjson::SUCCESS) {
            err = {"Invalid type for 'enable_thinking': expected a boolean.", "enable_thinking"};
            return false;
        }
        out.reasoning = on ? reasoning_ask::on : reasoning_ask::off;
        out.thinking = out.reasoning;
    }
    if (f.given(body_fields::thinking_budget)) {
        uint64_t b;
        if (f[body_fields::thinking_budget].get(b) != simdjson::SUCCESS || b == 0 || b > 0xffffffffu) {
            err = {"The thinking_budget parameter must be a positive integer.", "thinking_budget"};
            return false;
        }
        out.has_thinking_budget = true;
        out.thinking_budget = uint32_t(b);
    }
    if (f.given(body_fields::reasoning_effort)) {
        std::string_view effort;
        if (f[body_fields::reasoning_effort].get(effort) != simdjson::SUCCESS || effort.empty()) {
            err = {"Invalid type for 'reasoning_effort': expected a string such as 'low', 'medium' or 'high'.",
                   "reasoning_effort"};
            return false;
        }
        // Any effort asks for reasoning but "none" and "minimal" (models add levels, such as
        // DeepSeek's "max": the mock takes an unknown one as medium).
        out.effort = effort == "none"      ? effort_level::none
                     : effort == "minimal" ? effort_level::minimal
                     : effort == "low"     ? effort_level::low
                     : effort == "high" || effort == "max" || effort == "xhigh" ? effort_level::high
                                           : effort_level::medium;
        if (out.reasoning == reasoning_ask::unset) {
            out.reasoning = out.effort <= effort_level::minimal ? reasoning_ask::off : reasoning_ask::on;
        }
    }
    bool want_logprobs = false;
    if (f.given(body_fields::logprobs) && f[body_fields::logprobs].get(want_logprobs) != simdjson::SUCCESS) {
        err = {"Invalid type for 'logprobs': expected a boolean.", "logprobs"};
        return false;
    }
    if (f.given(body_fields::top_logprobs)) {
        uint64_t top;
        if (f[body_fields::top_logprobs].get(top) != simdjson::SUCCESS || top > MAX_TOP_LOGPROBS) {
            err = {"Invalid 'top_logprobs': expected an integer from 0 to 20.", "top_logprobs"};
            return false;
        }
        if (!want_logprobs) {
            err = {"Invalid 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
                   "top_logprobs"};
            return false;
        }
        out.logprobs = uint8_t(1 + top);
    } else if (want_logprobs) {
        out.logprobs = 1;
    }
    if (f.given(body_fields::response_format)) {
        std::string_view type;
        if (f[body_fields::response_format]["type"].get(type) != simdjson::SUCCESS) {
            err = {"Invalid 'response_format': expected an object with 'type' 'text', 'json_object' or 'json_schema'.",
                   "response_format"};
            return false;
        }
        if (type == "text") {
            out.response_format = response_format_kind::text;
        } else if (type == "json_object") {
            out.response_format = response_format_kind::json_object;
        } else if (type == "json_schema") {
            simdjson::dom::object js;
            std::string_view name;
            if (f[body_fields::response_format]["json_schema"].get(js) != simdjson::SUCCESS ||
                js["name"].get(name) != simdjson::SUCCESS) {
                err = {"Invalid 'response_format.json_schema': expected an object with a 'name' (and a 'schema').",
                       "response_format.json_schema"};
                return false;
            }
            simdjson::dom::element schema;
            if (js["schema"].get(schema) == simdjson::SUCCESS) {
                simdjson::dom::object so;
                if (schema.get(so) != simdjson::SUCCESS) {
                    err = {"Invalid 'response_format.json_schema.schema': expected a JSON Schema object.",
                           "response_format"};
                    return false;
                }
                if (const char* bad = check_schema(schema)) {
                    err = {bad, "response_format"};
                    return false;
                }
                out.output_schema = schema;
                out.has_output_schema = true;
            }
            out.response_format = response_format_kind::json_schema;
        } else {
            err = {"Invalid 'response_format.type': expected 'text', 'json_object' or 'json_schema'.",
                   "response_format.type"};
            return false;
        }
    }
    return true;
}

}  // namespace

}  // namespace lms
