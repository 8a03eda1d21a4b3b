// openai_completions: the text_completion shapes of the OpenAI API reference (no
// system_fingerprint; "text" and "index" in each choice).
#include "dialects/openai_completions.hpp"

#include "answer/json_text.hpp"
#include "dialects/openai_chat.hpp"
#include "dialects/openai_error.hpp"
#include "dialects/openai_reader.hpp"

namespace lms {

namespace {

void open_chunk(out_buf& o, const answer_meta& m) noexcept {
    append_chunk_open(o, m, "\",\"object\":\"text_completion\",\"created\":", "\",\"choices\":[");
}

void stream_close(out_buf& o, const answer_meta& m, const stream_end& e) noexcept {
    for (uint32_t k = 0; k < e.n; ++k) {
        render_completion_finish_chunk(o, m, k, e.finish[k]);
    }
    if (e.usage != nullptr) {
        render_completion_usage_chunk(o, m, *e.usage);
    }
    render_done_event(o);
}

void text_delta(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept {
    render_completion_text_chunk(o, m, b.choice, text);
}

}  // namespace

const dialect OPENAI_COMPLETIONS = {
    "cmpl-", "call_", "x-request-id", 503, false, false, read_completion_request, render_text_completion, nullptr,
    nullptr, text_delta, nullptr, stream_close, render_openai_envelope, render_openai_stream_error,
};

void render_completion_text_chunk(out_buf& o, const answer_meta& m, uint32_t choice, std::string_view text) noexcept {
    open_chunk(o, m);
    o.append(R"({"text":")");
    json_escape(o, text);
    o.append(R"(","index":)");
    o.append_decimal(choice);
    o.append(R"(,"logprobs":null,"finish_reason":null})");
    append_chunk_close(o, m);
}

void render_completion_finish_chunk(out_buf& o, const answer_meta& m, uint32_t choice,
                                    std::string_view finish_reason) noexcept {
    open_chunk(o, m);
    o.append(R"({"text":"","index":)");
    o.append_decimal(choice);
    o.append(R"(,"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append("\"}");
    append_chunk_close(o, m);
}

void render_completion_usage_chunk(out_buf& o, const answer_meta& m, usage_counts u) noexcept {
    open_chunk(o, m);
    o.append("],\"usage\":");
    append_usage_counts(o, u);
    o.append("}}\n\n");
}

void render_text_completion(out_buf& o, const answer_meta& m, const answer_body& b) noexcept {
    o.append(R"({"choices":[)");
    for (uint32_t k = 0; k < b.n; ++k) {
        if (k != 0) {
            o.append(',');
        }
        o.append(R"({"text":")");
        append_text_run(o, b.content[k]);
        o.append(R"(","index":)");
        o.append_decimal(k);
        o.append(R"(,"logprobs":null,"finish_reason":")");
        o.append(b.finish[k]);
        o.append("\"}");
    }
    o.append(R"(],"object":"text_completion","usage":)");
    append_usage_counts(o, b.usage);
    o.append("},\"created\":");
    o.append_decimal(m.created);
    o.append(R"(,"model":")");
    json_escape(o, m.model);
    o.append(R"(","id":")");
    o.append(m.id);
    o.append("\"}");
}

}  // namespace lms
