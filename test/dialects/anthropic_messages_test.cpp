// Anthropic Messages: the reader (required fields, limits at and one past, tool shapes,
// tool_choice, thinking) and the renderer, pinned by golden files (test/dialects/golden/
// anthropic_*.txt, checked against shared/reference/wire-formats.md §3.2-§3.4; a change to one
// is a wire change). LMS_WRITE_GOLDEN=1 rewrites them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "answer/tokens.hpp"
#include "dialects/anthropic_messages.hpp"
#include "dialects/openai_chat.hpp"
#include "golden_files.hpp"

using namespace lms;
using namespace lms::golden_files;

namespace {

bool read(json_body_parser& r, const std::string& s, generation_request& out, body_error& err, bool count = false) {
    std::vector<char> buf(s.size() + json_body_parser::PADDING, '\0');
    std::copy(s.begin(), s.end(), buf.begin());
    return count ? read_anthropic_count_request(r, buf.data(), s.size(), out, err)
                 : read_anthropic_request(r, buf.data(), s.size(), out, err);
}

// The body with `extra` fields after model, max_tokens and one user message.
std::string with(const std::string& extra) {
    return R"({"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi"}])" +
           (extra.empty() ? std::string() : "," + extra) + "}";
}

const std::string_view MSG_ID = "msg_00000000000000010000000000000002";

}  // namespace

TEST_CASE("anthropic reader: required fields and their types") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    REQUIRE(read(r, with(R"("stream":true,"system":"Be terse.","metadata":{"user_id":"u"},"temperature":1,"top_p":0.5,"top_k":3)"), q, e));
    CHECK(q.model == "claude-sonnet-4-6");
    CHECK(q.has_max_tokens);
    CHECK(q.max_tokens == 64);
    CHECK(q.stream);
    CHECK(q.include_usage);  // the stream states its usage always
    CHECK(q.message_count == 1);
    CHECK(q.last_user == "hi");
    CHECK(q.prompt_bytes == 2 + 9);  // the message and the system prompt

    struct {
        const char* body;
        const char* message;
        const char* param;
    } bad[] = {
        {R"({"model":"m","messages":[{"role":"user","content":"hi"}]})", "max_tokens: Field required", "max_tokens"},
        {R"({"model":"m","max_tokens":null,"messages":[{"role":"user","content":"hi"}]})", "max_tokens: Field required", "max_tokens"},
        {R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})",
         "max_tokens: Input should be greater than or equal to 1", "max_tokens"},
        {R"({"model":"m","max_tokens":-3,"messages":[{"role":"user","content":"hi"}]})",
         "max_tokens: Input should be greater than or equal to 1", "max_tokens"},
        {R"({"model":"m","max_tokens":"8","messages":[{"role":"user","content":"hi"}]})",
         "max_tokens: Input should be a valid integer", "max_tokens"},
        {R"({"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"hi"}]})",
         "max_tokens: Input should be a valid integer", "max_tokens"},
        {R"({"max_tokens":8,"messages":[{"role":"user","content":"hi"}]})", "model: Field required", "model"},
        {R"({"model":7,"max_tokens":8,"messages":[{"role":"user","content":"hi"}]})", "model: Input should be a valid string", "model"},
        {R"({"model":"m","max_tokens":8})", "messages: Field required", "messages"},
        {R"({"model":"m","max_tokens":8,"messages":{}})", "messages: Input should be a valid list", "messages"},
        {R"({"model":"m","max_tokens":8,"messages":[]})", "messages: at least one message is required", "messages"},
        {R"({"model":"m","max_tokens":8,"messages":[{"role":"system","content":"x"}]})",
         "messages.role: Input should be 'user' or 'assistant'", "messages.role"},
        {R"({"model":"m","max_tokens":8,"messages":[{"content":"x"}]})", "messages.role: Field required", "messages.role"},
        {R"({"model":"m","max_tokens":8,"messages":[{"role":"user"}]})", "messages.content: Field required", "messages.content"},
        {R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":[{"text":"x"}]}]})",
         "messages.content.type: Field required", "messages.content"},
        {R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":5}]})",
         "messages.content: Input should be a valid string or a list of content blocks", "messages.content"},
    };
    for (auto& b : bad) {
        INFO(b.body);
        CHECK_FALSE(read(r, b.body, q, e));
        CHECK(std::string(e.message) == b.message);
        CHECK(std::string(e.param) == b.param);
    }
    struct {
        std::string extra;
        const char* param;
    } bad_opt[] = {
        {R"("stream":"yes")", "stream"},
        {R"("system":5)", "system"},
        {R"("system":[{"type":"image"}])", "system"},
        {R"("metadata":[])", "metadata"},
        {R"("temperature":1.01)", "temperature"},
        {R"("temperature":"hot")", "temperature"},
        {R"("top_p":-0.1)", "top_p"},
        {R"("top_k":-1)", "top_k"},
        {R"("top_k":1.5)", "top_k"},
    };
    for (auto& b : bad_opt) {
        INFO(b.extra);
        CHECK_FALSE(read(r, with(b.extra), q, e));
        CHECK(std::string(e.param) == b.param);
    }
    // max_tokens 1 is the least; count_tokens takes the body without it.
    REQUIRE(read(r, R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]})", q, e));
    CHECK(q.max_tokens == 1);
    REQUIRE(read(r, R"({"model":"m","messages":[{"role":"user","content":"hello"}]})", q, e, true));
    CHECK_FALSE(q.has_max_tokens);
    CHECK(q.prompt_bytes == 5);
    CHECK_FALSE(read(r, R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]})", q, e, true));
}

