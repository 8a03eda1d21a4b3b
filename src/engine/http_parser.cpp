// http_parser: RFC 9112 request parsing as a resumable byte-level state machine.
//
// Design (after nginx's ngx_http_parse_request_line and picohttpparser; no code copied):
//   - One state per grammar position. The state, the raw position (pos_) and a few offsets
//     are all that survive between calls, so parse() resumes at the first unread byte and
//     never re-scans: total work is O(request bytes) however the input is split.
//   - parse_head (request line, fields): each state is a label. A switch only resumes a
//     suspended call; within a call control passes label to label directly, with no per-byte
//     dispatch. Target and field values are scanned 16 bytes at a time (SSE2), names over a
//     256-entry class table. Only fields whose name length matches a recognised header reach
//     apply_field(). About 120 ns for a 135-byte GET with five fields, 100 ns for a 139-byte
//     POST with a small body (-O2, thread CPU time, shared 2-core AMD EPYC VM).
//   - parse_body: a loop over a switch; it turns once per chunk line, not per byte.
//   - The header section is only ever read up to its limit: a byte past max_header_bytes is
//     never looked at, so an over-long section costs O(limit) and the verdict (431, or 414
//     while in the target) does not depend on how the bytes were split.
//   - Chunked bodies are decoded in place: data moves down to body_off + body_len, which is
//     always behind pos_, so unread bytes (and the next pipelined request) are never touched.
//
// Known limits: http_header offsets are 16-bit, so max_header_bytes is clamped to 65535; body
// offsets are 32-bit, so max_body_bytes is clamped to 4 GiB - 64 KiB. HTTP/1.x minor versions
// other than 0 and 1 are refused with 505 (RFC 9110 §6.2 would allow treating 1.2 as 1.1).
#include "engine/http_parser.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lms {
namespace {

enum state : uint32_t {
    // request line (RFC 9112 §3)
    st_start,          // before the method; empty lines are skipped (§2.2)
    st_start_lf,       // CR of a leading empty line seen
    st_method,         // mark_ = method start
    st_target_start,   // SP after the method seen
    st_target,         // mark_ = target start
    st_version,        // aux_ = bytes of VERSION_PATTERN matched; mark_ = major digit
    st_version_end,    // after the minor digit: CR or LF
    st_version_lf,
    // header fields (§5); trailer fields (§7.1.2) when trailers_
    st_field_start,
    st_field_name,     // mark_ = name start
    st_field_ows,      // after ':'; aux_ = name length
    st_field_value,    // value_off_ = value start
    st_field_lf,       // CR after a field value seen; value_len_ set
    st_section_lf,     // CR of the empty line seen
    // body (§6)
    st_headers_done,   // headers_done returned; the next call picks the framing
    st_body_length,    // Content-Length body; chunk_left_ = bytes left
    st_chunk_size_start,
    st_chunk_size,     // mark_ = chunk-size line start; chunk_left_ = size so far
    st_chunk_ws,       // BWS after the size: only ';' may follow
    st_chunk_ext,
    st_chunk_size_lf,
    st_chunk_data,     // chunk_left_ = data bytes left in this chunk
    st_chunk_data_end, // CRLF after the data
    st_chunk_data_lf,
    st_complete,
    st_error,
};

// §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT ('d' stands for a DIGIT).
constexpr char VERSION_PATTERN[] = "HTTP/d.d";
constexpr uint32_t VERSION_MAJOR_AT = 5;
constexpr uint32_t VERSION_MINOR_AT = 7;

// Name lengths of the fields apply_field() interprets: Host 4, Expect 6, Connection 10,
// Content-Length 14, Transfer-Encoding 17. Other fields skip the call.
constexpr uint32_t RECOGNISED_NAME_LENGTHS = (1u << 4) | (1u << 6) | (1u << 10) | (1u << 14) | (1u << 17);

// A chunk-size line (size and extensions, line ending excluded) longer than this is refused:
// extensions are ignored, so this only bounds the bytes an attacker can make us skip per chunk.
constexpr size_t MAX_CHUNK_LINE = 1024;

constexpr uint8_t TCHAR = 1;  // token character (RFC 9110 §5.6.2)
constexpr uint8_t FIELD = 2;  // field-value byte: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5)
constexpr uint8_t HEX = 4;    // HEXDIG

struct class_table {
    uint8_t bits[256];
};

constexpr class_table make_class_table() noexcept {
    class_table t{};
    for (int c = 0; c < 256; ++c) {
        uint8_t b = 0;
        const bool digit = c >= '0' && c <= '9';
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (digit || alpha) {
            b |= TCHAR;
        }
        for (const char* s = "!#$%&'*+-.^_`|~"; *s != '\0'; ++s) {
            if (c == *s) {
                b |= TCHAR;
            }
        }
        if (c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f)) {
            b |= FIELD;
        }
        if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            b |= HEX;
        }
        t.bits[c] = b;
    }
    return t;
}

