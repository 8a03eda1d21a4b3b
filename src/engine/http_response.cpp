// http_response: the head bytes of every answer. Kept apart from the worker so that the exact
// output is unit-tested without sockets.
#include "engine/http_response.hpp"

#include <bit>
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
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: break;
    }
    // An unregistered code is understood as its class (RFC 9110 §15).
    return status >= 400 && status < 500 ? "Client Error" : status >= 500 && status < 600 ? "Server Error" : "Unknown";
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

size_t format_decimal(uint64_t v, char out[20]) noexcept {
    // Counted first, then written backwards in place two digits per step from a table.
    static constexpr char PAIRS[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    // The digit count from the bit width and one compare, not a loop over the powers of ten.
    static constexpr uint64_t POW10[20] = {1,
                                           10,
                                           100,
                                           1000,
                                           10000,
                                           100000,
                                           1000000,
                                           10000000,
                                           100000000,
                                           1000000000,
                                           10000000000ull,
                                           100000000000ull,
                                           1000000000000ull,
                                           10000000000000ull,
                                           100000000000000ull,
                                           1000000000000000ull,
                                           10000000000000000ull,
                                           100000000000000000ull,
                                           1000000000000000000ull,
                                           10000000000000000000ull};
    // 1233 / 4096 ~ log10(2): t is floor(log10(v)) or one more (Bit Twiddling Hacks, IntegerLog10).
    const uint64_t w = v | 1;  // 0 has one digit, as 1 does
    const unsigned t = (unsigned(std::bit_width(w)) * 1233) >> 12;
    const size_t n = t + 1 - (w < POW10[t] ? 1 : 0);
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

size_t format_hex(uint64_t v, char out[16]) noexcept {
    static constexpr char HEX[] = "0123456789abcdef";
    const size_t n = (size_t(std::bit_width(v | 1)) + 3) / 4;
    for (size_t i = n; i-- > 0; v >>= 4) {
        out[i] = HEX[v & 15];
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

}  // namespace lms