TEST_CASE("anthropic reader: system blocks, content blocks, tool turns and the prompt's bytes") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    REQUIRE(read(r, R"({"model":"m","max_tokens":8,"system":[{"type":"text","text":"abc"},{"type":"text","text":"de"}],)"
                    R"("messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"image","source":{}},{"type":"text","text":"second"}]}]})",
                 q, e));
    CHECK(q.prompt_bytes == 3 + 2 + 5 + 6);
    CHECK(q.last_user == "first");
    CHECK(q.tool_turns == 0);
    // A tool round: the assistant's tool_use, the user's tool_result (not a new user turn).
    const std::string round =
        R"({"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"toolu_1","name":"f","input":{"a":1}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]})";
    const std::string round2 =
        R"({"role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"f","input":{}}]},)"
        R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"rain"}]}]})";
    REQUIRE(read(r, R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"weather?"},)" + round + "]}", q, e));
    CHECK(q.tool_turns == 1);
    CHECK(q.last_user == "weather?");
    CHECK(q.prompt_bytes == 8 + 2 + 5);
    REQUIRE(read(r, R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"weather?"},)" + round + "," +
                        round2 + "]}", q, e));
    CHECK(q.tool_turns == 2);
    CHECK(q.prompt_bytes == 8 + 2 + 5 + 4);
    // A new user text after the rounds starts again.
    REQUIRE(read(r, R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"weather?"},)" + round +
                        R"(,{"role":"user","content":[{"type":"text","text":"and now?"}]}]})", q, e));
    CHECK(q.tool_turns == 0);
    CHECK(q.last_user == "and now?");
    // An assistant message without tool_use is no tool turn.
    REQUIRE(read(r, R"({"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]})", q, e));
    CHECK(q.tool_turns == 0);
}

TEST_CASE("anthropic reader: stop_sequences at 4 and 5") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    REQUIRE(read(r, with(R"("stop_sequences":["a","b","","d"])"), q, e));
    CHECK(q.stop_count == 3);  // the empty one asks nothing
    CHECK(q.stop[0] == "a");
    CHECK(q.stop[2] == "d");
    CHECK_FALSE(read(r, with(R"("stop_sequences":["a","b","c","d","e"])"), q, e));
    CHECK(std::string(e.message) == "stop_sequences: List should have at most 4 items after validation");
    CHECK(std::string(e.param) == "stop_sequences");
    CHECK_FALSE(read(r, with(R"("stop_sequences":"a")"), q, e));
    CHECK_FALSE(read(r, with(R"("stop_sequences":[1])"), q, e));
    REQUIRE(read(r, with(R"("stop_sequences":[])"), q, e));
    CHECK(q.stop_count == 0);
}

