#pragma once
// json_body: the one JSON parser a worker's request readers share (simdjson's DOM parser,
// validating the whole document: "not JSON" must be a 400), and the refusal a reader returns.
//
// Level 0. No syscalls. All parser memory is allocated in the constructor (startup) for the
// largest body allowed; parse_object() never allocates. One per worker; not thread-safe.
// The input must stay readable for PADDING bytes past its end (a pool buffer guarantees it).
#include <cstddef>
#include <memory>

namespace simdjson::dom {
class parser;
class object;
}

namespace lms {

// Why a body was refused: a static message naming the problem, and the offending field
// (empty when it is the body as a whole).
struct body_error {
    const char* message = "";
    const char* param = "";
};

class json_body_parser {
public:
    static constexpr size_t PADDING = 64;  // == SIMDJSON_PADDING (checked in the .cpp)

    // Throws std::bad_alloc at startup only.
    explicit json_body_parser(size_t max_body_bytes);
    ~json_body_parser();
    json_body_parser(const json_body_parser&) = delete;
    json_body_parser& operator=(const json_body_parser&) = delete;

    // body[0, len) as a JSON object into out (valid until the next call); false and err set
    // when it is not valid JSON or not an object.
    [[nodiscard]] bool parse_object(const char* body, size_t len, simdjson::dom::object& out, body_error& err) noexcept;

private:
    std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace lms
