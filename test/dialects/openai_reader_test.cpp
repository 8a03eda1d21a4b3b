#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dialects/openai_reader.hpp"

using namespace lms;

namespace {

// Reads s from a buffer with the padding simdjson needs, as a pool buffer provides.
bool read(json_body_parser& r, const std::string& s, generation_request& out, body_error& err) {
    std::vector<char> buf(s.size() + json_body_parser::PADDING, '\0');
    std::copy(s.begin(), s.end(), buf.begin());
    return read_chat_request(r, buf.data(), s.size(), out, err);
}

}  // namespace

TEST_CASE("chat body: a valid request and its fields") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    REQUIRE(read(r,
                 R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,)"
                 R"("stream_options":{"include_usage":true},"max_tokens":64})",
                 q, e));
    CHECK(q.model == "gpt-4o");
    CHECK(q.stream);
    CHECK(q.include_usage);
    CHECK(q.has_max_tokens);
    CHECK(q.max_tokens == 64);
    CHECK(q.message_count == 1);
    REQUIRE(read(r, R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]})", q, e));
    CHECK(q.model.empty());
    CHECK_FALSE(q.stream);
    CHECK(q.message_count == 2);
    REQUIRE(read(r, R"({"messages":[{}],"max_completion_tokens":5,"model":null})", q, e));
    CHECK(q.max_tokens == 5);
}

TEST_CASE("chat body: each refusal names the problem") {
    json_body_parser r(16384);
    struct bad {
        const char* body;
        const char* param;
        const char* words;
    };
    for (bad b : {bad{"", "", "not valid JSON"}, bad{"{bad", "", "not valid JSON"},
                  bad{R"({"messages":[]} trailing)", "", "not valid JSON"}, bad{"[1,2]", "", "JSON object"},
                  bad{"\"s\"", "", "JSON object"}, bad{R"({"model":"x"})", "messages", "Missing required"},
                  bad{R"({"messages":{}})", "messages", "array"}, bad{R"({"messages":[]})", "messages", "empty"},
                  bad{R"({"messages":[{}],"model":5})", "model", "string"},
                  bad{R"({"messages":[{}],"stream":"yes"})", "stream", "boolean"},
                  bad{R"({"messages":[{}],"max_tokens":0})", "max_tokens", "positive"},
                  bad{R"({"messages":[{}],"max_tokens":-3})", "max_tokens", "positive"},
                  bad{R"({"messages":[{}],"stream_options":{"include_usage":1}})", "stream_options.include_usage",
                      "boolean"}}) {
        generation_request q;
        body_error e;
        INFO(b.body);
        CHECK_FALSE(read(r, b.body, q, e));
        CHECK(std::string(e.param) == b.param);
        CHECK(std::string(e.message).find(b.words) != std::string::npos);
    }
}

TEST_CASE("chat body: a body of exactly the configured limit parses") {
    json_body_parser r(64);
    generation_request q;
    body_error e;
    std::string ok = R"({"messages":[{"content":")" + std::string(64 - 29, 'x') + "\"}]}";
    REQUIRE(ok.size() == 64);
    CHECK(read(r, ok, q, e));
    CHECK(q.message_count == 1);
    // Larger bodies never reach the reader: the HTTP parser refuses them with 413.
}

