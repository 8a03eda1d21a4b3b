#pragma once
// http_parser: an incremental HTTP/1.1 request parser (RFC 9112), after nginx's
// ngx_http_parse.c and picohttpparser: a resumable state machine over a caller-owned buffer.
//
// Level 0. No syscalls, no clock, no allocation, no exceptions. One parser per connection;
// not thread-safe (a connection lives on one worker).
//
// Memory: the caller owns the buffer. The parser keeps offsets into it (never pointers), so
// the caller may move the bytes of the NEXT request to offset 0 between requests (then call
// reset()). Within one request the caller must pass the same bytes again, plus any new ones:
// parse() resumes at the byte where it stopped and never re-scans consumed bytes.
//
// Bodies: Content-Length or chunked. Chunked bodies are decoded IN PLACE (the buffer is
// mutated: decoded bytes are moved down over the chunk framing), so the decoded body is
// contiguous at request().body_off. consumed() counts raw bytes, framing included.
//
// Call pattern:
//   parse() -> incomplete      : need more bytes (everything given is consumed into state)
//   parse() -> headers_done    : returned exactly once per request, when the header section
//                                is complete: route, check Expect, refuse early. Call parse()
//                                again (same buffer) to go on into the body.
//   parse() -> complete        : request and body complete; consumed() = its raw length; the
//                                bytes after it belong to the next (pipelined) request.
//   parse() -> error           : error_status() (400, 413, 414, 431, 501, 505) and
//                                error_message() (static string naming the problem). The
//                                connection must be closed after the error response.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lms {

enum class http_method : uint8_t { other, get, head, post, put, delete_, options, patch };

enum class parse_result : uint8_t { incomplete, headers_done, complete, error };

struct http_limits {
    uint32_t max_header_bytes = 8192;  // request line + header fields + empty line; over -> 431 (414 while in the target)
                                       // (leading empty lines count; also bounds trailers; clamped to 65535: offsets are 16-bit)
    uint32_t max_headers = 64;         // header field count; over -> 431 (clamped to MAX_HEADERS)
    uint64_t max_body_bytes = 16384;   // decoded body; over -> 413 (Content-Length checked at headers_done;
                                       // clamped to 4 GiB - 64 KiB: body offsets are 32-bit)
};

// One header field: offsets into the caller's buffer (valid until the buffer is moved).
struct http_header {
    uint16_t name_off;
    uint16_t name_len;
    uint16_t value_off;  // OWS trimmed on both sides
    uint16_t value_len;
};

struct http_request {
    static constexpr uint32_t MAX_HEADERS = 64;

    http_method method;
    uint8_t version_minor;    // 0 or 1 (HTTP/1.0, HTTP/1.1)
    bool keep_alive;          // 1.1: unless "Connection: close"; 1.0: only with "Connection: keep-alive"
    bool chunked;             // Transfer-Encoding: chunked
    bool has_content_length;
    bool expect_continue;     // "Expect: 100-continue"
    uint16_t method_off, method_len;
    uint16_t target_off, target_len;
    uint64_t content_length;  // valid when has_content_length
    uint32_t body_off;        // decoded body: buf[body_off, body_off + body_len), valid after complete
    uint32_t body_len;
    uint32_t header_count;
    http_header headers[MAX_HEADERS];
};

class http_parser {
public:
    explicit http_parser(const http_limits& limits) noexcept;

    // Forgets the current request; the next parse() starts a new one at buf[0].
    void reset() noexcept;

    // Parses buf[0, len) from where the last call stopped. buf must hold at least
    // consumed-so-far bytes identical to the previous call (chunked decoding may have rewritten
    // bytes before the parse position: pass the buffer as the parser left it).
    [[nodiscard]] parse_result parse(char* buf, size_t len) noexcept;

    // The request parsed so far; fields are final after headers_done (body fields after complete).
    [[nodiscard]] const http_request& request() const noexcept { return req_; }

    // Raw bytes of buf that belong to this request (valid after complete).
    [[nodiscard]] size_t consumed() const noexcept { return pos_; }

    // True while the parser is inside the body (after headers_done, before complete).
    [[nodiscard]] bool in_body() const noexcept;

    // The HTTP status for the last error (400, 413, 414, 431, 501, 505); 0 when none.
    [[nodiscard]] uint16_t error_status() const noexcept { return error_status_; }
    // A static, human-readable message naming the problem ("" when none). Never freed.
    [[nodiscard]] const char* error_message() const noexcept { return error_message_; }

    // Case-insensitive lookup of a header's value in buf; empty view when absent.
    // The view is valid while buf's bytes are unchanged.
    [[nodiscard]] std::string_view header(const char* buf, std::string_view name) const noexcept;

    // Views into buf of the target and method (valid while buf's bytes are unchanged).
    [[nodiscard]] std::string_view target(const char* buf) const noexcept {
        return {buf + req_.target_off, req_.target_len};
    }
    [[nodiscard]] std::string_view method_name(const char* buf) const noexcept {
        return {buf + req_.method_off, req_.method_len};
    }

private:
    parse_result fail(uint16_t status, const char* message) noexcept;
    bool reject(uint16_t status, const char* message) noexcept;  // fail() for the bool helpers
    parse_result parse_head(char* buf, size_t len) noexcept;     // request line, header/trailer fields
    parse_result parse_body(char* buf, size_t len) noexcept;     // Content-Length or chunked body
    parse_result end_section() noexcept;                         // the empty line after the fields
    bool apply_field(const char* buf, const http_header& f) noexcept;  // a recognised header's meaning

    http_limits limits_;
    http_request req_;
    size_t pos_ = 0;           // raw parse position in buf
    uint32_t state_ = 0;       // state machine state (private enum in the .cpp)
    uint32_t aux_ = 0;         // state scratch: "HTTP/" bytes matched, HTTP major, field name length
    size_t mark_ = 0;          // start of the token or line being scanned (method, field name, chunk line)
    size_t value_off_ = 0;     // start of the current field value (first byte after OWS)
    size_t section_end_ = 0;   // raw offset the header (or trailer) section must end by
    uint64_t chunk_left_ = 0;  // bytes left in the current chunk (or in a Content-Length body)
    uint32_t value_len_ = 0;   // current field value length, OWS trimmed
    uint16_t error_status_ = 0;
    const char* error_message_ = "";
    bool seen_host_ = false;
    bool conn_close_ = false;  // "Connection: close" seen: it wins over keep-alive
    bool trailers_ = false;    // the field states are reading trailer fields (chunked, last chunk seen)
};

}  // namespace lms
