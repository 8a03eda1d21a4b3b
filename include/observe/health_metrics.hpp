#pragma once
// health_metrics: the bodies of /health and /metrics.
// Level 2 (reads the probe's files); no allocation: bodies are rendered into the caller's
// out_buf, which must hold HEALTH_BODY_MAX / METRICS_BODY_MAX bytes.
#include <string_view>

#include "engine/http_response.hpp"
#include "engine/server.hpp"

namespace lms {

inline constexpr size_t HEALTH_BODY_MAX = 2048;
inline constexpr size_t METRICS_BODY_MAX = 65536;

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
