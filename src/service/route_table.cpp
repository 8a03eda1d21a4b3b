// route_table: a handful of rows, matched by exact path (nginx's exact-match locations).
#include "service/route_table.hpp"

#include "dialects/anthropic_messages.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_completions.hpp"
#include "dialects/openai_responses.hpp"

namespace lms {

namespace {

struct route_row {
    std::string_view path;
    bool api;         // also under /compatible-mode
    route r;
    handler_kind h;
    const dialect* d;
    bool get;         // GET and HEAD allowed (else POST only)
};

const route_row ROUTES[] = {
    // DashScope's compatible mode first: its chat speaks DashScope's dialect (the other
    // /compatible-mode paths share the OpenAI rows below).
    {"/compatible-mode/v1/chat/completions", false, route::chat, handler_kind::generate, &DASHSCOPE_CHAT, false},
    {"/v1/chat/completions", true, route::chat, handler_kind::generate, &OPENAI_CHAT, false},
    {"/v1/completions", true, route::completions, handler_kind::generate, &OPENAI_COMPLETIONS, false},
    {"/v1/messages/count_tokens", false, route::count_tokens, handler_kind::count_tokens, &ANTHROPIC_COUNT_TOKENS, false},
    {"/v1/messages", false, route::messages, handler_kind::generate, &ANTHROPIC_MESSAGES, false},
    {"/v1/responses", true, route::responses, handler_kind::generate, &OPENAI_RESPONSES, false},
    {"/v1/embeddings", true, route::embeddings, handler_kind::embeddings, nullptr, false},
    {"/v1/models", true, route::models, handler_kind::models, nullptr, true},
    // vLLM's tokenizer routes: its router adds no /v1 prefix (serve/tokenize/api_router.py).
    {"/tokenize", false, route::tokenize, handler_kind::tokenize, nullptr, false},
    {"/detokenize", false, route::detokenize, handler_kind::detokenize, nullptr, false},
    {"/health", false, route::health, handler_kind::health, nullptr, true},
    {"/metrics", false, route::metrics, handler_kind::metrics, nullptr, true},
    {"/dashboard", false, route::dashboard, handler_kind::dashboard, nullptr, true},
    {"/v1/mock/rate-limits", false, route::mock, handler_kind::rate_limits, nullptr, true},
    // Live control: every method reaches the handler, which says which it takes.
    {"/admin/config", false, route::admin, handler_kind::admin, nullptr, true},
    {"/admin/scenario", false, route::admin, handler_kind::admin, nullptr, true},
};

}  // namespace

route_match match_route(http_method m, std::string_view target, bool dashboard_on) noexcept {
    if (size_t q = target.find('?'); q != std::string_view::npos) {
        target = target.substr(0, q);
    }
    std::string_view api = target;
    if (api.substr(0, 16) == "/compatible-mode") {
        api.remove_prefix(16);
    }
    for (uint8_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; ++i) {
        const route_row& row = ROUTES[i];
        if ((row.api ? api : target) == row.path) {
            if (row.h == handler_kind::dashboard && !dashboard_on) {
                break;
            }
            bool ok = row.h == handler_kind::admin || (row.get ? (m == http_method::get || m == http_method::head)
                                                                : m == http_method::post);
            return {row.r, ok, row.get ? "GET, HEAD" : "POST", row.h, row.d, i};
        }
    }
    // GET /v1/models/{id} (openai-node's models.retrieve); the id may hold a '/' (a Hugging
    // Face name sent unencoded).
    constexpr std::string_view MODEL = "/v1/models/";
    if (api.size() > MODEL.size() && api.substr(0, MODEL.size()) == MODEL) {
        bool ok = m == http_method::get || m == http_method::head;
        return {route::models, ok, "GET, HEAD", handler_kind::model, nullptr, 0, api.substr(MODEL.size())};
    }
    return {route::not_found, true, ""};
}

const dialect* route_dialect(uint8_t row) noexcept {
    return row < sizeof ROUTES / sizeof ROUTES[0] ? ROUTES[row].d : nullptr;
}

}  // namespace lms
