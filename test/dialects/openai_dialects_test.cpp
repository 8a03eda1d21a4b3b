#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <simdjson.h>

#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_completions.hpp"
#include "dialects/openai_embeddings.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_models.hpp"

using namespace lms;

TEST_CASE("answer: ids") {
    char out[48];
    CHECK(format_answer_id(OPENAI_CHAT.id_prefix, 1, 2, out) == "chatcmpl-00000000000000010000000000000002");
    CHECK(format_answer_id(OPENAI_COMPLETIONS.id_prefix, 1, 2, out) == "cmpl-00000000000000010000000000000002");
}

TEST_CASE("answer: streamed chat chunks in the OpenAI shape") {
    char mem[4096];
    answer_meta m{"chatcmpl-x", 7, "m\"1", true};
    out_buf o(mem, sizeof mem);
    render_chat_role_chunk(o, m, block_ref{});
    CHECK(std::string(o.view()) ==
          R"(data: {"id":"chatcmpl-x","object":"chat.completion.chunk","created":7,"model":"m\"1","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null})"
          "\n\n");
    out_buf t(mem, sizeof mem);
    render_chat_content_chunk(t, m, "a\"b");
    CHECK(std::string(t.view()).find(R"("delta":{"content":"a\"b"})") != std::string::npos);
    out_buf f(mem, sizeof mem);
    render_chat_finish_chunk(f, m, 0, "length");
    CHECK(std::string(f.view()).find(R"({"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":null})") !=
          std::string::npos);
    out_buf u(mem, sizeof mem);
    render_chat_usage_chunk(u, m, usage_counts{3, 4});
    CHECK(std::string(u.view()).find(R"("choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})") !=
          std::string::npos);
    out_buf d(mem, sizeof mem);
    render_done_event(d);
    CHECK(std::string(d.view()) == "data: [DONE]\n\n");
    out_buf e(mem, sizeof mem);
    render_error_event(e, "boom", "server_error", "server_error");
    CHECK(std::string(e.view()) ==
          "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}\n\n");
    answer_meta no_usage{"chatcmpl-x", 7, "m", false};
    out_buf n(mem, sizeof mem);
    render_chat_content_chunk(n, no_usage, "x");
    CHECK(std::string(n.view()).find("usage") == std::string::npos);
}

TEST_CASE("answer: text completion chunks and whole bodies") {
    char mem[4096];
    answer_meta m{"cmpl-x", 7, "m", false};
    out_buf t(mem, sizeof mem);
    render_completion_text_chunk(t, m, 0, "hi");
    CHECK(std::string(t.view()) ==
          R"(data: {"id":"cmpl-x","object":"text_completion","created":7,"model":"m","choices":[{"text":"hi","index":0,"logprobs":null,"finish_reason":null}]})"
          "\n\n");
    out_buf b(mem, sizeof mem);
    answer_body ab;
    ab.content[0] = text_run{"ab cd", 0, 5, 0};
    ab.finish[0] = "length";
    ab.usage = usage_counts{2, 5};
    render_text_completion(b, m, ab);
    CHECK(std::string(b.view()) ==
          R"({"choices":[{"text":"ab cdab cdab","index":0,"logprobs":null,"finish_reason":"length"}],"object":"text_completion","usage":{"prompt_tokens":2,"completion_tokens":5,"total_tokens":7},"created":7,"model":"m","id":"cmpl-x"})");
    answer_meta c{"chatcmpl-x", 7, "m", false};
    out_buf cb(mem, sizeof mem);
    answer_body cbody;
    cbody.content[0] = text_run{CHAT_CONTENT, 0, 2, 0};
    cbody.finish[0] = "stop";
    cbody.usage = usage_counts{1, 2};
    render_chat_completion(cb, c, cbody);
    CHECK(std::string(cb.view()).rfind(
              "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"\xe6\x88\x91\xe6\x98\xaf\"},"
              "\"finish_reason\":\"stop\"",
              0) == 0);
}

TEST_CASE("answer: models and deterministic unit-length embeddings") {
    char mem[65536];
    out_buf o(mem, sizeof mem);
    render_models(o, "a,b-c", 5, 4096);
    CHECK(std::string(o.view()) ==
          R"({"object":"list","data":[{"id":"a","object":"model","created":5,"owned_by":"llm-mock-server","max_model_len":4096},{"id":"b-c","object":"model","created":5,"owned_by":"llm-mock-server","max_model_len":4096}]})");
    embedding_request r;
    r.count = 2;
    r.input_hash[0] = 11;
    r.input_hash[1] = 11;
    r.base64 = false;
    out_buf e(mem, sizeof mem);
    render_embeddings(e, r, 3, "emb", 2);
    std::string s(e.view());
    size_t a = s.find("\"embedding\":[");
    size_t b = s.find("\"embedding\":[", a + 1);
    REQUIRE(b != std::string::npos);
    std::string v1 = s.substr(a, s.find(']', a) - a);
    std::string v2 = s.substr(b, s.find(']', b) - b);
    CHECK(v1 == v2);  // same input, same vector
    double x, y, z;
    REQUIRE(sscanf(v1.c_str() + 13, "%lf,%lf,%lf", &x, &y, &z) == 3);
    CHECK(x * x + y * y + z * z == Approx(1).margin(1e-4));
    CHECK(s.find(R"("model":"emb","usage":{"prompt_tokens":2,"total_tokens":2}})") != std::string::npos);
    r.base64 = true;
    out_buf e64(mem, sizeof mem);
    render_embeddings(e64, r, 3, "emb", 2);
    std::string s64(e64.view());
    size_t q = s64.find("\"embedding\":\"");
    REQUIRE(q != std::string::npos);
    CHECK(s64.find('"', q + 13) - (q + 13) == 16);  // 12 bytes of float32 -> 16 base64 characters
}

