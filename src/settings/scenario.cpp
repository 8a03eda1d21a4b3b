// scenario: parsing a timeline once (simdjson DOM, error codes only), then answering "where are
// we and what is in force" as a pure function of the time, with no allocation.
//
// Error lines: simdjson's DOM keeps no source positions, so the line of an error is found in
// the raw text afterwards. A field error walks the text along the field's path (phases, [i],
// duration, ...) with a small skipper that trusts the text to be valid JSON (simdjson said it
// is); a syntax error is found by a small RFC 8259 scanner that stops at the first offending
// byte. Both run only when there is an error to report.
#include "settings/scenario.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace lms {

namespace {

constexpr double NS_PER_S = 1e9;
constexpr double MAX_FIXED_SECONDS = 1e9;  // parse_latency_model's bound, for a number end of a model ramp
constexpr double MIN_LOGNORMAL_MEDIAN = 1e-9;  // the smallest median 9 decimals can show (> 0)

constexpr const char* DURATION_EXPECTED =
    "expected a number of seconds or a string like \"500ms\", \"30s\", \"2m\"";
constexpr const char* BOTH_ENDS = "both ends must be numbers or latency models of the same kind";
constexpr const char* NAME_EXPECTED = "expected a non-empty string of at most 64 bytes";

// ---- where in the text -------------------------------------------------------------------

// A place in the document as steps from the root: an object's key (its nth occurrence, for
// duplicates) or an array's element. The deepest is phases[i].ramp.NAME[j]: five steps.
struct step {
    std::string_view key;
    size_t index = SIZE_MAX;  // SIZE_MAX: a key step
    unsigned nth = 0;
};

struct where {
    step steps[6];
    size_t n = 0;

