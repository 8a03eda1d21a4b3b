#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <simdjson.h>

#include "answer/tokens.hpp"
#include "dialects/openai_reader.hpp"
#include "dialects/vllm_tokenize.hpp"
#include "engine/engine_limits.hpp"

using namespace lms;

namespace {

// A body in a buffer with the padding simdjson needs, as a pool buffer provides.
struct padded {
    std::vector<char> buf;
    size_t len;
    explicit padded(const std::string& s) : buf(s.size() + json_body_parser::PADDING, '\0'), len(s.size()) {
        std::copy(s.begin(), s.end(), buf.begin());
    }
};

// s as a JSON string literal (quotes included), control bytes escaped.
std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char u[8];
            snprintf(u, sizeof u, "\\u%04x", c);
            out += u;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

struct tokenized {
    bool ok = false;
    std::string answer;
    std::string err;
    std::string param;
    uint64_t count = 0;
    uint64_t max_model_len = 0;
    std::vector<uint64_t> tokens;
    std::vector<std::string> strs;
    bool strs_null = false;
};

tokenized tokenize(json_body_parser& p, const std::string& body, uint64_t max_model_len = 4096) {
    tokenized t;
    padded b(body);
    generation_request chat;
    tokenize_request rq;
    body_error err;
    if (!read_tokenize_request(p, b.buf.data(), b.len, chat, rq, err)) {
        t.err = err.message;
        t.param = err.param;
        return t;
    }
    std::vector<char> mem(SCRATCH_BYTES);
    out_buf o(mem.data(), mem.size());
    REQUIRE(render_tokenize(o, rq, max_model_len));
    REQUIRE_FALSE(o.truncated);
    t.ok = true;
    t.answer = std::string(o.view());
    simdjson::dom::parser json;
    simdjson::dom::element doc;
    REQUIRE(json.parse(t.answer).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc["count"].get(t.count) == simdjson::SUCCESS);
    REQUIRE(doc["max_model_len"].get(t.max_model_len) == simdjson::SUCCESS);
    simdjson::dom::array ids;
    REQUIRE(doc["tokens"].get(ids) == simdjson::SUCCESS);
    for (simdjson::dom::element e : ids) {
        uint64_t id;
        REQUIRE(e.get(id) == simdjson::SUCCESS);
        t.tokens.push_back(id);
    }
    simdjson::dom::array strs;
    t.strs_null = doc["token_strs"].is_null();
    if (doc["token_strs"].get(strs) == simdjson::SUCCESS) {
        for (simdjson::dom::element e : strs) {
            std::string_view s;
            REQUIRE(e.get(s) == simdjson::SUCCESS);
            t.strs.emplace_back(s);
        }
    }
    return t;
}

struct detokenized {
    bool ok = false;
    std::string prompt;
    std::string err;
    std::string param;
};

detokenized detokenize(json_body_parser& p, const std::string& body) {
    detokenized d;
    padded b(body);
    detokenize_request rq;
    body_error err;
    if (!read_detokenize_request(p, b.buf.data(), b.len, rq, err)) {
        d.err = err.message;
        d.param = err.param;
        return d;
    }
    std::vector<char> mem(SCRATCH_BYTES);
    out_buf o(mem.data(), mem.size());
    render_detokenize(o, rq);
    REQUIRE_FALSE(o.truncated);
    const std::string answer(o.view());
    simdjson::dom::parser json;
    simdjson::dom::element doc;
    REQUIRE(json.parse(answer).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc.get_object().size() == 1);
    std::string_view s;
    REQUIRE(doc["prompt"].get(s) == simdjson::SUCCESS);
    d.ok = true;
    d.prompt = std::string(s);
    return d;
}

std::string ids_body(const std::vector<uint64_t>& ids) {
    std::string b = "{\"model\":\"m\",\"tokens\":[";
    for (size_t i = 0; i < ids.size(); ++i) {
        b += (i != 0 ? "," : "") + std::to_string(ids[i]);
    }
    return b + "]}";
}

// A random well-formed UTF-8 text: ASCII (control bytes and quotes among them), 2-, 3- and
// 4-byte characters, so that 4-byte tokens cut characters at every offset.
std::string random_text(std::mt19937_64& rng, size_t chars) {
    std::string s;
    for (size_t i = 0; i < chars; ++i) {
        switch (rng() % 6) {
        case 0: s += char(rng() % 0x20); break;
        case 1: s += "\"\\/"[rng() % 3]; break;
        case 2: s += "\xc3\xa9"; break;                      // é
        case 3: s += "\xe4\xbd\xa0"; break;                  // 你
        case 4: s += "\xf0\x9f\x98\x80"; break;              // 😀
        default: s += char('a' + rng() % 26); break;
        }
    }
    return s;
}

}  // namespace