constexpr class_table CLASS = make_class_table();

inline bool is_tchar(unsigned char c) noexcept { return (CLASS.bits[c] & TCHAR) != 0; }
inline bool is_field_char(unsigned char c) noexcept { return (CLASS.bits[c] & FIELD) != 0; }
inline bool is_hex(unsigned char c) noexcept { return (CLASS.bits[c] & HEX) != 0; }
// request-target bytes: visible ASCII only (RFC 9112 §3.2; no SP, controls, DEL or obs-text)
inline bool is_target_char(unsigned char c) noexcept { return static_cast<unsigned char>(c - 0x21) < 0x5e; }
inline bool is_digit(unsigned char c) noexcept { return static_cast<unsigned char>(c - '0') < 10; }
inline bool is_ows(unsigned char c) noexcept { return c == ' ' || c == '\t'; }
inline unsigned hex_value(unsigned char c) noexcept {
    return c <= '9' ? c - '0' : (c | 0x20u) - 'a' + 10;
}
// First offset in [p, end) holding a byte that may not appear in a request-target, or end.
inline size_t scan_target(const unsigned char* u, size_t p, size_t end) noexcept {
#if defined(__SSE2__)
    // Signed compare: 0x00-0x20 and 0x80-0xFF are all "< 0x21"; DEL is the one more.
    const __m128i low = _mm_set1_epi8(0x21);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + p));
        const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, low), _mm_cmpeq_epi8(v, del));
        const int mask = _mm_movemask_epi8(bad);
        if (mask != 0) {
            return p + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        }
        p += 16;
    }
#endif
    while (p < end && is_target_char(u[p])) {
        ++p;
    }
    return p;
}

// First offset in [p, end) holding a byte that may not appear in a field value (a CTL other
// than HTAB, or DEL; CR and LF end the scan this way), or end.
inline size_t scan_value(const unsigned char* u, size_t p, size_t end) noexcept {
#if defined(__SSE2__)
    const __m128i ctl_max = _mm_set1_epi8(0x1f);
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + p));
        const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, ctl_max), ctl_max);  // v <= 0x1f unsigned
        const __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), ctl), _mm_cmpeq_epi8(v, del));
        const int mask = _mm_movemask_epi8(bad);
        if (mask != 0) {
            return p + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        }
        p += 16;
    }
#endif
    while (p < end && is_field_char(u[p])) {
        ++p;
    }
    return p;
}
inline char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// s[0, N-1) equals the literal `lower`, ignoring ASCII case, for the fixed names and tokens
// this parser interprets. OR-ing 0x20 lower-cases a letter; it is exact here because the
// literals hold only lower-case letters, digits and '-', and for each such byte b the only
// bytes x with (x | 0x20) == b are b, its upper case, or a CTL other than HTAB, which field
// names and values never contain (rejected before this is called). Eight bytes at a time.
template <size_t N>
inline bool is_literal(const char* s, const char (&lower)[N]) noexcept {
    constexpr size_t n = N - 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a = 0;
        uint64_t b = 0;
        std::memcpy(&a, s + i, 8);
        std::memcpy(&b, lower + i, 8);
        if ((a | 0x2020202020202020ULL) != b) {
            return false;
        }
    }
    for (; i < n; ++i) {
        if ((s[i] | 0x20) != lower[i]) {
            return false;
        }
    }
    return true;
}

