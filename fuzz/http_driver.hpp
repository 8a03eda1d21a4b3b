#pragma once
// http_driver: feeds bytes to lms::http_parser the way a worker's connection does, and records
// everything a caller can observe, for the fuzz targets (fuzz_http_parser, fuzz_http_differential).
//
// Test code, not server code: it allocates freely (std::string, std::vector). Single-threaded.
//
// The driver keeps one buffer of the input's size. Before each parse() call the bytes past the
// valid length are poisoned (under ASan), so a read past `len` is reported at once, as the
// unit tests do with exact-size copies but without their O(n^2) copying. Between pipelined
// requests the unconsumed bytes move to offset 0 and the parser is reset (worker::process does
// the same). Every result is checked against the parser's contract; a broken invariant is
// recorded in outcome::broken (the targets abort on it).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/http_parser.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LMS_FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LMS_FUZZ_ASAN 1
#endif
#if defined(LMS_FUZZ_ASAN)
#include <sanitizer/asan_interface.h>
#define LMS_POISON(p, n) __asan_poison_memory_region((p), (n))
#define LMS_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define LMS_POISON(p, n) ((void)(p), (void)(n))
#define LMS_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace lms_fuzz {

using lms::http_limits;
using lms::http_method;
using lms::http_parser;
using lms::http_request;
using lms::parse_result;

// What one request parsed to; two runs over the same bytes compare with ==.
struct outcome {
    parse_result result = parse_result::incomplete;
    uint16_t status = 0;
    std::string message;
    http_method method = http_method::other;
    std::string method_name;
    std::string target;
    int version_minor = -1;
    bool keep_alive = false;
    bool chunked = false;
    bool has_content_length = false;
    bool expect_continue = false;
    uint64_t content_length = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    size_t consumed = 0;
    int headers_done = 0;  // times headers_done was returned for this request
    std::string broken;    // the first invariant that did not hold ("" when all held)

    bool operator==(const outcome&) const = default;
};

inline const char* result_name(parse_result r) {
    switch (r) {
    case parse_result::incomplete:
        return "incomplete";
    case parse_result::headers_done:
        return "headers_done";
    case parse_result::complete:
        return "complete";
    case parse_result::error:
        return "error";
    }
    return "?";
}

inline std::string describe(const outcome& o) {
    std::string s = result_name(o.result);
    if (o.result == parse_result::error) {
        s += " " + std::to_string(o.status) + " \"" + o.message + "\"";
    }
    if (o.result == parse_result::complete) {
        s += " " + o.method_name + " target=" + std::to_string(o.target.size()) + "B 1." +
             std::to_string(o.version_minor) + " ka=" + std::to_string(o.keep_alive) +
             " chunked=" + std::to_string(o.chunked) +
             " cl=" + (o.has_content_length ? std::to_string(o.content_length) : std::string("-")) +
             " headers=" + std::to_string(o.headers.size()) + " body=" + std::to_string(o.body.size()) +
             "B consumed=" + std::to_string(o.consumed);
    }
    s += " hd=" + std::to_string(o.headers_done);
    if (!o.broken.empty()) {
        s += " BROKEN: " + o.broken;
    }
    return s;
}

inline std::string describe(const std::vector<outcome>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) {
        s += (i ? "; " : "") + describe(v[i]);
    }
    return s + "]";
}

namespace detail {

inline bool is_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}
inline bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }
inline bool is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

inline http_method expected_method(std::string_view m) {
    if (m == "GET") return http_method::get;
    if (m == "HEAD") return http_method::head;
    if (m == "POST") return http_method::post;
    if (m == "PUT") return http_method::put;
    if (m == "DELETE") return http_method::delete_;
    if (m == "OPTIONS") return http_method::options;
    if (m == "PATCH") return http_method::patch;
    return http_method::other;
}

