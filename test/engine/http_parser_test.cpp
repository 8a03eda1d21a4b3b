// http_parser tests. Every case is fed one-shot, cut at every byte into two pieces, byte by
// byte, and pipelined between two neighbour requests; all runs must agree on everything a
// caller can observe (http-parser's test_scan, llhttp's chunk-size replay).
#include "engine/http_parser.hpp"

#include "../../fuzz/http_driver.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <random>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

using namespace lms;

namespace lms_fuzz {  // found by argument-dependent lookup, for Catch's messages
std::ostream& operator<<(std::ostream& os, const outcome& o) { return os << "{" << describe(o) << "}"; }
}  // namespace lms_fuzz

namespace {

// The driver the fuzz targets use (fuzz/http_driver.hpp): the outcome of a request (everything
// a caller can observe, compared with ==) and feed(), which hands the parser its bytes as a
// connection receives them and checks each result against the parser's contract (bytes past
// the valid length poisoned under ASan, complete and error sticky, chunked bodies against an
// independent decoder).
using lms_fuzz::outcome;

// `input` in pieces ending at `cuts` (ascending): one outcome per request, plus an
// `incomplete` one if bytes are left over at the end.
std::vector<outcome> feed(const std::string& input, const std::vector<size_t>& cuts, const http_limits& limits) {
    return lms_fuzz::feed(reinterpret_cast<const uint8_t*>(input.data()), input.size(), cuts, limits);
}

// Runs `input` one-shot, cut at every byte (two pieces, the cut also at 0 and at the end),
// and byte by byte. Every run must agree; returns the one-shot outcomes.
std::vector<outcome> run_splits(const std::string& input, const http_limits& limits) {
    const std::vector<outcome> whole = feed(input, {}, limits);
    size_t mismatches = 0;
    size_t first_bad_cut = 0;
    std::vector<outcome> first_bad;
    for (size_t k = 0; k <= input.size(); ++k) {
        std::vector<outcome> split = feed(input, {k}, limits);
        if (split != whole) {
            if (mismatches++ == 0) {
                first_bad_cut = k;
                first_bad = std::move(split);
            }
        }
    }
    INFO("one-shot: " << Catch::Detail::stringify(whole));
    INFO("first disagreeing cut at byte " << first_bad_cut << ": " << Catch::Detail::stringify(first_bad));
    REQUIRE(mismatches == 0);

    std::vector<size_t> every;
    for (size_t k = 1; k < input.size(); ++k) {
        every.push_back(k);
    }
    REQUIRE(feed(input, every, limits) == whole);
    for (const outcome& o : whole) {
        INFO(o);
        REQUIRE(o.broken.empty());
    }
    return whole;
}

const std::string BEFORE = "GET /before HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string AFTER = "GET /after HTTP/1.1\r\nHost: b\r\n\r\n";

// Parses one request in every split, then pipelined between BEFORE and AFTER (AFTER only
// when the request completes: an error ends the connection, an incomplete one swallows it);
// the pipelined run must give the very same outcomes. Returns the request's outcome.
outcome parse_all_ways(const std::string& raw, const http_limits& limits = {}) {
    INFO("request: " << Catch::Detail::stringify(raw));
    const std::vector<outcome> alone = run_splits(raw, limits);
    REQUIRE(alone.size() == 1);
    const outcome& o = alone[0];
    if (o.result == parse_result::complete) {
        REQUIRE(o.consumed == raw.size());
    }

    const std::vector<outcome> before = feed(BEFORE, {}, limits);
    const std::vector<outcome> after = feed(AFTER, {}, limits);
    REQUIRE(before.size() == 1);
    REQUIRE(before[0].result == parse_result::complete);
    std::vector<outcome> expected{before[0], o};
    std::string piped = BEFORE + raw;
    if (o.result == parse_result::complete) {
        piped += AFTER;
        expected.push_back(after[0]);
    }
    REQUIRE(run_splits(piped, limits) == expected);
    return o;
}

outcome expect_error(const std::string& raw, uint16_t status, const std::string& message,
                     const http_limits& limits = {}) {
    const outcome o = parse_all_ways(raw, limits);
    INFO(o);
    REQUIRE(o.result == parse_result::error);
    CHECK(o.status == status);
    CHECK(o.message == message);
    return o;
}

outcome expect_complete(const std::string& raw, const http_limits& limits = {}) {
    const outcome o = parse_all_ways(raw, limits);
    INFO(o);
    REQUIRE(o.result == parse_result::complete);
    return o;
}

std::string find_header(const outcome& o, const std::string& name) {
    for (const auto& [n, v] : o.headers) {
        if (n == name) {
            return v;
        }
    }
    return "<absent>";
}

// A GET whose header section is exactly `total` bytes, padded in one "X: " field.
std::string get_of_size(size_t total) {
    const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    const std::string tail = "\r\n\r\n";
    REQUIRE(total >= head.size() + tail.size() + 1);
    return head + std::string(total - head.size() - tail.size(), 'p') + tail;
}

std::string chunked_post(const std::string& chunks) {
    return "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks;
}

// ---- real clients ----------------------------------------------------------------------

const std::string CURL_HEALTH =
    "GET /health HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string CURL_JSON_BODY =
    R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"stream":false})";

const std::string CURL_POST =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Authorization: Bearer sk-test\r\n"
    "Content-Length: " + std::to_string(CURL_JSON_BODY.size()) + "\r\n"
    "\r\n" + CURL_JSON_BODY;

const std::string CURL_EXPECT =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: " + std::to_string(CURL_JSON_BODY.size()) + "\r\n"
    "Expect: 100-continue\r\n"
    "\r\n" + CURL_JSON_BODY;

