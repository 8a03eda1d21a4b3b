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
