#include <catch2/catch.hpp>

#include <string>

#include "dialects/openai_error.hpp"

using namespace lms;

TEST_CASE("openai_error: the error envelope") {
    char mem[512];
    out_buf b(mem, sizeof mem);
    error_kind k = error_kind_for(503);
    render_error_body(b, "full \"now\"", k.type, "", k.code);
    CHECK(std::string(b.view()) ==
          R"({"error":{"message":"full \"now\"","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})");
    out_buf p(mem, sizeof mem);
    render_error_body(p, "m", "invalid_request_error", "messages", "");
    CHECK(std::string(p.view()) ==
          R"({"error":{"message":"m","type":"invalid_request_error","param":"messages","code":null}})");
}
