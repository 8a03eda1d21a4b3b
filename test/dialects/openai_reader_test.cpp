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
    REQUIRE(read(r, m + R"("n":128})", q, e));
    CHECK(q.n == 128);
    CHECK_FALSE(read(r, m + R"("n":129})", q, e));
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
