#pragma once
// openai_embeddings: POST /v1/embeddings — its reader is read_embeddings_request (openai_reader);
// this renders the answer: one unit-length vector per input, drawn from the input's hash.
//
// Level 0. No allocation: renders into a caller's out_buf. Any thread.
#include <cstdint>
#include <string_view>

#include "dialects/openai_reader.hpp"
#include "engine/http_response.hpp"

namespace lms {

// One unit-length vector of `dimensions` floats per input (the same input always gets the
// same vector); floats or base64 float32 as r asks.
void render_embeddings(out_buf& o, const embedding_request& r, uint32_t dimensions, std::string_view model,
                       uint32_t prompt_tokens) noexcept;

}  // namespace lms