template <size_t N>
inline bool is_literal(std::string_view s, const char (&lower)[N]) noexcept {
    return s.size() == N - 1 && is_literal(s.data(), lower);
}

// General ASCII case-insensitive equality (header() takes any name from its caller).
bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Splits off the next element of a comma list (RFC 9110 §5.6.1), OWS trimmed; it may be empty.
std::string_view next_element(std::string_view& rest) noexcept {
    size_t comma = rest.find(',');
    std::string_view e = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!e.empty() && is_ows(static_cast<unsigned char>(e.front()))) {
        e.remove_prefix(1);
    }
    while (!e.empty() && is_ows(static_cast<unsigned char>(e.back()))) {
        e.remove_suffix(1);
    }
    return e;
}

// Methods are case-sensitive (RFC 9112 §3.1): "get" is some other method.
http_method classify_method(const char* m, size_t n) noexcept {
    switch (n) {
    case 3:
        if (std::memcmp(m, "GET", 3) == 0) {
            return http_method::get;
        }
        if (std::memcmp(m, "PUT", 3) == 0) {
            return http_method::put;
        }
        break;
    case 4:
        if (std::memcmp(m, "POST", 4) == 0) {
            return http_method::post;
        }
        if (std::memcmp(m, "HEAD", 4) == 0) {
            return http_method::head;
        }
        break;
    case 5:
        if (std::memcmp(m, "PATCH", 5) == 0) {
            return http_method::patch;
        }
        break;
    case 6:
        if (std::memcmp(m, "DELETE", 6) == 0) {
            return http_method::delete_;
        }
        break;
    case 7:
        if (std::memcmp(m, "OPTIONS", 7) == 0) {
            return http_method::options;
        }
        break;
    default:
        break;
    }
    return http_method::other;
}

constexpr uint64_t MAX_CONTENT_LENGTH = 0x7fffffffffffffffULL;  // 2^63 - 1

}  // namespace

// req_ is not value-initialised: its 64-entry header array (512 bytes) would be zeroed for
// every lent read buffer. reset() sets every other field; header_count says what is live.
http_parser::http_parser(const http_limits& limits) noexcept : limits_(limits) {
    if (limits_.max_header_bytes > 65535) {
        limits_.max_header_bytes = 65535;
    }
    if (limits_.max_headers > http_request::MAX_HEADERS) {
        limits_.max_headers = http_request::MAX_HEADERS;
    }
    if (limits_.max_body_bytes > 0xffffffffULL - 65536) {
        limits_.max_body_bytes = 0xffffffffULL - 65536;
    }
    reset();
}

// The headers array is left as is: header_count says how much of it is live.
void http_parser::reset() noexcept {
    req_.method = http_method::other;
    req_.version_minor = 0;
    req_.keep_alive = false;
    req_.chunked = false;
    req_.has_content_length = false;
    req_.expect_continue = false;
    req_.method_off = 0;
    req_.method_len = 0;
    req_.target_off = 0;
    req_.target_len = 0;
    req_.content_length = 0;
    req_.body_off = 0;
    req_.body_len = 0;
    req_.header_count = 0;
    pos_ = 0;
    state_ = st_start;
    aux_ = 0;
    mark_ = 0;
    value_off_ = 0;
    section_end_ = limits_.max_header_bytes;
    chunk_left_ = 0;
    value_len_ = 0;
    error_status_ = 0;
    error_message_ = "";
    seen_host_ = false;
    conn_close_ = false;
    trailers_ = false;
}

