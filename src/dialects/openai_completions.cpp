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

void stream_close(out_buf& o, const answer_meta& m, std::string_view finish_reason, const usage_counts* u) noexcept {
    render_completion_finish_chunk(o, m, finish_reason);
    if (u != nullptr) {
        render_completion_usage_chunk(o, m, *u);
    }
    render_done_event(o);
}

}  // namespace

const dialect OPENAI_COMPLETIONS = {
    "cmpl-", false, read_completion_request, render_text_completion, nullptr, nullptr,
    render_completion_text_chunk, nullptr, stream_close, render_openai_error, render_openai_stream_error,
};

void render_completion_text_chunk(out_buf& o, const answer_meta& m, std::string_view text) noexcept {
    open_chunk(o, m);
    o.append(R"({"text":")");
    json_escape(o, text);
    o.append(R"(","index":0,"logprobs":null,"finish_reason":null})");
    append_chunk_close(o, m);
}

void render_completion_finish_chunk(out_buf& o, const answer_meta& m, std::string_view finish_reason) noexcept {
    open_chunk(o, m);
    o.append(R"({"text":"","index":0,"logprobs":null,"finish_reason":")");
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

void render_text_completion(out_buf& o, const answer_meta& m, std::string_view text, uint32_t tokens,
                            std::string_view finish_reason, usage_counts u) noexcept {
    o.append(R"({"choices":[{"text":")");
    append_cycled_text(o, text, tokens);
    o.append(R"(","index":0,"logprobs":null,"finish_reason":")");
    o.append(finish_reason);
    o.append(R"("}],"object":"text_completion","usage":)");
    append_usage_counts(o, u);
    o.append("},\"created\":");
    o.append_decimal(m.created);
    o.append(R"(,"model":")");
    json_escape(o, m.model);
    o.append(R"(","id":")");
    o.append(m.id);
    o.append("\"}");
}

}  // namespace lms
