// overrides: the header names are matched with a first-byte and length dispatch, so that
// the ordinary fields of a request cost a compare or two each.
#include "answer/overrides.hpp"

#include "answer/generation_request.hpp"
#include "settings/config.hpp"

namespace lms {

namespace {

// ASCII case-insensitive: name equals lower (a lowercase literal).
bool is_lower_literal(std::string_view name, std::string_view lower) noexcept {
    if (name.size() != lower.size()) {
        return false;
    }
    for (size_t i = 0; i < name.size(); ++i) {
        char ch = name[i];
        if (ch >= 'A' && ch <= 'Z') {
            ch = char(ch + ('a' - 'A'));
        }
        if (ch != lower[i]) {
            return false;
        }
    }
    return true;
}

// nullptr, or a static message naming the bad header.
// One pass over the header fields, with a first-byte and length dispatch so that ordinary
// fields cost a compare or two (five case-insensitive lookups by name cost ~280 instructions
// per request). As with http_parser::header(), the FIRST field of a name counts (an empty
// one counts as absent), and the checks run in the same order: delay, TTFT, ITL, tokens, error.
}  // namespace

const char* parse_overrides(const http_parser& p, const char* buf, overrides& o) noexcept {
    enum { delay, ttft, itl, tokens, error, tool_calls, reasoning, count };
    std::string_view v[count];
    bool seen[count] = {};
    const http_request& rq = p.request();
    for (uint32_t i = 0; i < rq.header_count; ++i) {
        const http_header& h = rq.headers[i];
        if (h.name_len < 10 || (buf[h.name_off] | 0x20) != 'x') {
            continue;
        }
        const std::string_view name(buf + h.name_off, h.name_len);
        int k = count;
        switch (h.name_len) {
        case 10: k = is_lower_literal(name, "x-mock-itl") ? itl : count; break;
        case 11: k = is_lower_literal(name, "x-mock-ttft") ? ttft : count; break;
        case 12: k = is_lower_literal(name, "x-mock-delay") ? delay : count; break;
        case 14: k = is_lower_literal(name, "x-return-error") ? error : count; break;
        case 17: k = is_lower_literal(name, "x-mock-tool-calls") ? tool_calls : count; break;
        case 20: k = is_lower_literal(name, "x-mock-output-tokens") ? tokens : count; break;
        case 23: k = is_lower_literal(name, "x-mock-reasoning-tokens") ? reasoning : count; break;
        default: break;
        }
        if (k != count && !seen[k]) {
            seen[k] = true;
            v[k] = std::string_view(buf + h.value_off, h.value_len);
        }
    }
    if (v[delay].empty() && v[ttft].empty() && v[itl].empty() && v[tokens].empty() && v[error].empty() &&
        v[tool_calls].empty() && v[reasoning].empty()) {
        return nullptr;  // the usual case: no override
    }
    struct seconds_header {
        int at;
        bool overrides::*has;
        uint64_t overrides::*ms;
        const char* bad;
    };
    static constexpr seconds_header SECONDS[] = {
        {delay, &overrides::has_delay, &overrides::delay_ms,
         "Invalid X-Mock-Delay header: expected a number of seconds such as 0.5."},
        {ttft, &overrides::has_ttft, &overrides::ttft_ms,
         "Invalid X-Mock-TTFT header: expected a number of seconds such as 0.5."},
        {itl, &overrides::has_itl, &overrides::itl_ms,
         "Invalid X-Mock-ITL header: expected a number of seconds such as 0.02."},
    };
    for (const seconds_header& h : SECONDS) {
        if (v[h.at].empty()) {
            continue;
        }
        if (!parse_seconds_ms(v[h.at], o.*h.ms) || o.*h.ms > 3600 * 1000) {
            return h.bad;
        }
        o.*h.has = true;
    }
    auto number = [](std::string_view s, uint64_t& n) {
        if (s.empty() || s.size() > 9) {
            return false;
        }
        n = 0;
        for (char ch : s) {
            if (ch < '0' || ch > '9') {
                return false;
            }
            n = n * 10 + uint64_t(ch - '0');
        }
        return true;
    };
    uint64_t n;
    if (!v[tokens].empty()) {
        if (!number(v[tokens], n) || n == 0) {
            return "Invalid X-Mock-Output-Tokens header: expected a positive whole number.";
        }
        o.has_tokens = true;
        o.tokens = uint32_t(n);
    }
    if (!v[tool_calls].empty()) {
        if (!number(v[tool_calls], n) || n > MAX_TOOL_CALLS) {
            return "Invalid X-Mock-Tool-Calls header: expected a whole number from 0 to 16.";
        }
        o.has_tool_calls = true;
        o.tool_calls = uint32_t(n);
    }
    if (!v[reasoning].empty()) {
        if (!number(v[reasoning], n) || n > 65536) {
            return "Invalid X-Mock-Reasoning-Tokens header: expected a whole number from 0 to 65536.";
        }
        o.has_reasoning_tokens = true;
        o.reasoning_tokens = uint32_t(n);
    }
    if (!v[error].empty()) {
        if (!number(v[error], n) || n < 400 || n > 599) {
            return "Invalid X-Return-Error header: expected an HTTP status from 400 to 599.";
        }
        o.return_error = int(n);
    }
    return nullptr;
}

}  // namespace lms
