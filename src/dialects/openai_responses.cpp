// openai_responses: the shapes of shared/reference/wire-formats.md §2.2 (the Response object,
// every spec-required key, in the order of the spec's example) and §2.3 (the named events,
// each with "type" and "sequence_number" first). Only event types of openai-node's
// ResponseStreamEvent union are emitted: its responses.stream() helper throws on any other.
//
// Output items and their indexes: a reasoning item (shown reasoning only, its text as one
// summary_text part) at 0, then the message, or the function calls in order. Item ids are the
// response id's 32 hex digits behind the item's prefix (rs_, msg_, fc_) and two hex digits of
// the item's output_index: the same in every event and in response.completed, with no state.
#include "dialects/openai_responses.hpp"

#include <initializer_list>

#include "answer/json_text.hpp"
#include "answer/schema_json.hpp"
#include "dialects/openai_error.hpp"

namespace lms {

namespace {

// The response id's hex digits (after "resp_").
std::string_view id_digits(const answer_meta& m) noexcept {
    const size_t u = m.id.find('_');
    return u == std::string_view::npos ? m.id : m.id.substr(u + 1);
}

void append_item_id(out_buf& o, const answer_meta& m, std::string_view prefix, uint32_t index) noexcept {
    static constexpr char HEX[] = "0123456789abcdef";
    o.append(prefix);
    o.append(id_digits(m));
    o.append(HEX[(index >> 4) & 15]);
    o.append(HEX[index & 15]);
}

uint32_t output_index(const answer_meta& m, block_kind k, uint32_t call) noexcept {
    const uint32_t base = m.thinking ? 1 : 0;
    return k == block_kind::reasoning ? 0 : k == block_kind::tool_call ? base + call : base;
}

// `event: NAME\ndata: {"type":"NAME","sequence_number":N` (the caller adds the rest and
// closes with end_event); advances the stream's event count.
void begin_event(out_buf& o, const answer_meta& m, std::string_view name) noexcept {
    o.append("event: ");
    o.append(name);
    o.append("\ndata: {\"type\":\"");
    o.append(name);
    o.append("\",\"sequence_number\":");
    uint32_t n = 0;
    if (m.events != nullptr) {
        n = (*m.events)++;
    }
    o.append_decimal(n);
}

void end_event(out_buf& o) noexcept { o.append("}\n\n"); }

// ,"item_id":"..","output_index":N
void append_item_ref(out_buf& o, const answer_meta& m, std::string_view prefix, uint32_t index) noexcept {
    o.append(",\"item_id\":\"");
    append_item_id(o, m, prefix, index);
    o.append("\",\"output_index\":");
    o.append_decimal(index);
}

std::string_view item_prefix(block_kind k) noexcept {
    return k == block_kind::reasoning ? "rs_" : k == block_kind::tool_call ? "fc_" : "msg_";
}

bool cut_by_length(const answer_body& b) noexcept { return b.call_count == 0 && b.finish[0] == "length"; }

// The items of a whole answer (§2.2's key order: type first) and of output_item.done (§2.3's: id
// first).
void append_reasoning_item(out_buf& o, const answer_meta& m, const answer_body& b, bool id_first) noexcept {
    if (id_first) {
        o.append("{\"id\":\"");
        append_item_id(o, m, "rs_", 0);
        o.append("\",\"type\":\"reasoning\"");
    } else {
        o.append("{\"type\":\"reasoning\",\"id\":\"");
        append_item_id(o, m, "rs_", 0);
        o.append('"');
    }
    o.append(",\"summary\":[{\"type\":\"summary_text\",\"text\":\"");
    append_text_run(o, b.reasoning[0]);
    o.append("\"}]}");
}

// id_first: the stream's done item, whose output_text has no logprobs (§2.3).
void append_message_item(out_buf& o, const answer_meta& m, const answer_body& b, uint32_t index,
                         bool id_first) noexcept {
    const bool logprobs = !id_first;
    if (id_first) {
        o.append("{\"id\":\"");
        append_item_id(o, m, "msg_", index);
        o.append("\",\"type\":\"message\"");
    } else {
        o.append("{\"type\":\"message\",\"id\":\"");
        append_item_id(o, m, "msg_", index);
        o.append('"');
    }
    o.append(cut_by_length(b) ? ",\"status\":\"incomplete\"" : ",\"status\":\"completed\"");
    o.append(",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"");
    append_text_run(o, b.content[0]);
    o.append(logprobs ? "\",\"annotations\":[],\"logprobs\":[]}]}" : "\",\"annotations\":[]}]}");
}

void append_call_item(out_buf& o, const answer_meta& m, const answer_call& c, uint32_t index) noexcept {
    o.append("{\"type\":\"function_call\",\"id\":\"");
    append_item_id(o, m, "fc_", index);
    o.append("\",\"call_id\":\"");
    o.append(c.id);
    o.append("\",\"name\":\"");
    json_escape(o, c.name);
    o.append("\",\"arguments\":\"");
    json_escape(o, c.arguments);
    o.append("\",\"status\":\"completed\"}");
}

void append_usage(out_buf& o, const usage_counts& u) noexcept {
    o.append("{\"input_tokens\":");
    o.append_decimal(u.prompt);
    o.append(",\"input_tokens_details\":{\"cached_tokens\":");
    o.append_decimal(u.cached);
    o.append(",\"cache_write_tokens\":0},\"output_tokens\":");
    o.append_decimal(u.completion);
    o.append(",\"output_tokens_details\":{\"reasoning_tokens\":");
    o.append_decimal(u.reasoning);
    o.append("},\"total_tokens\":");
    o.append_decimal(int64_t(uint64_t(u.prompt) + u.completion));
    o.append('}');
}

// The Response object: b null for the skeleton of response.created / in_progress (status
// in_progress, no output, usage null).
void append_response(out_buf& o, const answer_meta& m, const answer_body* b) noexcept {
    const bool cut = b != nullptr && cut_by_length(*b);
    o.append("{\"id\":\"");
    o.append(m.id);
    o.append("\",\"object\":\"response\",\"created_at\":");
    o.append_decimal(m.created);
    if (b == nullptr) {
        o.append(",\"status\":\"in_progress\",\"completed_at\":null,\"error\":null,\"incomplete_details\":null");
    } else {
        o.append(cut ? ",\"status\":\"incomplete\",\"completed_at\":" : ",\"status\":\"completed\",\"completed_at\":");
        o.append_decimal(m.created);
        o.append(cut ? ",\"error\":null,\"incomplete_details\":{\"reason\":\"max_output_tokens\"}"
                     : ",\"error\":null,\"incomplete_details\":null");
    }
    o.append(",\"model\":\"");
    json_escape(o, m.model);
    o.append("\",\"output\":[");
    if (b != nullptr) {
        uint32_t index = 0;
        if (b->reasoning_shown) {
            append_reasoning_item(o, m, *b, false);
            ++index;
        }
        if (b->call_count == 0) {
            if (index != 0) {
                o.append(',');
            }
            append_message_item(o, m, *b, index, false);
        }
        for (uint32_t i = 0; i < b->call_count; ++i) {
            if (index + i != 0) {
                o.append(',');
            }
            append_call_item(o, m, b->calls[i], index + i);
        }
    }
    o.append("],\"usage\":");
    if (b == nullptr) {
        o.append("null");
    } else {
        append_usage(o, b->usage);
    }
    o.append(',');
    o.append(m.echo.empty() ? RESPONSE_DEFAULT_ECHO : m.echo);
    o.append('}');
}

// key:value of the body's field, or key:fallback when it is absent or null; false when the
// value nests too deep to copy.
bool echo_field(out_buf& o, simdjson::dom::object body, std::string_view key, std::string_view fallback) noexcept {
    o.append('"');
    o.append(key);
    o.append("\":");
    simdjson::dom::element v;
    if (body[key].get(v) != simdjson::SUCCESS || v.is_null()) {
        o.append(fallback);
        return true;
    }
    return write_json(o, v);
}

// A run of fields echoed as sent (or their fallbacks), each preceded by a comma.
struct echoed {
    std::string_view key, fallback;
};
bool echo_fields(out_buf& o, simdjson::dom::object body, std::initializer_list<echoed> fields) noexcept {
    bool ok = true;
    for (const echoed& f : fields) {
        o.append(',');
        ok = echo_field(o, body, f.key, f.fallback) && ok;
    }
    return ok;
}

}  // namespace

// The request fields a Response repeats, in the spec example's order (§2.2). Given fields are
// copied as sent (compact); reasoning is normalised to its two keys; max_output_tokens is the
// reader's number. Brief: each tool as {"type":"function","name":..} (its schema left out).
void render_response_echo(out_buf& o, const generation_request& rq, bool brief) noexcept {
    const simdjson::dom::object body = rq.body;
    bool ok = echo_field(o, body, "instructions", "null");
    o.append(",\"max_output_tokens\":");
    if (rq.has_max_tokens) {
        o.append_decimal(int64_t(rq.max_tokens));
    } else {
        o.append("null");
    }
    ok = echo_fields(o, body, {{"parallel_tool_calls", "true"}, {"previous_response_id", "null"}}) && ok;
    o.append(",\"reasoning\":{");
    simdjson::dom::object reasoning;
    if (body["reasoning"].get(reasoning) == simdjson::SUCCESS) {
        ok = ok && echo_field(o, reasoning, "effort", "null");
        o.append(',');
        ok = ok && echo_field(o, reasoning, "summary", "null");
    } else {
        o.append("\"effort\":null,\"summary\":null");
    }
    o.append('}');
    ok = echo_fields(o, body, {{"store", "true"}, {"temperature", "1.0"}}) && ok;
    o.append(',');
    simdjson::dom::element fmt;
    if (body["text"]["format"].get(fmt) == simdjson::SUCCESS && !fmt.is_null()) {
        ok = ok && echo_field(o, body, "text", "");
    } else {
        o.append("\"text\":{\"format\":{\"type\":\"text\"}}");
    }
    o.append(',');
    ok = ok && echo_field(o, body, "tool_choice", "\"auto\"");
    if (brief) {
        o.append(",\"tools\":[");
        for (uint32_t i = 0; i < rq.tool_count; ++i) {
            o.append(i == 0 ? "{\"type\":\"function\",\"name\":\"" : ",{\"type\":\"function\",\"name\":\"");
            json_escape(o, request_tool(rq, i).name);
            o.append("\"}");
        }
        o.append(']');
    } else {
        o.append(',');
        ok = ok && echo_field(o, body, "tools", "[]");
    }
    o.append(',');
    ok = ok && echo_field(o, body, "top_p", "1.0");
    o.append(",\"truncation\":\"disabled\",\"user\":null,");
    ok = ok && echo_field(o, body, "metadata", "{}");
    if (!ok) {
        o.truncated = true;  // too deep to copy: the caller takes it as not fitting
    }
}

const dialect OPENAI_RESPONSES = {
    "resp_", "call_", "x-request-id", 503, false, false, read_responses_request, render_response,
    render_response_created, render_response_output_item_added, render_response_delta,
    render_response_output_item_done, render_response_completed, render_openai_envelope,
    render_response_error_event,
    // previous_response_id and store are accepted, but no response is kept: every answer says so.
    "x-mock-stateless: true\r\n", {}, {}, render_response_echo,
};

void render_response_created(out_buf& o, const answer_meta& m, const block_ref& first) noexcept {
    if (first.choice != 0) {
        return;  // one response per stream (the reader allows no n)
    }
    begin_event(o, m, "response.created");
    o.append(",\"response\":");
    append_response(o, m, nullptr);
    end_event(o);
    begin_event(o, m, "response.in_progress");
    o.append(",\"response\":");
    append_response(o, m, nullptr);
    end_event(o);
}

void render_response_output_item_added(out_buf& o, const answer_meta& m, const block_ref& b) noexcept {
    const uint32_t index = output_index(m, b.kind, b.call);
    begin_event(o, m, "response.output_item.added");
    o.append(",\"output_index\":");
    o.append_decimal(index);
    o.append(",\"item\":{\"id\":\"");
    append_item_id(o, m, item_prefix(b.kind), index);
    switch (b.kind) {
    case block_kind::reasoning:
        o.append("\",\"type\":\"reasoning\",\"summary\":[]}");
        end_event(o);
        begin_event(o, m, "response.reasoning_summary_part.added");
        append_item_ref(o, m, "rs_", index);
        o.append(",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"\"}");
        end_event(o);
        return;
    case block_kind::tool_call:
        o.append("\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"");
        o.append(b.call_id);
        o.append("\",\"name\":\"");
        json_escape(o, b.call_name);
        o.append("\"}");
        end_event(o);
        return;
    case block_kind::text:
        o.append("\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}");
        end_event(o);
        begin_event(o, m, "response.content_part.added");
        append_item_ref(o, m, "msg_", index);
        o.append(",\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}");
        end_event(o);
        return;
    }
}

void render_response_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept {
    const uint32_t index = output_index(m, b.kind, b.call);
    switch (b.kind) {
    case block_kind::reasoning:
        begin_event(o, m, "response.reasoning_summary_text.delta");
        append_item_ref(o, m, "rs_", index);
        o.append(",\"summary_index\":0,\"delta\":\"");
        json_escape(o, text);
        o.append('"');
        break;
    case block_kind::tool_call:
        begin_event(o, m, "response.function_call_arguments.delta");
        append_item_ref(o, m, "fc_", index);
        o.append(",\"delta\":\"");
        json_escape(o, text);
        o.append('"');
        break;
    case block_kind::text:
        begin_event(o, m, "response.output_text.delta");
        append_item_ref(o, m, "msg_", index);
        o.append(",\"content_index\":0,\"delta\":\"");
        json_escape(o, text);
        o.append("\",\"logprobs\":[]");
        break;
    }
    end_event(o);
}

void render_response_output_item_done(out_buf& o, const answer_meta& m, const block_ref& b,
                                      const answer_body& body) noexcept {
    const uint32_t index = output_index(m, b.kind, b.call);
    switch (b.kind) {
    case block_kind::reasoning:
        begin_event(o, m, "response.reasoning_summary_text.done");
        append_item_ref(o, m, "rs_", index);
        o.append(",\"summary_index\":0,\"text\":\"");
        append_text_run(o, body.reasoning[b.choice]);
        o.append('"');
        end_event(o);
        begin_event(o, m, "response.reasoning_summary_part.done");
        append_item_ref(o, m, "rs_", index);
        o.append(",\"summary_index\":0,\"part\":{\"type\":\"summary_text\",\"text\":\"");
        append_text_run(o, body.reasoning[b.choice]);
        o.append("\"}");
        end_event(o);
        begin_event(o, m, "response.output_item.done");
        o.append(",\"output_index\":0,\"item\":");
        append_reasoning_item(o, m, body, true);
        end_event(o);
        return;
    case block_kind::tool_call: {
        if (b.call >= body.call_count) {
            return;
        }
        const answer_call& c = body.calls[b.call];
        begin_event(o, m, "response.function_call_arguments.done");
        append_item_ref(o, m, "fc_", index);
        o.append(",\"name\":\"");
        json_escape(o, c.name);
        o.append("\",\"arguments\":\"");
        json_escape(o, c.arguments);
        o.append('"');
        end_event(o);
        begin_event(o, m, "response.output_item.done");
        o.append(",\"output_index\":");
        o.append_decimal(index);
        o.append(",\"item\":{\"id\":\"");
        append_item_id(o, m, "fc_", index);
        o.append("\",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"");
        json_escape(o, c.arguments);
        o.append("\",\"call_id\":\"");
        o.append(c.id);
        o.append("\",\"name\":\"");
        json_escape(o, c.name);
        o.append("\"}");
        end_event(o);
        return;
    }
    case block_kind::text:
        begin_event(o, m, "response.output_text.done");
        append_item_ref(o, m, "msg_", index);
        o.append(",\"content_index\":0,\"text\":\"");
        append_text_run(o, body.content[b.choice]);
        o.append("\",\"logprobs\":[]");
        end_event(o);
        begin_event(o, m, "response.content_part.done");
        append_item_ref(o, m, "msg_", index);
        o.append(",\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"");
        append_text_run(o, body.content[b.choice]);
        o.append("\",\"annotations\":[]}");
        end_event(o);
        begin_event(o, m, "response.output_item.done");
        o.append(",\"output_index\":");
        o.append_decimal(index);
        o.append(",\"item\":");
        append_message_item(o, m, body, index, true);
        end_event(o);
        return;
    }
}

void render_response_completed(out_buf& o, const answer_meta& m, const stream_end& e) noexcept {
    const answer_body none{};
    const answer_body& b = e.body != nullptr ? *e.body : none;
    begin_event(o, m, cut_by_length(b) ? "response.incomplete" : "response.completed");
    o.append(",\"response\":");
    append_response(o, m, &b);
    end_event(o);
}

void render_response_error_event(out_buf& o, std::string_view message) noexcept {
    o.append("event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"");
    json_escape(o, message);
    o.append("\",\"param\":null}\n\n");
}

void render_response(out_buf& o, const answer_meta& m, const answer_body& b) noexcept {
    append_response(o, m, &b);
}

}  // namespace lms
