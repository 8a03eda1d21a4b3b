// anthropic_messages: the shapes of shared/reference/wire-formats.md §3. Every stream event
// has its `event:` line (the SDK drops data without one, §6); message_delta always carries
// usage (the SDK reads usage.output_tokens unconditionally). The ping and in-stream error
// events are the recorded streams' literal bytes.
//
// Events of one stream, in order:
//   message_start                     (message: content [], stop_reason null, output_tokens 1)
//   per block: content_block_start    (+ ping after the one at index 0)
//              content_block_delta    (text_delta | thinking_delta | input_json_delta)
//              [signature_delta]      (thinking blocks) then content_block_stop
//   message_delta, message_stop       (no [DONE])
#include "dialects/anthropic_messages.hpp"

#include "answer/json_text.hpp"

namespace lms {

namespace {

// The block's index in the message: thinking first, then the text or the tool calls.
uint32_t block_index(const answer_meta& m, const block_ref& b) noexcept {
    const uint32_t base = m.thinking ? 1 : 0;
    switch (b.kind) {
    case block_kind::reasoning: return 0;
    case block_kind::text: return base;
    case block_kind::tool_call: return base + b.call;
    }
    return base;
}

void event_open(out_buf& o, std::string_view name) noexcept {
    o.append("event: ");
    o.append(name);
    o.append("\ndata: {\"type\":\"");
    o.append(name);
    o.append("\"");
}

// The finish's stop_reason (finish "stop" ended by a stop sequence: stop_sequence).
std::string_view stop_reason(std::string_view finish, std::string_view stop_sequence) noexcept {
    if (finish == "length") {
        return "max_tokens";
    }
    if (finish == "tool_calls") {
        return "tool_use";
    }
    return stop_sequence.empty() ? "end_turn" : "stop_sequence";
}

void append_stop(out_buf& o, std::string_view finish, std::string_view stop_sequence) noexcept {
    o.append("\"stop_reason\":\"");
    o.append(stop_reason(finish, stop_sequence));
    o.append("\",\"stop_sequence\":");
    json_nullable(o, stop_sequence);
}

// {"input_tokens":P,"cache_creation_input_tokens":0,"cache_read_input_tokens":R,"output_tokens":C}:
// Anthropic counts the cached tokens apart, input_tokens being those after the cache.
void append_usage(out_buf& o, uint32_t prompt, uint32_t output, uint32_t cached = 0) noexcept {
    o.append("{\"input_tokens\":");
    o.append_decimal(prompt - (cached < prompt ? cached : prompt));
    o.append(",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":");
    o.append_decimal(cached);
    o.append(",\"output_tokens\":");
    o.append_decimal(output);
    o.append('}');
}

// {"id":..,"type":"message","role":"assistant","model":..,"content":[  (the caller goes on)
void append_message_head(out_buf& o, const answer_meta& m) noexcept {
    o.append("{\"id\":\"");
    o.append(m.id);
    o.append("\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"");
    json_escape(o, m.model);
    o.append("\",\"content\":[");
}

}  // namespace

const dialect ANTHROPIC_MESSAGES = {
    "msg_", "toolu_", "request-id", 529, false, false, read_anthropic_request, render_message,
    render_message_start, render_content_block_start, render_content_block_delta, render_content_block_stop,
    render_message_stop, render_anthropic_error, render_anthropic_stream_error, {},
    "x-api-key header is required", "invalid x-api-key",  // Anthropic's authentication_error messages
    nullptr, rate_header_style::anthropic,
};

const dialect ANTHROPIC_COUNT_TOKENS = {
    "msg_", "toolu_", "request-id", 529, false, false, read_anthropic_count_request, render_message,
    render_message_start, render_content_block_start, render_content_block_delta, render_content_block_stop,
    render_message_stop, render_anthropic_error, render_anthropic_stream_error, {},
    "x-api-key header is required", "invalid x-api-key",  // Anthropic's authentication_error messages
    nullptr, rate_header_style::anthropic,
};

void render_message_start(out_buf& o, const answer_meta& m, const block_ref&) noexcept {
    event_open(o, "message_start");
    o.append(",\"message\":");
    append_message_head(o, m);
    o.append("],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
    append_usage(o, m.prompt_tokens, 1, m.cached_tokens);
    o.append("}}\n\n");
}

void render_content_block_start(out_buf& o, const answer_meta& m, const block_ref& b) noexcept {
    const uint32_t index = block_index(m, b);
    event_open(o, "content_block_start");
    o.append(",\"index\":");
    o.append_decimal(index);
    switch (b.kind) {
    case block_kind::reasoning:
        o.append(R"(,"content_block":{"type":"thinking","thinking":"","signature":""}})");
        break;
    case block_kind::text:
        o.append(R"(,"content_block":{"type":"text","text":""}})");
        break;
    case block_kind::tool_call:
        o.append(R"(,"content_block":{"type":"tool_use","id":")");
        o.append(b.call_id);
        o.append(R"(","name":")");
        json_escape(o, b.call_name);
        o.append(R"(","input":{}}})");
        break;
    }
    o.append("\n\n");
    if (index == 0) {
        o.append("event: ping\ndata: {\"type\": \"ping\"}\n\n");
    }
}

void render_content_block_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept {
    event_open(o, "content_block_delta");
    o.append(",\"index\":");
    o.append_decimal(block_index(m, b));
    switch (b.kind) {
    case block_kind::reasoning: o.append(R"(,"delta":{"type":"thinking_delta","thinking":")"); break;
    case block_kind::text: o.append(R"(,"delta":{"type":"text_delta","text":")"); break;
    case block_kind::tool_call: o.append(R"(,"delta":{"type":"input_json_delta","partial_json":")"); break;
    }
    json_escape(o, text);
    o.append("\"}}\n\n");
}

void render_content_block_stop(out_buf& o, const answer_meta& m, const block_ref& b, const answer_body&) noexcept {
    const uint32_t index = block_index(m, b);
    if (b.kind == block_kind::reasoning) {
        event_open(o, "content_block_delta");
        o.append(",\"index\":");
        o.append_decimal(index);
        o.append(R"(,"delta":{"type":"signature_delta","signature":")");
        o.append(ANTHROPIC_SIGNATURE);
        o.append("\"}}\n\n");
    }
    event_open(o, "content_block_stop");
    o.append(",\"index\":");
    o.append_decimal(index);
    o.append("}\n\n");
}

void render_message_stop(out_buf& o, const answer_meta&, const stream_end& e) noexcept {
    // The usage is always sent (include_usage is OpenAI's switch): the whole answer's, else
    // the one handed over.
    const usage_counts* u = e.body != nullptr ? &e.body->usage : e.usage;
    const std::string_view stop_sequence = e.body != nullptr ? e.body->stop_sequence[0] : std::string_view();
    event_open(o, "message_delta");
    o.append(",\"delta\":{");
    append_stop(o, e.n != 0 && e.finish != nullptr ? e.finish[0] : std::string_view("stop"), stop_sequence);
    o.append("},\"usage\":{\"output_tokens\":");
    o.append_decimal(u != nullptr ? u->completion : 0);
    o.append("}}\n\n");
    o.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
}

void render_message(out_buf& o, const answer_meta& m, const answer_body& b) noexcept {
    append_message_head(o, m);
    bool first = true;
    if (b.reasoning_shown) {
        o.append(R"({"type":"thinking","thinking":")");
        append_text_run(o, b.reasoning[0]);
        o.append(R"(","signature":")");
        o.append(ANTHROPIC_SIGNATURE);
        o.append("\"}");
        first = false;
    }
    if (b.call_count != 0) {
        for (uint32_t i = 0; i < b.call_count; ++i) {
            if (!first) {
                o.append(',');
            }
            first = false;
            o.append(R"({"type":"tool_use","id":")");
            o.append(b.calls[i].id);
            o.append(R"(","name":")");
            json_escape(o, b.calls[i].name);
            o.append(R"(","input":)");
            // The arguments are a JSON object's text (the schema's value): the input as is.
            o.append(b.calls[i].arguments.empty() ? std::string_view("{}") : b.calls[i].arguments);
            o.append('}');
        }
    } else {
        if (!first) {
            o.append(',');
        }
        o.append(R"({"type":"text","text":")");
        append_text_run(o, b.content[0]);
        o.append("\"}");
    }
    o.append("],");
    append_stop(o, b.finish[0], b.stop_sequence[0]);
    o.append(",\"usage\":");
    append_usage(o, b.usage.prompt, b.usage.completion, b.usage.cached);
    o.append('}');
}

std::string_view anthropic_error_type(int status) noexcept {
    switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 500: return "api_error";
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: break;
    }
    return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
}

void render_anthropic_error(out_buf& o, int status, std::string_view message, std::string_view,
                            std::string_view, std::string_view, std::string_view request_id) noexcept {
    o.append(R"({"type":"error","error":{"type":")");
    o.append(anthropic_error_type(status));
    o.append(R"(","message":")");
    json_escape(o, message);
    o.append(R"("},"request_id":)");
    json_nullable(o, request_id);
    o.append('}');
}

void render_anthropic_stream_error(out_buf& o, std::string_view message) noexcept {
    o.append("event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"");
    o.append(message == "Overloaded" ? "overloaded_error" : "api_error");
    o.append("\", \"message\": \"");
    json_escape(o, message);
    o.append("\"}}\n\n");
}

}  // namespace lms
