// response: the bytes of every answer. Kept apart from the worker so that the exact output
// is unit-tested without sockets.
#include "engine/response.hpp"

#include <cstring>

namespace lms {

void out_buf::append_slow(std::string_view s) noexcept {
    size_t room = cap - len;
    std::memcpy(p + len, s.data(), room);
    len = cap;
    truncated = true;
}

std::string_view status_reason(int status) noexcept {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

void format_http_date(std::time_t t, char out[29]) noexcept {
    static const char DAYS[] = "SunMonTueWedThuFriSat";
    static const char MONTHS[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    std::tm tm;
    gmtime_r(&t, &tm);
    auto two = [](char* p, int v) {
        p[0] = char('0' + v / 10);
        p[1] = char('0' + v % 10);
    };
    std::memcpy(out, DAYS + 3 * tm.tm_wday, 3);
    out[3] = ',';
    out[4] = ' ';
    two(out + 5, tm.tm_mday);
    out[7] = ' ';
    std::memcpy(out + 8, MONTHS + 3 * tm.tm_mon, 3);
    out[11] = ' ';
    int y = tm.tm_year + 1900;
    two(out + 12, y / 100);
    two(out + 14, y % 100);
    out[16] = ' ';
    two(out + 17, tm.tm_hour);
    out[19] = ':';
    two(out + 20, tm.tm_min);
    out[22] = ':';
    two(out + 23, tm.tm_sec);
    std::memcpy(out + 25, " GMT", 4);
}

void json_escape(out_buf& o, std::string_view s) noexcept {
    static const char HEX[] = "0123456789abcdef";
    size_t run = 0;  // copy unescaped runs in one append
    for (size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        o.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"': o.append("\\\""); break;
        case '\\': o.append("\\\\"); break;
        case '\n': o.append("\\n"); break;
        case '\r': o.append("\\r"); break;
        case '\t': o.append("\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
            o.append(std::string_view(u, 6));
        }
        }
    }
    o.append(s.substr(run));
}

size_t format_decimal(uint64_t v, char out[20]) noexcept {
    // Counted first, then written backwards in place two digits per step from a table.
    static constexpr char PAIRS[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    size_t n = 1;
    for (uint64_t bound = 10; n < 20 && v >= bound; bound *= 10) {
        ++n;  // bound is 10^19 at n = 19 (fits in 64 bits); n < 20 stops the loop after it
    }
    char* p = out + n;
    while (v >= 100) {
        const size_t i = size_t(v % 100) * 2;
        v /= 100;
        p -= 2;
        p[0] = PAIRS[i];
        p[1] = PAIRS[i + 1];
    }
    if (v >= 10) {
        p[-2] = PAIRS[v * 2];
        p[-1] = PAIRS[v * 2 + 1];
    } else {
        p[-1] = char('0' + v);
    }
    return n;
}

void out_buf::append_decimal(int64_t v) noexcept {
    char d[21];
    size_t n = 0;
    uint64_t u = uint64_t(v);
    if (v < 0) {
        d[n++] = '-';
        u = 0 - u;
    }
    n += format_decimal(u, d + n);
    append(std::string_view(d, n));
}

// Hand-rolled rather than fmt: this runs for every answer, and fmt parses its format string
// at run time (about 1,600 instructions per head, three quarters of the render). Same bytes.
void render_head(out_buf& o, int status, std::string_view content_type, size_t content_length, bool keep_alive,
                 std::string_view date29, std::string_view extra_headers) noexcept {
    static constexpr std::string_view VERSION = "HTTP/1.1 ";
    static constexpr std::string_view SERVER_DATE = "\r\nServer: llm-mock-server\r\nDate: ";
    static constexpr std::string_view CONTENT_TYPE = "\r\nContent-Type: ";
    static constexpr std::string_view CONTENT_LENGTH = "\r\nContent-Length: ";
    static constexpr std::string_view KEEP_ALIVE = "Connection: keep-alive\r\n\r\n";
    static constexpr std::string_view CLOSE = "Connection: close\r\n\r\n";
    const std::string_view reason = status_reason(status);
    const std::string_view connection = keep_alive ? KEEP_ALIVE : CLOSE;
    char st[21];
    size_t st_len = 0;
    uint64_t su = uint64_t(int64_t(status));
    if (status < 0) {
        st[st_len++] = '-';
        su = 0 - su;
    }
    st_len += format_decimal(su, st + st_len);
    char cl[20];
    const size_t cl_len = format_decimal(content_length, cl);
    const size_t need = VERSION.size() + st_len + 1 + reason.size() + SERVER_DATE.size() + date29.size() +
                        CONTENT_TYPE.size() + content_type.size() + CONTENT_LENGTH.size() + cl_len + 2 +
                        extra_headers.size() + connection.size();
    if (need > o.cap - o.len) {
        // Too small: the same bytes piecewise, so the kept prefix and truncated match.
        o.append(VERSION);
        o.append(std::string_view(st, st_len));
        o.append(' ');
        o.append(reason);
        o.append(SERVER_DATE);
        o.append(date29);
        o.append(CONTENT_TYPE);
        o.append(content_type);
        o.append(CONTENT_LENGTH);
        o.append(std::string_view(cl, cl_len));
        o.append("\r\n");
        o.append(extra_headers);
        o.append(connection);
        return;
    }
    char* p = o.p + o.len;
    auto put = [&p](std::string_view s) {
        std::memcpy(p, s.data(), s.size());
        p += s.size();
    };
    put(VERSION);
    put(std::string_view(st, st_len));
    *p++ = ' ';
    put(reason);
    put(SERVER_DATE);
    put(date29);
    put(CONTENT_TYPE);
    put(content_type);
    put(CONTENT_LENGTH);
    put(std::string_view(cl, cl_len));
    *p++ = '\r';
    *p++ = '\n';
    if (!extra_headers.empty()) {
        put(extra_headers);
    }
    put(connection);
    o.len += need;
}

namespace {
void append_nullable(out_buf& o, std::string_view s) noexcept {
    if (s.empty()) {
        o.append("null");
        return;
    }
    o.append('"');
    json_escape(o, s);
    o.append('"');
}
}  // namespace

void render_error_body(out_buf& o, std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) noexcept {
    o.append(R"({"error":{"message":")");
    json_escape(o, message);
    o.append(R"(","type":")");
    o.append(type);
    o.append(R"(","param":)");
    append_nullable(o, param);
    o.append(R"(,"code":)");
    append_nullable(o, code);
    o.append("}}");
}

error_kind error_kind_for(int status) noexcept {
    switch (status) {
    case 400: return {"invalid_request_error", "invalid_request"};
    case 404: return {"invalid_request_error", "not_found"};
    case 405: return {"invalid_request_error", "method_not_allowed"};
    case 408: return {"invalid_request_error", "request_timeout"};
    case 413: return {"invalid_request_error", "request_too_large"};
    case 414: return {"invalid_request_error", "uri_too_long"};
    case 429: return {"rate_limit_error", "rate_limit_exceeded"};
    case 431: return {"invalid_request_error", "headers_too_large"};
    case 501: return {"invalid_request_error", "not_implemented"};
    case 503: return {"service_unavailable_error", "server_is_overloaded"};
    case 505: return {"invalid_request_error", "http_version_not_supported"};
    default: return {"server_error", "server_error"};
    }
}

void render_chat_body(out_buf& o, const chat_reply& r) noexcept {
    o.append(R"({"choices":[{"message":{"role":"assistant","content":")");
    o.append(CHAT_CONTENT);
    o.append(R"("},"finish_reason":"stop","index":0,"logprobs":null}],"object":"chat.completion",)"
             R"("usage":{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,)"
             R"("prompt_tokens_details":{"cached_tokens":2048}},"created":)");
    o.append_decimal(r.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, r.model);
    o.append(R"(","id":")");
    o.append(r.id);
    o.append(R"("})");
}

std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept {
    // A byte (two digits) per step: 16 table loads instead of 32 shift-and-mask digits.
    static constexpr auto HEX_PAIRS = [] {
        struct table {
            char c[512];
        } t{};
        constexpr char HEX[] = "0123456789abcdef";
        for (int i = 0; i < 256; ++i) {
            t.c[2 * i] = HEX[i >> 4];
            t.c[2 * i + 1] = HEX[i & 15];
        }
        return t;
    }();
    std::memcpy(out, "chatcmpl-", 9);
    for (int i = 0; i < 8; ++i) {
        std::memcpy(out + 9 + 2 * i, HEX_PAIRS.c + 2 * ((hi >> (56 - 8 * i)) & 255), 2);
        std::memcpy(out + 25 + 2 * i, HEX_PAIRS.c + 2 * ((lo >> (56 - 8 * i)) & 255), 2);
    }
    return {out, 41};
}

}  // namespace lms
