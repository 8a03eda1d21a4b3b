#include <catch2/catch.hpp>

#include <string_view>

#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"

using namespace lms;

TEST_CASE("tokens: tokens cut like a tokenizer, roughly") {
    CHECK(count_tokens(CHAT_CONTENT) == 26);  // 26 CJK characters and punctuation
    std::string_view t = "Hello, world  again!";
    CHECK(token_length(t, 0) == 5);   // "Hello"
    CHECK(token_length(t, 5) == 1);   // ","
    CHECK(token_length(t, 6) == 6);   // " world"
    CHECK(token_length(t, 12) == 7);  // "  again"
    CHECK(token_length(t, 19) == 1);  // "!"
    CHECK(token_length(t, 20) == 0);
    CHECK(count_tokens(t) == 5);
    CHECK(token_length("abcdefghijkl", 0) == 8);  // long words split at 8 bytes
    CHECK(count_tokens("") == 0);
    CHECK(estimate_prompt_tokens(0) == 1);
    CHECK(estimate_prompt_tokens(4) == 1);
    CHECK(estimate_prompt_tokens(5) == 2);
}