// The reader finds its fields in one pass over each object: the result must be what a lookup
// by name (simdjson's at_key: the first field of that name) gives, in any field order.
TEST_CASE("chat body: one-pass field lookup keeps the first field of a name, in any order") {
    json_body_parser r(16384);
    generation_request q;
    body_error e;
    // Duplicates: the first one counts, the second is not even type-checked.
    REQUIRE(read(r, R"({"model":"a","messages":[{"role":"user","content":"x"}],"model":5,"stream":true,"stream":"no"})",
                 q, e));
    CHECK(q.model == "a");
    CHECK(q.stream);
    CHECK_FALSE(read(r, R"({"model":5,"messages":[{"content":"x"}],"model":"a"})", q, e));
    CHECK(std::string(e.param) == "model");
    // Fields after the messages, before them, and a messages array that comes second.
    REQUIRE(read(r, R"({"max_tokens":7,"stream_options":{"include_usage":true},"messages":[{"content":"hey","role":"user"}],"messages":7})",
                 q, e));
    CHECK(q.max_tokens == 7);
    CHECK(q.include_usage);
    CHECK(q.last_user == "hey");
    CHECK(q.prompt_bytes == 3);
    // Both limits: max_completion_tokens wins wherever it stands; a null one is skipped.
    REQUIRE(read(r, R"({"max_tokens":9,"messages":[{}],"max_completion_tokens":4})", q, e));
    CHECK(q.max_tokens == 4);
    REQUIRE(read(r, R"({"max_completion_tokens":null,"messages":[{}],"max_tokens":9})", q, e));
    CHECK(q.max_tokens == 9);
    CHECK_FALSE(read(r, R"({"max_completion_tokens":0,"messages":[{}],"max_tokens":9})", q, e));
    CHECK(std::string(e.param) == "max_completion_tokens");
    // Messages: non-objects and objects without content are skipped; the first role and
    // content of a message count; the last user message is echoed; names are case-sensitive.
    REQUIRE(read(r,
                 R"({"messages":[1,"s",{"role":"user"},{"content":"sys","role":"system"},)"
                 R"({"role":"user","content":"first","content":"dup","role":"assistant"},)"
                 R"({"Role":"user","content":"nouser"},{"content":[{"text":"ab"},{"text":"cd"}],"role":"user"}],)"
                 R"("Model":"x"})",
                 q, e));
    CHECK(q.message_count == 7);
    CHECK(q.last_user == "ab");
    CHECK(q.prompt_bytes == 3 + 5 + 6 + 4);
    CHECK(q.model.empty());
    // Missing messages is reported before a badly typed model, as before.
    CHECK_FALSE(read(r, R"({"model":5})", q, e));
    CHECK(std::string(e.param) == "messages");
}

namespace {

std::string tools_json(unsigned count) {
    std::string s = "[";
    for (unsigned i = 0; i < count; ++i) {
        s += (i ? "," : "") + std::string(R"({"type":"function","function":{"name":"f)") + std::to_string(i) +
             R"(","parameters":{"type":"object"}}})";
    }
    return s + "]";
}

std::string stops_json(unsigned count) {
    std::string s = "[";
    for (unsigned i = 0; i < count; ++i) {
        s += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
    }
    return s + "]";
}

}  // namespace

TEST_CASE("chat body: the agent fields of the neutral request") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    REQUIRE(read(r, m + R"("n":3,"stop":"END","tools":)" + tools_json(2) +
                        R"(,"tool_choice":{"type":"function","function":{"name":"f1"}},"enable_thinking":true,)"
                        R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}})",
                 q, e));
    CHECK(q.n == 3);
    CHECK(q.stop_count == 1);
    CHECK(q.tool_count == 2);
    CHECK(q.tool_choice == tool_choice_kind::named);
    CHECK(q.tool_choice_index == 1);
    CHECK(q.reasoning == reasoning_ask::on);
    CHECK(q.response_format == response_format_kind::json_schema);
    // Absent (or null): the defaults.
    REQUIRE(read(r, m + R"("n":null,"stop":null,"tools":null,"tool_choice":null,"response_format":null})", q, e));
    CHECK(q.n == 1);
    CHECK(q.stop_count == 0);
    CHECK(q.tool_count == 0);
    CHECK(q.tool_choice == tool_choice_kind::unset);
    CHECK(q.reasoning == reasoning_ask::unset);
    CHECK(q.response_format == response_format_kind::unset);
    REQUIRE(read(r, m + R"("tools":)" + tools_json(1) + R"(,"tool_choice":"required","reasoning_effort":"none"})", q, e));
    CHECK(q.tool_choice == tool_choice_kind::required);
    CHECK(q.reasoning == reasoning_ask::off);
    REQUIRE(read(r, m + R"("tool_choice":"none","reasoning_effort":"high","response_format":{"type":"json_object"}})", q, e));
    CHECK(q.tool_choice == tool_choice_kind::none);  // none needs no tools
    CHECK(q.reasoning == reasoning_ask::on);
    CHECK(q.response_format == response_format_kind::json_object);
    REQUIRE(read(r, m + R"("enable_thinking":false,"reasoning_effort":"high"})", q, e));
    CHECK(q.reasoning == reasoning_ask::off);  // DashScope's own switch wins
}

