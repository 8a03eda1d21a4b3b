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

#include "settings/json_position.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

namespace lms {

namespace {

using json_position::find_syntax_error;
using json_position::line_of;
using json_position::locate;
using json_position::path_text;
using json_position::syntax_error;
using json_position::where;

constexpr double NS_PER_S = 1e9;
constexpr double MAX_FIXED_SECONDS = 1e9;  // parse_latency_model's bound, for a number end of a model ramp
constexpr double MIN_LOGNORMAL_MEDIAN = 1e-9;  // the smallest median 9 decimals can show (> 0)

constexpr const char* DURATION_EXPECTED =
    "expected a number of seconds or a string like \"500ms\", \"30s\", \"2m\"";
constexpr const char* BOTH_ENDS = "both ends must be numbers or latency models of the same kind";
constexpr const char* NAME_EXPECTED = "expected a non-empty string of at most 64 bytes";

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
