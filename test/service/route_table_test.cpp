#include <catch2/catch.hpp>

#include "service/route_table.hpp"

using namespace lms;

TEST_CASE("routes: paths, methods and Allow") {
    auto m = match_route(http_method::post, "/v1/chat/completions");
    CHECK(m.r == route::chat);
    CHECK(m.method_ok);
    m = match_route(http_method::post, "/compatible-mode/v1/chat/completions?x=1");
    CHECK(m.r == route::chat);
    m = match_route(http_method::get, "/v1/chat/completions");
    CHECK(m.r == route::chat);
    CHECK_FALSE(m.method_ok);
    CHECK(m.allow == "POST");
    CHECK(match_route(http_method::head, "/health").method_ok);
    CHECK_FALSE(match_route(http_method::post, "/metrics").method_ok);
    CHECK(match_route(http_method::get, "/v1/chat/completions/").r == route::not_found);
    CHECK(match_route(http_method::get, "/").r == route::not_found);
}

TEST_CASE("routes: /v1/models/{id} is the one prefix match") {
    auto m = match_route(http_method::get, "/v1/models/qwen-plus");
    CHECK(m.r == route::models);
    CHECK(m.h == handler_kind::model);
    CHECK(m.method_ok);
    CHECK(m.rest == "qwen-plus");
    m = match_route(http_method::get, "/compatible-mode/v1/models/meta-llama/Llama-3?x=1");
    CHECK(m.h == handler_kind::model);
    CHECK(m.rest == "meta-llama/Llama-3");
    m = match_route(http_method::delete_, "/v1/models/x");
    CHECK_FALSE(m.method_ok);
    CHECK(m.allow == "GET, HEAD");
    CHECK(match_route(http_method::get, "/v1/models/").h == handler_kind::none);  // no id: unknown
    CHECK(match_route(http_method::get, "/v1/models").h == handler_kind::models);
}

TEST_CASE("routes: vLLM's /tokenize and /detokenize, at the root only, POST only") {
    auto m = match_route(http_method::post, "/tokenize");
    CHECK(m.r == route::tokenize);
    CHECK(m.h == handler_kind::tokenize);
    CHECK(m.method_ok);
    m = match_route(http_method::post, "/detokenize?x=1");
    CHECK(m.r == route::detokenize);
    CHECK(m.h == handler_kind::detokenize);
    m = match_route(http_method::get, "/tokenize");
    CHECK_FALSE(m.method_ok);
    CHECK(m.allow == "POST");
    // vLLM's router adds no /v1 prefix, nor does the mock.
    CHECK(match_route(http_method::post, "/v1/tokenize").r == route::not_found);
    CHECK(match_route(http_method::post, "/compatible-mode/tokenize").r == route::not_found);
    CHECK(std::string_view(route_label(route::tokenize)) == "tokenize");
    CHECK(std::string_view(route_label(route::detokenize)) == "detokenize");
}

TEST_CASE("routes: /dashboard, GET and HEAD; unknown when DASHBOARD=false") {
    auto m = match_route(http_method::get, "/dashboard");
    CHECK(m.r == route::dashboard);
    CHECK(m.h == handler_kind::dashboard);
    CHECK(m.method_ok);
    CHECK(match_route(http_method::head, "/dashboard?x=1").method_ok);
    m = match_route(http_method::post, "/dashboard");
    CHECK_FALSE(m.method_ok);
    CHECK(m.allow == "GET, HEAD");
    CHECK(match_route(http_method::get, "/dashboard/").r == route::not_found);
    CHECK(match_route(http_method::get, "/compatible-mode/dashboard").r == route::not_found);
    // Off: every method is a 404 like any unknown path (no 405), and the rest is untouched.
    for (http_method method : {http_method::get, http_method::head, http_method::post}) {
        m = match_route(method, "/dashboard", false);
        CHECK(m.r == route::not_found);
        CHECK(m.h == handler_kind::none);
        CHECK(m.method_ok);
    }
    CHECK(match_route(http_method::get, "/health", false).h == handler_kind::health);
    CHECK(std::string_view(route_label(route::dashboard)) == "dashboard");
}