const std::string AB_10 =
    "GET /v1/models HTTP/1.0\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: ApacheBench/2.3\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string AB_10_KEEPALIVE =
    "GET /v1/models HTTP/1.0\r\n"
    "Connection: Keep-Alive\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: ApacheBench/2.3\r\n"
    "Accept: */*\r\n"
    "\r\n";

const std::string WRK = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

const std::string OPENAI_BODY =
    R"({"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hi \u00e9"}],)"
    R"("model":"gpt-4o-mini","max_tokens":64,"stream":true,"temperature":0.2})";

const std::string OPENAI_SDK =
    "POST /v1/chat/completions HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "Accept: application/json\r\n"
    "Content-Type: application/json\r\n"
    "User-Agent: OpenAI/Python 1.51.2\r\n"
    "X-Stainless-Lang: python\r\n"
    "X-Stainless-Package-Version: 1.51.2\r\n"
    "X-Stainless-OS: Linux\r\n"
    "X-Stainless-Arch: x64\r\n"
    "X-Stainless-Runtime: CPython\r\n"
    "X-Stainless-Runtime-Version: 3.11.2\r\n"
    "Authorization: Bearer sk-mock-0123456789abcdef\r\n"
    "X-Stainless-Async: false\r\n"
    "x-stainless-retry-count: 0\r\n"
    "x-stainless-read-timeout: 600.0\r\n"
    "Content-Length: " + std::to_string(OPENAI_BODY.size()) + "\r\n"
    "\r\n" + OPENAI_BODY;

const std::string CHUNKED_3 = chunked_post("5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n");

}  // namespace

TEST_CASE("curl GET /health", "[http_parser]") {
    const outcome o = expect_complete(CURL_HEALTH);
    CHECK(o.method == http_method::get);
    CHECK(o.method_name == "GET");
    CHECK(o.target == "/health");
    CHECK(o.version_minor == 1);
    CHECK(o.keep_alive);
    CHECK_FALSE(o.chunked);
    CHECK_FALSE(o.has_content_length);
    CHECK_FALSE(o.expect_continue);
    CHECK(o.headers.size() == 3);
    CHECK(find_header(o, "Host") == "localhost:8080");
    CHECK(find_header(o, "User-Agent") == "curl/7.88.1");
    CHECK(find_header(o, "Accept") == "*/*");
    CHECK(o.body.empty());
    CHECK(o.headers_done == 1);
}

TEST_CASE("curl POST with a JSON body", "[http_parser]") {
    const outcome o = expect_complete(CURL_POST);
    CHECK(o.method == http_method::post);
    CHECK(o.target == "/v1/chat/completions");
    CHECK(o.has_content_length);
    CHECK(o.content_length == CURL_JSON_BODY.size());
    CHECK(o.body == CURL_JSON_BODY);
    CHECK(find_header(o, "Content-Type") == "application/json");
    CHECK(find_header(o, "Authorization") == "Bearer sk-test");
    CHECK_FALSE(o.expect_continue);
    CHECK(o.keep_alive);
}

TEST_CASE("curl POST with Expect: 100-continue", "[http_parser]") {
    const outcome o = expect_complete(CURL_EXPECT);
    CHECK(o.expect_continue);
    CHECK(o.body == CURL_JSON_BODY);

    // The caller sees the expectation at headers_done, before any body byte exists.
    http_parser parser(http_limits{});
    std::string buf = CURL_EXPECT.substr(0, CURL_EXPECT.size() - CURL_JSON_BODY.size());
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    CHECK(parser.request().expect_continue);
    CHECK(parser.in_body());
    CHECK(parser.parse(buf.data(), buf.size()) == parse_result::incomplete);
    buf += CURL_JSON_BODY;
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::complete);
    CHECK(parser.consumed() == buf.size());
    CHECK_FALSE(parser.in_body());
}

TEST_CASE("ab: HTTP/1.0 with and without keep-alive", "[http_parser]") {
    const outcome plain = expect_complete(AB_10);
    CHECK(plain.version_minor == 0);
    CHECK_FALSE(plain.keep_alive);
    CHECK(plain.target == "/v1/models");

    const outcome ka = expect_complete(AB_10_KEEPALIVE);
    CHECK(ka.version_minor == 0);
    CHECK(ka.keep_alive);
    CHECK(find_header(ka, "Connection") == "Keep-Alive");

    // HTTP/1.0 needs no Host.
    const outcome bare = expect_complete("GET / HTTP/1.0\r\n\r\n");
    CHECK(bare.headers.empty());
    CHECK_FALSE(bare.keep_alive);
}

TEST_CASE("wrk GET", "[http_parser]") {
    const outcome o = expect_complete(WRK);
    CHECK(o.method == http_method::get);
    CHECK(o.headers.size() == 1);
    CHECK(o.keep_alive);
    CHECK(o.consumed == WRK.size());
}

TEST_CASE("OpenAI Python SDK request", "[http_parser]") {
    const outcome o = expect_complete(OPENAI_SDK);
    CHECK(o.method == http_method::post);
    CHECK(o.headers.size() == 17);
    CHECK(find_header(o, "X-Stainless-Runtime-Version") == "3.11.2");
    CHECK(find_header(o, "x-stainless-retry-count") == "0");
    CHECK(find_header(o, "Accept-Encoding") == "gzip, deflate");
    CHECK(o.keep_alive);
    CHECK(o.body == OPENAI_BODY);

    // header(): case-insensitive, first match, empty when absent.
    http_parser parser(http_limits{});
    std::string buf = OPENAI_SDK;
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    CHECK(parser.header(buf.data(), "x-stainless-os") == "Linux");
    CHECK(parser.header(buf.data(), "X-STAINLESS-ASYNC") == "false");
    CHECK(parser.header(buf.data(), "content-length") == std::to_string(OPENAI_BODY.size()));
    CHECK(parser.header(buf.data(), "x-stainless").empty());
    CHECK(parser.header(buf.data(), "Cookie").empty());
}

