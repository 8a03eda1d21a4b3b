// answer_script: the parts of an answer that cannot be recomputed from the cursor at each
// token (generated JSON, per-choice runs, stop cuts) are decided here once.
#include "answer/answer_script.hpp"

#include <cstring>

#include "answer/json_text.hpp"
#include "answer/schema_json.hpp"
#include "answer/tokens.hpp"

namespace lms {

namespace {

constexpr size_t STOP_MAX = 256;  // longer stop sequences never match (a documented limit)

// The byte offset of token `index` of text (cycling from 0).
uint32_t token_offset(std::string_view text, uint32_t index) noexcept {
    size_t off = 0;
    for (uint32_t t = 0; t < index && !text.empty(); ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        off += token_length(text, off);
    }
    return uint32_t(off >= text.size() ? 0 : off);
}

// Cuts c's run of text at the first occurrence of a stop sequence: the content ends before it.
// O(bytes x stops); the window keeps the last STOP_MAX bytes and the start of each recent token.
void cut_at_stop(std::string_view text, const generation_request& rq, script_choice& c) noexcept {
    char win[2 * STOP_MAX];
    size_t wlen = 0;
    uint64_t pos = 0;                 // bytes produced so far
    uint64_t starts[STOP_MAX + 1];    // starts[t % (STOP_MAX + 1)]: byte position where token t began
    size_t off = c.off;
    for (uint32_t t = 0; t < c.tokens && !text.empty(); ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        const size_t len = token_length(text, off);
        starts[t % (STOP_MAX + 1)] = pos;
        for (size_t b = 0; b < len; ++b) {
            if (wlen == sizeof win) {
                std::memmove(win, win + STOP_MAX, STOP_MAX);
                wlen = STOP_MAX;
            }
            win[wlen++] = text[off + b];
            ++pos;
            for (uint32_t i = 0; i < rq.stop_count; ++i) {
                const std::string_view s = rq.stop[i];
                if (s.size() > STOP_MAX || s.size() > wlen || std::memcmp(win + wlen - s.size(), s.data(), s.size()) != 0) {
                    continue;
                }
                // The stop begins at byte `at`: keep the tokens before it, and the part of the
                // token it begins in.
                const uint64_t at = pos - s.size();
                uint32_t j = t;
                while (j > 0 && starts[j % (STOP_MAX + 1)] > at) {
                    --j;
                }
                const uint64_t part = at - starts[j % (STOP_MAX + 1)];
                c.tokens = part != 0 ? j + 1 : j;
                c.last_len = uint32_t(part);
                c.stopped = true;
                c.stop_index = uint8_t(i);
                return;
            }
        }
        off += len;
    }
}

// A value of the schema into o, its status as the script's.
script_status generate(simdjson::dom::element schema, out_buf& o, rng& r) noexcept {
    switch (generate_json(schema, o, r)) {
    case schema_status::ok: return script_status::ok;
    case schema_status::bad_schema: return script_status::bad_schema;
    case schema_status::too_large: break;
    }
    return script_status::too_large;
}

// Appends `tokens` tokens of text (cycling), JSON-escaped.
void append_escaped_run(out_buf& o, std::string_view text, uint32_t tokens) noexcept {
    size_t off = 0;
    for (uint32_t t = 0; t < tokens && !text.empty() && !o.truncated; ++t) {
        if (off >= text.size()) {
            off = 0;
        }
        const size_t len = token_length(text, off);
        json_escape(o, text.substr(off, len));
        off += len;
    }
}

}  // namespace

script_status build_script(const generation_request& rq, answer_plan& p, std::string_view server_text,
                           answer_script& s, size_t cap, rng& r, bool& needed) noexcept {
    s = answer_script{};
    out_buf o(s.bytes(), cap);
    std::string_view text = server_text;
    if (p.echo) {
        o.append(rq.last_user.substr(0, cap > 4096 ? cap - 4096 : cap / 2));  // room left for the rest
        s.text_off = 0;
        s.text_len = uint32_t(o.len);
        text = std::string_view(s.bytes(), o.len);
    }
    if (p.tool_calls != 0) {
        uint32_t tokens = 0;
        for (uint32_t i = 0; i < p.tool_calls; ++i) {
            const uint32_t index = rq.tool_choice == tool_choice_kind::named ? p.first_tool
                                                                              : (p.first_tool + i) % rq.tool_count;
            const tool_ref t = request_tool(rq, index);
            script_call& c = s.call[i];
            c.name_off = uint32_t(o.len);
            o.append(t.name);
            c.name_len = uint32_t(o.len - c.name_off);
            c.args_off = uint32_t(o.len);
            if (t.has_parameters) {
                if (const script_status st = generate(t.parameters, o, r); st != script_status::ok) {
                    return st;
                }
            } else {
                o.append("{}");
            }
            if (o.truncated) {
                return script_status::too_large;
            }
            c.args_len = uint32_t(o.len - c.args_off);
            c.args_tokens = count_tokens(s.call_args(i));
            tokens += c.args_tokens;
        }
        s.calls = p.tool_calls;
        p.tokens = tokens;
        p.finish_length = false;
    } else if (p.json) {
        // json_schema: a value of the schema; json_object (or no schema): an object holding
        // the answer's text.
        const uint32_t off = uint32_t(o.len);
        if (rq.has_output_schema) {
            if (const script_status st = generate(rq.output_schema, o, r); st != script_status::ok) {
                return st;
            }
        } else {
            o.append("{\"answer\":\"");
            append_escaped_run(o, text, p.tokens);
            o.append("\"}");
        }
        if (o.truncated) {
            return script_status::too_large;
        }
        s.text_off = off;
        s.text_len = uint32_t(o.len - off);
        text = s.text({});
        const uint32_t all = count_tokens(text);
        p.finish_length = rq.has_max_tokens && rq.max_tokens < all;
        p.tokens = p.finish_length ? uint32_t(rq.max_tokens) : all;
    }
    s.used = uint32_t(o.len);
    bool stopped = false;
    uint32_t longest = 0;
    for (uint32_t k = 0; k < p.choices; ++k) {
        script_choice& c = s.choice[k];
        c.off = k == 0 || p.json ? 0 : token_offset(text, k * CHOICE_SHIFT);
        c.start = c.off;
        c.tokens = p.tokens;
        if (rq.stop_count != 0 && p.tool_calls == 0) {
            cut_at_stop(text, rq, c);
            if (c.stopped) {
                // Its text is kept: Anthropic's answer names the stop sequence.
                c.stop_off = uint32_t(o.len);
                o.append(rq.stop[c.stop_index]);
                c.stop_len = o.truncated ? 0 : uint32_t(o.len - c.stop_off);
                s.used = uint32_t(o.len);
            }
            stopped = stopped || c.stopped;
        }
        longest = c.tokens > longest ? c.tokens : longest;
    }
    if (stopped) {
        p.tokens = longest;
    }
    needed = p.echo || p.tool_calls != 0 || p.json || p.choices > 1 || stopped;
    return script_status::ok;
}

}  // namespace lms
