// Golden sequences: the exact bytes of whole answers and of every event of a stream, per
// dialect. The files in test/dialects/golden/ are wire captures of the server as it was before
// the engine/dialect split (ids and created fixed to the values below); a change to one is a
// wire change.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_completions.hpp"
#include "golden_files.hpp"

using namespace lms;
using namespace lms::golden_files;

namespace {

// A whole stream of `tokens` tokens of text, as the answer service emits it: opening and
// block start with the first token, one delta per token, block end and closing at the end.
// per_write: each event rendered into its own buffer (one write each), else all into one.
std::string stream(const dialect& d, const answer_meta& m, std::string_view text, uint32_t tokens,
                   std::string_view finish_reason, const usage_counts* u, bool per_write) {
    const std::string_view finish[1] = {finish_reason};
    const block_ref b{};
    std::string all;
    char mem[8192];
    out_buf one(mem, sizeof mem);
    auto event = [&](auto&& render) {
        if (per_write) {
            char buf[2048];
            out_buf o(buf, sizeof buf);
            render(o);
            REQUIRE_FALSE(o.truncated);
            all.append(o.view());
        } else {
            render(one);
        }
    };
    size_t off = 0;
    for (uint32_t t = 0; t < tokens; ++t) {
        if (t == 0) {
            if (d.stream_open != nullptr) {
                event([&](out_buf& o) { d.stream_open(o, m, b); });
            }
            if (d.block_start != nullptr) {
                event([&](out_buf& o) { d.block_start(o, m, b); });
            }
        }
        size_t len = token_length(text, off);
        event([&](out_buf& o) { d.delta(o, m, b, text.substr(off, len)); });
        off += len;
    }
    if (d.block_end != nullptr) {
        event([&](out_buf& o) { d.block_end(o, m, b, answer_body{}); });
    }
    event([&](out_buf& o) { d.stream_close(o, m, stream_end{1, finish, u}); });
    if (!per_write) {
        REQUIRE_FALSE(one.truncated);
        all = std::string(one.view());
    }
    return all;
}

// A whole answer of one choice: `tokens` tokens of text, finish, usage.
answer_body one_choice(std::string_view text, uint32_t tokens, std::string_view finish, usage_counts u) {
    answer_body b;
    b.content[0] = text_run{text, 0, tokens, 0};
    b.finish[0] = finish;
    b.usage = u;
    return b;
}

const std::string_view CHAT_ID = "chatcmpl-00000000000000010000000000000002";
const std::string_view CMPL_ID = "cmpl-00000000000000010000000000000002";

}  // namespace

TEST_CASE("golden: chat completion stream, with and without usage, one write or one per event") {
    const answer_meta m{CHAT_ID, 1700000000, "qwen-plus", true};
    const usage_counts u{1, 4};
    const std::string want = golden("openai_chat_stream.txt");
    CHECK(stream(OPENAI_CHAT, m, CHAT_CONTENT, 4, "length", &u, false) == want);
    CHECK(stream(OPENAI_CHAT, m, CHAT_CONTENT, 4, "length", &u, true) == want);
    const answer_meta plain{CHAT_ID, 1700000000, "qwen-plus", false};
    const std::string want2 = golden("openai_chat_stream_no_usage.txt");
    CHECK(stream(OPENAI_CHAT, plain, CHAT_CONTENT, 2, "length", nullptr, false) == want2);
    CHECK(stream(OPENAI_CHAT, plain, CHAT_CONTENT, 2, "length", nullptr, true) == want2);
    check_cut_everywhere(want2, [&](out_buf& o) {
        const std::string_view finish[1] = {"length"};
        OPENAI_CHAT.stream_open(o, plain, block_ref{});
        OPENAI_CHAT.delta(o, plain, block_ref{}, "\xe6\x88\x91");
        OPENAI_CHAT.delta(o, plain, block_ref{}, "\xe6\x98\xaf");
        OPENAI_CHAT.stream_close(o, plain, stream_end{1, finish, nullptr});
    });
}

TEST_CASE("golden: whole chat completion") {
    const answer_meta m{CHAT_ID, 1700000000, "m\"x", false};
    const std::string want = golden("openai_chat_whole.txt");
    char mem[4096];
    out_buf o(mem, sizeof mem);
    const answer_body a = one_choice(CHAT_CONTENT, 3, "length", usage_counts{1, 3});
    OPENAI_CHAT.whole(o, m, a);
    CHECK(std::string(o.view()) == want);
    check_cut_everywhere(want, [&](out_buf& b) { OPENAI_CHAT.whole(b, m, a); });
}

TEST_CASE("golden: text completion stream and whole body") {
    const answer_meta m{CMPL_ID, 1700000000, "qwen-plus", true};
    const usage_counts u{2, 3};
    const std::string want = golden("openai_completions_stream.txt");
    CHECK(stream(OPENAI_COMPLETIONS, m, CHAT_CONTENT, 3, "length", &u, false) == want);
    CHECK(stream(OPENAI_COMPLETIONS, m, CHAT_CONTENT, 3, "length", &u, true) == want);
    const answer_meta w{CMPL_ID, 1700000000, "qwen-plus", false};
    const std::string body = golden("openai_completions_whole.txt");
    char mem[4096];
    out_buf o(mem, sizeof mem);
    const answer_body a = one_choice(CHAT_CONTENT, 5, "length", usage_counts{2, 5});
    OPENAI_COMPLETIONS.whole(o, w, a);
    CHECK(std::string(o.view()) == body);
    check_cut_everywhere(body, [&](out_buf& b) { OPENAI_COMPLETIONS.whole(b, w, a); });
}