TEST_CASE("real clients pipelined with their neighbours", "[http_parser]") {
    const std::vector<std::string> corpus{CURL_HEALTH, CURL_POST, CURL_EXPECT, AB_10_KEEPALIVE,
                                          WRK, OPENAI_SDK, CHUNKED_3, CURL_HEALTH};
    std::vector<outcome> alone;
    for (const std::string& r : corpus) {
        const auto v = feed(r, {}, http_limits{});
        REQUIRE(v.size() == 1);
        REQUIRE(v[0].result == parse_result::complete);
        alone.push_back(v[0]);
    }
    for (size_t i = 1; i + 1 < corpus.size(); ++i) {
        INFO("neighbours of request " << i);
        const auto piped = run_splits(corpus[i - 1] + corpus[i] + corpus[i + 1], http_limits{});
        REQUIRE(piped == std::vector<outcome>{alone[i - 1], alone[i], alone[i + 1]});
    }
}

TEST_CASE("three pipelined requests including a chunked one", "[http_parser]") {
    const std::string a = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    const std::string b = chunked_post("3\r\nxyz\r\n2\r\n!!\r\n0\r\nX-T: 1\r\n\r\n");
    const std::string c = "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const auto out = run_splits(a + b + c, http_limits{});
    REQUIRE(out.size() == 3);
    CHECK(out[0].body == "abc");
    CHECK(out[0].consumed == a.size());
    CHECK(out[1].body == "xyz!!");
    CHECK(out[1].chunked);
    CHECK(out[1].consumed == b.size());
    CHECK(out[2].target == "/c");
    CHECK_FALSE(out[2].keep_alive);
    CHECK(out[2].consumed == c.size());
}

TEST_CASE("the chunked decoder leaves the next request's bytes alone", "[http_parser]") {
    const std::string b = chunked_post("4\r\nwxyz\r\n0\r\n\r\n");
    std::string buf = b + WRK;
    http_parser parser(http_limits{});
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::complete);
    CHECK(parser.consumed() == b.size());
    CHECK(std::string_view(buf.data() + parser.request().body_off, parser.request().body_len) == "wxyz");
    CHECK(buf.substr(parser.consumed()) == WRK);
    // The caller moves the rest down and resets.
    buf.erase(0, parser.consumed());
    parser.reset();
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    CHECK(parser.target(buf.data()) == "/health");
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::complete);
    CHECK(parser.consumed() == WRK.size());
}

TEST_CASE("methods", "[http_parser]") {
    const std::vector<std::pair<std::string, http_method>> methods{
        {"GET", http_method::get},         {"HEAD", http_method::head},       {"POST", http_method::post},
        {"PUT", http_method::put},         {"DELETE", http_method::delete_},  {"OPTIONS", http_method::options},
        {"PATCH", http_method::patch},     {"PROPFIND", http_method::other},  {"get", http_method::other},
        {"Get", http_method::other},       {"GETS", http_method::other},      {"X-M!#$%&'*+.^_`|~", http_method::other},
    };
    for (const auto& [name, m] : methods) {
        INFO(name);
        const outcome o = expect_complete(name + " /x HTTP/1.1\r\nHost: a\r\n\r\n");
        CHECK(o.method == m);
        CHECK(o.method_name == name);
    }
}

TEST_CASE("request targets", "[http_parser]") {
    CHECK(expect_complete("GET * HTTP/1.1\r\nHost: a\r\n\r\n").target == "*");
    CHECK(expect_complete("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").method == http_method::options);
    CHECK(expect_complete("GET http://a.example/x?y=1#f HTTP/1.1\r\nHost: a\r\n\r\n").target ==
          "http://a.example/x?y=1#f");
    CHECK(expect_complete("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n").target ==
          "a.example:443");
    CHECK(expect_complete("GET /~!$&'()*+,;=:@%20[]{}|\\^`\"<> HTTP/1.1\r\nHost: a\r\n\r\n").target ==
          "/~!$&'()*+,;=:@%20[]{}|\\^`\"<>");
}

TEST_CASE("leading empty lines are skipped and counted in consumed", "[http_parser]") {
    const std::string raw = "\r\n\n\r\n" + WRK;
    const outcome o = expect_complete(raw);
    CHECK(o.target == "/health");
    CHECK(o.method_name == "GET");
    CHECK(o.consumed == raw.size());
    // Nothing but empty lines: still waiting.
    CHECK(parse_all_ways("\r\n\r\n\n").result == parse_result::incomplete);
}

TEST_CASE("bare LF line endings", "[http_parser]") {
    const outcome o = expect_complete("POST /lf HTTP/1.1\nHost: a\nContent-Length: 2\nX-A: v \n\nok");
    CHECK(o.target == "/lf");
    CHECK(o.body == "ok");
    CHECK(find_header(o, "X-A") == "v");
    const outcome mixed = expect_complete("GET / HTTP/1.1\nHost: a\r\nX: y\n\r\n");
    CHECK(mixed.headers.size() == 2);
}

