#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/http_response.hpp"

using namespace lms;

TEST_CASE("http_response: out_buf never overflows and reports truncation") {
    char mem[8];
    out_buf o(mem, sizeof mem);
    o.append("1234567");
    CHECK_FALSE(o.truncated);
    o.append('8');
    CHECK(o.len == 8);
    CHECK_FALSE(o.truncated);
    o.append('9');
    CHECK(o.truncated);
    CHECK(o.len == 8);
    out_buf f(mem, 4);
    f.format("{}", 123456);
    CHECK(f.truncated);
    CHECK(f.len == 4);
}

TEST_CASE("http_response: http date is IMF-fixdate") {
    char d[29];
    format_http_date(784111777, d);  // RFC 9110's example
    CHECK(std::string(d, 29) == "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_CASE("http_response: head") {
    char mem[512];
    out_buf o(mem, sizeof mem);
    render_head(o, 503, "application/json", 42, true, "Sun, 06 Nov 1994 08:49:37 GMT", "Retry-After: 1\r\n");
    std::string h(o.view());
    CHECK(h.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
    CHECK(h.find("Content-Length: 42\r\n") != std::string::npos);
    CHECK(h.find("Retry-After: 1\r\n") != std::string::npos);
    CHECK(h.find("Connection: keep-alive\r\n\r\n") == h.size() - 26);
}

// render_head and append_decimal are hand-rolled for speed: they must write exactly what the
// fmt rendering they replaced wrote, whole and cut at every buffer size.
TEST_CASE("http_response: the hand-rolled head and decimals equal the fmt rendering") {
    struct head_case {
        int status;
        std::string_view type;
        size_t length;
        bool keep_alive;
        std::string_view extra;
    };
    const head_case cases[] = {
        {200, "application/json", 451, true, ""},
        {503, "application/json", 0, false, "Retry-After: 1\r\nx-should-retry: true\r\n"},
        {404, "text/plain; version=0.0.4; charset=utf-8", 18446744073709551615ull, true, ""},
        {100, "", 9, false, "A: b\r\n"},
        {999, "x", 10, true, ""},
        {-7, "x", 99, true, ""},
    };
    const std::string_view date = "Sun, 06 Nov 1994 08:49:37 GMT";
    for (const head_case& k : cases) {
        std::string want = fmt::format(
            "HTTP/1.1 {} {}\r\nServer: llm-mock-server\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}{}",
            k.status, status_reason(k.status), date, k.type, k.length, k.extra,
            k.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
        for (size_t cap = 0; cap <= want.size() + 1; ++cap) {
            char mem[512];
            out_buf o(mem, cap);
            o.append("");  // an empty prefix changes nothing
            render_head(o, k.status, k.type, k.length, k.keep_alive, date, k.extra);
            INFO("status " << k.status << " cap " << cap);
            CHECK(std::string(o.view()) == want.substr(0, cap));
            CHECK(o.truncated == (cap < want.size()));
        }
        // After a prefix: the head lands behind it.
        char mem[512];
        out_buf o(mem, sizeof mem);
        o.append("ab");
        render_head(o, k.status, k.type, k.length, k.keep_alive, date, k.extra);
        CHECK(std::string(o.view()) == "ab" + want);
    }
    const int64_t numbers[] = {0, 1, 9, 10, 99, 100, 101, 999, 1000, 1700000000, -1, -10, -1700000000,
                               INT64_MAX, INT64_MIN};
    for (int64_t n : numbers) {
        char mem[32];
        out_buf o(mem, sizeof mem);
        o.append_decimal(n);
        CHECK(std::string(o.view()) == fmt::format("{}", n));
        out_buf t(mem, 3);
        t.append_decimal(n);
        CHECK(std::string(t.view()) == fmt::format("{}", n).substr(0, 3));
        CHECK(t.truncated == (fmt::format("{}", n).size() > 3));
    }
    for (uint64_t n : {uint64_t(0), uint64_t(7), uint64_t(42), uint64_t(12345), UINT64_MAX}) {
        char d[20];
        CHECK(std::string(d, format_decimal(n, d)) == fmt::format("{}", n));
    }
}

// The digit count comes from the bit width and one compare: every power of ten and its
// neighbours, every power of two and its predecessor, where an off-by-one would show.
TEST_CASE("format_decimal and format_hex write what fmt writes at every digit boundary") {
    std::vector<uint64_t> values = {0, UINT64_MAX, UINT64_MAX - 1};
    for (uint64_t p = 1, k = 0; k < 20; ++k, p *= 10) {
        values.insert(values.end(), {p - 1, p, p + 1});
    }
    for (unsigned b = 0; b < 64; ++b) {
        values.insert(values.end(), {uint64_t(1) << b, (uint64_t(1) << b) - 1, (uint64_t(1) << b) + 1});
    }
    size_t bad_dec = 0, bad_hex = 0;
    for (uint64_t v : values) {
        char d[20], h[16];
        bad_dec += std::string(d, format_decimal(v, d)) != fmt::format("{}", v);
        bad_hex += std::string(h, format_hex(v, h)) != fmt::format("{:x}", v);
    }
    CHECK(values.size() == 3 + 60 + 192);
    CHECK(bad_dec == 0);
    CHECK(bad_hex == 0);
    char h[16];
    CHECK(std::string(h, format_hex(0x1f4, h)) == "1f4");
    CHECK(std::string(h, format_hex(0, h)) == "0");
}

