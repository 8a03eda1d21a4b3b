// The Responses API dialect: its reader (input shapes, every limit at and one past it, tools,
// text.format, reasoning) and its renderer, pinned by golden sequences checked against
// shared/reference/wire-formats.md §2.2 and §2.3 (a change to one is a wire change).
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <string>
#include <vector>

#include "answer/tokens.hpp"
#include "dialects/openai_responses.hpp"
#include "golden_files.hpp"

using namespace lms;
using namespace lms::golden_files;

namespace {

bool read(json_body_parser& r, const std::string& s, generation_request& out, body_error& err) {
    std::vector<char> buf(s.size() + json_body_parser::PADDING, '\0');
    std::copy(s.begin(), s.end(), buf.begin());
    return read_responses_request(r, buf.data(), s.size(), out, err);
}

// The refusal's param for body s ("" when accepted).
std::string refusal(json_body_parser& r, const std::string& s) {
    generation_request q;
    body_error e;
    if (read(r, s, q, e)) {
        return "";
    }
    return e.param;
}

const std::string_view RESP_ID = "resp_00000000000000010000000000000002";
const std::string_view TEXT = "Hi there, friend.";

// The deltas of a run: one per token, as the service cuts them.
template <class F>
void each_token(const text_run& r, F f) {
    size_t off = r.off;
    for (uint32_t t = 0; t < r.tokens; ++t) {
        size_t len = token_length(r.text, off);
        f(r.text.substr(off, len));
        off += len;
    }
}

// A whole stream as answer_service::stream_step emits it: the opening with the first token,
// each block's start, deltas and end (with the whole answer), then the closing.
void render_stream(out_buf& o, const answer_body& b, bool reasoning, std::string_view echo = {}) {
    uint32_t events = 0;
    answer_meta m{RESP_ID, 1700000000, "qwen-plus", false, reasoning};
    m.events = &events;
    m.echo = echo;
    const block_ref r{0, block_kind::reasoning};
    const block_ref t{0, block_kind::text};
    block_ref first = reasoning ? r : b.call_count != 0 ? block_ref{0, block_kind::tool_call} : t;
    OPENAI_RESPONSES.stream_open(o, m, first);
    if (reasoning) {
        OPENAI_RESPONSES.block_start(o, m, r);
        each_token(b.reasoning[0], [&](std::string_view d) { OPENAI_RESPONSES.delta(o, m, r, d); });
        OPENAI_RESPONSES.block_end(o, m, r, b);
    }
    if (b.call_count == 0) {
        OPENAI_RESPONSES.block_start(o, m, t);
        each_token(b.content[0], [&](std::string_view d) { OPENAI_RESPONSES.delta(o, m, t, d); });
        OPENAI_RESPONSES.block_end(o, m, t, b);
    }
    for (uint32_t i = 0; i < b.call_count; ++i) {
        const block_ref c{0, block_kind::tool_call, i, b.calls[i].id, b.calls[i].name};
        OPENAI_RESPONSES.block_start(o, m, c);
        const std::string_view args = b.calls[i].arguments;
        for (size_t off = 0; off < args.size();) {
            const size_t len = token_length(args, off);
            OPENAI_RESPONSES.delta(o, m, block_ref{0, block_kind::tool_call, i}, args.substr(off, len));
            off += len;
        }
        OPENAI_RESPONSES.block_end(o, m, block_ref{0, block_kind::tool_call, i}, b);
    }
    OPENAI_RESPONSES.stream_close(o, m, stream_end{1, b.finish, nullptr, &b});
}

std::string stream(const answer_body& b, bool reasoning, std::string_view echo = {}) {
    char mem[16384];
    out_buf o(mem, sizeof mem);
    render_stream(o, b, reasoning, echo);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

void render_whole(out_buf& o, const answer_body& b, std::string_view echo = {}) {
    answer_meta m{RESP_ID, 1700000000, "qwen-plus", false, b.reasoning_shown};
    m.echo = echo;
    OPENAI_RESPONSES.whole(o, m, b);
}

std::string whole(const answer_body& b, std::string_view echo = {}) {
    char mem[8192];
    out_buf o(mem, sizeof mem);
    render_whole(o, b, echo);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

answer_body text_body(uint32_t tokens, std::string_view finish) {
    answer_body b;
    b.content[0] = text_run{TEXT, 0, tokens, 0};
    b.finish[0] = finish;
    b.usage = usage_counts{12, tokens};
    return b;
}

const answer_call CALLS[2] = {{"call_000000000000000000000001", "get_weather", "{\"city\":\"Paris\"}"},
                              {"call_000000000000000000000002", "get_time", "{}"}};

answer_body call_body() {
    answer_body b;
    b.finish[0] = "tool_calls";
    b.calls = CALLS;
    b.call_count = 2;
    b.usage = usage_counts{20, 7};
    return b;
}

answer_body reasoning_body() {
    answer_body b = text_body(3, "stop");
    b.reasoning_shown = true;
    b.reasoning[0] = text_run{"Let me think.", 0, 3, 0};
    b.usage = usage_counts{12, 6, 3, true};
    return b;
}

// Every event of a stream: its `event:` name equals its data's type, the sequence numbers run
// 0..n-1, every data line is JSON; returns the names in order.
std::vector<std::string> check_events(const std::string& s) {
    std::vector<std::string> names;
    simdjson::dom::parser p;
    size_t at = 0;
    while (at < s.size()) {
        const size_t end = s.find("\n\n", at);
        REQUIRE(end != std::string::npos);
        const std::string ev = s.substr(at, end - at);
        at = end + 2;
        REQUIRE(ev.rfind("event: ", 0) == 0);
        const size_t nl = ev.find('\n');
        const std::string name = ev.substr(7, nl - 7);
        REQUIRE(ev.substr(nl + 1, 6) == "data: ");
        simdjson::dom::element e;
        REQUIRE(p.parse(ev.substr(nl + 7)).get(e) == simdjson::SUCCESS);
        std::string_view type;
        REQUIRE(e["type"].get(type) == simdjson::SUCCESS);
        CHECK(type == name);
        uint64_t seq = 99999;
        REQUIRE(e["sequence_number"].get(seq) == simdjson::SUCCESS);
        CHECK(seq == names.size());
        names.push_back(name);
    }
    return names;
}

}  // namespace

TEST_CASE("responses reader: input shapes, instructions, prompt bytes, last user, tool turns") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    REQUIRE(read(r, R"({"model":"gpt-4o-mini","input":"Say hello"})", q, e));
    CHECK(q.model == "gpt-4o-mini");
    CHECK(q.last_user == "Say hello");
    CHECK(q.prompt_bytes == 9);
    CHECK_FALSE(q.stream);
    CHECK(q.n == 1);
    REQUIRE(read(r, R"({"instructions":"Be terse.","input":[{"role":"user","content":[{"type":"input_text","text":"Say hello"}]}],"stream":true})",
                 q, e));
    CHECK(q.last_user == "Say hello");
    CHECK(q.prompt_bytes == 9 + 9);  // the input's text and the instructions'
    CHECK(q.stream);
    CHECK(q.model.empty());
    // A tool loop: two calls of one turn, their outputs, then a second turn.
    REQUIRE(read(r,
                 R"({"input":[{"type":"message","role":"user","content":"weather?"},)"
                 R"({"type":"reasoning","id":"rs_1","summary":[]},)"
                 R"({"type":"function_call","call_id":"call_1","name":"w","arguments":"{}"},)"
                 R"({"type":"function_call","call_id":"call_2","name":"w","arguments":"{}"},)"
                 R"({"type":"function_call_output","call_id":"call_1","output":"sunny"},)"
                 R"({"type":"function_call_output","call_id":"call_2","output":"rain"},)"
                 R"({"role":"assistant","content":[{"type":"output_text","text":"ok"}]},)"
                 R"({"type":"item_reference","id":"fc_9"},)"
                 R"({"type":"function_call_output","call_id":"call_3","output":[{"type":"input_text","text":"x"}]}]})",
                 q, e));
    CHECK(q.last_user == "weather?");
    CHECK(q.tool_turns == 2);
    CHECK(q.message_count == 9);
    CHECK(q.prompt_bytes == 8 + 2 + 2 + 5 + 4 + 2 + 1);
    // A user message after the tools starts the count again.
    REQUIRE(read(r,
                 R"({"input":[{"role":"user","content":"a"},{"type":"function_call","call_id":"c","name":"w","arguments":"{}"},)"
                 R"({"type":"function_call_output","call_id":"c","output":"s"},{"role":"user","content":"b"}]})",
                 q, e));
    CHECK(q.tool_turns == 0);
    CHECK(q.last_user == "b");
}

TEST_CASE("responses reader: each refusal names its param") {
    json_body_parser r(65536);
    struct bad {
        const char* body;
        const char* param;
    };
    for (bad b : {
             bad{R"({"model":"m"})", "input"},
             bad{R"({"input":null})", "input"},
             bad{R"({"input":5})", "input"},
             bad{R"({"input":[]})", "input"},
             bad{R"({"input":[3]})", "input"},
             bad{R"({"input":[{"role":"robot","content":"x"}]})", "input"},
             bad{R"({"input":[{"role":"user","content":5}]})", "input"},
             bad{R"({"input":[{"type":"function_call","call_id":"c","name":"w"}]})", "input"},
             bad{R"({"input":[{"type":"function_call_output","output":"x"}]})", "input"},
             bad{R"({"input":[{"type":"web_search_call"}]})", "input"},
             bad{R"({"input":"x","model":3})", "model"},
             bad{R"({"input":"x","instructions":3})", "instructions"},
             bad{R"({"input":"x","stream":"yes"})", "stream"},
             bad{R"({"input":"x","max_output_tokens":"9"})", "max_output_tokens"},
             bad{R"({"input":"x","tools":{}})", "tools"},
             bad{R"({"input":"x","tools":[{"type":"web_search"}]})", "tools"},
             bad{R"({"input":"x","tools":[{"type":"function","function":{"name":"w"}}]})", "tools"},
             bad{R"({"input":"x","tools":[{"type":"function","name":"w","parameters":{"type":"nonsense"}}]})", "tools"},
             bad{R"({"input":"x","tool_choice":"sometimes"})", "tool_choice"},
             bad{R"({"input":"x","tool_choice":"required"})", "tool_choice"},
             bad{R"({"input":"x","tool_choice":{"type":"function","name":"w"}})", "tool_choice"},
             bad{R"({"input":"x","tools":[{"type":"function","name":"a"}],"tool_choice":{"type":"function","name":"w"}})",
                 "tool_choice"},
             bad{R"({"input":"x","parallel_tool_calls":1})", "parallel_tool_calls"},
             bad{R"({"input":"x","reasoning":"high"})", "reasoning"},
             bad{R"({"input":"x","reasoning":{"effort":"extreme"}})", "reasoning.effort"},
             bad{R"({"input":"x","reasoning":{"summary":"long"}})", "reasoning.summary"},
             bad{R"({"input":"x","text":{"format":{"type":"xml"}}})", "text.format.type"},
             bad{R"({"input":"x","text":{"format":{"type":"json_schema","schema":{}}}})", "text.format.name"},
             bad{R"({"input":"x","text":{"format":{"type":"json_schema","name":"n"}}})", "text.format.schema"},
             bad{R"({"input":"x","text":{"format":{"type":"json_schema","name":"n","schema":[]}}})", "text.format.schema"},
             bad{R"({"input":"x","text":{"format":{"type":"json_schema","name":"n","schema":{},"strict":"y"}}})",
                 "text.format.strict"},
             bad{R"({"input":"x","temperature":"hot"})", "temperature"},
             bad{R"({"input":"x","top_p":1.5})", "top_p"},
             bad{R"({"input":"x","previous_response_id":7})", "previous_response_id"},
             bad{R"({"input":"x","store":"no"})", "store"},
             bad{R"({"input":"x","metadata":[]})", "metadata"},
             bad{R"({"input":"x","metadata":{"a":1}})", "metadata"},
         }) {
        INFO(b.body);
        CHECK(refusal(r, b.body) == b.param);
    }
    generation_request q;
    body_error e;
    CHECK_FALSE(read(r, "{bad", q, e));
    CHECK(std::string(e.param).empty());
}

TEST_CASE("responses reader: limits at and one past") {
    json_body_parser r(1 << 20);
    // max_output_tokens: OpenAI's minimum 16.
    CHECK(refusal(r, R"({"input":"x","max_output_tokens":16})") == "");
    CHECK(refusal(r, R"({"input":"x","max_output_tokens":15})") == "max_output_tokens");
    generation_request q;
    body_error e;
    REQUIRE(read(r, R"({"input":"x","max_output_tokens":16})", q, e));
    CHECK(q.has_max_tokens);
    CHECK(q.max_tokens == 16);
    // temperature 0..2, top_p 0..1.
    CHECK(refusal(r, R"({"input":"x","temperature":2,"top_p":1})") == "");
    CHECK(refusal(r, R"({"input":"x","temperature":2.01})") == "temperature");
    CHECK(refusal(r, R"({"input":"x","top_p":1.01})") == "top_p");
    CHECK(refusal(r, R"({"input":"x","temperature":-0.01})") == "temperature");
    // 128 tools, then 129.
    auto tools = [](int n) {
        std::string s = R"({"input":"x","tools":[)";
        for (int i = 0; i < n; ++i) {
            s += (i ? "," : "") + std::string(R"({"type":"function","name":"f)") + std::to_string(i) + "\"}";
        }
        return s + "]}";
    };
    CHECK(refusal(r, tools(128)) == "");
    CHECK(refusal(r, tools(129)) == "tools");
    // 16 metadata pairs, then 17.
    auto metadata = [](int n) {
        std::string s = R"({"input":"x","metadata":{)";
        for (int i = 0; i < n; ++i) {
            s += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
        }
        return s + "}}";
    };
    CHECK(refusal(r, metadata(16)) == "");
    CHECK(refusal(r, metadata(17)) == "metadata");
}

TEST_CASE("responses reader: tools, tool_choice, text.format, reasoning, the accepted extras") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    REQUIRE(read(r,
                 R"({"input":"x","tools":[{"type":"function","name":"get_weather","description":"d",)"
                 R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true},)"
                 R"({"type":"function","name":"get_time","parameters":null}],)"
                 R"("tool_choice":{"type":"function","name":"get_time"},"parallel_tool_calls":false})",
                 q, e));
    CHECK(q.tool_count == 2);
    CHECK(q.tools_flat);
    CHECK(q.tool_choice == tool_choice_kind::named);
    CHECK(q.tool_choice_index == 1);
    CHECK_FALSE(q.parallel_tool_calls);
    const tool_ref t0 = request_tool(q, 0);
    CHECK(t0.name == "get_weather");
    CHECK(t0.has_parameters);
    const tool_ref t1 = request_tool(q, 1);
    CHECK(t1.name == "get_time");
    CHECK_FALSE(t1.has_parameters);
    for (auto [s, k] : {std::pair{"none", tool_choice_kind::none}, std::pair{"auto", tool_choice_kind::auto_},
                        std::pair{"required", tool_choice_kind::required}}) {
        REQUIRE(read(r, std::string(R"({"input":"x","tools":[{"type":"function","name":"w"}],"tool_choice":")") + s + "\"}",
                     q, e));
        CHECK(q.tool_choice == k);
    }
    REQUIRE(read(r, R"({"input":"x","text":{"format":{"type":"json_schema","name":"w","strict":true,)"
                    R"("schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}},"verbosity":"low"}})",
                 q, e));
    CHECK(q.response_format == response_format_kind::json_schema);
    CHECK(q.has_output_schema);
    REQUIRE(read(r, R"({"input":"x","text":{"format":{"type":"json_object"}}})", q, e));
    CHECK(q.response_format == response_format_kind::json_object);
    CHECK_FALSE(q.has_output_schema);
    REQUIRE(read(r, R"({"input":"x","text":{"format":{"type":"text"}}})", q, e));
    CHECK(q.response_format == response_format_kind::text);
    // reasoning: effort alone is counted (hidden); a summary shows it; none/minimal ask for none.
    REQUIRE(read(r, R"({"input":"x","reasoning":{"effort":"high"}})", q, e));
    CHECK(q.effort == effort_level::high);
    CHECK(q.reasoning == reasoning_ask::on);
    CHECK_FALSE(q.show_reasoning);
    REQUIRE(read(r, R"({"input":"x","reasoning":{"effort":"low","summary":"auto"}})", q, e));
    CHECK(q.effort == effort_level::low);
    CHECK(q.show_reasoning);
    REQUIRE(read(r, R"({"input":"x","reasoning":{"summary":"detailed"}})", q, e));
    CHECK(q.effort == effort_level::medium);
    CHECK(q.show_reasoning);
    REQUIRE(read(r, R"({"input":"x","reasoning":{"effort":"minimal"}})", q, e));
    CHECK(q.reasoning == reasoning_ask::off);
    REQUIRE(read(r, R"({"input":"x","reasoning":{"effort":null,"summary":null}})", q, e));
    CHECK(q.effort == effort_level::unset);
    CHECK(q.reasoning == reasoning_ask::unset);
    // Accepted and ignored (no state is kept).
    CHECK(refusal(r, R"({"input":"x","previous_response_id":"resp_1","store":false,"metadata":{"a":"b"},)"
                     R"("temperature":0.5,"top_p":0.9,"user":"u","truncation":"auto","include":[],"instructions":null})") == "");
}

