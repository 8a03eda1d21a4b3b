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

// What JSON escaping means, one byte at a time: the yardstick for json_escape's block scan.
std::string escaped_slowly(std::string_view s) {
    std::string r;
    for (unsigned char c : s) {
        if (c == '"') r += "\\\"";
        else if (c == '\\') r += "\\\\";
        else if (c == '\n') r += "\\n";
        else if (c == '\r') r += "\\r";
        else if (c == '\t') r += "\\t";
        else if (c < 0x20) {
            static const char HEX[] = "0123456789abcdef";
            r += "\\u00";
            r += HEX[c >> 4];
            r += HEX[c & 15];
        } else r += char(c);
    }
    return r;
}

}  // namespace

// The scan reads 16 bytes at a time from a copy in the output: a byte to escape at any place
// of any length up to three blocks, with room to spare and with exactly enough room (the
// plain loop), after other text, and cut short by a full buffer.
TEST_CASE("json_text: json_escape at every length and position, with and without room") {
    const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\t', '\r'};
    size_t cases = 0, bad = 0;
    for (size_t n = 0; n <= 48; ++n) {
        for (size_t at = 0; at <= n; ++at) {  // at == n: no special byte
            for (char sp : specials) {
                std::string in(n, 'x');
                for (size_t i = 0; i < n; ++i) {
                    in[i] = char(' ' + (i * 7) % 95);  // printable, but not '"' or '\\'
                    if (in[i] == '"' || in[i] == '\\') in[i] = 'y';
                }
                if (at < n) in[at] = sp;
                const std::string want = "pre:" + escaped_slowly(in);
                for (size_t room : {want.size() + 64, want.size(), size_t(4 + n + 15)}) {
                    std::string mem(room, '#');
                    out_buf o(mem.data(), room);
                    o.append("pre:");
                    json_escape(o, in);
                    ++cases;
                    const bool fits = want.size() <= room;
                    bad += fits ? (o.truncated || std::string(o.view()) != want)
                                : (!o.truncated || std::string(o.view()) != want.substr(0, room));
                }
                if (at == n) break;  // one no-special case per length
            }
        }
    }
    CHECK(cases > 3000);
    CHECK(bad == 0);
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
