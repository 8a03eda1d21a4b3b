#pragma once
// answer_service: one worker's answering side — everything the engine does not know. For a
// complete request: the route, the per-request overrides, the slot (or an immediate 503), the
// dialect's reader, the answer plan, the cursor; then, each time the engine's timer for the
// answer fires, what is due now: the whole answer, or the stream's next events. It also
// renders the bodies of the engine's own errors.
//
// Level 2. One per worker, called only by its worker's thread. Never allocates after
// construction, never throws on the request path, never touches a socket; reads the clock
// only to time what it serves. The engine owns the connection and its answer_cursor; the
// service owns what a cursor lends (its script buffer) until end().
#include <cstdint>
#include <string_view>

#include "answer/answer_plan.hpp"
#include "answer/json_body.hpp"
#include "dialects/openai_reader.hpp"
#include "engine/buffer_pool.hpp"
#include "engine/exchange.hpp"
#include "engine/http_parser.hpp"
#include "engine/http_response.hpp"
#include "engine/server.hpp"
#include "service/live_config.hpp"
#include "service/prefix_cache.hpp"
#include "service/rate_limiter.hpp"
#include "service/route_table.hpp"

namespace lms {

struct dialect;
struct answer_body;
struct answer_call;
struct rate_verdict;

class answer_service {
public:
    // Throws at startup only (std::bad_alloc).
    // scripts: one answer script buffer per connection the worker may hold (so an answer never
    // waits for one); their pages are touched only when first used.
    answer_service(server& s, unsigned index, uint32_t max_connections);
    answer_service(const answer_service&) = delete;
    answer_service& operator=(const answer_service&) = delete;

    // A complete request (its bytes valid during the call only: whatever the answer needs is
    // copied into cur). Fills out; out.r is the request's route.
    void on_request(const http_parser& p, const char* bytes, const exchange_context& x, answer_cursor& cur,
                    reply& out) noexcept;

    // The answer's timer fired: what is due now. Never reply_kind::hold.
    void step(const exchange_context& x, answer_cursor& cur, reply& out) noexcept;

    // A request answered reply_kind::queue now holds a slot (at once, or after waiting in the
    // queue): its answer starts, every time of its plan moved by the wait (its TTFT counts from
    // its arrival). Fills out with hold or events and takes_slot.
    void granted(const exchange_context& x, answer_cursor& cur, reply& out) noexcept;
    // The queue refused it: full (timed_out false), or it waited MAX_WAIT_SECONDS. The
    // dialect's overload answer, with QUEUE_FULL_STATUS (503, 529 for Anthropic; or 429).
    void queue_refused(const exchange_context& x, answer_cursor& cur, reply& out, bool timed_out) noexcept;

    // MAX_WAIT_SECONDS in ms (0: no bound), from the live settings.
    [[nodiscard]] uint64_t max_wait_ms() noexcept {
        acquire_settings();
        return cfg().max_wait_ms;
    }

    // The answer is over (sent, or its connection is gone): what the cursor borrowed goes
    // back. Idempotent.
    void end(answer_cursor& cur) noexcept;
    // The KV blocks a request holds from its slot to its end (PREFIX_CACHE_BLOCKS): its prompt
    // and all the tokens it will generate, in whole blocks (vllm:kv_cache_usage_perc).
    void hold_kv(answer_cursor& cur) noexcept;

    // The body of an error the engine answers by itself (framing, timeouts, sizes), in the
    // default envelope; rendered into area.
    [[nodiscard]] std::string_view error_body(int status, std::string_view message, char* area, size_t cap) noexcept;

private:
    static void respond(reply& out, int status, std::string_view content_type, std::string_view body,
                        std::string_view headers = {}) noexcept;
    // An answer that refuses: status, message, the offending field, an explicit code (empty:
    // the status's), extra header lines, and whether the request asked for a stream.
    struct failure {
        int status;
        std::string_view message;
        std::string_view param = {};
        std::string_view code = {};
        std::string_view headers = {};
        bool stream = false;
        std::string_view type = {};  // the envelope's type (empty: the status's)
    };
    static constexpr uint32_t MAX_API_KEYS = 32;
    // An answer script's room: tool calls' names and arguments, JSON content, echoed text.
    static constexpr size_t SCRIPT_BYTES = 16384;
    static constexpr size_t HEAD_BYTES = 512;