TEST_CASE("chat body: the agent fields at their limits and one past") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    REQUIRE(read(r, m + R"("n":8})", q, e));
    CHECK(q.n == 8);
    CHECK_FALSE(read(r, m + R"("n":9})", q, e));
    CHECK(std::string(e.param) == "n");
    CHECK_FALSE(read(r, m + R"("n":0})", q, e));
    CHECK(std::string(e.param) == "n");
    REQUIRE(read(r, m + R"("stop":)" + stops_json(4) + "}", q, e));
    CHECK(q.stop_count == 4);
    CHECK_FALSE(read(r, m + R"("stop":)" + stops_json(5) + "}", q, e));
    CHECK(std::string(e.param) == "stop");
    REQUIRE(read(r, m + R"("tools":)" + tools_json(128) + "}", q, e));
    CHECK(q.tool_count == 128);
    CHECK_FALSE(read(r, m + R"("tools":)" + tools_json(129) + "}", q, e));
    CHECK(std::string(e.param) == "tools");
    CHECK(std::string(e.message).find("at most 128") != std::string::npos);
}

TEST_CASE("chat body: each bad agent field is refused by name") {
    json_body_parser r(16384);
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    const std::string t = R"("tools":[{"type":"function","function":{"name":"f"}}],)";
    struct bad {
        std::string body;
        const char* param;
        const char* words;
    };
    for (const bad& b : {bad{m + R"("n":"2"})", "n", "integer"}, bad{m + R"("n":1.5})", "n", "integer"},
                         bad{m + R"("stop":5})", "stop", "string"}, bad{m + R"("stop":["a",1]})", "stop", "string"},
                         bad{m + R"("tools":{}})", "tools", "array"},
                         bad{m + R"("tools":[{"type":"function"}]})", "tools", "name"},
                         bad{m + R"("tools":[{"type":"web","function":{"name":"f"}}]})", "tools", "function"},
                         bad{m + R"("tools":[{"type":"function","function":{"name":""}}]})", "tools", "non-empty"},
                         bad{m + t + R"("tool_choice":"sometimes"})", "tool_choice", "'auto'"},
                         bad{m + t + R"("tool_choice":{"type":"function","function":{"name":"g"}}})", "tool_choice",
                             "not among"},
                         bad{m + t + R"("tool_choice":7})", "tool_choice", "'required'"},
                         bad{m + R"("tool_choice":"required"})", "tool_choice", "only allowed"},
                         bad{m + R"("tool_choice":{"type":"function","function":{"name":"f"}}})", "tool_choice",
                             "only allowed"},  // found by libFuzzer: a named choice with no tools
                         bad{m + R"("enable_thinking":"yes"})", "enable_thinking", "boolean"},
                         bad{m + R"("reasoning_effort":3})", "reasoning_effort", "string"},
                         bad{m + R"("response_format":"json"})", "response_format", "'type'"},
                         bad{m + R"("response_format":{"type":"xml"}})", "response_format.type", "json_schema"},
                         bad{m + R"("response_format":{"type":"json_schema"}})", "response_format.json_schema",
                             "name"}}) {
        generation_request q;
        body_error e;
        INFO(b.body);
        CHECK_FALSE(read(r, b.body, q, e));
        CHECK(std::string(e.param) == b.param);
        CHECK(std::string(e.message).find(b.words) != std::string::npos);
    }
}

