#pragma once
// response: renders HTTP/1.1 responses (status line, headers, JSON bodies, the OpenAI error
// envelope) into caller-owned fixed buffers.
//
// Level 0. No syscalls, no clock (dates and times are arguments), no allocation. Every
// write is bounds-checked: a buffer that is too small sets out_buf::truncated, never
// overflows; callers check it. Any thread may call these (no shared state).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string_view>

#include <fmt/format.h>

namespace lms {

// A bounded output buffer over caller memory.
struct out_buf {
    char* p;
    size_t cap;
    size_t len = 0;
    bool truncated = false;

    out_buf(char* mem, size_t capacity) noexcept : p(mem), cap(capacity) {}

    // Inline: most appends are literals, whose memcpy the compiler then expands in place.
    void append(std::string_view s) noexcept {
        if (s.size() > cap - len) {
            append_slow(s);
            return;
        }
        if (!s.empty()) {  // an empty view may have a null data(): memcpy must not see it
            std::memcpy(p + len, s.data(), s.size());
            len += s.size();
        }
    }
    void append(char c) noexcept {
        if (len == cap) {
            truncated = true;
            return;
        }
        p[len++] = c;
    }
    // fmt into the remaining space; sets truncated when it does not fit.
    template <class... Args>
    void format(fmt::format_string<Args...> f, Args&&... args) noexcept {
        auto r = fmt::format_to_n(p + len, cap - len, f, std::forward<Args>(args)...);
        if (r.size > cap - len) {
            len = cap;
            truncated = true;
        } else {
            len += r.size;
        }
    }
    // The decimal digits of v (with '-' when negative), as fmt's "{}" writes them.
    void append_decimal(int64_t v) noexcept;
    [[nodiscard]] std::string_view view() const noexcept { return {p, len}; }

private:
    void append_slow(std::string_view s) noexcept;  // the part that fits, then truncated
};

// Writes the decimal digits of v into out (1 to 20 bytes, no terminator); returns the count.
size_t format_decimal(uint64_t v, char out[20]) noexcept;

// "OK", "Bad Request", ...; "Unknown" for a code not used by this server.
[[nodiscard]] std::string_view status_reason(int status) noexcept;

// Writes the IMF-fixdate for unix time t ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes) into out.
void format_http_date(std::time_t t, char out[29]) noexcept;

// Appends s as the inside of a JSON string (quotes not included): escapes ", \ and control
// bytes; passes UTF-8 through.
void json_escape(out_buf& o, std::string_view s) noexcept;

// Status line and headers up to and including the empty line. extra_headers: zero or more
// complete "Name: value\r\n" lines. Connection: keep-alive or close follows keep_alive.
void render_head(out_buf& o, int status, std::string_view content_type, size_t content_length, bool keep_alive,
                 std::string_view date29, std::string_view extra_headers) noexcept;

// The OpenAI error envelope: {"error":{"message":..,"type":..,"param":..,"code":..}}.
// param and code may be empty (rendered as null).
void render_error_body(out_buf& o, std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) noexcept;

// The error type and code an OpenAI client expects for an HTTP status of ours.
struct error_kind {
    std::string_view type;
    std::string_view code;
};
[[nodiscard]] error_kind error_kind_for(int status) noexcept;

// The answer's text, as the original service gave it.
inline constexpr std::string_view CHAT_CONTENT =
    "\xe6\x88\x91\xe6\x98\xaf\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe5\xbc\x80\xe5\x8f\x91\xe7\x9a\x84\xe4\xb8\x80"
    "\xe6\xac\xbe\xe8\xb6\x85\xe5\xa4\xa7\xe8\xa7\x84\xe6\xa8\xa1\xe8\xaf\xad\xe8\xa8\x80\xe6\xa8\xa1\xe5\x9e\x8b"
    "\xef\xbc\x8c\xe6\x88\x91\xe5\x8f\xab\xe9\x80\x9a\xe4\xb9\x89\xe5\x8d\x83\xe9\x97\xae\xe3\x80\x82";

// What varies between two chat answers.
struct chat_reply {
    std::string_view id;     // "chatcmpl-..." (already unique)
    int64_t created;         // unix seconds
    std::string_view model;  // unescaped; escaped here
};

// The non-streamed chat.completion body of the original service, with id, created and model.
void render_chat_body(out_buf& o, const chat_reply& r) noexcept;

// Writes "chatcmpl-" + 32 lowercase hex digits of (hi, lo) into out (41 bytes); returns the view.
std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept;

}  // namespace lms
