#pragma once
// routes: which handler a request goes to, and the bodies of /health and /metrics.
// Level 2 (reads the probe's files); no allocation: bodies are rendered into the caller's
// out_buf, which must hold HEALTH_BODY_MAX / METRICS_BODY_MAX bytes.
#include <string_view>

#include "engine/http_parser.hpp"
#include "engine/response.hpp"
#include "engine/server.hpp"

namespace lms {

inline constexpr size_t HEALTH_BODY_MAX = 2048;
inline constexpr size_t METRICS_BODY_MAX = 65536;

struct route_match {
    route r;               // route::not_found when the path is unknown
    bool method_ok;        // false: 405 with allow
    std::string_view allow;  // the Allow header's value for the path
};

// Matches method and target (the query string is ignored).
[[nodiscard]] route_match match_route(http_method m, std::string_view target) noexcept;

// The /health JSON; returns the HTTP status (200 healthy, 503 overloaded).
int render_health(out_buf& body, const server& s) noexcept;

// The Prometheus text exposition of every counter and gauge (with VLLM_METRICS, the vLLM
// names too).
void render_metrics(out_buf& body, const server& s) noexcept;
// The vllm:* families alone, labelled model_name (the first of MODELS).
void render_vllm_metrics(out_buf& body, const server& s) noexcept;
// The standard process_* families.
void render_process_metrics(out_buf& body, const server& s) noexcept;

}  // namespace lms
