#pragma once
// chat_body: the OpenAI family's request reader: reads a chat-completions, completions or
// embeddings body once, with simdjson's DOM parser, into the neutral generation_request (or
// the embeddings request), naming the bad field otherwise.
//
// Level 0. No syscalls. All parser memory is allocated in the constructor (startup) for the
// largest body allowed; read() never allocates. One reader per worker; not thread-safe.
// The input must stay readable for SIMDJSON_PADDING (64) bytes past its end (a pool buffer
// guarantees it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "answer/generation_request.hpp"

namespace simdjson::dom {
class parser;
class object;
}

namespace lms {

struct body_fields;  // the top-level fields of a request body (chat_body.cpp)


// An /v1/embeddings request: up to MAX_INPUTS inputs, each reduced to a 64-bit hash of its
// text (or token ids) that seeds its deterministic vector. model valid until the next read.
struct embedding_request {
    static constexpr unsigned MAX_INPUTS = 256;
    std::string_view model;
    uint64_t input_hash[MAX_INPUTS];
    uint32_t count = 0;
    uint32_t dimensions = 0;  // 0: the server's setting
    bool base64 = false;      // encoding_format "base64" (the OpenAI SDKs' default)
    uint64_t prompt_bytes = 0;
};

// Why a body was refused: a static message naming the problem, and the offending field.
struct body_error {
    const char* message = "";
    const char* param = "";
};

class chat_body_reader {
public:
    static constexpr size_t PADDING = 64;  // == SIMDJSON_PADDING (checked in the .cpp)

    // Throws std::bad_alloc / std::runtime_error at startup only.
    explicit chat_body_reader(size_t max_body_bytes);
    ~chat_body_reader();
    chat_body_reader(const chat_body_reader&) = delete;
    chat_body_reader& operator=(const chat_body_reader&) = delete;

    // Parses body[0, len). True and out filled when it is a JSON object with a non-empty
    // "messages" array (and well-typed optional fields); false and err set otherwise.
    [[nodiscard]] bool read(const char* body, size_t len, generation_request& out, body_error& err) noexcept;

    // The same for /v1/completions: "prompt" (a string or an array of strings) instead of
    // "messages"; last_user is the (first) prompt.
    [[nodiscard]] bool read_completion(const char* body, size_t len, generation_request& out, body_error& err) noexcept;

    // /v1/embeddings: "input" (a string, an array of strings, an array of token ids, or an
    // array of such arrays), optional "dimensions" and "encoding_format".
    [[nodiscard]] bool read_embeddings(const char* body, size_t len, embedding_request& out, body_error& err) noexcept;

private:
    // model, stream, stream_options, max_tokens, n, stop: shared by chat and completions.
    bool read_common(const body_fields& f, generation_request& out, body_error& err) noexcept;
    // tools, tool_choice, enable_thinking, reasoning_effort, response_format: chat only.
    bool read_agent_fields(const body_fields& f, generation_request& out, body_error& err) noexcept;

    std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace lms