// Written from the renderer and checked by hand against wire-formats.md §2.3 (event names,
// field names and order, sequence_number from 0, no [DONE]) and §2.2 (the response object).
TEST_CASE("golden: responses text stream") {
    const std::string s = stream(text_body(4, "stop"), false);
    CHECK(matches_golden("responses_text_stream.txt", s));
    const std::vector<std::string> want = {"response.created", "response.in_progress", "response.output_item.added",
                                           "response.content_part.added", "response.output_text.delta",
                                           "response.output_text.delta", "response.output_text.delta",
                                           "response.output_text.delta", "response.output_text.done",
                                           "response.content_part.done", "response.output_item.done",
                                           "response.completed"};
    CHECK(check_events(s) == want);
    CHECK(s.find("[DONE]") == std::string::npos);
}

TEST_CASE("golden: responses function-call stream (two calls)") {
    const std::string s = stream(call_body(), false);
    CHECK(matches_golden("responses_function_call_stream.txt", s));
    const std::vector<std::string> names = check_events(s);
    REQUIRE(names.size() >= 4);
    CHECK(names[2] == "response.output_item.added");
    CHECK(names[3] == "response.function_call_arguments.delta");
    CHECK(names.back() == "response.completed");
    CHECK(s.find(R"("output_index":1,"item":{"id":"fc_000000000000000100000000000000020)") != std::string::npos);
}

TEST_CASE("golden: responses reasoning stream (summary, then the message at output_index 1)") {
    const std::string s = stream(reasoning_body(), true);
    CHECK(matches_golden("responses_reasoning_stream.txt", s));
    const std::vector<std::string> names = check_events(s);
    const std::vector<std::string> head = {"response.created", "response.in_progress", "response.output_item.added",
                                           "response.reasoning_summary_part.added",
                                           "response.reasoning_summary_text.delta"};
    CHECK(std::vector<std::string>(names.begin(), names.begin() + 5) == head);
    CHECK(s.find(R"("type":"response.output_text.delta","sequence_number":)") != std::string::npos);
    CHECK(s.find(R"("output_index":1,"content_index":0,"delta":"Hi")") != std::string::npos);
}

TEST_CASE("golden: responses whole bodies (text, function calls, incomplete, reasoning)") {
    CHECK(matches_golden("responses_text_whole.txt", whole(text_body(4, "stop"))));
    CHECK(matches_golden("responses_function_call_whole.txt", whole(call_body())));
    const std::string cut = whole(text_body(4, "length"));
    CHECK(matches_golden("responses_incomplete_whole.txt", cut));
    CHECK(cut.find(R"("status":"incomplete","completed_at":1700000000,"error":null,"incomplete_details":{"reason":"max_output_tokens"})") !=
          std::string::npos);
    CHECK(matches_golden("responses_reasoning_whole.txt", whole(reasoning_body())));
    // Every spec-required key (§2.2), in every body.
    simdjson::dom::parser p;
    for (const std::string& b : {whole(text_body(4, "stop")), whole(call_body()), cut, whole(reasoning_body())}) {
        simdjson::dom::element e;
        REQUIRE(p.parse(b).get(e) == simdjson::SUCCESS);
        for (const char* k : {"id", "object", "created_at", "error", "incomplete_details", "instructions", "model", "tools",
                              "output", "parallel_tool_calls", "metadata", "tool_choice", "temperature", "top_p", "usage"}) {
            INFO(k);
            CHECK(e[k].error() == simdjson::SUCCESS);
        }
        for (const char* k : {"input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"}) {
            CHECK(e["usage"][k].error() == simdjson::SUCCESS);
        }
    }
}

TEST_CASE("responses: the in-stream error event and a stream cut by max_output_tokens") {
    char mem[256];
    out_buf o(mem, sizeof mem);
    OPENAI_RESPONSES.stream_error(o, "boom");
    CHECK(std::string(o.view()) ==
          "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\",\"param\":null}\n\n");
    const std::string s = stream(text_body(2, "length"), false);
    const std::vector<std::string> names = check_events(s);
    CHECK(names.back() == "response.incomplete");
    CHECK(s.find(R"("incomplete_details":{"reason":"max_output_tokens"})") != std::string::npos);
}

// Every golden of the dialect rendered into a buffer of every size below its length: the
// prefix that fits, and truncated (no event half-written past the buffer, none lost before).
TEST_CASE("golden: responses streams and bodies cut at every byte") {
    check_cut_everywhere(golden("responses_text_stream.txt"), [](out_buf& o) { render_stream(o, text_body(4, "stop"), false); });
    check_cut_everywhere(golden("responses_function_call_stream.txt"), [](out_buf& o) { render_stream(o, call_body(), false); });
    check_cut_everywhere(golden("responses_reasoning_stream.txt"), [](out_buf& o) { render_stream(o, reasoning_body(), true); });
    check_cut_everywhere(golden("responses_text_whole.txt"), [](out_buf& o) { render_whole(o, text_body(4, "stop")); });
    check_cut_everywhere(golden("responses_function_call_whole.txt"), [](out_buf& o) { render_whole(o, call_body()); });
    check_cut_everywhere(golden("responses_incomplete_whole.txt"), [](out_buf& o) { render_whole(o, text_body(4, "length")); });
    check_cut_everywhere(golden("responses_reasoning_whole.txt"), [](out_buf& o) { render_whole(o, reasoning_body()); });
}

namespace {

// The echo render_response_echo writes for body s (read by the dialect's reader first).
std::string echo_of(json_body_parser& r, const std::string& s, bool brief = false) {
    std::vector<char> buf(s.size() + json_body_parser::PADDING, '\0');
    std::copy(s.begin(), s.end(), buf.begin());
    generation_request q;
    body_error e;
    const bool ok = read_responses_request(r, buf.data(), s.size(), q, e);
    INFO((ok ? "" : e.message));
    REQUIRE(ok);
    char mem[8192];
    out_buf o(mem, sizeof mem);
    REQUIRE(OPENAI_RESPONSES.request_echo != nullptr);
    OPENAI_RESPONSES.request_echo(o, q, brief);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

}  // namespace

TEST_CASE("responses: the response object repeats the request's fields") {
    json_body_parser r(65536);
    // None set: the echo is the defaults, which is also what an answer without a script states.
    {
        std::vector<char> buf(64, '\0');
        const std::string s = R"({"input":"hi","model":"m","stream":true})";
        std::copy(s.begin(), s.end(), buf.begin());
        generation_request q;
        body_error e;
        REQUIRE(read_responses_request(r, buf.data(), s.size(), q, e));
        CHECK_FALSE(q.echo_wanted);
    }
    CHECK(echo_of(r, R"({"input":"hi","model":"m"})") == RESPONSE_DEFAULT_ECHO);
    CHECK(whole(text_body(4, "stop")) == whole(text_body(4, "stop"), RESPONSE_DEFAULT_ECHO));
    // Every one set: copied as sent (compact), max_output_tokens from the reader.
    const std::string all =
        R"({"input":"hi","instructions":"Be \"brief\".","max_output_tokens":64,"parallel_tool_calls":false,)"
        R"("previous_response_id":"resp_1","reasoning":{"effort":"low","summary":"auto"},"store":false,)"
        R"("temperature":0.7,"text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},)"
        R"("tool_choice":{"type":"function","name":"f"},"tools":[{"type":"function","name":"f","parameters":)"
        R"({"type":"object","properties":{"x":{"type":"integer","minimum":1}}}}],"top_p":0.25,"metadata":{"k":"v"}})";
    const std::string want =
        R"("instructions":"Be \"brief\".","max_output_tokens":64,"parallel_tool_calls":false,)"
        R"("previous_response_id":"resp_1","reasoning":{"effort":"low","summary":"auto"},"store":false,)"
        R"("temperature":0.7,"text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},)"
        R"("tool_choice":{"type":"function","name":"f"},"tools":[{"type":"function","name":"f","parameters":)"
        R"({"type":"object","properties":{"x":{"type":"integer","minimum":1}}}}],"top_p":0.25,)"
        R"("truncation":"disabled","user":null,"metadata":{"k":"v"})";
    CHECK(echo_of(r, all) == want);
    // Brief: the tools by name only; the rest as before.
    const std::string brief = echo_of(r, all, true);
    CHECK(brief.find(R"("tools":[{"type":"function","name":"f"}],"top_p":0.25)") != std::string::npos);
    CHECK(brief.find("parameters") == std::string::npos);
    // Only reasoning.summary: effort null (the reader plans medium; the echo says what was sent).
    CHECK(echo_of(r, R"({"input":"hi","reasoning":{"summary":"concise"}})")
              .find(R"("reasoning":{"effort":null,"summary":"concise"})") != std::string::npos);
    // Nulls are the defaults.
    CHECK(echo_of(r, R"({"input":"hi","instructions":null,"metadata":null,"text":{"format":null}})") ==
          RESPONSE_DEFAULT_ECHO);
    // In the whole object and in the stream's created and completed events, valid JSON.
    const std::string body = whole(text_body(4, "stop"), want);
    simdjson::dom::parser p;
    simdjson::dom::element e;
    REQUIRE(p.parse(body).get(e) == simdjson::SUCCESS);
    std::string_view v;
    CHECK((e["instructions"].get(v) == simdjson::SUCCESS && v == "Be \"brief\"."));
    CHECK(e["metadata"]["k"].get(v) == simdjson::SUCCESS);
    int64_t n = 0;
    CHECK((e["max_output_tokens"].get(n) == simdjson::SUCCESS && n == 64));
    const std::string s = stream(text_body(2, "stop"), false, want);
    size_t count = 0;
    for (size_t at = s.find("\"top_p\":0.25"); at != std::string::npos; at = s.find("\"top_p\":0.25", at + 1)) {
        ++count;
    }
    CHECK(count == 3);  // response.created, response.in_progress, response.completed
    check_events(s);
}