TEST_CASE("anthropic reader: tools, their shapes and the limit") {
    json_body_parser r(1 << 20);
    generation_request q;
    body_error e;
    const std::string weather =
        R"({"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}})";
    REQUIRE(read(r, with(R"("tools":[)" + weather + R"(,{"name":"noop","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}])"), q, e));
    CHECK(q.tool_count == 3);
    CHECK(q.tools_input_schema);
    tool_ref t = request_tool(q, 0);
    CHECK(t.name == "get_weather");
    REQUIRE(t.has_parameters);
    CHECK(t.parameters["required"].at(0).get_string().value() == "city");
    CHECK(request_tool(q, 1).name == "noop");
    t = request_tool(q, 2);
    CHECK(t.name == "web_search");
    CHECK_FALSE(t.has_parameters);  // a server tool: any object
    struct {
        std::string tools;
        const char* param;
    } bad[] = {
        {R"({"name":"f"})", "tools.input_schema"},
        {R"({"type":"custom","name":"f"})", "tools.input_schema"},
        {R"({"name":"f","input_schema":[]})", "tools.input_schema"},
        {R"({"input_schema":{"type":"object"}})", "tools.name"},
        {R"({"name":"has space","input_schema":{"type":"object"}})", "tools.name"},
        {R"({"name":"","input_schema":{"type":"object"}})", "tools.name"},
        {R"({"name":"f","input_schema":{"type":"object","minProperties":"x"}})", "tools.input_schema"},
        {R"("f")", "tools"},
    };
    for (auto& b : bad) {
        INFO(b.tools);
        CHECK_FALSE(read(r, with(R"("tools":[)" + b.tools + "]"), q, e));
        CHECK(std::string(e.param) == b.param);
    }
    CHECK_FALSE(read(r, with(R"("tools":{})"), q, e));
    // Names: 128 characters at most.
    REQUIRE(read(r, with(R"("tools":[{"name":")" + std::string(128, 'a') + R"(","input_schema":{"type":"object"}}])"), q, e));
    CHECK_FALSE(read(r, with(R"("tools":[{"name":")" + std::string(129, 'a') + R"(","input_schema":{"type":"object"}}])"), q, e));
    // MAX_TOOLS at and one past.
    auto tools = [](uint32_t n) {
        std::string s = "\"tools\":[";
        for (uint32_t i = 0; i < n; ++i) {
            s += (i ? "," : "") + std::string(R"({"name":"t)") + std::to_string(i) + R"(","input_schema":{"type":"object"}})";
        }
        return s + "]";
    };
    REQUIRE(read(r, with(tools(MAX_TOOLS)), q, e));
    CHECK(q.tool_count == MAX_TOOLS);
    CHECK_FALSE(read(r, with(tools(MAX_TOOLS + 1)), q, e));
    CHECK(std::string(e.param) == "tools");
}

TEST_CASE("anthropic reader: tool_choice maps to the neutral choice") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    const std::string tools =
        R"("tools":[{"name":"a","input_schema":{"type":"object"}},{"name":"b","input_schema":{"type":"object"}}])";
    REQUIRE(read(r, with(tools), q, e));
    CHECK(q.tool_choice == tool_choice_kind::unset);
    CHECK(q.parallel_tool_calls);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"auto"})"), q, e));
    CHECK(q.tool_choice == tool_choice_kind::auto_);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"any"})"), q, e));
    CHECK(q.tool_choice == tool_choice_kind::required);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"none"})"), q, e));
    CHECK(q.tool_choice == tool_choice_kind::none);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"tool","name":"b"})"), q, e));
    CHECK(q.tool_choice == tool_choice_kind::named);
    CHECK(q.tool_choice_index == 1);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"any","disable_parallel_tool_use":true})"), q, e));
    CHECK_FALSE(q.parallel_tool_calls);
    REQUIRE(read(r, with(tools + R"(,"tool_choice":{"type":"auto","disable_parallel_tool_use":false})"), q, e));
    CHECK(q.parallel_tool_calls);
    struct {
        std::string extra;
        const char* param;
    } bad[] = {
        {tools + R"(,"tool_choice":{"type":"tool","name":"c"})", "tool_choice.name"},
        {tools + R"(,"tool_choice":{"type":"tool"})", "tool_choice.name"},
        {tools + R"(,"tool_choice":{"type":"required"})", "tool_choice.type"},
        {tools + R"(,"tool_choice":"auto")", "tool_choice"},
        {tools + R"(,"tool_choice":{"type":"auto","disable_parallel_tool_use":1})", "tool_choice.disable_parallel_tool_use"},
        {R"("tool_choice":{"type":"any"})", "tool_choice"},
        {R"("tool_choice":{"type":"tool","name":"a"})", "tool_choice.name"},
    };
    for (auto& b : bad) {
        INFO(b.extra);
        CHECK_FALSE(read(r, with(b.extra), q, e));
        CHECK(std::string(e.param) == b.param);
    }
}

