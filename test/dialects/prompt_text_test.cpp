#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "answer/prompt_text.hpp"
#include "dialects/anthropic_messages.hpp"
#include "dialects/openai_reader.hpp"
#include "dialects/openai_responses.hpp"

using namespace lms;

// The readers feed the prefix cache's block hasher the very text they count into prompt_bytes
// (so cached tokens never exceed the usage's prompt tokens), the system prompt first whatever
// its place in the body, with a separator naming each message's role.

namespace {

using reader = bool (*)(json_body_parser&, const char*, size_t, generation_request&, body_error&) noexcept;

bool read_with(reader f, json_body_parser& p, const std::string& s, generation_request& out, prompt_blocks& b) {
    std::vector<char> buf(s.size() + json_body_parser::PADDING, '\0');
    std::copy(s.begin(), s.end(), buf.begin());
    b.reset(4);
    out.blocks = &b;
    body_error err;
    return f(p, buf.data(), s.size(), out, err);
}

// The chain a prompt of these (role, text) messages hashes to, fed by hand.
prompt_blocks by_hand(std::initializer_list<std::pair<char, std::string>> msgs) {
    prompt_blocks b(4);
    for (const auto& [role, text] : msgs) {
        b.separate(uint8_t(role));
        b.append(text);
    }
    return b;
}

const std::string SYSTEM(200, 's');  // 50 tokens: 12 whole blocks of 4
const std::string TURN = "What is the weather in Paris today, and tomorrow?";

bool same_chain(const prompt_blocks& a, const prompt_blocks& b) {
    if (a.count() != b.count() || a.bytes() != b.bytes()) {
        return false;
    }
    for (uint32_t i = 0; i < a.count(); ++i) {
        if (a.hashes()[i] != b.hashes()[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("prompt text: chat feeds the hasher what it counts, a separator per message") {
    json_body_parser p(16384);
    generation_request rq;
    prompt_blocks b;
    REQUIRE(read_with(read_chat_request, p,
                      R"({"messages":[{"role":"system","content":")" + SYSTEM +
                          R"("},{"role":"user","content":[{"type":"text","text":")" + TURN +
                          R"("},{"type":"text","text":"!"}]}]})",
                      rq, b));
    CHECK(b.bytes() == rq.prompt_bytes);
    CHECK(b.tokens() == estimate_prompt_tokens(rq.prompt_bytes));
    CHECK(same_chain(b, by_hand({{'s', SYSTEM}, {'u', TURN + "!"}})));
    // The reader's reset keeps the hasher lent to it; without one nothing is fed.
    CHECK(rq.blocks == &b);
    generation_request plain;
    body_error err;
    const std::string body = R"({"messages":[{"role":"user","content":"hi"}]})";
    std::vector<char> buf(body.size() + json_body_parser::PADDING, '\0');
    std::copy(body.begin(), body.end(), buf.begin());
    REQUIRE(read_chat_request(p, buf.data(), body.size(), plain, err));
    CHECK(plain.blocks == nullptr);
    CHECK(plain.prompt_bytes == 2);
}

TEST_CASE("prompt text: the same words by another role are other blocks") {
    const prompt_blocks a = by_hand({{'u', SYSTEM}});
    const prompt_blocks b = by_hand({{'a', SYSTEM}});
    REQUIRE(a.count() == b.count());
    CHECK(a.hashes()[0] != b.hashes()[0]);
}

TEST_CASE("prompt text: Anthropic's system prompt heads the chain, after the messages in the body") {
    json_body_parser p(16384);
    generation_request rq;
    prompt_blocks b;
    REQUIRE(read_with(read_anthropic_request, p,
                      R"({"model":"claude","max_tokens":10,"messages":[{"role":"user","content":")" + TURN +
                          R"("}],"system":")" + SYSTEM + R"("})",
                      rq, b));
    CHECK(b.bytes() == rq.prompt_bytes);
    CHECK(same_chain(b, by_hand({{'s', SYSTEM}, {'u', TURN}})));
    // Text blocks of a system prompt and of a message, and a tool result's text.
    REQUIRE(read_with(read_anthropic_request, p,
                      R"({"model":"claude","max_tokens":10,"system":[{"type":"text","text":")" + SYSTEM +
                          R"("}],"messages":[{"role":"user","content":[{"type":"text","text":")" + TURN +
                          R"("}]},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},)"
                          R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"}]}]})",
                      rq, b));
    CHECK(b.bytes() == rq.prompt_bytes);
    CHECK(same_chain(b, by_hand({{'s', SYSTEM}, {'u', TURN}, {'a', ""}, {'u', "42"}})));
}

TEST_CASE("prompt text: Responses' instructions head the chain, then each input item") {
    json_body_parser p(16384);
    generation_request rq;
    prompt_blocks b;
    REQUIRE(read_with(read_responses_request, p,
                      R"({"model":"gpt-4o","input":[{"role":"user","content":")" + TURN +
                          R"("},{"type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"},)"
                          R"({"type":"function_call_output","call_id":"c1","output":"sunny"}],"instructions":")" +
                          SYSTEM + R"("})",
                      rq, b));
    CHECK(b.bytes() == rq.prompt_bytes);
    CHECK(same_chain(b, by_hand({{'s', SYSTEM}, {'u', TURN}, {'f', R"({"a":1})"}, {'t', "sunny"}})));
    REQUIRE(read_with(read_responses_request, p, R"({"model":"gpt-4o","input":")" + TURN + R"("})", rq, b));
    CHECK(same_chain(b, by_hand({{'u', TURN}})));
}

TEST_CASE("prompt text: a completion's prompt strings are counted and hashed alike") {
    json_body_parser p(16384);
    generation_request rq;
    prompt_blocks b;
    REQUIRE(read_with(read_completion_request, p, R"({"prompt":[")" + SYSTEM + R"(",")" + TURN + R"("]})", rq, b));
    CHECK(b.bytes() == rq.prompt_bytes);
    prompt_blocks h(4);
    h.append(SYSTEM);
    h.append(TURN);
    CHECK(same_chain(b, h));
}
