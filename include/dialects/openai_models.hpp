#pragma once
// openai_models: GET /v1/models, the list of the model names the server says it serves.
//
// Level 0. No allocation: renders into a caller's out_buf. Any thread.
#include <cstdint>
#include <string_view>

#include "engine/http_response.hpp"

namespace lms {

// Every name in models_csv (comma-separated), each owned by "llm-mock-server", with the
// "max_model_len" vLLM adds to each model card (its ModelCard; the OpenAI SDKs ignore it).
void render_models(out_buf& o, std::string_view models_csv, int64_t created, uint64_t max_model_len) noexcept;

// GET /v1/models/{id}: the one model object (the SDKs' models.retrieve), the same card.
void render_model(out_buf& o, std::string_view name, int64_t created, uint64_t max_model_len) noexcept;

// True when name is one of models_csv's names (exactly: model names are case-sensitive).
[[nodiscard]] bool model_listed(std::string_view models_csv, std::string_view name) noexcept;

}  // namespace lms