bool http_parser::in_body() const noexcept {
    return trailers_ || (state_ >= st_headers_done && state_ < st_complete);
}

parse_result http_parser::fail(uint16_t status, const char* message) noexcept {
    state_ = st_error;
    trailers_ = false;
    error_status_ = status;
    error_message_ = message;
    return parse_result::error;
}

bool http_parser::reject(uint16_t status, const char* message) noexcept {
    fail(status, message);
    return false;
}

parse_result http_parser::parse(char* buf, size_t len) noexcept {
    if (state_ == st_error) {
        return parse_result::error;
    }
    if (state_ == st_complete) {
        return parse_result::complete;
    }
    if (len < pos_) {  // contract breach (fewer bytes than before): wait rather than misread
        return parse_result::incomplete;
    }
    if (state_ < st_headers_done) {
        return parse_head(buf, len);
    }
    return parse_body(buf, len);
}

// Request line and header fields; after the last chunk, trailer fields. Reads at most up to
// section_end_: the section limit is enforced by never looking further.
//
// Each state is a label. The switch below only resumes a suspended call; within a call control
// passes from label to label directly, so there is no per-byte dispatch and the hot scans
// (target, field value) run 16 bytes at a time. A label that runs out of bytes records its
// state and suspends; everything else it needs is already in members.
parse_result http_parser::parse_head(char* buf, size_t len) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(buf);
    const size_t end = len < section_end_ ? len : section_end_;
    size_t p = pos_;
    unsigned char c = 0;

    switch (state_) {
    case st_start:
        goto start;
    case st_start_lf:
        goto start_lf;
    case st_method:
        goto method;
    case st_target_start:
        goto target_start;
    case st_target:
        goto target;
    case st_version:
        goto version;
    case st_version_end:
        goto version_end;
    case st_version_lf:
        goto version_lf;
    case st_field_start:
        goto field_start;
    case st_field_name:
        goto field_name;
    case st_field_ows:
        goto field_ows;
    case st_field_value:
        goto field_value;
    case st_field_lf:
        goto field_lf;
    case st_section_lf:
        goto section_lf;
    default:
        return fail(400, "internal parser state");  // unreachable
    }

start:
    if (p == end) {
        state_ = st_start;
        goto suspend;
    }
    c = u[p];
    if (c == '\n') {  // §2.2: empty lines before the request-line are ignored
        ++p;
        goto start;
    }
    if (c == '\r') {
        ++p;
        goto start_lf;
    }
    if (!is_tchar(c)) {
        return fail(400, "invalid character in method");  // §3.1: method = token
    }
    mark_ = p++;
    goto method;

start_lf:
    if (p == end) {
        state_ = st_start_lf;
        goto suspend;
    }
    if (u[p] != '\n') {
        return fail(400, "bare CR in request");  // §2.2
    }
    ++p;
    goto start;

method:
    while (p < end && is_tchar(u[p])) {
        ++p;
    }
    if (p == end) {
        state_ = st_method;
        goto suspend;
    }
    if (u[p] != ' ') {
        return fail(400, "invalid character in method");  // §3: method SP request-target
    }
    req_.method_off = static_cast<uint16_t>(mark_);
    req_.method_len = static_cast<uint16_t>(p - mark_);
    req_.method = classify_method(buf + mark_, p - mark_);
    ++p;

target_start:
    if (p == end) {
        state_ = st_target_start;
        goto suspend;
    }
    c = u[p];
    if (!is_target_char(c)) {
        // §3: exactly one SP between the parts; a crafted line is not autocorrected
        return fail(400, c == ' ' ? "empty request target" : "invalid character in request target");
    }
    mark_ = p++;

target:
    p = scan_target(u, p, end);
    if (p == end) {
        state_ = st_target;
        goto suspend;
    }
    c = u[p];
    if (c != ' ') {
        // §3: request-line = method SP request-target SP HTTP-version (no HTTP/0.9)
        return fail(400, (c == '\r' || c == '\n') ? "missing HTTP version" : "invalid character in request target");
    }
    req_.target_off = static_cast<uint16_t>(mark_);
    req_.target_len = static_cast<uint16_t>(p - mark_);
    ++p;
    aux_ = 0;