TEST_CASE("prompt token ids: every chunk of 0 to 4 bytes round-trips; other numbers are no id") {
    std::mt19937_64 rng(7);
    char out[PROMPT_TOKEN_BYTES];
    for (int k = 0; k < 20000; ++k) {
        const size_t n = k % 5;
        char chunk[4];
        for (size_t i = 0; i < n; ++i) {
            chunk[i] = char(rng());
        }
        const uint64_t id = prompt_token_id(std::string_view(chunk, n));
        CHECK(id < PROMPT_TOKEN_ID_END);
        REQUIRE(prompt_token_bytes(id, out) == int(n));
        CHECK(std::string_view(out, n) == std::string_view(chunk, n));
    }
    CHECK(prompt_token_id("") == 0);                        // the empty token
    CHECK(prompt_token_bytes(0, out) == 0);
    CHECK(prompt_token_id("a") == (1ull << 32 | 'a'));
    CHECK(prompt_token_id(std::string_view("\0", 1)) == 1ull << 32);  // a NUL byte is not the empty token
    CHECK(prompt_token_bytes(PROMPT_TOKEN_ID_END - 1, out) == 4);     // the largest id: four 0xff bytes
    CHECK(prompt_token_bytes(PROMPT_TOKEN_ID_END, out) == -1);        // length 5
    CHECK(prompt_token_bytes(~uint64_t(0), out) == -1);
    CHECK(prompt_token_bytes(97, out) == -1);                         // length 0 with a byte
    CHECK(prompt_token_bytes(1ull << 32 | 0x100, out) == -1);         // length 1 with a second byte
    CHECK(prompt_token_bytes(3ull << 32 | 0x1000000, out) == -1);     // length 3 with a fourth byte
    CHECK(prompt_token_bytes(3ull << 32 | 0xffffff, out) == 3);
}

TEST_CASE("tokenize: count is the usage's estimate, one id per token, and detokenize inverts it") {
    json_body_parser p(1 << 20);
    std::mt19937_64 rng(42);
    for (int k = 0; k < 400; ++k) {
        const std::string text = random_text(rng, k % 97);
        INFO(json_string(text));
        const tokenized t = tokenize(p, "{\"model\":\"m\",\"prompt\":" + json_string(text) + ",\"add_special_tokens\":true}");
        REQUIRE(t.ok);
        CHECK(t.count == estimate_prompt_tokens(text.size()));
        CHECK(t.tokens.size() == t.count);
        CHECK(t.max_model_len == 4096);
        CHECK(t.strs_null);
        const detokenized d = detokenize(p, ids_body(t.tokens));
        REQUIRE(d.ok);
        CHECK(d.prompt == text);
        // Any run of whole tokens decodes to its bytes (U+FFFD only where a character is cut).
        if (t.tokens.size() > 2) {
            std::vector<uint64_t> mid(t.tokens.begin() + 1, t.tokens.end() - 1);
            const detokenized m = detokenize(p, ids_body(mid));
            REQUIRE(m.ok);
            const std::string inner = text.substr(4, 4 * mid.size());
            if (simdjson::validate_utf8(inner.data(), inner.size())) {
                CHECK(m.prompt == inner);
            }
        }
    }
    // The empty prompt: count 1 (the estimate's floor), its one id the empty token.
    const tokenized e = tokenize(p, R"({"prompt":""})");
    CHECK(e.count == 1);
    CHECK(e.tokens == std::vector<uint64_t>{0});
    CHECK(detokenize(p, R"({"tokens":[0]})").prompt == "");
    CHECK(detokenize(p, R"({"tokens":[]})").prompt == "");
    CHECK(tokenize(p, R"({"prompt":"abcdefghi"})").answer ==
          R"({"count":3,"max_model_len":4096,"tokens":[)" + std::to_string(prompt_token_id("abcd")) + "," +
              std::to_string(prompt_token_id("efgh")) + "," + std::to_string(prompt_token_id("i")) +
              R"(],"token_strs":null})");
}

