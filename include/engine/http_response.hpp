#pragma once
// http_response: renders HTTP/1.1 response heads (status line, headers) into caller-owned
// fixed buffers, and the bounded out_buf every renderer writes into.
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
// Writes the lowercase hex digits of v into out (1 to 16 bytes, no leading zeros, no
// terminator), as fmt's "{:x}" does; returns the count. A chunk's size line, per streamed token.
size_t format_hex(uint64_t v, char out[16]) noexcept;

// The standard reason phrase of status (RFC 9110 §15, IANA registry): every 1xx, 2xx, 4xx
// and 5xx code registered (this server sends no 3xx); "Client Error" / "Server Error" for another 4xx / 5xx; "Unknown" otherwise.
[[nodiscard]] std::string_view status_reason(int status) noexcept;

// Writes the IMF-fixdate for unix time t ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes) into out.
void format_http_date(std::time_t t, char out[29]) noexcept;

// Status line and headers up to and including the empty line. extra_headers: zero or more
// complete "Name: value\r\n" lines. Connection: keep-alive or close follows keep_alive.
void render_head(out_buf& o, int status, std::string_view content_type, size_t content_length, bool keep_alive,
                 std::string_view date29, std::string_view extra_headers) noexcept;

}  // namespace lms
