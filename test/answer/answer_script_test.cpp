#include <catch2/catch.hpp>

#include <simdjson.h>

#include <string>
#include <vector>

#include "answer/answer_script.hpp"
#include "answer/tokens.hpp"

using namespace lms;

namespace {

// A script in a buffer of cap bytes (the header first).
struct script_buf {
    std::vector<char> mem;
    answer_script* s;
    size_t cap;
    explicit script_buf(size_t bytes = 8192) : mem(sizeof(answer_script) + bytes + 64), cap(bytes) {
        s = ::new (mem.data()) answer_script;
    }
};

answer_plan text_plan(uint32_t tokens, uint32_t choices = 1) {
    answer_plan p;
    p.tokens = tokens;
    p.choices = choices;
    return p;
}

// The text of a choice's run, as a whole answer renders it (unescaped).
std::string run_text(std::string_view text, const script_choice& c) {
    std::string out;
    size_t off = c.off;
    for (uint32_t t = 0; t < c.tokens; ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        size_t len = token_length(text, off);
        if (t + 1 == c.tokens && c.last_len != 0) {
            len = c.last_len;
        }
        out.append(text.substr(off, len));
        off += len;
    }
    return out;
}

}  // namespace

TEST_CASE("answer_script: a stop sequence cuts the answer before it, even inside a token and across the cycle") {
    const std::string_view text = "Hello world, fine day";  // tokens: Hello| world|,| fine| day
    generation_request rq;
    rq.stop_count = 1;
    rng r(1);
    struct {
        std::string_view stop;
        uint32_t tokens;
        std::string want;
        bool stopped;
    } cases[] = {
        {"world", 20, "Hello ", true},         // inside " world": the space is kept
        {"Hello", 20, "", true},               // at the very start: empty content
        {",", 20, "Hello world", true},
        {"dayHel", 20, "Hello world, fine ", true},  // across the wrap of the cycled text
        {"zzz", 4, "Hello world, fine", false},     // absent: all tokens, no cut
        {"fine", 3, "Hello world,", false},         // past max tokens: not reached
    };
    for (const auto& c : cases) {
        rq.stop[0] = c.stop;
        answer_plan p = text_plan(c.tokens);
        script_buf b;
        bool needed = false;
        REQUIRE(build_script(rq, p, text, *b.s, b.cap, r, needed) == script_status::ok);
        INFO(c.stop);
        CHECK(needed == c.stopped);
        CHECK(b.s->choice[0].stopped == c.stopped);
        CHECK(run_text(text, b.s->choice[0]) == c.want);
        if (c.stopped) {
            CHECK(p.tokens == b.s->choice[0].tokens);
        }
    }
    // The earliest of several stop sequences wins.
    rq.stop_count = 2;
    rq.stop[0] = "day";
    rq.stop[1] = "orl";
    answer_plan p = text_plan(10);
    script_buf b;
    bool needed = false;
    REQUIRE(build_script(rq, p, text, *b.s, b.cap, r, needed) == script_status::ok);
    CHECK(run_text(text, b.s->choice[0]) == "Hello w");
}

TEST_CASE("answer_script: n choices each start elsewhere in the text, with the same length") {
    const std::string_view text = "one two three four five six seven eight nine ten eleven twelve";
    generation_request rq;
    rq.n = 3;
    answer_plan p = text_plan(4, 3);
    script_buf b;
    rng r(1);
    bool needed = false;
    REQUIRE(build_script(rq, p, text, *b.s, b.cap, r, needed) == script_status::ok);
    CHECK(needed);
    CHECK(run_text(text, b.s->choice[0]) == "one two three four");
    CHECK(run_text(text, b.s->choice[1]) == " eight nine ten eleven");
    CHECK(b.s->choice[2].tokens == 4);
    CHECK(run_text(text, b.s->choice[2]) != run_text(text, b.s->choice[1]));
}