TEST_CASE("golden: in-stream error event and error envelopes per status") {
    char mem[512];
    out_buf o(mem, sizeof mem);
    OPENAI_CHAT.stream_error(o, "boom");
    CHECK(std::string(o.view()) ==
          "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}\n\n");
    struct {
        int status;
        const char* type;
    } cases[] = {{401, "authentication_error"}, {403, "permission_denied_error"}, {409, "conflict_error"},
                 {422, "unprocessable_entity_error"}, {429, "rate_limit_error"}, {418, "invalid_request_error"},
                 {500, "server_error"}, {502, "api_error"}, {504, "api_error"}, {503, "service_unavailable_error"}};
    for (auto& c : cases) {
        out_buf e(mem, sizeof mem);
        OPENAI_CHAT.error_envelope(e, c.status, "m", "", "", "", "req_1");
        CHECK(std::string(e.view()).find(std::string("\"type\":\"") + c.type + "\"") != std::string::npos);
    }
}

namespace {

// The agent answers' events, rendered as the answer service emits them (see stream_step):
// a tool-call answer of two calls, and a thinking answer (reasoning, then content).
std::string tool_call_stream(const dialect& d, const answer_meta& m) {
    char mem[8192];
    out_buf o(mem, sizeof mem);
    const block_ref c0{0, block_kind::tool_call, 0, "call_000000000000000000000001", "get_weather"};
    const block_ref c1{0, block_kind::tool_call, 1, "call_000000000000000000000002", "get_time"};
    d.stream_open(o, m, c0);
    d.block_start(o, m, c0);
    d.delta(o, m, c0, "{\"city\":");
    d.delta(o, m, c0, "\"Paris\"}");
    d.block_start(o, m, c1);
    d.delta(o, m, c1, "{}");
    const std::string_view finish[1] = {"tool_calls"};
    const usage_counts u{5, 3};
    d.stream_close(o, m, stream_end{1, finish, &u});
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

std::string thinking_stream(const dialect& d, const answer_meta& m) {
    char mem[8192];
    out_buf o(mem, sizeof mem);
    const block_ref r{0, block_kind::reasoning};
    const block_ref t{0, block_kind::text};
    d.stream_open(o, m, r);
    d.delta(o, m, r, "Hm");
    d.delta(o, m, r, "m");
    d.delta(o, m, t, "Hi");
    const std::string_view finish[1] = {"stop"};
    const usage_counts u{5, 3, 2, true};
    d.stream_close(o, m, stream_end{1, finish, &u});
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

std::string tool_call_whole(const dialect& d, const answer_meta& m) {
    char mem[4096];
    out_buf o(mem, sizeof mem);
    const answer_call calls[2] = {{"call_000000000000000000000001", "get_weather", "{\"city\":\"Paris\"}"},
                                  {"call_000000000000000000000002", "get_time", "{}"}};
    answer_body b;
    b.finish[0] = "tool_calls";
    b.calls = calls;
    b.call_count = 2;
    b.usage = usage_counts{5, 7};
    d.whole(o, m, b);
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

const std::string_view DS_ID = "chatcmpl-00000000-0000-4001-8000-000000000002";

}  // namespace

// Written from the renderers when the agent answers were added, checked against the shapes of
// shared/reference/wire-formats.md §1.2, §1.4, §1.5 and dashscope.md §0 items 9, 16, 17.
TEST_CASE("golden: tool-call streams and bodies, OpenAI's and DashScope's") {
    const answer_meta m{CHAT_ID, 1700000000, "qwen-plus", true};
    CHECK(matches_golden("openai_chat_tool_calls_stream.txt", tool_call_stream(OPENAI_CHAT, m)));
    const answer_meta w{CHAT_ID, 1700000000, "qwen-plus", false};
    CHECK(matches_golden("openai_chat_tool_calls_whole.txt", tool_call_whole(OPENAI_CHAT, w)));
    // DashScope's chunks always say "usage":null (the service sets usage_null for its streams).
    const answer_meta ds{DS_ID, 1700000000, "qwen-plus", true, false, true};
    CHECK(matches_golden("dashscope_chat_tool_calls_stream.txt", tool_call_stream(DASHSCOPE_CHAT, ds)));
    const answer_meta dw{DS_ID, 1700000000, "qwen-plus", false, false, true};
    CHECK(matches_golden("dashscope_chat_tool_calls_whole.txt", tool_call_whole(DASHSCOPE_CHAT, dw)));
}

TEST_CASE("golden: thinking streams (reasoning_content, then content), OpenAI's and DashScope's") {
    const answer_meta m{CHAT_ID, 1700000000, "qwen-plus", true, true, false};
    CHECK(matches_golden("openai_chat_thinking_stream.txt", thinking_stream(OPENAI_CHAT, m)));
    const answer_meta ds{DS_ID, 1700000000, "qwen-plus", true, true, true};
    CHECK(matches_golden("dashscope_chat_thinking_stream.txt", thinking_stream(DASHSCOPE_CHAT, ds)));
}
