// openai_chat: the chunk shapes follow the OpenAI API reference for chat.completion.chunk (id,
// created and model repeated in every chunk; usage only in the last one when
// stream_options.include_usage asks for it, and "usage":null in the others). Tool-call chunks
// follow ChatCompletionMessageToolCallChunk: the first delta of a call carries its index, id,
// type, name and "arguments":"", later ones only the index and an arguments fragment.
// Reasoning deltas are DeepSeek's and DashScope's "reasoning_content" (OpenAI sends none).
//
// DashScope's compatible mode (dashscope.md §0) differs where its captures do: tool calls
// without streaming have "content":"" and an "index" per call; later tool-call deltas repeat
// "id":"" and "type"; the finish delta is {"content":""}; usage adds text_tokens.
#include "dialects/openai_chat.hpp"

#include <cstring>

#include "answer/json_text.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_reader.hpp"

namespace lms {

namespace {

void open_chunk(out_buf& o, const answer_meta& m) noexcept {
    append_chunk_open(o, m, "\",\"object\":\"chat.completion.chunk\",\"created\":", "\",\"system_fingerprint\":null,\"choices\":[");
}

void open_choice(out_buf& o, const answer_meta& m, uint32_t choice) noexcept {
    open_chunk(o, m);
    o.append("{\"index\":");
    o.append_decimal(choice);
}

void close_choice(out_buf& o, const answer_meta& m) noexcept {
    o.append(R"(,"logprobs":null,"finish_reason":null})");
    append_chunk_close(o, m);
}

// ,"completion_tokens_details":{...} when reasoning was asked for or given.
void append_completion_details(out_buf& o, const answer_meta& m, const usage_counts& u) noexcept {
    if (!u.details) {
        return;
    }
    o.append(",\"completion_tokens_details\":{\"reasoning_tokens\":");
    o.append_decimal(u.reasoning);
    if (m.dashscope) {
        o.append(",\"text_tokens\":");  // DashScope: equal to completion_tokens (§0 item 4)
        o.append_decimal(u.completion);
    }
    o.append("}");
}

void stream_close(out_buf& o, const answer_meta& m, const stream_end& e) noexcept {
    for (uint32_t k = 0; k < e.n; ++k) {
        render_chat_finish_chunk(o, m, k, e.finish[k]);
    }
    if (e.usage != nullptr) {
        render_chat_usage_chunk(o, m, *e.usage);
    }
    render_done_event(o);
}

void append_call(out_buf& o, const answer_meta& m, uint32_t i, const answer_call& c) noexcept {
    o.append("{");
    if (m.dashscope) {
        o.append("\"index\":");
        o.append_decimal(i);
        o.append(",");
    }
    o.append("\"id\":\"");
    o.append(c.id);
    o.append(R"(","type":"function","function":{"name":")");
    json_escape(o, c.name);
    o.append(R"(","arguments":")");
    json_escape(o, c.arguments);
    o.append("\"}}");
}

}  // namespace

const dialect OPENAI_CHAT = {
    "chatcmpl-", "call_", "x-request-id", 503, true, false, read_chat_request, render_chat_completion,
    render_chat_role_chunk, render_chat_call_start, render_chat_delta, nullptr, stream_close, render_openai_envelope,
    render_openai_stream_error,
};

const dialect DASHSCOPE_CHAT = {
    "chatcmpl-", "call_", "x-request-id", 503, true, true, read_dashscope_chat_request, render_chat_completion,
    render_chat_role_chunk, render_chat_call_start, render_chat_delta, nullptr, stream_close, render_dashscope_error,
    render_openai_stream_error, {}, "Incorrect API key provided.", "Incorrect API key provided.",  // dashscope.md §6.3
    nullptr, rate_header_style::dashscope,
};

void render_chat_role_chunk(out_buf& o, const answer_meta& m, const block_ref& first) noexcept {
    open_choice(o, m, first.choice);
    if (first.kind == block_kind::reasoning) {
        o.append(R"(,"delta":{"role":"assistant","content":null,"reasoning_content":""})");
    } else if (first.kind == block_kind::tool_call && !m.dashscope) {
        o.append(R"(,"delta":{"role":"assistant","content":null})");
    } else {
        o.append(R"(,"delta":{"role":"assistant","content":""})");
    }
    close_choice(o, m);
}

void render_chat_call_start(out_buf& o, const answer_meta& m, const block_ref& b) noexcept {
    if (b.kind != block_kind::tool_call) {
        return;
    }
    open_choice(o, m, b.choice);
    o.append(R"(,"delta":{"tool_calls":[{"index":)");
    o.append_decimal(b.call);
    o.append(",\"id\":\"");
    o.append(b.call_id);
    o.append(R"(","type":"function","function":{"name":")");
    json_escape(o, b.call_name);
    o.append(R"(","arguments":""}}]})");
    close_choice(o, m);
}