TEST_CASE("tokenize: token_strs are each token's text, a cut character as U+FFFD") {
    json_body_parser p(16384);
    // "a€b": 61 e2 82 ac 62 -> [61 e2 82 ac] [62].
    const tokenized t = tokenize(p, "{\"prompt\":\"a\xe2\x82\xac" "b\",\"return_token_strs\":true}");
    REQUIRE(t.ok);
    CHECK(t.strs == std::vector<std::string>{"a\xe2\x82\xac", "b"});
    // "€€": e2 82 ac e2 | 82 ac -> "€" + U+FFFD, then U+FFFD (82 and ac: one each).
    const tokenized c = tokenize(p, "{\"prompt\":\"\xe2\x82\xac\xe2\x82\xac\",\"return_token_strs\":true}");
    CHECK(c.strs == std::vector<std::string>{"\xe2\x82\xac\xef\xbf\xbd", "\xef\xbf\xbd\xef\xbf\xbd"});
    CHECK(tokenize(p, R"({"prompt":"x","return_token_strs":false})").strs_null);
    CHECK(tokenize(p, R"({"prompt":"x","return_token_strs":null})").strs_null);
}

TEST_CASE("tokenize: messages count what the chat reader counts, cut as one text in its order") {
    json_body_parser p(16384);
    const std::string bodies[] = {
        R"({"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"hi \u00e9 there"}]})",
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"ab"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"cde"}]}]})",
        R"({"messages":[1,{"role":"assistant"},{"role":"tool","content":"ok","tool_call_id":"c"},{"content":"z","content":"shadowed"}]})",
        R"({"messages":[{"role":"user","content":""}]})",
        R"({"model":"m","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"f"}}],"add_generation_prompt":true})",
    };
    const std::string texts[] = {"You are terse.hi \xc3\xa9 there", "abcde", "okz", "", "q"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; ++i) {
        INFO(bodies[i]);
        padded b(bodies[i]);
        generation_request chat;
        body_error err;
        REQUIRE(read_chat_request(p, b.buf.data(), b.len, chat, err));
        const uint64_t usage = estimate_prompt_tokens(chat.prompt_bytes);
        const tokenized t = tokenize(p, bodies[i]);
        REQUIRE(t.ok);
        CHECK(t.count == usage);
        CHECK(t.tokens.size() == t.count);
        CHECK(detokenize(p, ids_body(t.tokens)).prompt == texts[i]);
    }
    // "prompt" wins over "messages" (vLLM's union tries the completion request first).
    CHECK(tokenize(p, R"({"prompt":"abcdefgh","messages":[{"role":"user","content":"x"}]})").count == 2);
}

