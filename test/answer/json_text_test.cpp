#include <catch2/catch.hpp>

#include <string>

#include "answer/json_text.hpp"

using namespace lms;

TEST_CASE("json_text: json escaping") {
    char mem[128];
    out_buf o(mem, sizeof mem);
    json_escape(o, std::string_view("a\"b\\c\n\x01\xe4\xbd\xa0", 10));
    CHECK(std::string(o.view()) == "a\\\"b\\\\c\\n\\u0001\xe4\xbd\xa0");
}

namespace {

std::string utf8_json(std::string_view bytes, size_t cut = std::string_view::npos) {
    char mem[512];
    out_buf o(mem, sizeof mem);
    json_utf8_writer w(o);
    if (cut > bytes.size()) {
        w.feed(bytes);
    } else {
        w.feed(bytes.substr(0, cut));
        w.feed(bytes.substr(cut));
    }
    w.finish();
    REQUIRE_FALSE(o.truncated);
    return std::string(o.view());
}

}  // namespace

TEST_CASE("json_text: bytes as a JSON string, ill-formed UTF-8 as U+FFFD per maximal subpart") {
    const std::string R = "\xef\xbf\xbd";
    // Expected: Python's bytes.decode("utf-8", errors="replace") of the same bytes.
    const struct {
        std::string in, out;
    } cases[] = {
        {"\xe2\x82", R},                                  // cut short by the end
        {"\xe2\x28\xa1", R + "(" + R},                    // cut short by an ASCII byte
        {"\xf0\x80\x80", R + R + R},                      // overlong: F0 needs 90..BF next
        {"\xed\xa0\x80", R + R + R},                      // a surrogate
        {"\xc0\xaf", R + R},                              // C0 never starts a character
        {"\xf4\x90\x80\x80", R + R + R + R},              // past U+10FFFF
        {"\xf0\x9f\x98", R},
        {"a\xf0\x9f\x98\x80" "b", "a\xf0\x9f\x98\x80" "b"},  // well-formed passes through
        {"\x80\xbf", R + R},                              // continuation bytes alone
        {"\xe2\x82\xac\xe2", "\xe2\x82\xac" + R},
        {"\xf0\x9f\x98\xe2\x82\xac", R + "\xe2\x82\xac"},
        {"\xfe\xff", R + R},
        {"\xe0\x9f\x80", R + R + R},
        {"q\"\\\n\t\x01", "q\\\"\\\\\\n\\t\\u0001"},       // escaped as json_escape does
        {"", ""},
    };
    for (const auto& c : cases) {
        INFO(c.in);
        CHECK(utf8_json(c.in) == c.out);
        // The same bytes in two pieces, cut anywhere (inside a character too), give the same.
        for (size_t cut = 0; cut <= c.in.size(); ++cut) {
            CHECK(utf8_json(c.in, cut) == c.out);
        }
    }
}