    [[nodiscard]] where then(std::string_view key, unsigned nth = 0) const {
        where w = *this;
        w.steps[w.n++] = step{key, SIZE_MAX, nth};
        return w;
    }
    [[nodiscard]] where at(size_t index) const {
        where w = *this;
        w.steps[w.n++] = step{{}, index, 0};
        return w;
    }
};

std::string path_text(const where& w) {
    std::string p;
    for (size_t i = 0; i < w.n; ++i) {
        if (w.steps[i].index != SIZE_MAX) {
            p += fmt::format("[{}]", w.steps[i].index);
        } else {
            if (!p.empty()) {
                p += '.';
            }
            p += w.steps[i].key;
        }
    }
    return p;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view t, size_t i) {
    while (i < t.size() && is_ws(t[i])) {
        ++i;
    }
    return i;
}

// t[i] is '"'; returns the index after the closing quote (t.size() if there is none).
size_t skip_string(std::string_view t, size_t i) {
    for (++i; i < t.size(); ++i) {
        if (t[i] == '\\') {
            ++i;
        } else if (t[i] == '"') {
            return i + 1;
        }
    }
    return t.size();
}

// Skips one value of valid JSON starting at t[i]; returns the index after it.
size_t skip_value(std::string_view t, size_t i) {
    if (i >= t.size()) {
        return i;
    }
    if (t[i] == '"') {
        return skip_string(t, i);
    }
    if (t[i] == '{' || t[i] == '[') {
        size_t depth = 0;
        while (i < t.size()) {
            const char c = t[i];
            if (c == '"') {
                i = skip_string(t, i);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
        return i;
    }
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && !is_ws(t[i])) {
        ++i;  // a number or a literal
    }
    return i;
}

// The offset of the place w names in valid JSON text: a key step's key, an element's value.
// When a step is not there (a missing key), the offset of the deepest step that is. Keys are
// compared as written, so a key spelt with escapes is not found (its parent is named instead).
size_t locate(std::string_view t, const where& w) {
    size_t i = skip_ws(t, 0);
    size_t found = i;
    for (size_t s = 0; s < w.n; ++s) {
        const step& st = w.steps[s];
        if (i >= t.size()) {
            return found;
        }
        if (st.index == SIZE_MAX) {
            if (t[i] != '{') {
                return found;
            }
            i = skip_ws(t, i + 1);
            unsigned seen = 0;
            bool hit = false;
            while (i < t.size() && t[i] == '"') {
                const size_t key_at = i;
                const size_t key_end = skip_string(t, i);
                const std::string_view raw = t.substr(key_at + 1, key_end - key_at - 2);
                i = skip_ws(t, key_end);
                if (i < t.size() && t[i] == ':') {
                    i = skip_ws(t, i + 1);
                }
                if (raw == st.key && seen++ == st.nth) {
                    found = key_at;
                    hit = true;
                    break;
                }
                i = skip_ws(t, skip_value(t, i));
                if (i >= t.size() || t[i] != ',') {
                    break;
                }
                i = skip_ws(t, i + 1);
            }
            if (!hit) {
                return found;
            }
        } else {
            if (t[i] != '[') {
                return found;
            }
            i = skip_ws(t, i + 1);
            for (size_t e = 0; e < st.index; ++e) {
                i = skip_ws(t, skip_value(t, i));
                if (i >= t.size() || t[i] != ',') {
                    return found;
                }
                i = skip_ws(t, i + 1);
            }
            if (i >= t.size() || t[i] == ']') {
                return found;
            }
            found = i;
        }
    }
    return found;
}

size_t line_of(std::string_view t, size_t pos) {
    size_t line = 1;
    for (size_t i = 0; i < pos && i < t.size(); ++i) {
        line += t[i] == '\n' ? 1 : 0;
    }
    return line;
}

// ---- the first syntax error --------------------------------------------------------------

struct syntax_error {
    size_t pos = 0;
    const char* what = "";
};

// The first byte that is not well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or npos.
size_t bad_utf8(std::string_view t) {
    size_t i = 0;
    while (i < t.size()) {
        const auto c = uint8_t(t[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07u;
        } else {
            return i;
        }
        if (i + len > t.size()) {
            return i;
        }
        for (size_t j = 1; j < len; ++j) {
            const auto cc = uint8_t(t[i + j]);
            if ((cc & 0xc0) != 0x80) {
                return i;
            }
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

bool is_digit(std::string_view t, size_t i) { return i < t.size() && t[i] >= '0' && t[i] <= '9'; }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 8259 section 7; t[i] is '"'. The index after it, or false with e filled.
bool scan_string(std::string_view t, size_t& i, syntax_error& e) {
    const size_t start = i;
    for (++i; i < t.size(); ++i) {
        const char c = t[i];
        if (c == '"') {
            ++i;
            return true;
        }
        if (uint8_t(c) < 0x20) {
            e = {i, "a control character in a string (escape it)"};
            return false;
        }
        if (c == '\\') {
            if (i + 1 >= t.size()) {
                break;
            }
            const char x = t[i + 1];
            if (x == 'u') {
                if (i + 6 > t.size() || !is_hex(t[i + 2]) || !is_hex(t[i + 3]) || !is_hex(t[i + 4]) ||
                    !is_hex(t[i + 5])) {
                    e = {i, "a \\u escape needs four hex digits"};
                    return false;
                }
                i += 5;
            } else if (std::strchr("\"\\/bfnrt", x) != nullptr && x != '\0') {
                ++i;
            } else {
                e = {i, "an unknown escape in a string"};
                return false;
            }
        }
    }
    e = {start, "a string is not closed"};
    return false;
}

// RFC 8259 section 6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool scan_number(std::string_view t, size_t& i, syntax_error& e) {
    if (t[i] == '-') {
        ++i;
    }
    if (!is_digit(t, i)) {
        e = {i, "a digit expected in a number"};
        return false;
    }
    if (t[i] == '0') {
        ++i;
    } else {
        while (is_digit(t, i)) {
            ++i;
        }
    }
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (!is_digit(t, i)) {
            e = {i, "a digit expected after the decimal point"};
            return false;
        }
        while (is_digit(t, i)) {
            ++i;
        }
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
            ++i;
        }
        if (!is_digit(t, i)) {
            e = {i, "a digit expected in the exponent"};
            return false;
        }
        while (is_digit(t, i)) {
            ++i;
        }
    }
    return true;
}

// The first syntax error of t, if this scanner sees one (it does not check what simdjson alone
// refuses, such as nesting deeper than its limit or lone surrogates in \u escapes).
bool find_syntax_error(std::string_view t, syntax_error& e) {
    if (size_t bad = bad_utf8(t); bad != std::string_view::npos) {
        e = {bad, "not UTF-8"};
        return true;
    }
    std::string open;  // the enclosing '{' and '['
    size_t i = 0;
    enum class want : uint8_t { value, key, after };
    want w = want::value;
    for (;;) {
        i = skip_ws(t, i);
        if (w == want::value) {
            if (i >= t.size()) {
                e = {i, "a value expected"};
                return true;
            }
            const char c = t[i];
            if (c == '{' || c == '[') {
                open += c;
                i = skip_ws(t, i + 1);
                if (i < t.size() && t[i] == (c == '{' ? '}' : ']')) {
                    open.pop_back();
                    ++i;
                    w = want::after;
                } else {
                    w = c == '{' ? want::key : want::value;
                }
                continue;
            }
            if (c == '"') {
                if (!scan_string(t, i, e)) {
                    return true;
                }
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (!scan_number(t, i, e)) {
                    return true;
                }
            } else if (t.substr(i, 4) == "true" || t.substr(i, 4) == "null") {
                i += 4;
            } else if (t.substr(i, 5) == "false") {
                i += 5;
            } else {
                e = {i, "a value expected"};
                return true;
            }
            w = want::after;
        } else if (w == want::key) {
            if (i >= t.size() || t[i] != '"') {
                e = {i, "a key in double quotes expected"};
                return true;
            }
            if (!scan_string(t, i, e)) {
                return true;
            }
            i = skip_ws(t, i);
            if (i >= t.size() || t[i] != ':') {
                e = {i, "':' expected after a key"};
                return true;
            }
            ++i;
            w = want::value;
        } else {
            if (open.empty()) {
                if (i != t.size()) {
                    e = {i, "more text after the end of the scenario"};
                    return true;
                }
                return false;
            }
            const bool in_object = open.back() == '{';
            if (i < t.size() && t[i] == ',') {
                ++i;
                w = in_object ? want::key : want::value;
            } else if (i < t.size() && t[i] == (in_object ? '}' : ']')) {
                ++i;
                open.pop_back();
            } else {
                e = {i, in_object ? "',' or '}' expected" : "',' or ']' expected"};
                return true;
            }
        }
    }
}

// ---- reading the document ----------------------------------------------------------------

// Plain decimals for rendered values (the settings' own parsers take no exponents): at most 9
// decimals, trailing zeros trimmed. The length written, 0 when it does not fit.
size_t render_decimal(double v, char* buf, size_t cap) noexcept {
    const auto r = fmt::format_to_n(buf, cap, "{:.9f}", v);
    if (r.size > cap) {
        return 0;
    }
    size_t n = r.size;  // "{:.9f}" always writes a '.', so the trim stops there
    while (n > 0 && buf[n - 1] == '0') {
        --n;
    }
    if (n > 0 && buf[n - 1] == '.') {
        --n;
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {  // -0.0000000001 shown as 0, not -0
        buf[0] = '0';
        n = 1;
    }
    return n;
}

std::string number_text(simdjson::dom::element v) {
    int64_t i;
    uint64_t u;
    double d;
    if (v.get(i) == simdjson::SUCCESS) {
        return fmt::format("{}", i);
    }
    if (v.get(u) == simdjson::SUCCESS) {
        return fmt::format("{}", u);
    }
    if (v.get(d) == simdjson::SUCCESS) {
        return fmt::format("{}", d);
    }
    return {};
}

bool is_number(simdjson::dom::element v) {
    const auto t = v.type();
    return t == simdjson::dom::element_type::INT64 || t == simdjson::dom::element_type::UINT64 ||
           t == simdjson::dom::element_type::DOUBLE;
}

// One end of a ramp as written.
struct ramp_end {
    bool model = false;
    bool integer = false;  // a JSON integer (no '.' or exponent)
    double v = 0;
    latency_model m{};
    std::string text;  // for validate
};

struct reader {
    std::string_view text;
    const scenario_validate& validate;
    std::string& message;

    bool fail(const where& w, std::string_view what) {
        const std::string path = path_text(w);
        message = fmt::format("scenario (line {}): {}{}{}", line_of(text, locate(text, w)), path,
                              path.empty() ? "" : ": ", what);
        return false;
    }

    bool check(const where& w, std::string_view name, std::string_view value) {
        if (!validate) {
            return true;
        }
        std::string why;
        if (validate(name, value, why)) {
            return true;
        }
        return fail(w, why.empty() ? std::string_view("refused") : std::string_view(why));
    }

    bool read_name(simdjson::dom::element v, const where& w, std::string& out) {
        std::string_view s;
        if (v.get(s) != simdjson::SUCCESS || s.empty() || s.size() > MAX_SCENARIO_NAME_BYTES) {
            return fail(w, NAME_EXPECTED);
        }
        out = std::string(s);
        return true;
    }

    // A number of seconds, or a plain decimal and a unit; rounded to the nanosecond.
    bool read_duration(simdjson::dom::element v, const where& w, uint64_t& ns) {
        double amount = 0;
        double unit_ns = NS_PER_S;
        std::string_view s;
        if (is_number(v)) {
            if (v.get(amount) != simdjson::SUCCESS) {
                return fail(w, DURATION_EXPECTED);
            }
        } else if (v.get(s) == simdjson::SUCCESS) {
            // digits, optionally '.' and digits, then ms, s, m or h; no sign, spaces or exponent
            size_t digits_end = 0;
            while (digits_end < s.size() && ((s[digits_end] >= '0' && s[digits_end] <= '9') || s[digits_end] == '.')) {
                ++digits_end;
            }
            const std::string_view number = s.substr(0, digits_end);
            const std::string_view unit = s.substr(digits_end);
            if (unit == "ms") {
                unit_ns = 1e6;
            } else if (unit == "s") {
                unit_ns = 1e9;
            } else if (unit == "m") {
                unit_ns = 60e9;
            } else if (unit == "h") {
                unit_ns = 3600e9;
            } else {
                return fail(w, DURATION_EXPECTED);
            }
            if (number.empty() || number.front() == '.' || number.back() == '.' ||
                number.find('.') != number.rfind('.')) {
                return fail(w, DURATION_EXPECTED);
            }
            const auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), amount);
            if (ec != std::errc() || p != number.data() + number.size()) {
                return fail(w, DURATION_EXPECTED);
            }
        } else {
            return fail(w, DURATION_EXPECTED);
        }
        // 7 days in ns (6.048e14) is below 2^53: the rounding and the comparison are exact.
        const double r = std::round(amount * unit_ns);
        if (!std::isfinite(r) || r > double(MAX_SCENARIO_PHASE_NS)) {
            return fail(w, "at most 7 days (604800 s)");
        }
        if (!(r >= 1)) {
            return fail(w, "must be more than 0 (at least 1 ns)");
        }
        ns = uint64_t(r);
        return true;
    }

    bool count_setting(const where& w, size_t& count) {
        if (++count > MAX_SCENARIO_SETTINGS) {
            return fail(w, "at most 32 settings in a phase (set and ramp together)");
        }
        return true;
    }

    bool read_set(simdjson::dom::element v, const where& w, scenario_phase& p, size_t& count) {
        simdjson::dom::object obj;
        if (v.get(obj) != simdjson::SUCCESS) {
            return fail(w, "expected an object of SETTING: value");
        }
        for (auto field : obj) {
            const std::string_view name = field.key;
            const where fw = w.then(name);
            for (const scenario_setting& e : p.set) {
                if (e.name == name) {
                    return fail(w.then(name, 1), "given twice");
                }
            }
            if (!count_setting(fw, count)) {
                return false;
            }
            std::string value;
            std::string_view s;
            bool b;
            if (field.value.get(s) == simdjson::SUCCESS) {
                if (s.size() > MAX_SCENARIO_VALUE_BYTES) {
                    return fail(fw, "at most 64 bytes");
                }
                value = std::string(s);
            } else if (field.value.get(b) == simdjson::SUCCESS) {
                value = b ? "true" : "false";
            } else if (is_number(field.value)) {
                value = number_text(field.value);
            } else {
                return fail(fw, "expected a string, a number or a boolean");
            }
            if (!check(fw, name, value)) {
                return false;
            }
            p.set.push_back(scenario_setting{std::string(name), std::move(value)});
        }
        return true;
    }

    bool read_end(simdjson::dom::element v, const where& fw, size_t j, ramp_end& e) {
        const where ew = fw.at(j);
        std::string_view s;
        if (is_number(v)) {
            e.integer = v.type() != simdjson::dom::element_type::DOUBLE;
            if (v.get(e.v) != simdjson::SUCCESS) {
                return fail(ew, BOTH_ENDS);
            }
            if (std::fabs(e.v) > MAX_SCENARIO_RAMP_MAGNITUDE) {
                return fail(ew, "at most 1e15 in magnitude");
            }
            e.text = number_text(v);
            return true;
        }
        if (v.get(s) == simdjson::SUCCESS) {
            std::string why;
            if (!parse_latency_model(s, e.m, why)) {
                return fail(ew, fmt::format("not a latency model ({})", why));
            }
            e.model = true;
            e.text = std::string(s);
            return true;
        }
        return fail(fw, BOTH_ENDS);
    }

    bool read_ramp(simdjson::dom::element v, const where& w, scenario_phase& p, size_t& count) {
        simdjson::dom::object obj;
        if (v.get(obj) != simdjson::SUCCESS) {
            return fail(w, "expected an object of SETTING: [from, to]");
        }
        for (auto field : obj) {
            const std::string_view name = field.key;
            const where fw = w.then(name);
            for (const scenario_ramp& r : p.ramp) {
                if (r.name == name) {
                    return fail(w.then(name, 1), "given twice");
                }
            }
            for (const scenario_setting& e : p.set) {
                if (e.name == name) {
                    return fail(fw, "also in set: a phase either sets or ramps a setting");
                }
            }
            if (!count_setting(fw, count)) {
                return false;
            }
            simdjson::dom::array ends;
            if (field.value.get(ends) != simdjson::SUCCESS || ends.size() != 2) {
                return fail(fw, "expected [from, to]");
            }
            ramp_end e[2];
            size_t j = 0;
            for (simdjson::dom::element end : ends) {
                if (!read_end(end, fw, j, e[j])) {
                    return false;
                }
                ++j;
            }
            scenario_ramp r;
            r.name = std::string(name);
            if (!e[0].model && !e[1].model) {
                r.k = scenario_ramp::kind::decimal;
                r.from_v = e[0].v;
                r.to_v = e[1].v;
            } else {
                for (ramp_end& x : e) {
                    if (!x.model) {  // a plain number at one end is a fixed model
                        if (x.v < 0 || x.v > MAX_FIXED_SECONDS) {
                            return fail(fw, BOTH_ENDS);
                        }
                        x.m = latency_model{latency_model::kind::fixed, x.v, 0};
                    }
                }
                if (e[0].m.k != e[1].m.k) {
                    return fail(fw, BOTH_ENDS);
                }
                r.k = scenario_ramp::kind::model;
                r.from = e[0].m;
                r.to = e[1].m;
            }
            if (!check(fw.at(0), name, e[0].text) || !check(fw.at(1), name, e[1].text)) {
                return false;
            }
            if (r.k == scenario_ramp::kind::decimal && e[0].integer && e[1].integer && validate) {
                // A count refuses a fraction between its ends: then the ramp steps in whole numbers.
                char probe[MAX_SCENARIO_VALUE_BYTES];
                const size_t n = render_decimal(std::fmin(r.from_v, r.to_v) + 0.5, probe, sizeof probe);
                std::string why;
                if (n != 0 && !validate(name, std::string_view(probe, n), why)) {
                    r.k = scenario_ramp::kind::whole;
                }
            }
            p.ramp.push_back(std::move(r));
        }
        return true;
    }

    bool read_phase(simdjson::dom::element v, const where& w, scenario_phase& p) {
        simdjson::dom::object obj;
        if (v.get(obj) != simdjson::SUCCESS) {
            return fail(w, "expected an object with name, duration, and set or ramp");
        }
        bool has_name = false;
        bool has_duration = false;
        bool has_set = false;
        bool has_ramp = false;
        simdjson::dom::element set;
        simdjson::dom::element ramp;
        for (auto field : obj) {
            const std::string_view key = field.key;
            bool* seen = key == "name"       ? &has_name
                         : key == "duration" ? &has_duration
                         : key == "set"      ? &has_set
                         : key == "ramp"     ? &has_ramp
                                             : nullptr;
            if (seen == nullptr) {
                return fail(w.then(key), "unknown key (expected name, duration, set, ramp)");
            }
            if (*seen) {
                return fail(w.then(key, 1), "given twice");
            }
            *seen = true;
            if (key == "name") {
                if (!read_name(field.value, w.then(key), p.name)) {
                    return false;
                }
            } else if (key == "duration") {
                if (!read_duration(field.value, w.then(key), p.duration_ns)) {
                    return false;
                }
            } else if (key == "set") {
                set = field.value;
            } else {
                ramp = field.value;
            }
        }
        if (!has_name) {
            return fail(w.then("name"), "required");
        }
        if (!has_duration) {
            return fail(w.then("duration"), "required");
        }
        // set before ramp whatever their order in the text, so "in both" is found at the ramp
        size_t count = 0;
        if (has_set && !read_set(set, w.then("set"), p, count)) {
            return false;
        }
        return !has_ramp || read_ramp(ramp, w.then("ramp"), p, count);
    }

    bool read(simdjson::dom::element root, scenario& s) {
        simdjson::dom::object obj;
        if (root.get(obj) != simdjson::SUCCESS) {
            return fail(where{}, "expected an object with name, phases and optionally repeat");
        }
        bool has_name = false;
        bool has_repeat = false;
        bool has_phases = false;
        for (auto field : obj) {
            const std::string_view key = field.key;
            const where w = where{}.then(key);
            bool* seen = key == "name"     ? &has_name
                         : key == "repeat" ? &has_repeat
                         : key == "phases" ? &has_phases
                                           : nullptr;
            if (seen == nullptr) {
                return fail(w, "unknown key (expected name, repeat, phases)");
            }
            if (*seen) {
                return fail(where{}.then(key, 1), "given twice");
            }
            *seen = true;
            if (key == "name") {
                if (!read_name(field.value, w, s.name)) {
                    return false;
                }
            } else if (key == "repeat") {
                if (field.value.get(s.repeat) != simdjson::SUCCESS) {
                    return fail(w, "expected true or false");
                }
            } else {
                simdjson::dom::array phases;
                if (field.value.get(phases) != simdjson::SUCCESS || phases.size() == 0) {
                    return fail(w, "expected a non-empty array of phases");
                }
                if (phases.size() > MAX_SCENARIO_PHASES) {
                    return fail(w.at(MAX_SCENARIO_PHASES), "at most 64 phases");
                }
                size_t i = 0;
                for (simdjson::dom::element e : phases) {
                    scenario_phase p;
                    if (!read_phase(e, w.at(i), p)) {
                        return false;
                    }
                    p.start_ns = s.total_ns;
                    s.total_ns += p.duration_ns;  // at most 64 x 7 days: far from overflowing
                    s.phases.push_back(std::move(p));
                    ++i;
                }
            }
        }
        if (!has_name) {
            return fail(where{}.then("name"), "required");
        }
        if (!has_phases) {
            return fail(where{}.then("phases"), "required");
        }
        return true;
    }
};

// ---- rendering a ramp --------------------------------------------------------------------

const char* kind_prefix(latency_model::kind k) noexcept {
    switch (k) {
    case latency_model::kind::uniform: return "uniform:";
    case latency_model::kind::normal: return "normal:";
    case latency_model::kind::lognormal: return "lognormal:";
    default: return "";
    }
}

// The ramp's value at fraction f into buf; its length, 0 when it does not fit (it always fits
// within the parse limits: a model is at most "lognormal:" and two 10-digit parts with 9 decimals).
size_t render_ramp(const scenario_ramp& r, double f, char* buf, size_t cap) noexcept {
    switch (r.k) {
    case scenario_ramp::kind::decimal: return render_decimal(std::lerp(r.from_v, r.to_v, f), buf, cap);
    case scenario_ramp::kind::whole: {
        const auto v = int64_t(std::llround(std::lerp(r.from_v, r.to_v, f)));
        const auto res = fmt::format_to_n(buf, cap, "{}", v);
        return res.size > cap ? 0 : res.size;
    }
    case scenario_ramp::kind::model: break;
    }
    double a = std::lerp(r.from.a, r.to.a, f);
    double b = std::lerp(r.from.b, r.to.b, f);
    if (r.from.k == latency_model::kind::fixed) {
        return render_decimal(a, buf, cap);
    }
    if (r.from.k == latency_model::kind::uniform && b < a) {
        b = a;  // min <= max at both ends holds between them, but not always after rounding
    }
    if (r.from.k == latency_model::kind::lognormal && a < MIN_LOGNORMAL_MEDIAN) {
        a = MIN_LOGNORMAL_MEDIAN;  // the median must stay > 0 once shown with 9 decimals
    }
    const char* prefix = kind_prefix(r.from.k);
    const size_t plen = std::strlen(prefix);
    if (plen + 1 > cap) {
        return 0;
    }
    std::memcpy(buf, prefix, plen);
    size_t n = plen;
    const size_t na = render_decimal(a, buf + n, cap - n);
    if (na == 0 || n + na + 1 > cap) {
        return 0;
    }
    n += na;
    buf[n++] = ',';
    const size_t nb = render_decimal(b, buf + n, cap - n);
    return nb == 0 ? 0 : n + nb;
}

}  // namespace

bool parse_scenario(std::string_view json, const scenario_validate& validate, scenario& out, std::string& message) {
    if (json.size() > MAX_SCENARIO_BYTES) {
        message = fmt::format("scenario: larger than {} bytes", MAX_SCENARIO_BYTES);
        return false;
    }
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(json);
    simdjson::dom::element root;
    if (const simdjson::error_code err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
        syntax_error e;
        if (find_syntax_error(json, e)) {
            message = fmt::format("scenario: not valid JSON (line {}): {}", line_of(json, e.pos), e.what);
        } else {
            message = fmt::format("scenario: not valid JSON: {}", simdjson::error_message(err));
        }
        return false;
    }
    scenario s;
    reader r{json, validate, message};
    if (!r.read(root, s)) {
        return false;
    }
    out = std::move(s);
    return true;
}

// O(phases), at most 64: a scan beats a search at this size and needs no extra table.
scenario_position position_at(const scenario& s, uint64_t t_ns) noexcept {
    if (s.phases.empty() || s.total_ns == 0) {
        return {};
    }
    uint64_t off = t_ns;
    uint64_t cycle = 0;
    if (t_ns >= s.total_ns) {
        if (!s.repeat) {
            return {};
        }
        cycle = t_ns / s.total_ns;
        off = t_ns % s.total_ns;
    }
    uint64_t end = 0;
    for (size_t i = 0; i < s.phases.size(); ++i) {
        end += s.phases[i].duration_ns;
        if (off < end) {  // a boundary belongs to the phase that starts there
            scenario_position p;
            p.phase = int(i);
            p.phase_left_ns = end - off;
            p.total_left_ns = s.total_ns - off;
            p.cycle = cycle;
            p.next_boundary_ns = t_ns > UINT64_MAX - p.phase_left_ns ? UINT64_MAX : t_ns + p.phase_left_ns;
            return p;
        }
    }
    return {};  // total_ns is more than the phases' sum: not a parsed scenario
}

size_t overrides_at(const scenario& s, uint64_t t_ns, scenario_override* out, size_t cap) noexcept {
    const scenario_position pos = position_at(s, t_ns);
    if (pos.phase < 0) {
        return 0;
    }
    const scenario_phase& p = s.phases[size_t(pos.phase)];
    size_t n = 0;
    for (const scenario_setting& e : p.set) {
        if (n == cap) {
            return n;
        }
        if (e.value.size() > sizeof out[n].value) {
            continue;  // not a parsed scenario (parse refuses longer values)
        }
        out[n].name = e.name;
        std::memcpy(out[n].value, e.value.data(), e.value.size());
        out[n].value_len = e.value.size();
        ++n;
    }
    // elapsed < duration, so f is in [0, 1); both are below 2^53 and exact as doubles
    const double f = double(p.duration_ns - pos.phase_left_ns) / double(p.duration_ns);
    for (const scenario_ramp& r : p.ramp) {
        if (n == cap) {
            return n;
        }
        const size_t len = render_ramp(r, f, out[n].value, sizeof out[n].value);
        if (len == 0) {
            continue;  // cannot happen within the parse limits
        }
        out[n].name = r.name;
        out[n].value_len = len;
        ++n;
    }
    return n;
}

}  // namespace lms