// A reference chunked decoder over the raw body bytes of a request the parser accepted
// (so the framing is known to be well-formed): size line (digits, then anything up to LF),
// data, CRLF or LF; stops at the last chunk. Independent of the parser's in-place decoding.
inline bool reference_dechunk(std::string_view raw, std::string& out) {
    size_t p = 0;
    for (;;) {
        uint64_t size = 0;
        size_t digits = 0;
        while (p < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[p]))) {
            const char c = raw[p++];
            size = size * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            ++digits;
        }
        if (digits == 0) {
            return false;
        }
        const size_t lf = raw.find('\n', p);
        if (lf == std::string_view::npos) {
            return false;
        }
        p = lf + 1;
        if (size == 0) {
            return true;
        }
        if (raw.size() - p < size) {
            return false;
        }
        out.append(raw.substr(p, size));
        p += size;
        if (p < raw.size() && raw[p] == '\r') {
            ++p;
        }
        if (p >= raw.size() || raw[p] != '\n') {
            return false;
        }
        ++p;
    }
}

// Checks what the parser reported for a complete request against its contract. buf holds the
// request at offset 0 (after chunked decoding); raw is the same request's bytes as received.
inline std::string check_complete(const http_parser& parser, const char* buf, size_t len, std::string_view raw,
                                  const http_limits& lim, int headers_done) {
    const http_request& rq = parser.request();
    const size_t consumed = parser.consumed();
    if (headers_done != 1) {
        return "headers_done not returned exactly once";
    }
    if (parser.in_body()) {
        return "in_body() after complete";
    }
    if (consumed > len || consumed > raw.size() || consumed == 0) {
        return "consumed outside the buffer";
    }
    if (size_t{rq.body_off} + rq.body_len > consumed) {
        return "body outside the request";
    }
    if (rq.body_off > lim.max_header_bytes) {
        return "header section longer than max_header_bytes";
    }
    if (rq.body_len > lim.max_body_bytes) {
        return "body longer than max_body_bytes";
    }
    if (rq.version_minor > 1) {
        return "version other than 1.0 or 1.1";
    }
    if (rq.header_count > lim.max_headers || rq.header_count > http_request::MAX_HEADERS) {
        return "more header fields than max_headers";
    }
    if (rq.chunked && rq.has_content_length) {
        return "chunked with Content-Length";
    }
    if (rq.chunked && rq.version_minor == 0) {
        return "chunked in HTTP/1.0";
    }
    const std::string_view method = parser.method_name(buf);
    const std::string_view target = parser.target(buf);
    if (method.empty() || size_t{rq.method_off} + rq.method_len > rq.body_off) {
        return "method outside the header section";
    }
    if (target.empty() || size_t{rq.target_off} + rq.target_len > rq.body_off || rq.target_off <= rq.method_off) {
        return "target outside the header section";
    }
    for (unsigned char c : method) {
        if (!is_tchar(c)) {
            return "method holds a non-token byte";
        }
    }
    for (unsigned char c : target) {
        if (c <= 0x20 || c >= 0x7f) {
            return "target holds a byte outside VCHAR";
        }
    }
    if (expected_method(method) != rq.method) {
        return "method classified wrongly";
    }
    bool host = false;
    for (uint32_t i = 0; i < rq.header_count; ++i) {
        const lms::http_header& h = rq.headers[i];
        if (size_t{h.name_off} + h.name_len > rq.body_off || size_t{h.value_off} + h.value_len > rq.body_off) {
            return "header field outside the header section";
        }
        if (h.name_len == 0) {
            return "empty header name";
        }
        for (size_t k = 0; k < h.name_len; ++k) {
            if (!is_tchar(static_cast<unsigned char>(buf[h.name_off + k]))) {
                return "header name holds a non-token byte";
            }
        }
        for (size_t k = 0; k < h.value_len; ++k) {
            if (!is_value_char(static_cast<unsigned char>(buf[h.value_off + k]))) {
                return "header value holds CR, LF or a control byte";
            }
        }
        if (h.value_len > 0 && (is_ows(static_cast<unsigned char>(buf[h.value_off])) ||
                                is_ows(static_cast<unsigned char>(buf[h.value_off + h.value_len - 1])))) {
            return "header value not OWS-trimmed";
        }
        std::string name(buf + h.name_off, h.name_len);
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (name == "host") {
            if (host) {
                return "two Host fields accepted";
            }
            host = true;
        }
    }
    if (rq.version_minor == 1 && !host) {
        return "HTTP/1.1 request without Host accepted";
    }
    // The body, checked against the raw bytes: Content-Length bodies end the request and are
    // never touched; chunked bodies match an independent decoder.
    const std::string_view body(buf + rq.body_off, rq.body_len);
    if (rq.chunked) {
        std::string ref;
        if (!reference_dechunk(raw.substr(rq.body_off, consumed - rq.body_off), ref)) {
            return "reference decoder refuses a chunked body the parser accepted";
        }
        if (ref != body) {
            return "chunked body differs from the reference decoding";
        }
    } else {
        if (size_t{rq.body_off} + rq.body_len != consumed) {
            return "Content-Length body does not end the request";
        }
        if (rq.body_len != (rq.has_content_length ? rq.content_length : 0)) {
            return "body length differs from Content-Length";
        }
        if (body != raw.substr(rq.body_off, rq.body_len)) {
            return "Content-Length body differs from the bytes received";
        }
    }
    // Header section bytes are never rewritten (chunked decoding writes at body_off and up).
    if (std::string_view(buf, rq.body_off) != raw.substr(0, rq.body_off)) {
        return "header section bytes were rewritten";
    }
    return {};
}