TEST_CASE("field values: OWS trimmed, obs-text allowed", "[http_parser]") {
    const outcome o = expect_complete(
        "GET / HTTP/1.1\r\n"
        "Host: a\r\n"
        "X-Spaces: \t  inner  value \t \r\n"
        "X-Empty:\r\n"
        "X-Blank:   \t\r\n"
        "X-Obs: caf\xc3\xa9 \x80\xff\r\n"
        "X-Tight:v\r\n"
        "X-Punct: a:b,\"c\"\t(d)\r\n"
        "\r\n");
    CHECK(find_header(o, "X-Spaces") == "inner  value");
    CHECK(find_header(o, "X-Empty") == "");
    CHECK(find_header(o, "X-Blank") == "");
    CHECK(find_header(o, "X-Obs") == "caf\xc3\xa9 \x80\xff");
    CHECK(find_header(o, "X-Tight") == "v");
    CHECK(find_header(o, "X-Punct") == "a:b,\"c\"\t(d)");
    CHECK(o.headers.size() == 7);
}

TEST_CASE("Connection and keep-alive", "[http_parser]") {
    const std::string h11 = "GET / HTTP/1.1\r\nHost: a\r\n";
    const std::string h10 = "GET / HTTP/1.0\r\n";
    CHECK(expect_complete(h11 + "\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h11 + "Connection: close\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h11 + "Connection: CLOSE\r\n\r\n").keep_alive);
    CHECK(expect_complete(h11 + "Connection: keep-alive\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h11 + "Connection: keep-alive, close\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h11 + "Connection: close\r\nConnection: keep-alive\r\n\r\n").keep_alive);
    CHECK(expect_complete(h11 + "Connection: Upgrade , TE\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h10 + "\r\n").keep_alive);
    CHECK(expect_complete(h10 + "Connection: Upgrade,  KEEP-ALIVE \r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h10 + "Connection: close\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h10 + "Connection: close, keep-alive\r\n\r\n").keep_alive);
    CHECK_FALSE(expect_complete(h10 + "Connection: keep-alive-ish\r\n\r\n").keep_alive);
}

TEST_CASE("Expect", "[http_parser]") {
    const std::string h11 = "GET / HTTP/1.1\r\nHost: a\r\n";
    CHECK(expect_complete(h11 + "Expect: 100-continue\r\n\r\n").expect_continue);
    CHECK(expect_complete(h11 + "expect:  100-Continue \r\n\r\n").expect_continue);
    CHECK_FALSE(expect_complete(h11 + "Expect: 100-continue-ish\r\n\r\n").expect_continue);
    CHECK_FALSE(expect_complete(h11 + "Expect: something-else\r\n\r\n").expect_continue);
    // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
    CHECK_FALSE(expect_complete("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

TEST_CASE("Host", "[http_parser]") {
    CHECK(find_header(expect_complete("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "Host") == "");
    CHECK(expect_complete("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n").headers.size() == 1);
    expect_error("GET / HTTP/1.1\r\n\r\n", 400, "missing Host header");
    expect_error("GET / HTTP/1.1\r\nX-Host: a\r\nHosts: b\r\n\r\n", 400, "missing Host header");
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "multiple Host headers");
    expect_error("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, "multiple Host headers");
}

TEST_CASE("Content-Length bodies", "[http_parser]") {
    const std::string h = "POST /b HTTP/1.1\r\nHost: a\r\n";
    const outcome zero = expect_complete(h + "Content-Length: 0\r\n\r\n");
    CHECK(zero.has_content_length);
    CHECK(zero.content_length == 0);
    CHECK(zero.body.empty());

    const outcome none = expect_complete(h + "\r\n");
    CHECK_FALSE(none.has_content_length);
    CHECK(none.body.empty());

    const outcome five = expect_complete(h + "Content-Length:  5 \r\n\r\nhello");
    CHECK(five.body == "hello");
    CHECK(five.content_length == 5);

    const outcome same = expect_complete(h + "Content-Length: 3\r\ncontent-length: 3\r\n\r\nabc");
    CHECK(same.body == "abc");
    CHECK(expect_complete(h + "Content-Length: 003\r\n\r\nabc").content_length == 3);
    CHECK(expect_complete(h + "Content-Length: 3\r\nContent-Length: 03\r\n\r\nabc").body == "abc");

    // Missing body bytes: still waiting, and in the body.
    const outcome partial = parse_all_ways(h + "Content-Length: 10\r\n\r\nabc");
    CHECK(partial.result == parse_result::incomplete);
    CHECK(partial.headers_done == 1);
}

TEST_CASE("Content-Length rejections", "[http_parser]") {
    const std::string h = "POST /b HTTP/1.1\r\nHost: a\r\n";
    expect_error(h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, "conflicting Content-Length");
    for (const char* bad : {"", "+5", "-5", "5 5", "5,5", "5, 5", "0x5", "5a", "1e3", "\xef\xbc\x95"}) {
        INFO(bad);
        expect_error(h + "Content-Length: " + bad + "\r\n\r\n", 400, "invalid Content-Length");
    }
    // 2^63 - 1 is a valid length (refused as too large a body); 2^63 overflows.
    expect_error(h + "Content-Length: 9223372036854775807\r\n\r\n", 413, "request body too large");
    expect_error(h + "Content-Length: 9223372036854775808\r\n\r\n", 400, "Content-Length overflow");
    expect_error(h + "Content-Length: 99999999999999999999999\r\n\r\n", 400, "Content-Length overflow");
    expect_error(h + "Content-Length: 18446744073709551616\r\n\r\n", 400, "Content-Length overflow");
}

TEST_CASE("Transfer-Encoding", "[http_parser]") {
    const std::string h = "POST /t HTTP/1.1\r\nHost: a\r\n";
    const std::string body = "3\r\nabc\r\n0\r\n\r\n";
    CHECK(expect_complete(h + "Transfer-Encoding: chunked\r\n\r\n" + body).chunked);
    CHECK(expect_complete(h + "Transfer-Encoding: CHUNKED\r\n\r\n" + body).body == "abc");
    CHECK(expect_complete(h + "Transfer-Encoding:  \t chunked \t\r\n\r\n" + body).chunked);
    CHECK(expect_complete(h + "Transfer-Encoding: , chunked,\r\n\r\n" + body).chunked);

    expect_error(h + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported transfer coding");
    expect_error(h + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                 "unsupported transfer coding");
    expect_error(h + "Transfer-Encoding: identity\r\n\r\n", 501, "unsupported transfer coding");
    expect_error(h + "Transfer-Encoding: chunked;q=1\r\n\r\n", 501, "unsupported transfer coding");
    expect_error(h + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "chunked is not the final transfer coding");
    expect_error(h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
                 "chunked is not the final transfer coding");
    expect_error(h + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, "chunked applied more than once");
    expect_error(h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: Chunked\r\n\r\n", 400,
                 "chunked applied more than once");
    expect_error(h + "Transfer-Encoding:\r\n\r\n", 400, "empty Transfer-Encoding");
    expect_error(h + "Transfer-Encoding: , ,\r\n\r\n", 400, "empty Transfer-Encoding");
    expect_error(h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400,
                 "Content-Length and Transfer-Encoding both present");
    expect_error(h + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + body, 400,
                 "Content-Length and Transfer-Encoding both present");
    expect_error("POST /t HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400,
                 "Transfer-Encoding in HTTP/1.0 request");
}

TEST_CASE("chunked bodies", "[http_parser]") {
    const outcome multi = expect_complete(CHUNKED_3);
    CHECK(multi.body == "hello 0123456789");
    CHECK(multi.chunked);
    CHECK_FALSE(multi.has_content_length);

    CHECK(expect_complete(chunked_post("0\r\n\r\n")).body.empty());
    CHECK(expect_complete(chunked_post("000\r\n\r\n")).body.empty());
    CHECK(expect_complete(chunked_post("a\r\n0123456789\r\nB\r\nABCDEFGHIJK\r\n0\r\n\r\n")).body ==
          "0123456789ABCDEFGHIJK");
    CHECK(expect_complete(chunked_post("0003\r\nabc\r\n0\r\n\r\n")).body == "abc");
    CHECK(expect_complete(chunked_post("000000000000000000000002\r\nab\r\n0\r\n\r\n")).body == "ab");

    // Extensions are ignored.
    CHECK(expect_complete(chunked_post("3;a\r\nabc\r\n2;b=c;d=\"e f;g\" \r\nde\r\n0;last\r\n\r\n")).body ==
          "abcde");
    CHECK(expect_complete(chunked_post("3 ;a\r\nabc\r\n2\t; b = c\r\nde\r\n0 \t;x\r\n\r\n")).body == "abcde");

    // Trailers are checked and ignored.
    const outcome t = expect_complete(chunked_post("3\r\nabc\r\n0\r\nX-Checksum: 123\r\nX-More:  a b \r\n\r\n"));
    CHECK(t.body == "abc");
    CHECK(t.headers.size() == 2);  // Host, Transfer-Encoding: trailers are not stored

    // LF-only framing.
    CHECK(expect_complete(chunked_post("3\nabc\n2;x\nde\n0\nX-T: 1\n\n")).body == "abcde");

    // CR and LF in data are data.
    CHECK(expect_complete(chunked_post("4\r\n\r\n\r\n\r\n0\r\n\r\n")).body == "\r\n\r\n");

    // Missing bytes: still waiting.
    CHECK(parse_all_ways(chunked_post("3\r\nabc\r\n")).result == parse_result::incomplete);
    CHECK(parse_all_ways(chunked_post("3\r\nabc\r\n0\r\nX: y\r\n")).result == parse_result::incomplete);
}

TEST_CASE("chunked rejections", "[http_parser]") {
    expect_error(chunked_post("\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("x\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post(";a\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("-1\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("0x3\r\nabc\r\n0\r\n\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("3 \r\nabc\r\n0\r\n\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("3 x\r\nabc\r\n0\r\n\r\n"), 400, "invalid chunk size");
    expect_error(chunked_post("3;a\x01\r\nabc\r\n0\r\n\r\n"), 400, "invalid character in chunk extension");
    expect_error(chunked_post("3;a\rb\r\nabc\r\n0\r\n\r\n"), 400, "bare CR in request");
    expect_error(chunked_post("3\rabc\r\n0\r\n\r\n"), 400, "bare CR in request");
    expect_error(chunked_post("3\r\nabcd\r\n0\r\n\r\n"), 400, "missing CRLF after chunk data");
    expect_error(chunked_post("3\r\nabc\rX0\r\n\r\n"), 400, "bare CR in request");
    // 16 hex digits fit 64 bits (and are refused as too large a body); 17 overflow.
    expect_error(chunked_post("ffffffffffffffff\r\n"), 413, "request body too large");
    expect_error(chunked_post("10000000000000000\r\n"), 400, "chunk size overflow");
    // Trailer fields follow the header field rules.
    expect_error(chunked_post("0\r\nX : y\r\n\r\n"), 400, "whitespace between header name and colon");
    expect_error(chunked_post("0\r\nX: a\x01\r\n\r\n"), 400, "invalid character in header value");
    expect_error(chunked_post("0\r\nX: a\r\n b\r\n\r\n"), 400, "obsolete line folding");
    expect_error(chunked_post("0\r\n : b\r\n\r\n"), 400, "obsolete line folding");
    expect_error(chunked_post("0\r\n: b\r\n\r\n"), 400, "empty header name");
    expect_error(chunked_post("0\r\nX: a\rb\r\n\r\n"), 400, "bare CR in request");
    expect_error(chunked_post("0\r\n\rX"), 400, "bare CR in request");
}

TEST_CASE("request line rejections", "[http_parser]") {
    const std::string host = "Host: a\r\n\r\n";
    expect_error("GET  / HTTP/1.1\r\n" + host, 400, "empty request target");
    expect_error("GET / HTTP/1.1 \r\n" + host, 400, "invalid HTTP version");
    expect_error("GET /  HTTP/1.1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET /\r\n" + host, 400, "missing HTTP version");
    expect_error("GET /\n" + host, 400, "missing HTTP version");
    expect_error("GET\r\n" + host, 400, "invalid character in method");
    expect_error(" GET / HTTP/1.1\r\n" + host, 400, "invalid character in method");
    expect_error("G(ET / HTTP/1.1\r\n" + host, 400, "invalid character in method");
    expect_error("GET\t/ HTTP/1.1\r\n" + host, 400, "invalid character in method");
    expect_error("GET /a\x01 HTTP/1.1\r\n" + host, 400, "invalid character in request target");
    expect_error("GET /a\x7f HTTP/1.1\r\n" + host, 400, "invalid character in request target");
    expect_error("GET /caf\xc3\xa9 HTTP/1.1\r\n" + host, 400, "invalid character in request target");
    expect_error("GET /a\tb HTTP/1.1\r\n" + host, 400, "invalid character in request target");
    expect_error("GET \x01 HTTP/1.1\r\n" + host, 400, "invalid character in request target");
    expect_error("GET / http/1.1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/1.\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/1.10\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/11.1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/1,1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTPS/1.1\r\n" + host, 400, "invalid HTTP version");
    expect_error("GET / HTTP/1.1\rX" + host, 400, "bare CR in request");
    expect_error("\rGET / HTTP/1.1\r\n" + host, 400, "bare CR in request");
    expect_error("\r\n\r \r\n", 400, "bare CR in request");
    expect_error("\x16\x03\x01\x02\x00\x01\x00", 400, "invalid character in method");  // TLS hello
}

TEST_CASE("HTTP versions other than 1.0 and 1.1 are 505", "[http_parser]") {
    for (const char* v : {"HTTP/2.0", "HTTP/1.2", "HTTP/1.9", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"}) {
        INFO(v);
        expect_error(std::string("GET / ") + v + "\r\nHost: a\r\n\r\n", 505, "unsupported HTTP version");
    }
    expect_error("GET / HTTP/2.0\n\n", 505, "unsupported HTTP version");
}

TEST_CASE("header field rejections", "[http_parser]") {
    const std::string rl = "GET / HTTP/1.1\r\nHost: a\r\n";
    expect_error(rl + "X-A : v\r\n\r\n", 400, "whitespace between header name and colon");
    expect_error(rl + "X-A\t: v\r\n\r\n", 400, "whitespace between header name and colon");
    expect_error(rl + ": v\r\n\r\n", 400, "empty header name");
    expect_error(rl + "X(A: v\r\n\r\n", 400, "invalid character in header name");
    expect_error(rl + "X\x80: v\r\n\r\n", 400, "invalid character in header name");
    expect_error(rl + "X-A v\r\n\r\n", 400, "whitespace between header name and colon");
    expect_error(rl + "X-A\r\n\r\n", 400, "missing colon in header field");
    expect_error(rl + "X-A\n\r\n", 400, "missing colon in header field");
    expect_error(rl + "X-A: a" + std::string(1, '\0') + "b\r\n\r\n", 400, "invalid character in header value");
    expect_error(rl + "X-A: a\x7f\r\n\r\n", 400, "invalid character in header value");
    expect_error(rl + "X-A: \x1b[31m\r\n\r\n", 400, "invalid character in header value");
    expect_error(rl + "X-A: a\x0b\r\n\r\n", 400, "invalid character in header value");
    expect_error(rl + "X-A: a\rb\r\n\r\n", 400, "bare CR in request");
    expect_error(rl + "X-A: a\r\r\n\r\n", 400, "bare CR in request");
    expect_error(rl + "X-A\rb: c\r\n\r\n", 400, "missing colon in header field");
    expect_error(rl + "X-A: a\r\n b\r\n\r\n", 400, "obsolete line folding");
    expect_error(rl + "X-A: a\r\n\tb\r\n\r\n", 400, "obsolete line folding");
    expect_error("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, "whitespace before first header field");
    expect_error(rl + "\r\r\n", 400, "bare CR in request");
    expect_error(rl + "\rX", 400, "bare CR in request");
}

TEST_CASE("limit: max_header_bytes at the limit and one past", "[http_parser][limits]") {
    http_limits lim;
    lim.max_header_bytes = 64;
    const outcome at = expect_complete(get_of_size(64), lim);
    CHECK(at.consumed == 64);
    expect_error(get_of_size(65), 431, "request header section too large", lim);
    expect_error(get_of_size(65) + "more bytes", 431, "request header section too large", lim);

    // The body does not count.
    const std::string post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nX: ";
    const std::string post_at = post + std::string(64 - post.size() - 4, 'p') + "\r\n\r\n0123456789";
    CHECK(expect_complete(post_at, lim).body == "0123456789");

    // Leading empty lines count toward the limit.
    const std::string small = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";  // 27 bytes
    CHECK(expect_complete(std::string(64 - small.size(), '\n') + small, lim).consumed == 64);
    expect_error(std::string(65 - small.size(), '\n') + small, 431, "request header section too large", lim);
    std::string crlfs;
    for (int i = 0; i < 300; ++i) {
        crlfs += "\r\n";
    }
    expect_error(crlfs, 431, "request header section too large", lim);

    // The default limit, at and one past.
    CHECK(expect_complete(get_of_size(8192)).consumed == 8192);
    const outcome big = parse_all_ways(get_of_size(8193));
    CHECK(big.status == 431);
}

TEST_CASE("limit: a request target over the limit is 414", "[http_parser][limits]") {
    http_limits lim;
    lim.max_header_bytes = 64;
    const std::string rest = " HTTP/1.1\r\nHost: a\r\n\r\n";
    // A request that is all target fits at exactly the limit.
    CHECK(expect_complete("GET /" + std::string(64 - 5 - rest.size(), 't') + rest, lim).target.size() ==
          64 - 4 - rest.size());
    // Request line up to the target's SP ends exactly at the limit: the target ended but the
    // section did not -> 431. One byte more of target and the limit falls inside it -> 414.
    expect_error("GET /" + std::string(63 - 5, 't') + rest, 431, "request header section too large", lim);
    expect_error("GET /" + std::string(64 - 5, 't') + rest, 414, "request target too long", lim);
    expect_error("GET /" + std::string(200, 't') + rest, 414, "request target too long", lim);
}

TEST_CASE("limit: max_headers at the limit and one past", "[http_parser][limits]") {
    http_limits lim;
    lim.max_headers = 3;
    const std::string rl = "GET / HTTP/1.1\r\nHost: a\r\nX-1: 1\r\n";
    CHECK(expect_complete(rl + "X-2: 2\r\n\r\n", lim).headers.size() == 3);
    expect_error(rl + "X-2: 2\r\nX-3: 3\r\n\r\n", 431, "too many header fields", lim);

    // The default (MAX_HEADERS).
    std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 1; i < 64; ++i) {
        many += "X-" + std::to_string(i) + ": v\r\n";
    }
    CHECK(expect_complete(many + "\r\n").headers.size() == 64);
    expect_error(many + "X-64: v\r\n\r\n", 431, "too many header fields");

    // Trailer fields are not stored and so do not count.
    lim.max_headers = 2;
    CHECK(expect_complete(chunked_post("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), lim).headers.size() == 2);
}

TEST_CASE("limit: max_body_bytes with Content-Length", "[http_parser][limits]") {
    http_limits lim;
    lim.max_body_bytes = 16;
    const std::string h = "POST / HTTP/1.1\r\nHost: a\r\n";
    CHECK(expect_complete(h + "Content-Length: 16\r\n\r\n" + std::string(16, 'b'), lim).body.size() == 16);
    // Refused at headers_done time, before any body byte: headers_done is never returned.
    const outcome over = expect_error(h + "Content-Length: 17\r\n\r\n", 413, "request body too large", lim);
    CHECK(over.headers_done == 0);
    expect_error(h + "Content-Length: 17\r\n\r\n" + std::string(17, 'b'), 413, "request body too large", lim);
}

TEST_CASE("limit: max_body_bytes with chunked", "[http_parser][limits]") {
    http_limits lim;
    lim.max_body_bytes = 16;
    CHECK(expect_complete(chunked_post("10\r\n" + std::string(16, 'b') + "\r\n0\r\n\r\n"), lim).body.size() == 16);
    expect_error(chunked_post("11\r\n" + std::string(17, 'b') + "\r\n0\r\n\r\n"), 413, "request body too large",
                 lim);
    const std::string eight = "8\r\n" + std::string(8, 'b') + "\r\n";
    CHECK(expect_complete(chunked_post(eight + eight + "0\r\n\r\n"), lim).body == std::string(16, 'b'));
    expect_error(chunked_post(eight + eight + "1\r\nb\r\n0\r\n\r\n"), 413, "request body too large", lim);
    expect_error(chunked_post(eight + "9\r\n"), 413, "request body too large", lim);
}

TEST_CASE("limit: chunk-size line length", "[http_parser][limits]") {
    // A chunk-size line (size and extensions, without its line ending) may be 1024 bytes.
    const std::string ext_at = "3;" + std::string(1024 - 2, 'e');
    const std::string ext_over = "3;" + std::string(1024 - 1, 'e');
    CHECK(expect_complete(chunked_post(ext_at + "\r\nabc\r\n0\r\n\r\n")).body == "abc");
    CHECK(expect_complete(chunked_post(ext_at + "\nabc\r\n0\r\n\r\n")).body == "abc");
    expect_error(chunked_post(ext_over + "\r\nabc\r\n0\r\n\r\n"), 400, "chunk size line too long");
    // Every part of the line counts: digits, whitespace, the last chunk.
    CHECK(expect_complete(chunked_post(std::string(1023, '0') + "3\r\nabc\r\n0\r\n\r\n")).body == "abc");
    expect_error(chunked_post(std::string(1024, '0') + "3\r\nabc\r\n0\r\n\r\n"), 400, "chunk size line too long");
    CHECK(expect_complete(chunked_post("3" + std::string(1021, ' ') + ";e\r\nabc\r\n0\r\n\r\n")).body == "abc");
    expect_error(chunked_post("3" + std::string(1022, ' ') + ";e\r\nabc\r\n0\r\n\r\n"), 400,
                 "chunk size line too long");
    CHECK(expect_complete(chunked_post("3\r\nabc\r\n0;" + std::string(1022, 'e') + "\r\n\r\n")).body == "abc");
    expect_error(chunked_post("3\r\nabc\r\n0;" + std::string(1023, 'e') + "\r\n\r\n"), 400,
                 "chunk size line too long");
}

TEST_CASE("limit: trailer section bytes", "[http_parser][limits]") {
    http_limits lim;
    lim.max_header_bytes = 80;
    // The trailer section (fields and the empty line after the last chunk) may be 80 bytes.
    const std::string field = "X-T: ";
    const std::string at = field + std::string(80 - field.size() - 4, 't') + "\r\n\r\n";
    const std::string over = field + std::string(80 - field.size() - 3, 't') + "\r\n\r\n";
    REQUIRE(at.size() == 80);
    CHECK(expect_complete(chunked_post("3\r\nabc\r\n0\r\n" + at), lim).body == "abc");
    expect_error(chunked_post("3\r\nabc\r\n0\r\n" + over), 431, "trailer section too large", lim);
    std::string crs(200, 'T');
    expect_error(chunked_post("0\r\n" + crs), 431, "trailer section too large", lim);
}

TEST_CASE("after an error parse() keeps returning it; reset() starts afresh", "[http_parser]") {
    http_parser parser(http_limits{});
    std::string bad = "GET / HTTP/1.1\r\nX-A : v\r\n\r\n";
    REQUIRE(parser.parse(bad.data(), bad.size()) == parse_result::error);
    CHECK(parser.error_status() == 400);
    CHECK(std::string(parser.error_message()) == "whitespace between header name and colon");
    std::string good = WRK;
    CHECK(parser.parse(good.data(), good.size()) == parse_result::error);
    CHECK(parser.error_status() == 400);
    CHECK_FALSE(parser.in_body());
    parser.reset();
    CHECK(parser.error_status() == 0);
    CHECK(std::string(parser.error_message()).empty());
    REQUIRE(parser.parse(good.data(), good.size()) == parse_result::headers_done);
    REQUIRE(parser.parse(good.data(), good.size()) == parse_result::complete);
    CHECK(parser.consumed() == good.size());
}

TEST_CASE("in_body() follows the request through its phases", "[http_parser]") {
    http_parser parser(http_limits{});
    std::string buf = chunked_post("3\r\nabc\r\n");
    CHECK_FALSE(parser.in_body());
    REQUIRE(parser.parse(buf.data(), 10) == parse_result::incomplete);
    CHECK_FALSE(parser.in_body());
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    CHECK(parser.in_body());
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::incomplete);
    CHECK(parser.in_body());
    buf += "0\r\nX: 1\r\n";
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::incomplete);
    CHECK(parser.in_body());  // in the trailers
    buf += "\r\n";
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::complete);
    CHECK_FALSE(parser.in_body());
    CHECK(parser.request().body_len == 3);
    CHECK(parser.consumed() == buf.size());
}

TEST_CASE("limits larger than the offsets allow are clamped", "[http_parser][limits]") {
    http_limits lim;
    lim.max_header_bytes = 1u << 20;
    lim.max_headers = 1000;
    // 65535 bytes of header section still parses (offsets fit 16 bits) ...
    const std::string at = get_of_size(65535);
    http_parser parser(lim);
    std::string buf = at;
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::headers_done);
    CHECK(parser.header(buf.data(), "X").size() == 65535 - 32);
    // ... and one byte more is 431, whatever the configured limit.
    parser.reset();
    buf = get_of_size(65536);
    REQUIRE(parser.parse(buf.data(), buf.size()) == parse_result::error);
    CHECK(parser.error_status() == 431);
    // max_headers is clamped to MAX_HEADERS.
    std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 1; i < 65; ++i) {
        many += "X: v\r\n";
    }
    many += "\r\n";
    parser.reset();
    REQUIRE(parser.parse(many.data(), many.size()) == parse_result::error);
    CHECK(parser.error_status() == 431);
}

TEST_CASE("seeded random mutations of real requests: every split agrees", "[http_parser]") {
    // Replace, insert and delete bytes (biased toward the delimiters the parser branches on),
    // under the default limits and under tight ones; one-shot, byte by byte and a random
    // three-piece split must agree, and ASan/UBSan watch every run.
    const std::vector<std::string> corpus{CURL_HEALTH, CURL_POST, CURL_EXPECT, AB_10_KEEPALIVE, WRK,
                                          OPENAI_SDK,  CHUNKED_3, chunked_post("3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n") + WRK};
    const std::string interesting = "\r\n \t:;,0aF-\x7f\x80";
    http_limits tight;
    tight.max_header_bytes = 120;
    tight.max_headers = 4;
    tight.max_body_bytes = 40;
    std::mt19937 rng(20240601);
    auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
    size_t mismatches = 0;
    size_t completes = 0;
    size_t errors = 0;
    std::string first_bad;
    for (int iter = 0; iter < 600; ++iter) {
        std::string s = corpus[pick(corpus.size())];
        const size_t edits = 1 + pick(3);
        for (size_t e = 0; e < edits; ++e) {
            const size_t at = pick(s.size());
            const char ch = pick(2) == 0 ? interesting[pick(interesting.size())] : static_cast<char>(pick(256));
            switch (pick(3)) {
            case 0:
                s[at] = ch;
                break;
            case 1:
                s.insert(at, 1, ch);
                break;
            default:
                s.erase(at, 1);
                break;
            }
        }
        const http_limits& lim = pick(4) == 0 ? tight : http_limits{};
        const auto whole = feed(s, {}, lim);
        std::vector<size_t> every;
        for (size_t k = 1; k < s.size(); ++k) {
            every.push_back(k);
        }
        size_t a = pick(s.size() + 1);
        size_t b = pick(s.size() + 1);
        if (a > b) {
            std::swap(a, b);
        }
        bool ok = feed(s, every, lim) == whole && feed(s, {a, b}, lim) == whole;
        for (const outcome& o : whole) {
            ok = ok && o.broken.empty();
            completes += o.result == parse_result::complete;
            errors += o.result == parse_result::error;
        }
        if (!ok && mismatches++ == 0) {
            first_bad = s;
        }
    }
    INFO("first disagreeing input: " << Catch::Detail::stringify(first_bad));
    REQUIRE(mismatches == 0);
    // The mutations reach both outcomes often (a sanity check on the generator).
    CHECK(completes > 100);
    CHECK(errors > 100);
}