TEST_CASE("tokenize and detokenize: each refusal names the problem") {
    json_body_parser p(16384);
    const struct {
        const char* body;
        const char* param;
        const char* words;
    } tok[] = {
        {"", "", "not valid JSON"},
        {"[1]", "", "JSON object"},
        {R"({"model":"m"})", "prompt", "Missing required parameter: 'prompt'"},
        {R"({"prompt":5})", "prompt", "expected a string"},
        {R"({"prompt":"x","model":7})", "model", "'model'"},
        {R"({"prompt":"x","return_token_strs":"yes"})", "return_token_strs", "boolean"},
        {R"({"messages":[]})", "messages", "empty"},          // the chat reader's own words
        {R"({"messages":{}})", "messages", "array"},
        {R"({"messages":[{}],"n":0})", "n", "'n'"},
    };
    for (const auto& b : tok) {
        INFO(b.body);
        const tokenized t = tokenize(p, b.body);
        CHECK_FALSE(t.ok);
        CHECK(t.param == b.param);
        CHECK(t.err.find(b.words) != std::string::npos);
    }
    const struct {
        std::string body;
        const char* words;
    } detok[] = {
        {"{}", "Missing required parameter: 'tokens'"},
        {R"({"tokens":"abc"})", "expected an array of token ids"},
        {R"({"tokens":[0,0,0,"x"]})", "'tokens'[3]: not a token id"},
        {R"({"tokens":[-1]})", "'tokens'[0]: not a token id"},
        {R"({"tokens":[4294967297,1.5]})", "'tokens'[1]: not a token id"},
        {R"({"tokens":[null]})", "'tokens'[0]: not a token id"},
        {R"({"tokens":[97]})", "'tokens'[0]: 97 is not a token id (out of vocabulary"},
        {"{\"tokens\":[0," + std::to_string(PROMPT_TOKEN_ID_END) + "]}", "'tokens'[1]: 21474836480 is not a token id"},
        {R"({"tokens":[18446744073709551615]})", "'tokens'[0]: 18446744073709551615 is not a token id"},
        {R"({"tokens":[0],"model":1})", "'model'"},
    };
    for (const auto& b : detok) {
        INFO(b.body);
        const detokenized d = detokenize(p, b.body);
        CHECK_FALSE(d.ok);
        CHECK(d.err.find(b.words) != std::string::npos);
        CHECK(d.param == (std::string_view(b.words) == "'model'" ? "model" : "tokens"));
    }
    // The largest id is one (four 0xff bytes: not UTF-8, so four U+FFFD).
    CHECK(detokenize(p, "{\"tokens\":[" + std::to_string(PROMPT_TOKEN_ID_END - 1) + "]}").prompt ==
          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("tokenize: the answer to a default-sized body fits the answer area; a smaller one says truncated") {
    json_body_parser p(16384);
    // The largest answer per body byte: 4-byte tokens whose texts are all U+FFFD
    // (3-byte characters cut at every offset), with return_token_strs.
    std::string text;
    const std::string head = R"({"return_token_strs":true,"prompt":")";
    while (head.size() + text.size() + 3 + 2 <= 16384) {
        text += "\xe4\xbd\xa0";
    }
    const std::string body = head + text + "\"}";
    REQUIRE(body.size() <= 16384);
    const tokenized t = tokenize(p, body);  // renders into SCRATCH_BYTES, the engine's answer area
    REQUIRE(t.ok);
    CHECK(t.tokens.size() == (text.size() + 3) / 4);
    CHECK(t.answer.size() < SCRATCH_BYTES / 2);
    padded b(body);
    generation_request chat;
    tokenize_request rq;
    body_error err;
    REQUIRE(read_tokenize_request(p, b.buf.data(), b.len, chat, rq, err));
    char small[1024];
    out_buf o(small, sizeof small);
    CHECK(render_tokenize(o, rq, 1));
    CHECK(o.truncated);
    // Detokenize: 1,363 ids of four control bytes (the most a 16 KiB body holds; 24 bytes of
    // \u00XX each in the answer) fit too.
    std::vector<uint64_t> ids(1363, prompt_token_id("\x01\x02\x03\x04"));
    const std::string dbody = ids_body(ids);
    REQUIRE(dbody.size() <= 16384);
    CHECK(detokenize(p, dbody).prompt.size() == 4 * ids.size());
}