inline outcome snapshot(const http_parser& parser, const char* buf, parse_result r, int headers_done) {
    outcome o;
    o.result = r;
    o.headers_done = headers_done;
    if (r == parse_result::error) {
        o.status = parser.error_status();
        o.message = parser.error_message();
        return o;
    }
    if (r != parse_result::complete) {
        return o;
    }
    const http_request& rq = parser.request();
    o.method = rq.method;
    o.method_name = std::string(parser.method_name(buf));
    o.target = std::string(parser.target(buf));
    o.version_minor = rq.version_minor;
    o.keep_alive = rq.keep_alive;
    o.chunked = rq.chunked;
    o.has_content_length = rq.has_content_length;
    o.expect_continue = rq.expect_continue;
    o.content_length = rq.content_length;
    for (uint32_t i = 0; i < rq.header_count && i < http_request::MAX_HEADERS; ++i) {
        const lms::http_header& h = rq.headers[i];
        o.headers.emplace_back(std::string(buf + h.name_off, h.name_len), std::string(buf + h.value_off, h.value_len));
    }
    o.body.assign(buf + rq.body_off, rq.body_len);
    o.consumed = parser.consumed();
    return o;
}

}  // namespace detail

// Feeds data[0, size) in pieces ending at `cuts` (ascending, each in [0, size]), each parse()
// given all unconsumed bytes so far, as a connection receives them. headers_done: parse()
// again at once; complete: the request's bytes are dropped, the rest moved to offset 0, the
// parser reset; error: the connection ends. One outcome per request, plus an `incomplete`
// one when bytes are left at the end.
inline std::vector<outcome> feed(const uint8_t* data, size_t size, const std::vector<size_t>& cuts,
                                 const http_limits& lim) {
    const size_t cap = size == 0 ? 1 : size;
    std::unique_ptr<char[]> buf(new char[cap]);
    http_parser parser(lim);
    std::vector<outcome> out;
    size_t len = 0;       // valid bytes in buf
    size_t next = 0;      // input bytes handed over so far
    size_t req_start = 0; // input offset of buf[0]
    size_t cut = 0;
    int headers_done = 0;
    bool want_bytes = true;

    auto call = [&]() {
        LMS_POISON(buf.get() + len, cap - len);
        const parse_result r = parser.parse(buf.get(), len);
        LMS_UNPOISON(buf.get() + len, cap - len);
        return r;
    };

    for (;;) {
        if (want_bytes) {
            if (next == size) {
                if (len != 0) {
                    out.push_back(detail::snapshot(parser, buf.get(), parse_result::incomplete, headers_done));
                    if (parser.in_body() != (headers_done == 1)) {
                        out.back().broken = "in_body() disagrees with headers_done";
                    }
                }
                return out;
            }
            size_t upto = cut < cuts.size() ? cuts[cut++] : size;
            if (upto < next) {
                upto = next;
            }
            if (upto > size) {
                upto = size;
            }
            std::memcpy(buf.get() + len, data + next, upto - next);
            len += upto - next;
            next = upto;
        }
        const parse_result r = call();
        switch (r) {
        case parse_result::incomplete:
            want_bytes = true;
            if (parser.consumed() > len) {
                out.push_back(detail::snapshot(parser, buf.get(), r, headers_done));
                out.back().broken = "incomplete with consumed past the buffer";
                return out;
            }
            break;
        case parse_result::headers_done:
            ++headers_done;
            want_bytes = false;
            if (!parser.in_body() || headers_done > 1) {
                out.push_back(detail::snapshot(parser, buf.get(), r, headers_done));
                out.back().broken = headers_done > 1 ? "headers_done returned twice" : "in_body() false after headers_done";
                return out;
            }
            break;
        case parse_result::complete: {
            out.push_back(detail::snapshot(parser, buf.get(), r, headers_done));
            const std::string_view raw(reinterpret_cast<const char*>(data) + req_start, next - req_start);
            out.back().broken = detail::check_complete(parser, buf.get(), len, raw, lim, headers_done);
            if (!out.back().broken.empty()) {
                return out;
            }
            if (call() != parse_result::complete) {
                out.back().broken = "complete not sticky";
                return out;
            }
            const size_t used = parser.consumed();
            std::memmove(buf.get(), buf.get() + used, len - used);
            len -= used;
            req_start += used;
            parser.reset();
            headers_done = 0;
            want_bytes = len == 0;
            break;
        }
        case parse_result::error: {
            out.push_back(detail::snapshot(parser, buf.get(), r, headers_done));
            outcome& o = out.back();
            const uint16_t s = o.status;
            if (s != 400 && s != 413 && s != 414 && s != 431 && s != 501 && s != 505) {
                o.broken = "error status outside 400/413/414/431/501/505";
            } else if (o.message.empty()) {
                o.broken = "error without a message";
            } else if (headers_done > 1) {
                o.broken = "headers_done returned twice";
            } else if (call() != parse_result::error || parser.error_status() != s) {
                o.broken = "error not sticky";
            } else if (parser.in_body()) {
                o.broken = "in_body() after error";
            }
            return out;
        }
        }
    }
}

// FNV-1a: a deterministic seed from the input, so a replay reproduces the same splits.
inline uint64_t fnv1a(const uint8_t* data, size_t size) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; ++i) {
        h = (h ^ data[i]) * 1099511628211ull;
    }
    return h;
}

inline uint64_t next_random(uint64_t& s) {
    s += 0x9e3779b97f4a7c15ull;
    uint64_t x = s;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// 1 to 8 ascending cut points in [0, size], from the seed.
inline std::vector<size_t> random_cuts(size_t size, uint64_t seed) {
    const size_t n = 1 + next_random(seed) % 8;
    std::vector<size_t> cuts;
    for (size_t i = 0; i < n; ++i) {
        cuts.push_back(static_cast<size_t>(next_random(seed) % (size + 1)));
    }
    std::sort(cuts.begin(), cuts.end());
    return cuts;
}

// Limits small enough that fuzzed inputs reach every limit check.
inline http_limits tight_limits() {
    http_limits lim;
    lim.max_header_bytes = 120;
    lim.max_headers = 4;
    lim.max_body_bytes = 40;
    return lim;
}

}  // namespace lms_fuzz