void render_chat_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept {
    open_choice(o, m, b.choice);
    switch (b.kind) {
    case block_kind::reasoning:
        o.append(R"(,"delta":{"content":null,"reasoning_content":")");
        json_escape(o, text);
        o.append("\"}");
        break;
    case block_kind::tool_call:
        o.append(R"(,"delta":{"tool_calls":[{"index":)");
        o.append_decimal(b.call);
        o.append(m.dashscope ? R"(,"id":"","type":"function","function":{"arguments":")" : R"(,"function":{"arguments":")");
        json_escape(o, text);
        o.append("\"}}]}");
        break;
    case block_kind::text:
        o.append(R"(,"delta":{"content":")");
        json_escape(o, text);
        o.append(m.thinking ? "\",\"reasoning_content\":null}" : "\"}");
        if (m.logprobs != 0) {
            o.append(R"(,"logprobs":{"content":[)");
            append_logprob_entry(o, m, b.choice, b.token, text);
            o.append(R"(],"refusal":null},"finish_reason":null})");
            append_chunk_close(o, m);
            return;
        }
        break;
    }
    close_choice(o, m);
}

void render_chat_content_chunk(out_buf& o, const answer_meta& m, std::string_view text) noexcept {
    render_chat_delta(o, m, block_ref{}, text);
}

void render_chat_finish_chunk(out_buf& o, const answer_meta& m, uint32_t choice, std::string_view finish_reason) noexcept {
    open_choice(o, m, choice);
    if (m.dashscope) {
        o.append(m.thinking ? R"(,"delta":{"content":"","reasoning_content":null})" : R"(,"delta":{"content":""})");
    } else {
        o.append(R"(,"delta":{})");
    }
    o.append(R"(,"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append("\"}");
    append_chunk_close(o, m);
}

void render_chat_usage_chunk(out_buf& o, const answer_meta& m, usage_counts u) noexcept {
    open_chunk(o, m);
    o.append("],\"usage\":");
    append_usage_counts(o, u);
    if (u.cached != 0) {
        o.append(R"(,"prompt_tokens_details":{"cached_tokens":)");
        o.append_decimal(u.cached);
        o.append('}');
    }
    append_completion_details(o, m, u);
    o.append("}}\n\n");
}

void render_done_event(out_buf& o) noexcept { o.append("data: [DONE]\n\n"); }

void render_chat_completion(out_buf& o, const answer_meta& m, const answer_body& b) noexcept {
    o.append("{\"choices\":[");
    for (uint32_t k = 0; k < b.n; ++k) {
        if (k != 0) {
            o.append(',');
        }
        o.append(R"({"message":{"role":"assistant","content":)");
        if (b.call_count != 0) {
            o.append(m.dashscope ? "\"\"" : "null");
        } else {
            o.append('"');
            append_text_run(o, b.content[k]);
            o.append('"');
        }
        if (b.reasoning_shown) {
            o.append(",\"reasoning_content\":\"");
            append_text_run(o, b.reasoning[k]);
            o.append('"');
        }
        if (b.call_count != 0) {
            o.append(",\"tool_calls\":[");
            for (uint32_t i = 0; i < b.call_count; ++i) {
                if (i != 0) {
                    o.append(',');
                }
                append_call(o, m, i, b.calls[i]);
            }
            o.append(']');
        }
        o.append(R"(},"finish_reason":")");
        o.append(b.finish[k]);
        o.append(R"(","index":)");
        o.append_decimal(k);
        if (m.logprobs != 0 && b.call_count == 0) {
            o.append(R"(,"logprobs":)");
            append_run_logprobs(o, m, k, b.content[k]);
            o.append('}');
        } else {
            o.append(R"(,"logprobs":null})");
        }
    }
    o.append(R"(],"object":"chat.completion","usage":)");
    append_usage_counts(o, b.usage);
    o.append(R"(,"prompt_tokens_details":{"cached_tokens":)");
    o.append_decimal(b.usage.cached);
    o.append('}');
    append_completion_details(o, m, b.usage);
    o.append(R"(},"created":)");
    o.append_decimal(m.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, m.model);
    o.append(R"(","id":")");
    o.append(m.id);
    o.append("\"}");
}

void render_chat_body(out_buf& o, const chat_reply& r) noexcept {
    o.append(R"({"choices":[{"message":{"role":"assistant","content":")");
    o.append(CHAT_CONTENT);
    o.append(R"("},"finish_reason":"stop","index":0,"logprobs":null}],"object":"chat.completion",)"
             R"("usage":{"prompt_tokens":3019,"completion_tokens":104,"total_tokens":3123,)"
             R"("prompt_tokens_details":{"cached_tokens":2048}},"created":)");
    o.append_decimal(r.created);
    o.append(R"(,"system_fingerprint":null,"model":")");
    json_escape(o, r.model);
    o.append(R"(","id":")");
    o.append(r.id);
    o.append(R"("})");
}

std::string_view format_completion_id(uint64_t hi, uint64_t lo, char out[41]) noexcept {
    return format_answer_id(OPENAI_CHAT.id_prefix, hi, lo, out);  // 9 + 32 = 41 bytes
}

}  // namespace lms