    // In the dialect's envelope (DashScope's with its request_id, SSE-framed for a stream's
    // 400/404 as DashScope sends them), with the request headers.
    void fail(const exchange_context& x, const dialect& d, const answer_cursor& cur, reply& out,
              const failure& f) noexcept;
    // The answer's per-request header lines (x-request-id; DashScope's timing and gateway
    // lines; CORS) then extra, rendered into head_lines_ (valid until the next call).
    [[nodiscard]] std::string_view request_headers(const dialect& d, const answer_cursor& cur, uint64_t now_ns,
                                                   std::string_view extra = {}) noexcept;
    [[nodiscard]] std::string_view request_id(const dialect& d, const answer_cursor& cur, char out[48]) const noexcept;
    [[nodiscard]] std::string_view cors_line() const noexcept;
    [[nodiscard]] uint64_t logprob_seed() const noexcept;
    [[nodiscard]] bool key_accepted(const http_parser& p, const char* bytes, bool& missing) const noexcept;
    [[nodiscard]] static std::string_view api_key(const http_parser& p, const char* bytes) noexcept;
    void rate_limit_lines(out_buf& h, const dialect& d, const answer_cursor& cur, uint64_t now_ns) noexcept;
    void render_rate_limits(out_buf& b, uint64_t now_ns) const noexcept;
    // A request the rate limits refuse: its 429 in the dialect's words, with retry-after.
    void rate_limited(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out,
                      const rate_verdict& v, std::string_view model, bool stream) noexcept;
    void generate(const http_parser& p, const char* bytes, const exchange_context& x, const dialect& d,
                  answer_cursor& cur, reply& out) noexcept;
    void embeddings(const http_parser& p, const char* bytes, const exchange_context& x, const dialect& d,
                    const answer_cursor& cur, reply& out) noexcept;
    // vLLM's POST /tokenize and POST /detokenize (answer_tokenize.cpp): answered at once, no slot.
    void tokenizer_route(const http_parser& p, const char* bytes, const exchange_context& x, bool detokenize,
                         const answer_cursor& cur, reply& out) noexcept;
    // MAX_MODEL_LEN as /v1/models and /tokenize report it (vLLM always sends a number): 0, no
    // limit, as the setting's largest value, 4294967295, which no prompt the mock takes reaches.
    [[nodiscard]] uint64_t reported_max_model_len() const noexcept {
        return cfg().max_model_len != 0 ? cfg().max_model_len : 0xffffffffu;
    }
    void one_model(std::string_view encoded_id, const exchange_context& x, const dialect& d, const answer_cursor& cur,
                   reply& out) noexcept;
    void preflight(const http_parser& p, const char* bytes, const route_match& m, const exchange_context& x,
                   reply& out) noexcept;
    void whole(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out, bool from_timer) noexcept;
    [[nodiscard]] bool original_answer(const exchange_context& x, const dialect& d, answer_cursor& cur,
                                       std::string_view id, bool from_timer, reply& out) noexcept;
    void stream_step(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out) noexcept;
    [[nodiscard]] std::string_view answer_text(const answer_cursor& cur) const noexcept;
    [[nodiscard]] std::string_view answer_id(const dialect& d, const answer_cursor& cur, char out[48]) const noexcept;
    [[nodiscard]] std::string_view call_id(const dialect& d, const answer_cursor& cur, uint32_t i,
                                           char out[32]) const noexcept;
    // The whole answer as the dialects render it (whole bodies, and the streams' closing and
    // block-end events); calls and ids are the caller's storage.
    void fill_body(const dialect& d, const answer_cursor& cur, answer_body& a, answer_call* calls,
                   char (*ids)[32]) const noexcept;
    [[nodiscard]] uint32_t block_tokens(const answer_cursor& cur, uint8_t b) const noexcept;
    [[nodiscard]] uint8_t first_block(const answer_cursor& cur, uint8_t b) const noexcept;
    void enter_block(answer_cursor& cur, uint8_t b) const noexcept;
    [[nodiscard]] double load_multiplier() const noexcept;

    // The last original-body chat answer, rendered up to its id (see original_answer).
    struct answer_prefix {
        int64_t created = 0;
        int64_t date_sec = 0;
        size_t len = 0;       // 0: nothing rendered
        size_t head_len = 0;  // the head before its per-request lines
        size_t rest_len = 0;
        size_t rid_off = 0;   // OpenAI: where the request id's digits go in the cached head; 0: not cached
        bool keep_alive = false;
        bool dashscope = false;
        bool rated = false;
        uint8_t id_len = 0;
        uint8_t model_len = 0;
        char model[answer_cursor::MODEL_MAX];
        char rest[1024];   // the head's Connection line and blank line, and the body before the id
        char bytes[4096];  // the head, then per answer its lines, rest, id and the closing '"}'
    };

    // The settings of the call in progress: the worker's live snapshot, acquired at each entry
    // (on_request, step); own_ when the server has no live_config (unit tests).
    [[nodiscard]] const config& cfg() const noexcept { return snap_->cfg; }
    void acquire_settings() noexcept {
        snap_ = srv_.live != nullptr ? srv_.live->acquire(index_) : &own_;
        if (snap_->generation != generation_) {
            settings_changed();
        }
    }
    void settings_changed() noexcept;
    void admin(const http_parser& p, const char* bytes, const exchange_context& x, reply& out) noexcept;

    server& srv_;
    worker_stats& stats_;
    buffer_pool scripts_;  // the cursors' scripts (SCRIPT_BYTES each)
    const unsigned index_;
    json_body_parser body_parser_;  // the readers' one JSON parser
    embedding_request embedding_;  // one /v1/embeddings request being answered
    generation_request request_;   // the request being admitted (valid during on_request only)
    prompt_blocks blocks_;         // its prompt's block hashes, fed by the reader (PREFIX_CACHE_BLOCKS)
    rng rng_;
    live_snapshot own_;
    const live_snapshot* snap_ = &own_;
    uint64_t generation_ = 0;  // snap_'s when the derived header lines were last built
    // The last admission's rate verdict, for the headers of an answer written in the same turn.
    rate_verdict verdict_{};
    uint64_t verdict_for_ = ~uint64_t(0);  // its request (answer_cursor::id_n)
    uint64_t verdict_ns_ = 0;
    uint64_t id_seed_;
    uint64_t id_counter_ = 0;
    answer_prefix prefix_;
    char overload_headers_[96];
    size_t overload_headers_len_ = 0;
    char rate_limit_headers_[96];
    size_t rate_limit_headers_len_ = 0;
    int64_t realtime_offset_ns_ = 0;  // CLOCK_REALTIME - CLOCK_MONOTONIC at startup
    std::string_view api_keys_[MAX_API_KEYS];
    uint32_t api_key_count_ = 0;
    char cors_line_[160];
    size_t cors_line_len_ = 0;
    char head_lines_[1024];  // Anthropic's 12 rate-limit lines need about 600
};

}  // namespace lms