version:
    // §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive; aux_ = bytes matched.
    while (aux_ < sizeof VERSION_PATTERN - 1) {
        if (p == end) {
            state_ = st_version;
            goto suspend;
        }
        c = u[p];
        const char want = VERSION_PATTERN[aux_];
        if (want == 'd' ? !is_digit(c) : c != static_cast<unsigned char>(want)) {
            return fail(400, "invalid HTTP version");  // §2.3
        }
        if (aux_ == VERSION_MAJOR_AT) {
            mark_ = c - '0';  // the target is stored: mark_ is free until the first field
        } else if (aux_ == VERSION_MINOR_AT) {
            req_.version_minor = static_cast<uint8_t>(c - '0');
        }
        ++p;
        ++aux_;
    }

version_end:
    if (p == end) {
        state_ = st_version_end;
        goto suspend;
    }
    c = u[p];
    if (c == '\r') {
        ++p;
        goto version_lf;
    }
    if (c != '\n') {
        return fail(400, "invalid HTTP version");  // §3: the version ends the line
    }
    goto version_checked;

version_lf:
    if (p == end) {
        state_ = st_version_lf;
        goto suspend;
    }
    if (u[p] != '\n') {
        return fail(400, "bare CR in request");  // §2.2
    }

version_checked:
    ++p;
    if (mark_ != 1 || req_.version_minor > 1) {
        return fail(505, "unsupported HTTP version");  // well-formed, not 1.0/1.1: RFC 9110 §15.6.6
    }
    req_.keep_alive = req_.version_minor == 1;  // §9.3: persistent by default from 1.1

field_start:
    if (p == end) {
        state_ = st_field_start;
        goto suspend;
    }
    c = u[p];
    if (c == '\r') {
        ++p;
        goto section_lf;
    }
    if (c == '\n') {
        ++p;
        goto section_end;
    }
    if (!is_tchar(c)) {
        if (is_ows(c)) {
            if (req_.header_count == 0 && !trailers_) {
                return fail(400, "whitespace before first header field");  // §2.2
            }
            return fail(400, "obsolete line folding");  // §5.2
        }
        // §5.1: field-name = token (so also not empty)
        return fail(400, c == ':' ? "empty header name" : "invalid character in header name");
    }
    if (!trailers_ && req_.header_count == limits_.max_headers) {
        return fail(431, "too many header fields");  // RFC 6585 §5
    }
    mark_ = p++;

field_name:
    while (p < end && is_tchar(u[p])) {
        ++p;
    }
    if (p == end) {
        state_ = st_field_name;
        goto suspend;
    }
    c = u[p];
    if (c != ':') {
        if (is_ows(c)) {
            return fail(400, "whitespace between header name and colon");  // §5.1: MUST reject
        }
        if (c == '\r' || c == '\n') {
            return fail(400, "missing colon in header field");  // §5: field-name ":" field-value
        }
        return fail(400, "invalid character in header name");  // §5.1
    }
    aux_ = static_cast<uint32_t>(p - mark_);
    ++p;

field_ows:
    while (p < end && is_ows(u[p])) {
        ++p;
    }
    if (p == end) {
        state_ = st_field_ows;
        goto suspend;
    }
    value_off_ = p;

field_value:
    p = scan_value(u, p, end);
    if (p == end) {
        state_ = st_field_value;
        goto suspend;
    }
    c = u[p];
    if (c != '\r' && c != '\n') {
        return fail(400, "invalid character in header value");  // RFC 9110 §5.5: no CTLs
    }
    {
        // §5: trailing OWS is not part of the value. Walks back over whitespace only.
        size_t v = p;
        while (v > value_off_ && is_ows(u[v - 1])) {
            --v;
        }
        value_len_ = static_cast<uint32_t>(v - value_off_);
    }
    ++p;
    if (c == '\n') {
        goto field_end;
    }

