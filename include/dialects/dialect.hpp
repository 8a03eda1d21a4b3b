#pragma once
// dialect: one API the mock speaks, as a table — its request reader (JSON body into the
// neutral generation_request, or its own 400) and its renderer, one function per event it
// can emit, in wire order: a whole body; for a stream its opening, a block's start, a delta,
// a block's end and its closing; its error envelope and its in-stream error event.
//
// Level 0. Every function renders into a caller's out_buf and never allocates, never reads
// the clock, the settings or a socket: the answer plan and the cursor hand it what it needs.
// The tables are constant; any thread.
//
// Adding a dialect: a reader, a renderer filling one of these tables (dialects/<name>.cpp),
// and one row in the route table (service/route_table.cpp). The engine does not change.
#include <cstdint>
#include <string_view>

#include "answer/json_body.hpp"
#include "answer/generation_request.hpp"
#include "engine/http_response.hpp"

namespace lms {

// What every event of one answer repeats.
struct answer_meta {
    std::string_view id;     // prefix + 32 hex digits (or DashScope's UUID)
    int64_t created;         // unix seconds
    std::string_view model;  // unescaped
    bool usage_null;         // streamed with include_usage: every chunk carries "usage":null
    bool thinking = false;   // the answer shows reasoning (content deltas then say "reasoning_content":null)
    bool dashscope = false;  // the dialect's dashscope flag, for renderers shared by both
    uint8_t logprobs = 0;    // content tokens carry logprobs: 0 none, else 1 + top_logprobs
    uint64_t logprob_seed = 0;
    uint32_t prompt_tokens = 0;  // for the dialects that state the input tokens when a stream opens
    // Streams: the count of events sent so far, kept in the cursor; a renderer that numbers its
    // events (the Responses API's sequence_number) reads and advances it. Null for whole answers.
    uint32_t* events = nullptr;
    // The dialect's request_echo for this request; empty: its defaults.
    std::string_view echo = {};
    uint32_t cached_tokens = 0;  // of prompt_tokens, those the prefix cache held
};

struct usage_counts {
    uint32_t prompt;
    uint32_t completion;         // every choice's tokens, reasoning included
    uint32_t reasoning = 0;      // of which reasoning
    bool details = false;        // completion_tokens_details (reasoning asked for or given)
    uint32_t cached = 0;         // of prompt, those the prefix cache held (PREFIX_CACHE_BLOCKS)
};

enum class block_kind : uint8_t { text, reasoning, tool_call };

// A run of `tokens` tokens of text from byte off, cycling through it; the last token cut to
// last_len bytes when last_len != 0 (a stop sequence began inside it).
struct text_run {
    std::string_view text;
    uint32_t off = 0;
    uint32_t tokens = 0;
    uint32_t last_len = 0;
};

// One tool call of an answer: id ("call_" + 24 alphanumerics), function name, arguments (a
// JSON text, unescaped).
struct answer_call {
    std::string_view id;
    std::string_view name;
    std::string_view arguments;
};

// A whole answer: n choices, each its reasoning (shown or only counted), its content, and its
// finish; tool calls (when calls != 0) replace every choice's content.
struct answer_body {
    uint32_t n = 1;
    bool reasoning_shown = false;
    text_run reasoning[MAX_CHOICES];
    text_run content[MAX_CHOICES];
    std::string_view finish[MAX_CHOICES];
    std::string_view stop_sequence[MAX_CHOICES];  // the stop sequence that ended the choice, if one did
    const answer_call* calls = nullptr;
    uint32_t call_count = 0;
    usage_counts usage{0, 0};
};

// Where a streamed event belongs: the choice, the block, and for a tool call its index, id
// and name.
struct block_ref {
    uint32_t choice = 0;
    block_kind kind = block_kind::text;
    uint32_t call = 0;
    std::string_view call_id;
    std::string_view call_name;
    uint32_t token = 0;  // a delta's token index in its block (for its logprob)
};

// A stream's end: each choice's finish, the usage when asked for, and the whole answer (for the
// dialects whose closing event repeats it: the Responses API's response.completed).
struct stream_end {
    uint32_t n = 1;
    const std::string_view* finish;
    const usage_counts* usage;  // null: no usage chunk
    const answer_body* body = nullptr;
};

// Which rate-limit headers a dialect's answers carry (RATE_LIMIT_*): OpenAI's x-ratelimit-*,
// Anthropic's anthropic-ratelimit-*, or none (DashScope's compatible mode, unless
// RATE_LIMIT_HEADERS_COMPAT asks for OpenAI's there too).
enum class rate_header_style : uint8_t { openai, anthropic, dashscope };

struct dialect {
    std::string_view id_prefix;  // "chatcmpl-", "cmpl-", "msg_", "resp_": at most 16 bytes
    std::string_view call_prefix;        // tool-call ids: "call_" or "toolu_" (+ 24 alphanumerics)
    std::string_view request_id_header;  // "x-request-id" (OpenAI, DashScope) or "request-id" (Anthropic)
    int overload_status;                 // a full server's answer: 503 (OpenAI), 529 (Anthropic)
    // The original service's fixed body is this dialect's answer when nothing asks otherwise.
    bool has_original_body;
    // DashScope's compatible mode: its ids, headers, rules and shapes where they differ from OpenAI's.
    bool dashscope;