TEST_CASE("anthropic reader: thinking") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    auto body = [](uint64_t max_tokens, const std::string& thinking) {
        return R"({"model":"m","max_tokens":)" + std::to_string(max_tokens) +
               R"(,"messages":[{"role":"user","content":"hi"}],"thinking":)" + thinking + "}";
    };
    REQUIRE(read(r, body(2048, R"({"type":"enabled","budget_tokens":1024})"), q, e));
    CHECK(q.thinking == reasoning_ask::on);
    CHECK(q.has_thinking_budget);
    CHECK(q.thinking_budget == 1024);
    REQUIRE(read(r, body(2048, R"({"type":"disabled"})"), q, e));
    CHECK(q.thinking == reasoning_ask::off);
    CHECK_FALSE(q.has_thinking_budget);
    REQUIRE(read(r, body(8, "null"), q, e));
    CHECK(q.thinking == reasoning_ask::unset);
    // budget_tokens: 1024 at least, below max_tokens.
    CHECK_FALSE(read(r, body(2048, R"({"type":"enabled","budget_tokens":1023})"), q, e));
    CHECK(std::string(e.message) == "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
    REQUIRE(read(r, body(1025, R"({"type":"enabled","budget_tokens":1024})"), q, e));
    CHECK_FALSE(read(r, body(1024, R"({"type":"enabled","budget_tokens":1024})"), q, e));
    CHECK(std::string(e.message) == "`max_tokens` must be greater than `thinking.budget_tokens`.");
    CHECK_FALSE(read(r, body(2048, R"({"type":"enabled"})"), q, e));
    CHECK(std::string(e.message) == "thinking.enabled.budget_tokens: Field required");
    CHECK_FALSE(read(r, body(2048, R"({"type":"enabled","budget_tokens":"1024"})"), q, e));
    CHECK_FALSE(read(r, body(2048, R"({"type":"on"})"), q, e));
    CHECK(std::string(e.param) == "thinking.type");
    CHECK_FALSE(read(r, body(2048, R"(true)"), q, e));
    CHECK(std::string(e.param) == "thinking");
}

