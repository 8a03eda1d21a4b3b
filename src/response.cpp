// response: the bytes of every answer. Kept apart from the worker so that the exact output
// is unit-tested without sockets.
#include "response.hpp"

#include <cstring>

namespace lms {

void out_buf::append(std::string_view s) noexcept {
    if (s.empty()) {
        return;  // an empty view may have a null data(): memcpy must not see it
    }
    size_t room = cap - len;
    if (s.size() > room) {
        std::memcpy(p + len, s.data(), room);
        len = cap;
        truncated = true;
        return;
    }
    std::memcpy(p + len, s.data(), s.size());
    len += s.size();
}

void out_buf::append(char c) noexcept {
    if (len == cap) {
        truncated = true;
        return;
    }
    p[len++] = c;
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

void render_head(out_buf& o, int status, std::string_view content_type, size_t content_length, bool keep_alive,
                 std::string_view date29, std::string_view extra_headers) noexcept {
    o.format("HTTP/1.1 {} {}\r\nServer: llm-mock-server\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
             status, status_reason(status), date29, content_type, content_length);
    o.append(extra_headers);
    o.append(keep_alive ? std::string_view("Connection: keep-alive\r\n\r\n") : std::string_view("Connection: close\r\n\r\n"));
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
    o.format("{}", r.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, r.model);
    o.append(R"(","id":")");
    o.append(r.id);
    o.append(R"("})");
}

std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept {
    static const char HEX[] = "0123456789abcdef";
    std::memcpy(out, "chatcmpl-", 9);
    for (int i = 0; i < 16; ++i) {
        out[9 + i] = HEX[(hi >> (60 - 4 * i)) & 15];
        out[25 + i] = HEX[(lo >> (60 - 4 * i)) & 15];
    }
    return {out, 41};
}

}  // namespace lms