field_lf:
    if (p == end) {
        state_ = st_field_lf;
        goto suspend;
    }
    if (u[p] != '\n') {
        return fail(400, "bare CR in request");  // §2.2
    }
    ++p;

field_end:
    // Trailer fields are checked and dropped (§7.1.2: no semantics here); header fields stored.
    if (!trailers_) {
        http_header& f = req_.headers[req_.header_count++];
        f.name_off = static_cast<uint16_t>(mark_);
        f.name_len = static_cast<uint16_t>(aux_);
        f.value_off = static_cast<uint16_t>(value_off_);
        f.value_len = static_cast<uint16_t>(value_len_);
        if (aux_ < 32 && ((RECOGNISED_NAME_LENGTHS >> aux_) & 1) != 0 && !apply_field(buf, f)) {
            return parse_result::error;
        }
    }
    goto field_start;

section_lf:
    if (p == end) {
        state_ = st_section_lf;
        goto suspend;
    }
    if (u[p] != '\n') {
        return fail(400, "bare CR in request");  // §2.2
    }
    ++p;

section_end:
    pos_ = p;
    return end_section();

suspend:
    pos_ = p;
    if (p < len) {  // stopped at section_end_ with bytes beyond it: the section is too large
        if (trailers_) {
            return fail(431, "trailer section too large");  // §7.1.2: trailers bounded like headers
        }
        if (state_ == st_target) {
            return fail(414, "request target too long");  // RFC 9110 §15.5.15
        }
        return fail(431, "request header section too large");  // RFC 6585 §5
    }
    return parse_result::incomplete;
}

bool http_parser::apply_field(const char* buf, const http_header& f) noexcept {
    const char* name = buf + f.name_off;
    std::string_view value(buf + f.value_off, f.value_len);
    switch (f.name_len) {
    case 4:
        if (is_literal(name, "host")) {
            if (seen_host_) {
                return reject(400, "multiple Host headers");  // §3.2: exactly one Host
            }
            seen_host_ = true;
        }
        return true;

    case 6:
        // RFC 9110 §10.1.1: other expectations are ignored here (no 417); an HTTP/1.0
        // request's 100-continue MUST be ignored.
        if (is_literal(name, "expect") && req_.version_minor == 1 && is_literal(value, "100-continue")) {
            req_.expect_continue = true;
        }
        return true;

    case 10:
        if (is_literal(name, "connection")) {  // §9.3, RFC 9110 §7.6.1
            std::string_view rest = value;
            while (!rest.empty()) {
                std::string_view opt = next_element(rest);
                if (is_literal(opt, "close")) {
                    conn_close_ = true;
                    req_.keep_alive = false;
                } else if (is_literal(opt, "keep-alive") && !conn_close_) {
                    req_.keep_alive = true;
                }
            }
        }
        return true;

    case 14:
        if (is_literal(name, "content-length")) {
            if (req_.chunked) {
                return reject(400, "Content-Length and Transfer-Encoding both present");  // §6.3 (smuggling)
            }
            if (value.empty()) {
                return reject(400, "invalid Content-Length");  // RFC 9110 §8.6: 1*DIGIT
            }
            uint64_t n = 0;
            for (char ch : value) {
                const auto d = static_cast<unsigned char>(ch - '0');
                if (d > 9) {
                    return reject(400, "invalid Content-Length");  // §6.3: no sign, no list
                }
                if (n > (MAX_CONTENT_LENGTH - d) / 10) {
                    return reject(400, "Content-Length overflow");  // §6.3: invalid length
                }
                n = n * 10 + d;
            }
            if (req_.has_content_length && n != req_.content_length) {
                return reject(400, "conflicting Content-Length");  // §6.3
            }
            req_.has_content_length = true;
            req_.content_length = n;
        }
        return true;

    case 17:
        if (is_literal(name, "transfer-encoding")) {
            if (req_.version_minor == 0) {
                return reject(400, "Transfer-Encoding in HTTP/1.0 request");  // §6.1
            }
            if (req_.has_content_length) {
                return reject(400, "Content-Length and Transfer-Encoding both present");  // §6.3 (smuggling)
            }
            // Codings in order, across all Transfer-Encoding fields (§6.1). req_.chunked means
            // "chunked seen": anything after it is an error, so it is also "chunked is last".
            bool any = false;
            std::string_view rest = value;
            while (!rest.empty()) {
                std::string_view coding = next_element(rest);
                if (coding.empty()) {
                    continue;  // RFC 9110 §5.6.1: empty list elements are ignored
                }
                any = true;
                if (is_literal(coding, "chunked")) {
                    if (req_.chunked) {
                        return reject(400, "chunked applied more than once");  // §6.1
                    }
                    req_.chunked = true;
                } else if (req_.chunked) {
                    return reject(400, "chunked is not the final transfer coding");  // §6.3
                } else {
                    return reject(501, "unsupported transfer coding");  // §6.1
                }
            }
            if (!any) {
                return reject(400, "empty Transfer-Encoding");  // §6.1: 1#transfer-coding
            }
        }
        return true;

    default:
        return true;
    }
}