namespace {

// The events of one stream as the answer service emits them (stream_step's order): the
// opening, per block its start, its deltas and its end, then the closing with the whole answer.
struct stream_render {
    out_buf& o;
    answer_meta m;
    stream_render(out_buf& out, const answer_meta& meta) : o(out), m(meta) {}
    void block(const block_ref& b, std::initializer_list<std::string_view> deltas) {
        ANTHROPIC_MESSAGES.block_start(o, m, b);
        for (std::string_view d : deltas) {
            ANTHROPIC_MESSAGES.delta(o, m, b, d);
        }
        ANTHROPIC_MESSAGES.block_end(o, m, b, answer_body{});
    }
    void close(const answer_body& body) { ANTHROPIC_MESSAGES.stream_close(o, m, stream_end{1, body.finish, &body.usage, &body}); }
};

// A render into a roomy buffer, which it must fit.
template <class Render>
std::string rendered(Render render) {
    std::vector<char> mem(16384);
    out_buf o(mem.data(), mem.size());
    render(o);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

answer_body text_body(std::string_view text, uint32_t tokens, std::string_view finish, usage_counts u) {
    answer_body b;
    b.content[0] = text_run{text, 0, tokens, 0};
    b.finish[0] = finish;
    b.usage = u;
    return b;
}

const answer_meta STREAM_META{MSG_ID, 1700000000, "claude-sonnet-4-6", false, false, false, 0, 0, 12};

void text_stream(out_buf& o) {
    stream_render s(o, STREAM_META);
    ANTHROPIC_MESSAGES.stream_open(o, STREAM_META, block_ref{});
    s.block(block_ref{}, {"\xe6\x88\x91", "\xe6\x98\xaf", "\"q\"\n"});
    s.close(text_body(CHAT_CONTENT, 3, "stop", usage_counts{12, 3}));
}

void thinking_stream(out_buf& o) {
    answer_meta t = STREAM_META;
    t.thinking = true;
    stream_render s(o, t);
    ANTHROPIC_MESSAGES.stream_open(o, t, block_ref{0, block_kind::reasoning});
    s.block(block_ref{0, block_kind::reasoning}, {"Hm", "m"});
    s.block(block_ref{0, block_kind::text}, {"Hi"});
    answer_body b = text_body("Hi", 1, "length", usage_counts{12, 3, 2, true});
    b.reasoning_shown = true;
    s.close(b);
}

void tool_use_stream(out_buf& o) {
    stream_render s(o, STREAM_META);
    const block_ref c0{0, block_kind::tool_call, 0, "toolu_000000000000000000000001", "get_weather"};
    const block_ref c1{0, block_kind::tool_call, 1, "toolu_000000000000000000000002", "get_time"};
    ANTHROPIC_MESSAGES.stream_open(o, STREAM_META, c0);
    s.block(c0, {"{\"city\":", "\"Paris\"}"});
    s.block(c1, {"{}"});
    answer_body b;
    b.finish[0] = "tool_calls";
    b.usage = usage_counts{12, 3};
    s.close(b);
}

}  // namespace

// Checked against wire-formats.md §3.3: the recorded text stream and tool-use block, event by
// event (event: line, data type, index, block shapes, cumulative output_tokens, no [DONE]).
// Each is also cut at every byte: the prefix that fits, and truncated.
TEST_CASE("golden: anthropic text, thinking and tool_use streams") {
    const std::string got = rendered(text_stream);
    CHECK(matches_golden("anthropic_text_stream.txt", got));
    CHECK(got.find("[DONE]") == std::string::npos);
    CHECK(matches_golden("anthropic_thinking_stream.txt", rendered(thinking_stream)));
    CHECK(matches_golden("anthropic_tool_use_stream.txt", rendered(tool_use_stream)));
    check_cut_everywhere(golden("anthropic_text_stream.txt"), text_stream);
    check_cut_everywhere(golden("anthropic_thinking_stream.txt"), thinking_stream);
    check_cut_everywhere(golden("anthropic_tool_use_stream.txt"), tool_use_stream);
}

TEST_CASE("anthropic stream: block indexes, ping once, usage always, stop_sequence") {
    answer_meta m{MSG_ID, 1700000000, "m", false, true, false, 0, 0, 5};
    char mem[4096];
    out_buf o(mem, sizeof mem);
    // With thinking shown, the text is block 1 and the tool calls 1 + i; ping only after block 0.
    ANTHROPIC_MESSAGES.block_start(o, m, block_ref{0, block_kind::text});
    CHECK(std::string(o.view()).find("\"index\":1,") != std::string::npos);
    CHECK(std::string(o.view()).find("ping") == std::string::npos);
    o.len = 0;
    ANTHROPIC_MESSAGES.delta(o, m, block_ref{0, block_kind::tool_call, 2}, "x");
    CHECK(std::string(o.view()) ==
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"x\"}}\n\n");
    // The closing without include_usage still states the usage; the stop sequence that ended it.
    o.len = 0;
    answer_body b = text_body("ab", 1, "stop", usage_counts{5, 7});
    b.stop_sequence[0] = "b";
    const std::string_view finish[1] = {"stop"};
    ANTHROPIC_MESSAGES.stream_close(o, m, stream_end{1, finish, nullptr, &b});
    CHECK(std::string(o.view()) ==
          "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"b\"},\"usage\":{\"output_tokens\":7}}\n\n"
          "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

// Checked against wire-formats.md §3.2: key order id, type, role, model, content, stop_reason,
// stop_sequence, usage; tool_use input an object.
TEST_CASE("golden: anthropic whole messages (text, tool_use, stop_sequence, thinking)") {
    const answer_meta m{MSG_ID, 1700000000, "claude-\"x\"", false, false, false, 0, 0, 12};
    char mem[4096];
    auto render = [&](const answer_meta& meta, const answer_body& b) {
        out_buf o(mem, sizeof mem);
        ANTHROPIC_MESSAGES.whole(o, meta, b);
        REQUIRE_FALSE(o.truncated);
        return std::string(o.view());
    };
    CHECK(matches_golden("anthropic_text_whole.txt", render(m, text_body(CHAT_CONTENT, 3, "stop", usage_counts{12, 3}))));
    check_cut_everywhere(golden("anthropic_text_whole.txt"), [&](out_buf& o) {
        ANTHROPIC_MESSAGES.whole(o, m, text_body(CHAT_CONTENT, 3, "stop", usage_counts{12, 3}));
    });
    CHECK(render(m, text_body(CHAT_CONTENT, 3, "length", usage_counts{12, 3})).find("\"stop_reason\":\"max_tokens\",\"stop_sequence\":null") !=
          std::string::npos);
    {
        const answer_call calls[2] = {{"toolu_000000000000000000000001", "get_weather", "{\"city\":\"Paris\"}"},
                                      {"toolu_000000000000000000000002", "get_time", "{}"}};
        answer_body b;
        b.finish[0] = "tool_calls";
        b.calls = calls;
        b.call_count = 2;
        b.usage = usage_counts{12, 7};
        CHECK(matches_golden("anthropic_tool_use_whole.txt", render(m, b)));
        check_cut_everywhere(golden("anthropic_tool_use_whole.txt"), [&](out_buf& o) { ANTHROPIC_MESSAGES.whole(o, m, b); });
    }
    {
        answer_body b = text_body(CHAT_CONTENT, 2, "stop", usage_counts{12, 2});
        b.stop_sequence[0] = "\xe9\x98\xbf\xe9\x87\x8c";
        CHECK(matches_golden("anthropic_stop_sequence_whole.txt", render(m, b)));
        check_cut_everywhere(golden("anthropic_stop_sequence_whole.txt"), [&](out_buf& o) { ANTHROPIC_MESSAGES.whole(o, m, b); });
    }
    {
        answer_meta t = m;
        t.thinking = true;
        answer_body b = text_body(CHAT_CONTENT, 2, "stop", usage_counts{12, 5, 3, true});
        b.reasoning_shown = true;
        b.reasoning[0] = text_run{CHAT_CONTENT, 0, 3, 0};
        CHECK(matches_golden("anthropic_thinking_whole.txt", render(t, b)));
        check_cut_everywhere(golden("anthropic_thinking_whole.txt"), [&](out_buf& o) { ANTHROPIC_MESSAGES.whole(o, t, b); });
    }
}

TEST_CASE("anthropic error envelope per status, and the in-stream error event") {
    char mem[512];
    struct {
        int status;
        const char* type;
    } cases[] = {{400, "invalid_request_error"}, {401, "authentication_error"}, {402, "billing_error"},
                 {403, "permission_error"},      {404, "not_found_error"},      {413, "request_too_large"},
                 {429, "rate_limit_error"},      {500, "api_error"},            {504, "timeout_error"},
                 {529, "overloaded_error"},      {405, "invalid_request_error"}, {422, "invalid_request_error"},
                 {502, "api_error"},             {503, "api_error"}};
    for (auto& c : cases) {
        INFO(c.status);
        out_buf o(mem, sizeof mem);
        ANTHROPIC_MESSAGES.error_envelope(o, c.status, "bad \"x\"", "max_tokens", "invalid_api_key", "", "req_1");
        CHECK(std::string(o.view()) == std::string(R"({"type":"error","error":{"type":")") + c.type +
                                           R"(","message":"bad \"x\""},"request_id":"req_1"})");
    }
    out_buf o(mem, sizeof mem);
    ANTHROPIC_MESSAGES.stream_error(o, "Overloaded");
    CHECK(std::string(o.view()) ==
          "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n");
    o.len = 0;
    ANTHROPIC_MESSAGES.stream_error(o, "boom");
    CHECK(std::string(o.view()) ==
          "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"api_error\", \"message\": \"boom\"}}\n\n");
    // The table's values.
    CHECK(ANTHROPIC_MESSAGES.id_prefix == "msg_");
    CHECK(ANTHROPIC_MESSAGES.call_prefix == "toolu_");
    CHECK(ANTHROPIC_MESSAGES.request_id_header == "request-id");
    CHECK(ANTHROPIC_MESSAGES.overload_status == 529);
    CHECK_FALSE(ANTHROPIC_MESSAGES.has_original_body);
    CHECK_FALSE(ANTHROPIC_MESSAGES.dashscope);
}