TEST_CASE("answer_script: tool calls get schema-valid arguments; their tokens are the answer's") {
    simdjson::dom::parser parser;
    const std::string body = R"([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo"]}},"required":["city"],"additionalProperties":false}}},{"type":"function","function":{"name":"now"}}])";
    simdjson::dom::element doc = parser.parse(body);
    generation_request rq;
    rq.tools = doc.get_array().value();
    rq.tool_count = 2;
    rq.tool_choice = tool_choice_kind::auto_;
    answer_plan p = text_plan(99);
    p.tool_calls = 3;
    p.first_tool = 1;
    p.finish_length = true;
    script_buf b;
    rng r(3);
    bool needed = false;
    REQUIRE(build_script(rq, p, "text", *b.s, b.cap, r, needed) == script_status::ok);
    CHECK(needed);
    REQUIRE(b.s->calls == 3);
    CHECK(b.s->call_name(0) == "now");  // round-robin from first_tool
    CHECK(b.s->call_args(0) == "{}");   // no parameters: an empty object
    CHECK(b.s->call_name(1) == "get_weather");
    CHECK(b.s->call_name(2) == "now");
    simdjson::dom::parser check;
    std::string args(b.s->call_args(1));
    simdjson::dom::element a = check.parse(args);
    std::string_view city = a["city"].get_string().value();
    CHECK((city == "Paris" || city == "Oslo"));
    uint32_t tokens = 0;
    for (uint32_t i = 0; i < 3; ++i) {
        CHECK(b.s->call[i].args_tokens == count_tokens(b.s->call_args(i)));
        tokens += b.s->call[i].args_tokens;
    }
    CHECK(p.tokens == tokens);
    CHECK_FALSE(p.finish_length);
    // Named: every call is the named tool.
    rq.tool_choice = tool_choice_kind::named;
    p.first_tool = 0;
    script_buf nb;
    REQUIRE(build_script(rq, p, "text", *nb.s, nb.cap, r, needed) == script_status::ok);
    CHECK(nb.s->call_name(2) == "get_weather");
    // Arguments that cannot fit: too_large, never a partial call.
    script_buf tiny(8);
    CHECK(build_script(rq, p, "text", *tiny.s, tiny.cap, r, needed) == script_status::too_large);
}

TEST_CASE("answer_script: JSON content for json_object and json_schema; max_tokens still cuts it") {
    simdjson::dom::parser parser;
    generation_request rq;
    rq.response_format = response_format_kind::json_object;
    answer_plan p = text_plan(3);
    p.json = true;
    script_buf b;
    rng r(1);
    bool needed = false;
    REQUIRE(build_script(rq, p, "Hi \"there\" you", *b.s, b.cap, r, needed) == script_status::ok);
    const std::string obj(b.s->text({}));
    CHECK(obj == R"({"answer":"Hi \""})");  // tokens "Hi", " ", "\""
    CHECK(parser.parse(obj).is_object());
    CHECK(p.tokens == count_tokens(obj));
    CHECK_FALSE(p.finish_length);
    const std::string schema = R"({"type":"object","properties":{"t":{"type":"number","minimum":1,"maximum":2}},"required":["t"]})";
    simdjson::dom::element se = parser.parse(schema);
    rq.response_format = response_format_kind::json_schema;
    rq.has_output_schema = true;
    rq.output_schema = se;
    rq.has_max_tokens = true;
    rq.max_tokens = 2;
    answer_plan q = text_plan(50);
    q.json = true;
    script_buf c;
    REQUIRE(build_script(rq, q, "x", *c.s, c.cap, r, needed) == script_status::ok);
    simdjson::dom::parser p2;
    const std::string value(c.s->text({}));
    const double t = p2.parse(value)["t"].get_double().value();
    CHECK(t >= 1);
    CHECK(t <= 2);
    CHECK(q.tokens == 2);  // max_tokens cuts the JSON: finish "length"
    CHECK(q.finish_length);
}