TEST_CASE("openai_chat: completion ids are chatcmpl- and 32 lowercase hex digits of hi, lo") {
    const uint64_t values[] = {0, 1, 0xabcdef, 0x0123456789abcdefull, 0xfedcba9876543210ull, UINT64_MAX,
                               0x9e3779b97f4a7c15ull};
    for (uint64_t hi : values) {
        for (uint64_t lo : values) {
            char id[41];
            CHECK(std::string(format_completion_id(hi, lo, id)) == fmt::format("chatcmpl-{:016x}{:016x}", hi, lo));
        }
    }
    // Every nibble value in every position (the digits are formed eight bytes at a time).
    uint64_t x = 0x243f6a8885a308d3ull;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const uint64_t hi = x, lo = ~x * 0x9e3779b97f4a7c15ull;
        char id[41];
        REQUIRE(std::string(format_completion_id(hi, lo, id)) == fmt::format("chatcmpl-{:016x}{:016x}", hi, lo));
        char cm[37];
        REQUIRE(std::string(format_answer_id("cmpl-", hi, lo, cm)) == fmt::format("cmpl-{:016x}{:016x}", hi, lo));
    }
}

TEST_CASE("openai_chat: the original chat body with id, created and model") {
    char mem[1024];
    out_buf o(mem, sizeof mem);
    char id[41];
    render_chat_body(o, chat_reply{format_completion_id(1, 0xabcdef, id), 1700000000, "qwen\"x"});
    std::string b(o.view());
    CHECK_FALSE(o.truncated);
    CHECK(b.find(R"("content":")" + std::string(CHAT_CONTENT) + "\"") != std::string::npos);
    CHECK(b.find(R"("finish_reason":"stop","index":0,"logprobs":null)") != std::string::npos);
    CHECK(b.find(R"("usage":{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,"prompt_tokens_details":{"cached_tokens":2048}})") != std::string::npos);
    CHECK(b.find(R"("created":1700000000)") != std::string::npos);
    CHECK(b.find(R"("model":"qwen\"x")") != std::string::npos);
    CHECK(b.find(R"("id":"chatcmpl-00000000000000010000000000abcdef")") != std::string::npos);
    CHECK(b.find(R"("system_fingerprint":null)") != std::string::npos);
    CHECK(b.find(R"("object":"chat.completion")") != std::string::npos);
}

TEST_CASE("openai_chat: a buffer too small for the body is reported, not overrun") {
    char mem[100];
    out_buf o(mem, sizeof mem);
    char id[41];
    render_chat_body(o, chat_reply{format_completion_id(1, 2, id), 1, "m"});
    CHECK(o.truncated);
    CHECK(o.len == sizeof mem);
}

TEST_CASE("openai_models: one model, and whether a name is listed") {
    char mem[256];
    out_buf o(mem, sizeof mem);
    render_model(o, "q\"1", 5, 4294967295u);
    CHECK(std::string(o.view()) ==
          R"({"id":"q\"1","object":"model","created":5,"owned_by":"llm-mock-server","max_model_len":4294967295})");
    CHECK(model_listed("a,b-c,d", "b-c"));
    CHECK(model_listed("a,b-c,d", "a"));
    CHECK(model_listed("a,b-c,d", "d"));
    CHECK_FALSE(model_listed("a,b-c,d", "b"));
    CHECK_FALSE(model_listed("a,b-c,d", "A"));  // names are case-sensitive
    CHECK_FALSE(model_listed("a,b-c,d", ""));
    CHECK_FALSE(model_listed("", "a"));
}

TEST_CASE("answer: logprobs in OpenAI's shape, deterministic per seed, alternatives below the token") {
    char mem[8192];
    answer_meta m{"chatcmpl-x", 7, "m", false};
    m.logprobs = 1 + 3;
    m.logprob_seed = 42;
    out_buf a(mem, sizeof mem);
    append_run_logprobs(a, m, 0, text_run{"ab cd", 0, 2, 0});
    const std::string first(a.view());
    out_buf b(mem, sizeof mem);
    append_run_logprobs(b, m, 0, text_run{"ab cd", 0, 2, 0});
    CHECK(std::string(b.view()) == first);  // same seed, same values
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(first);
    simdjson::dom::array content = doc["content"].get_array().value();
    REQUIRE(content.size() == 2);
    std::string_view t0 = content.at(0)["token"].get_string().value();
    CHECK(t0 == "ab");
    simdjson::dom::array bytes = content.at(0)["bytes"].get_array().value();
    REQUIRE(bytes.size() == 2);
    CHECK(bytes.at(0).get_uint64().value() == 'a');
    CHECK(content.at(1)["token"].get_string().value() == " cd");
    const double lp = content.at(0)["logprob"].get_double().value();
    CHECK(lp < 0);
    simdjson::dom::array top = content.at(0)["top_logprobs"].get_array().value();
    REQUIRE(top.size() == 3);
    CHECK(top.at(0)["token"].get_string().value() == "ab");
    CHECK(top.at(0)["logprob"].get_double().value() == lp);
    double last = lp;
    for (size_t i = 1; i < 3; ++i) {
        const double x = top.at(i)["logprob"].get_double().value();
        CHECK(x < last);  // sorted, the token itself first
        last = x;
    }
    CHECK(std::string(doc["refusal"].type() == simdjson::dom::element_type::NULL_VALUE ? "null" : "x") == "null");
    m.logprob_seed = 43;
    out_buf c(mem, sizeof mem);
    append_run_logprobs(c, m, 0, text_run{"ab cd", 0, 2, 0});
    CHECK(std::string(c.view()) != first);  // another seed, other values
}
