#pragma once
// chat_body: reads a chat-completions request body once, with simdjson's DOM parser, and
// keeps what the answer needs.
//
// Level 0. No syscalls. All parser memory is allocated in the constructor (startup) for the
// largest body allowed; read() never allocates. One reader per worker; not thread-safe.
// The input must stay readable for SIMDJSON_PADDING (64) bytes past its end (a pool buffer
// guarantees it).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace simdjson::dom {
class parser;
}

namespace lms {

struct chat_request {
    std::string_view model;    // valid until the next read(); empty when absent
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    bool has_max_tokens = false;
    uint64_t max_tokens = 0;     // max_tokens or max_completion_tokens
    uint32_t message_count = 0;
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
    [[nodiscard]] bool read(const char* body, size_t len, chat_request& out, body_error& err) noexcept;

private:
    std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace lms