// The empty line ending the header section (or the trailer section). pos_ is past it.
parse_result http_parser::end_section() noexcept {
    if (trailers_) {
        trailers_ = false;
        state_ = st_complete;
        return parse_result::complete;
    }
    if (req_.version_minor == 1 && !seen_host_) {
        return fail(400, "missing Host header");  // §3.2: MUST respond 400
    }
    if (req_.has_content_length && req_.content_length > limits_.max_body_bytes) {
        return fail(413, "request body too large");  // RFC 9110 §15.5.14
    }
    req_.body_off = static_cast<uint32_t>(pos_);
    req_.body_len = 0;
    state_ = st_headers_done;
    return parse_result::headers_done;
}

parse_result http_parser::parse_body(char* buf, size_t len) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(buf);
    size_t p = pos_;
    for (;;) {
        switch (state_) {
        case st_headers_done:
            if (req_.chunked) {  // §6.3: chunked wins; Content-Length is absent (checked)
                state_ = st_chunk_size_start;
                break;
            }
            if (req_.content_length == 0) {  // §6.3: no framing means no body in a request
                state_ = st_complete;
                return parse_result::complete;
            }
            chunk_left_ = req_.content_length;
            state_ = st_body_length;
            break;

        case st_body_length: {
            const size_t have = len - p;
            const size_t n = have < chunk_left_ ? have : static_cast<size_t>(chunk_left_);
            p += n;
            chunk_left_ -= n;
            req_.body_len += static_cast<uint32_t>(n);
            pos_ = p;
            if (chunk_left_ != 0) {
                return parse_result::incomplete;
            }
            state_ = st_complete;
            return parse_result::complete;
        }

        case st_chunk_size_start:
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (!is_hex(u[p])) {
                return fail(400, "invalid chunk size");  // §7.1: chunk-size = 1*HEXDIG
            }
            mark_ = p;
            chunk_left_ = 0;
            state_ = st_chunk_size;
            [[fallthrough]];
        case st_chunk_size: {
            unsigned char c = 0;
            for (; p < len; ++p) {
                c = u[p];
                if (!is_hex(c)) {
                    break;
                }
                if (p - mark_ >= MAX_CHUNK_LINE) {
                    return fail(400, "chunk size line too long");
                }
                if (chunk_left_ > (UINT64_MAX >> 4)) {
                    return fail(400, "chunk size overflow");  // §7.1: MUST guard against overflow
                }
                chunk_left_ = (chunk_left_ << 4) | hex_value(c);
            }
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (c == '\r') {
                state_ = st_chunk_size_lf;
                ++p;
                break;
            }
            if (c == '\n') {
                state_ = st_chunk_size_lf;  // handled there: LF ends the line
                break;
            }
            if (p - mark_ >= MAX_CHUNK_LINE) {
                return fail(400, "chunk size line too long");
            }
            if (c == ';') {
                state_ = st_chunk_ext;
                ++p;
                break;
            }
            if (is_ows(c)) {
                state_ = st_chunk_ws;
                ++p;
                break;
            }
            return fail(400, "invalid chunk size");  // §7.1
        }

        case st_chunk_ws: {
            for (; p < len && is_ows(u[p]); ++p) {
                if (p - mark_ >= MAX_CHUNK_LINE) {
                    return fail(400, "chunk size line too long");
                }
            }
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (p - mark_ >= MAX_CHUNK_LINE) {
                return fail(400, "chunk size line too long");
            }
            if (u[p] != ';') {
                return fail(400, "invalid chunk size");  // §7.1.1: only BWS ";" chunk-ext may follow
            }
            state_ = st_chunk_ext;
            ++p;
            break;
        }

        case st_chunk_ext: {
            // §7.1.1: extensions are ignored; only their bytes are checked (no CTLs, no bare CR).
            for (; p < len && is_field_char(u[p]); ++p) {
                if (p - mark_ >= MAX_CHUNK_LINE) {
                    return fail(400, "chunk size line too long");
                }
            }
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            const unsigned char c = u[p];
            if (c == '\r') {
                state_ = st_chunk_size_lf;
                ++p;
                break;
            }
            if (c != '\n') {
                return fail(400, "invalid character in chunk extension");  // §7.1.1
            }
            state_ = st_chunk_size_lf;  // handled there: LF ends the line
            break;
        }

        case st_chunk_size_lf:
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (u[p] != '\n') {
                return fail(400, "bare CR in request");  // §2.2
            }
            ++p;
            if (chunk_left_ == 0) {
                // §7.1: last-chunk; trailer fields follow, bounded like a header section.
                trailers_ = true;
                section_end_ = p + limits_.max_header_bytes;
                state_ = st_field_start;
                pos_ = p;
                return parse_head(buf, len);
            }
            if (chunk_left_ > limits_.max_body_bytes - req_.body_len) {
                return fail(413, "request body too large");  // RFC 9110 §15.5.14
            }
            state_ = st_chunk_data;
            break;

        case st_chunk_data: {
            const size_t have = len - p;
            const size_t n = have < chunk_left_ ? have : static_cast<size_t>(chunk_left_);
            // Decode in place: the write end is behind p (the framing already read lies between).
            std::memmove(buf + req_.body_off + req_.body_len, buf + p, n);
            p += n;
            chunk_left_ -= n;
            req_.body_len += static_cast<uint32_t>(n);
            if (chunk_left_ != 0) {
                pos_ = p;
                return parse_result::incomplete;
            }
            state_ = st_chunk_data_end;
            break;
        }

        case st_chunk_data_end:
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (u[p] == '\r') {
                state_ = st_chunk_data_lf;
                ++p;
                break;
            }
            if (u[p] != '\n') {
                return fail(400, "missing CRLF after chunk data");  // §7.1: chunk-data CRLF
            }
            ++p;
            state_ = st_chunk_size_start;
            break;

        case st_chunk_data_lf:
            if (p == len) {
                pos_ = p;
                return parse_result::incomplete;
            }
            if (u[p] != '\n') {
                return fail(400, "bare CR in request");  // §2.2
            }
            ++p;
            state_ = st_chunk_size_start;
            break;

        default:
            return fail(400, "internal parser state");  // unreachable
        }
    }
}

std::string_view http_parser::header(const char* buf, std::string_view name) const noexcept {
    for (uint32_t i = 0; i < req_.header_count; ++i) {
        const http_header& h = req_.headers[i];
        if (iequals(std::string_view(buf + h.name_off, h.name_len), name)) {
            return {buf + h.value_off, h.value_len};
        }
    }
    return {};
}

}  // namespace lms