    // The body into the neutral request; false with err naming the field.
    bool (*read)(json_body_parser& p, const char* body, size_t len, generation_request& out,
                 body_error& err) noexcept;

    // A whole answer.
    void (*whole)(out_buf& o, const answer_meta& m, const answer_body& b) noexcept;

    // A stream, event by event ("data: ...\n\n" each). Null entries emit nothing. stream_open
    // once per choice (its first block's kind), then per block its start, its deltas, its end.
    void (*stream_open)(out_buf& o, const answer_meta& m, const block_ref& first) noexcept;
    void (*block_start)(out_buf& o, const answer_meta& m, const block_ref& b) noexcept;
    void (*delta)(out_buf& o, const answer_meta& m, const block_ref& b, std::string_view text) noexcept;
    // A block's end; body is the whole answer (its runs and calls) for the dialects that repeat
    // a block's text when it ends (the Responses API's *.done events).
    void (*block_end)(out_buf& o, const answer_meta& m, const block_ref& b, const answer_body& body) noexcept;
    // The finishes, the usage when asked for, and the end marker.
    void (*stream_close)(out_buf& o, const answer_meta& m, const stream_end& e) noexcept;

    // The error envelope for status (code and type empty: the status's own; request_id for the
    // envelopes that carry it), and the in-stream error event.
    void (*error_envelope)(out_buf& o, int status, std::string_view message, std::string_view param,
                           std::string_view code, std::string_view type, std::string_view request_id) noexcept;
    void (*stream_error)(out_buf& o, std::string_view message) noexcept;

    // Header lines on every answer of the dialect (complete lines; e.g. the Responses API's
    // x-mock-stateless), and the provider's 401 messages (empty: OpenAI's).
    std::string_view fixed_headers = {};
    std::string_view missing_key_message = {};
    std::string_view bad_key_message = {};

    // The request fields its answer repeats, as a JSON fragment (null: none), written at
    // admission into the answer's script while the body is still parsed; brief leaves out
    // what may not fit (the tools' schemas). Its renderers read it back from answer_meta.echo.
    void (*request_echo)(out_buf& o, const generation_request& rq, bool brief) noexcept = nullptr;
    rate_header_style rate_headers = rate_header_style::openai;
};

// prefix + 32 lowercase hex digits of (hi, lo) into out, which holds prefix.size() + 32 bytes
// (prefix at most 16).
std::string_view format_answer_id(std::string_view prefix, uint64_t hi, uint64_t lo, char* out) noexcept;

// prefix + a UUID (8-4-4-4-12 lowercase hex, version 4) of (hi, lo) into out, which holds
// prefix.size() + 36 bytes (prefix at most 16): DashScope's request ids.
std::string_view format_uuid(std::string_view prefix, uint64_t hi, uint64_t lo, char* out) noexcept;

// The JSON-escaped text of `tokens` tokens of text, cycling through it (no quotes).
void append_cycled_text(out_buf& o, std::string_view text, uint32_t tokens) noexcept;
// The JSON-escaped text of a run (no quotes).
void append_text_run(out_buf& o, const text_run& r) noexcept;
// OpenAI's logprobs entry of one token: {"token":..,"logprob":..,"bytes":[..],"top_logprobs":[..]}
// (top_logprobs with m.logprobs - 1 entries: the token itself, then its alternatives).
void append_logprob_entry(out_buf& o, const answer_meta& m, uint32_t choice, uint32_t index,
                          std::string_view token) noexcept;
// {"content":[one entry per token of the run],"refusal":null}
void append_run_logprobs(out_buf& o, const answer_meta& m, uint32_t choice, const text_run& r) noexcept;

// {"prompt_tokens":P,"completion_tokens":C,"total_tokens":P+C  (the caller closes the object;
// the reasoning details are the dialect's)
void append_usage_counts(out_buf& o, usage_counts u) noexcept;
// The envelope of an OpenAI stream chunk: `data: {"id":"ID` + object (up to and including
// `"created":`) + created + `,"model":"MODEL` + after_model (up to the choices' '['); and its
// close: `]}` or, with m.usage_null, `],"usage":null}`, then the blank line.
void append_chunk_open(out_buf& o, const answer_meta& m, std::string_view object, std::string_view after_model) noexcept;
void append_chunk_close(out_buf& o, const answer_meta& m) noexcept;

}  // namespace lms
