#pragma once
// route_table: which handler, and for generation which dialect, a request goes to. One row
// per path; a dialect is added with one row here.
//
// Level 0. A constant table; match_route is pure. Any thread.
#include <string_view>

#include "engine/http_parser.hpp"
#include "observe/stats.hpp"

namespace lms {

struct dialect;

enum class handler_kind : uint8_t { none, generate, embeddings, models, model, health, metrics, count_tokens, rate_limits,
                                     admin, tokenize, detokenize, dashboard };

struct route_match {
    route r;                 // route::not_found when the path is unknown
    bool method_ok;          // false: 405 with allow
    std::string_view allow;  // the Allow header's value for the path
    handler_kind h = handler_kind::none;
    const dialect* d = nullptr;  // generate, count_tokens: the dialect that reads (and renders)
    uint8_t row = 0;             // the row's index (route_dialect(row) == d)
    std::string_view rest;       // handler_kind::model: the path after /v1/models/ (still %-encoded)
};

// Matches method and target (the query string is ignored). The API paths answer under /v1/...
// and, for DashScope clients, /compatible-mode/v1/...; vLLM's /tokenize and /detokenize at the
// root only (as vLLM serves them); /v1/models/{id} is the one prefix match. dashboard_on false
// (DASHBOARD=false): /dashboard is an unknown path like any other (404, whatever the method).
[[nodiscard]] route_match match_route(http_method m, std::string_view target, bool dashboard_on = true) noexcept;

// The dialect of a route row (route_match::row), so that an answer in progress keeps one byte,
// not a pointer; nullptr for a row without one.
[[nodiscard]] const dialect* route_dialect(uint8_t row) noexcept;

}  // namespace lms