TEST_CASE("chat body: what the agent answer needs (stop strings, tool turns, parallel calls, budget, schemas)") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    REQUIRE(read(r, R"({"messages":[{"role":"user","content":"hi"}],"stop":["a","","bc"]})", q, e));
    CHECK(q.stop_count == 2);  // an empty stop sequence never matches: dropped
    CHECK(q.stop[0] == "a");
    CHECK(q.stop[1] == "bc");
    // Tool turns count the assistant tool-call messages after the last user message.
    const std::string call = R"({"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]})";
    const std::string result = R"({"role":"tool","tool_call_id":"c","content":"ok"})";
    REQUIRE(read(r, R"({"messages":[{"role":"user","content":"a"},)" + call + "," + result + "," + call + "," + result + "]}", q, e));
    CHECK(q.tool_turns == 2);
    REQUIRE(read(r, R"({"messages":[)" + call + "," + result + R"(,{"role":"user","content":"b"}]})", q, e));
    CHECK(q.tool_turns == 0);
    REQUIRE(read(r, R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"x","tool_calls":[]}]})", q, e));
    CHECK(q.tool_turns == 0);  // an empty tool_calls array is no call
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    REQUIRE(read(r, m + R"("parallel_tool_calls":false})", q, e));
    CHECK_FALSE(q.parallel_tool_calls);
    CHECK_FALSE(read(r, m + R"("parallel_tool_calls":"no"})", q, e));
    CHECK(std::string(e.param) == "parallel_tool_calls");
    REQUIRE(read(r, m + R"("enable_thinking":true,"thinking_budget":1})", q, e));
    CHECK(q.has_thinking_budget);
    CHECK(q.thinking_budget == 1);
    CHECK(q.thinking == reasoning_ask::on);
    CHECK_FALSE(read(r, m + R"("thinking_budget":0})", q, e));
    CHECK(std::string(e.param) == "thinking_budget");
    REQUIRE(read(r, m + R"("reasoning_effort":"low"})", q, e));
    CHECK(q.effort == effort_level::low);
    CHECK(q.thinking == reasoning_ask::unset);
    REQUIRE(read(r, m + R"("reasoning_effort":"minimal"})", q, e));
    CHECK(q.reasoning == reasoning_ask::off);
    // Tool parameters and the output schema are checked as schemas.
    const std::string bad_tool = R"([{"type":"function","function":{"name":"f","parameters":{"type":"strin"}}}])";
    CHECK_FALSE(read(r, m + R"("tools":)" + bad_tool + "}", q, e));
    CHECK(std::string(e.param) == "tools");
    const std::string good_tool = R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}},{"type":"function","function":{"name":"g"}}])";
    REQUIRE(read(r, m + R"("tools":)" + good_tool + "}", q, e));
    CHECK(request_tool(q, 0).name == "f");
    CHECK(request_tool(q, 0).has_parameters);
    CHECK(request_tool(q, 1).name == "g");
    CHECK_FALSE(request_tool(q, 1).has_parameters);
    CHECK_FALSE(read(r, m + R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":[1]}}})", q, e));
    CHECK(std::string(e.param) == "response_format");
    CHECK_FALSE(read(r, m + R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"nope"}}}})", q, e));
    CHECK(std::string(e.param) == "response_format");
    REQUIRE(read(r, m + R"("response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}})", q, e));
    CHECK(q.has_output_schema);
}

TEST_CASE("chat body: DashScope's compatible-mode limits (n 1..4, n 1 with tools, json mentioned)") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    auto ds = [&](const std::string& body) { return read_dashscope_chat_request(r, body.data(), body.size(), q, e); };
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    REQUIRE(ds(m + R"("n":4})"));
    CHECK_FALSE(ds(m + R"("n":5})"));
    CHECK(std::string(e.message) == "Range of n should be [1, 4]");
    const std::string tool = R"([{"type":"function","function":{"name":"f"}}])";
    REQUIRE(ds(m + R"("n":1,"tools":)" + tool + "}"));
    CHECK_FALSE(ds(m + R"("n":2,"tools":)" + tool + "}"));
    CHECK(std::string(e.param) == "n");
    CHECK_FALSE(ds(m + R"("response_format":{"type":"json_object"}})"));
    CHECK(std::string(e.message) ==
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.");
    REQUIRE(ds(R"({"messages":[{"role":"system","content":[{"type":"text","text":"Answer in JSON."}]},{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}})"));
    // OpenAI's reader has no such rule.
    const std::string body = m + R"("response_format":{"type":"json_object"}})";
    CHECK(read_chat_request(r, body.data(), body.size(), q, e));
}

TEST_CASE("chat body: logprobs and top_logprobs (0..20; DashScope 0..5; top needs logprobs)") {
    json_body_parser r(65536);
    generation_request q;
    body_error e;
    const std::string m = R"({"messages":[{"role":"user","content":"hi"}],)";
    REQUIRE(read(r, m + R"("logprobs":true})", q, e));
    CHECK(q.logprobs == 1);
    REQUIRE(read(r, m + R"("logprobs":false})", q, e));
    CHECK(q.logprobs == 0);
    REQUIRE(read(r, m + R"("logprobs":true,"top_logprobs":20})", q, e));
    CHECK(q.logprobs == 21);
    CHECK_FALSE(read(r, m + R"("logprobs":true,"top_logprobs":21})", q, e));
    CHECK(std::string(e.param) == "top_logprobs");
    CHECK_FALSE(read(r, m + R"("top_logprobs":2})", q, e));
    CHECK(std::string(e.param) == "top_logprobs");
    CHECK_FALSE(read(r, m + R"("logprobs":"yes"})", q, e));
    CHECK(std::string(e.param) == "logprobs");
    auto ds = [&](const std::string& body) { return read_dashscope_chat_request(r, body.data(), body.size(), q, e); };
    REQUIRE(ds(m + R"("logprobs":true,"top_logprobs":5})"));
    CHECK_FALSE(ds(m + R"("logprobs":true,"top_logprobs":6})"));
    CHECK(std::string(e.message) == "Range of top_logprobs should be [0, 5]");
}
