// answer_delivery: an admitted answer rendered when it is due: a whole answer (the original
// body's pre-rendered fast path, or the dialect's body), or a stream's next events (blocks in
// step per choice: reasoning, then content or each tool call), and the whole answer as the
// dialects see it (fill_body).
#include "service/answer_service.hpp"

#include <cstring>
#include <new>

#include "answer/answer_script.hpp"
#include "answer/tokens.hpp"
#include "dialects/dialect.hpp"
#include "dialects/openai_chat.hpp"
#include "engine/clock.hpp"
#include "engine/engine_limits.hpp"
#include "service/route_table.hpp"

namespace lms {

namespace {

answer_script* script_of(const answer_cursor& cur) noexcept {
    return cur.script != nullptr ? reinterpret_cast<answer_script*>(cur.script->data()) : nullptr;
}

// "stop", "length" or "tool_calls": how choice k ended.
std::string_view finish_of(const answer_cursor& cur, const answer_script* s, uint32_t k) noexcept {
    if (cur.calls != 0) {
        return "tool_calls";
    }
    if (s != nullptr && s->choice[k].stopped) {
        return "stop";
    }
    return cur.finish_length ? "length" : "stop";
}

// Every choice's tokens, reasoning included, and the reasoning among them.
usage_counts usage_of(const answer_cursor& cur, const answer_script* s) noexcept {
    uint64_t content = 0;
    for (uint32_t k = 0; k < cur.choices; ++k) {
        content += s != nullptr && cur.calls == 0 ? s->choice[k].tokens : cur.tokens_total;
    }
    const uint64_t reasoning = uint64_t(cur.reasoning_tokens) * cur.choices;
    auto clamp = [](uint64_t v) { return uint32_t(v > 0xffffffffu ? 0xffffffffu : v); };
    return usage_counts{cur.prompt_tokens, clamp(content + reasoning), clamp(reasoning), cur.reasoning_details,
                        cur.cached_tokens};
}

}  // namespace

std::string_view answer_service::answer_text(const answer_cursor& cur) const noexcept {
    const answer_script* s = script_of(cur);
    return s != nullptr ? s->text(snap_->text) : snap_->text;
}


// A whole (non-streamed) answer, at its time.
void answer_service::whole(const exchange_context& x, const dialect& d, answer_cursor& cur, reply& out,
                           bool from_timer) noexcept {
    if (cur.fault_kind == fault::disconnect) {
        worker_stats::bump(stats_.faults[unsigned(fault::disconnect)]);
        out.kind = reply_kind::reset;
        return;
    }
    if (cur.fault_kind == fault::stall) {
        worker_stats::bump(stats_.faults[unsigned(fault::stall)]);
    }
    char idbuf[48];
    std::string_view id = answer_id(d, cur, idbuf);
    if (cur.original_body && original_answer(x, d, cur, id, from_timer, out)) {
        return;
    }
    std::string_view model(cur.model, cur.model_len);
    out_buf b(x.area, x.area_cap);
    const answer_script* sc = script_of(cur);
    const usage_counts u = usage_of(cur, sc);
    if (cur.original_body) {
        render_chat_body(b, chat_reply{id, cur.created, model});
    } else {
        answer_meta m{id, cur.created, model, false, cur.reasoning_shown, d.dashscope, cur.logprobs, logprob_seed(),
                      cur.prompt_tokens, nullptr, sc != nullptr ? sc->echo() : std::string_view{},
                      cur.cached_tokens};
        answer_body a;
        answer_call calls[MAX_TOOL_CALLS];
        char ids[MAX_TOOL_CALLS][32];
        fill_body(d, cur, a, calls, ids);
        d.whole(b, m, a);
    }
    // Served now: from a timer, the clock read afresh (a batch of timers takes time, and the
    // lateness histogram must show it); at delay 0, the admission time itself.
    uint64_t now = from_timer ? monotonic_ns() : cur.admitted_ns;
    stats_.observe_delay((now - cur.admitted_ns) / 1000, (cur.due_ns - cur.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, cur.original_body ? ORIGINAL_COMPLETION_TOKENS : u.completion);
    worker_stats::bump(cur.finish_length && cur.calls == 0 ? stats_.finished_length : stats_.finished_stop);
    if (b.truncated) {
        fail(x, d, cur, out, failure{500, "The answer does not fit the server's answer buffer."});
    } else {
        respond(out, 200, "application/json", b.view(), request_headers(d, cur, from_timer ? now : x.now_ns));
    }
}

// The original service's body, sent from the pre-rendered answer: answers of the same second
// (created and Date), model and keep-alive are the same bytes but for their request headers
// and their id, so the head up to its per-request lines and the body up to the id are
// rendered once, and each answer adds its request headers, copies the rest of the head and
// the body prefix behind them, and adds its id. The bytes are those of whole()'s general path
// (same render_head, request_headers and render_chat_body); false, with nothing rendered,
// when the answer does not fit (that path then answers).
bool answer_service::original_answer(const exchange_context& x, const dialect& d, answer_cursor& cur,
                                     std::string_view id, bool from_timer, reply& out) noexcept {
    const std::string_view model(cur.model, cur.model_len);
    answer_prefix& a = prefix_;
    if (a.len == 0 || a.created != cur.created || a.date_sec != x.now_unix || a.keep_alive != x.keep_alive ||
        a.id_len != id.size() || a.dashscope != d.dashscope || a.rated != (cur.rate_key != 0) ||
        std::string_view(a.model, a.model_len) != model) {
        out_buf b(x.area, x.area_cap);
        render_chat_body(b, chat_reply{id, cur.created, model});
        const size_t tail = id.size() + ORIGINAL_BODY_TAIL.size();
        // The head without per-request lines: they go just before its Connection line.
        char head[HEAD_BYTES];
        out_buf h(head, sizeof head);
        render_head(h, 200, "application/json", b.len, x.keep_alive, x.date, "");
        const std::string_view connection = x.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        if (b.truncated || b.len < tail || h.truncated || h.len < connection.size() ||
            h.len - connection.size() + sizeof head_lines_ + connection.size() + b.len > sizeof a.bytes) {
            a.len = 0;
            return false;
        }
        a.head_len = h.len - connection.size();
        std::memcpy(a.bytes, head, a.head_len);
        out_buf r(a.rest, sizeof a.rest);
        a.rid_off = 0;
        if (!d.dashscope && cur.rate_key == 0) {
            // OpenAI's lines are fixed-length (x-request-id: req_ + the id's 32 hex digits, and
            // the CORS line): they are part of the cached head, with a slot for the digits.
            out_buf f(a.bytes + a.head_len, sizeof a.bytes - a.head_len);
            f.append("x-request-id: req_");
            a.rid_off = a.head_len + f.len;
            f.append(id.substr(id.size() - 32));
            f.append("\r\n");
            f.append(d.fixed_headers);  // request_headers()'s order
            f.append(cors_line());
            a.head_len += f.len;
        }
        r.append(connection);
        r.append(b.view().substr(0, b.len - tail));
        if (r.truncated || a.head_len + r.len + HEAD_BYTES > sizeof a.bytes) {
            a.len = 0;
            return false;
        }
        a.rest_len = r.len;
        if (a.rid_off != 0) {
            std::memcpy(a.bytes + a.head_len, a.rest, a.rest_len);  // all cached: the id is the only gap
        }
        a.len = a.head_len;
        a.created = cur.created;
        a.date_sec = x.now_unix;
        a.keep_alive = x.keep_alive;
        a.dashscope = d.dashscope;
        a.rated = cur.rate_key != 0;  // rate-limit lines vary per answer: rendered each time, not cached
        a.id_len = uint8_t(id.size());
        std::memcpy(a.model, model.data(), model.size());
        a.model_len = cur.model_len;
    }
    uint64_t now = from_timer ? monotonic_ns() : cur.admitted_ns;
    char* p;
    if (a.rid_off != 0) {
        // The same bytes request_headers() writes on the general path: its digits are the id's.
        std::memcpy(a.bytes + a.rid_off, id.data() + id.size() - 32, 32);
        p = a.bytes + a.head_len + a.rest_len;
    } else {
        const std::string_view lines = request_headers(d, cur, from_timer ? now : x.now_ns);
        p = a.bytes + a.head_len;
        std::memcpy(p, lines.data(), lines.size());
        p += lines.size();
        std::memcpy(p, a.rest, a.rest_len);
        p += a.rest_len;
    }
    std::memcpy(p, id.data(), id.size());
    p += id.size();
    std::memcpy(p, ORIGINAL_BODY_TAIL.data(), ORIGINAL_BODY_TAIL.size());
    p += ORIGINAL_BODY_TAIL.size();
    // What whole()'s general path records, in the same order.
    stats_.observe_delay((now - cur.admitted_ns) / 1000, (cur.due_ns - cur.admitted_ns) / 1000);
    worker_stats::bump(stats_.generated_tokens, ORIGINAL_COMPLETION_TOKENS);
    worker_stats::bump(cur.finish_length ? stats_.finished_length : stats_.finished_stop);
    out.kind = reply_kind::raw;
    out.status = 200;
    out.body = std::string_view(a.bytes, size_t(p - a.bytes));
    return true;
}

void answer_service::fill_body(const dialect& d, const answer_cursor& cur, answer_body& a, answer_call* calls,
                               char (*ids)[32]) const noexcept {
    const answer_script* sc = script_of(cur);
    a.n = cur.choices;
    a.reasoning_shown = cur.reasoning_shown;
    const std::string_view text = answer_text(cur);
    for (uint32_t k = 0; k < cur.choices; ++k) {
        a.content[k] = sc != nullptr ? text_run{text, sc->choice[k].start, sc->choice[k].tokens, sc->choice[k].last_len}
                                     : text_run{text, 0, cur.tokens_total, 0};
        a.reasoning[k] = text_run{snap_->text, 0, cur.reasoning_tokens, 0};
        a.finish[k] = finish_of(cur, sc, k);
        a.stop_sequence[k] = sc != nullptr && sc->choice[k].stopped ? sc->stop_text(k) : std::string_view();
    }
    for (uint32_t i = 0; i < cur.calls; ++i) {
        calls[i] = answer_call{call_id(d, cur, i, ids[i]), sc->call_name(i), sc->call_args(i)};
    }
    a.calls = calls;
    a.call_count = cur.calls;
    a.usage = usage_of(cur, sc);
}

// The tokens block b has (per choice: the longest choice's, for the content).
uint32_t answer_service::block_tokens(const answer_cursor& cur, uint8_t b) const noexcept {
    if (b == BLOCK_REASONING) {
        return cur.reasoning_shown ? cur.reasoning_tokens : 0;
    }
    if (b == BLOCK_CONTENT) {
        return cur.calls == 0 ? cur.tokens_total : 0;
    }
    const answer_script* s = script_of(cur);
    return s != nullptr && unsigned(b - BLOCK_CALL) < cur.calls ? s->call[b - BLOCK_CALL].args_tokens : 0;
}

// The first block from b on that has tokens, or BLOCK_DONE.
uint8_t answer_service::first_block(const answer_cursor& cur, uint8_t b) const noexcept {
    const unsigned end = BLOCK_CALL + cur.calls;
    for (unsigned k = b; k < end; ++k) {
        if (block_tokens(cur, uint8_t(k)) != 0) {
            return uint8_t(k);
        }
    }
    return BLOCK_DONE;
}

void answer_service::enter_block(answer_cursor& cur, uint8_t b) const noexcept {
    cur.block = b;
    cur.tokens_sent = 0;
    const answer_script* s = script_of(cur);
    cur.text_off = b == BLOCK_CONTENT && s != nullptr ? s->choice[0].off : 0;
}

// One timer event of a stream: a keep-alive comment before the first token, or every token
// now due (one per choice, unless the loop fell behind), and after the last one the dialect's
// closing (finishes, usage when asked for, end marker) — all in one write. Each choice goes
// through its blocks in step: reasoning, then its content or each tool call in turn.
void answer_service::stream_step(const exchange_context& x, const dialect& d, answer_cursor& cur,
                                 reply& out) noexcept {
    const uint64_t now = monotonic_ns();
    const config& cfg = snap_->cfg;
    out.kind = reply_kind::events;
    out_buf ev(x.area, x.area_cap / 2);
    if (cur.tokens_done == 0) {
        // The head goes out with this step (a keep-alive, the first token, or all of a short
        // answer): its content type and request lines.
        out.content_type = d.dashscope ? std::string_view("text/event-stream;charset=UTF-8") : std::string_view();
        out.headers = request_headers(d, cur, now);
    }
    if (now < cur.due_ns && cur.tokens_done == 0) {
        ev.append(": keep-alive\n\n");
        out.body = ev.view();
        out.send_head = true;
        uint64_t next = now + cfg.sse_keepalive_ms * 1000000;
        out.due_ns = next < cur.due_ns ? next : cur.due_ns;
        return;
    }
    char idbuf[48];
    // DashScope's chunks say "usage":null with or without include_usage (dashscope.md §0 items 6, 8).
    answer_script* sc = script_of(cur);
    const answer_meta m{answer_id(d, cur, idbuf), cur.created, std::string_view(cur.model, cur.model_len),
                        cur.include_usage || d.dashscope, cur.reasoning_shown, d.dashscope,
                        cur.logprobs, logprob_seed(), cur.prompt_tokens, &cur.events,
                        sc != nullptr ? sc->echo() : std::string_view{}, cur.cached_tokens};
    const std::string_view text = answer_text(cur);
    const uint32_t n = cur.choices;
    auto open = [&]() {
        if (d.stream_open == nullptr) {
            return;
        }
        const block_kind first = cur.block == BLOCK_REASONING ? block_kind::reasoning
                                 : cur.block >= BLOCK_CALL && cur.block != BLOCK_DONE ? block_kind::tool_call
                                                                                      : block_kind::text;
        for (uint32_t k = 0; k < n; ++k) {
            d.stream_open(ev, m, block_ref{k, first});
        }
    };
    bool last = false;
    while (cur.block != BLOCK_DONE && cur.due_ns <= now && ev.len < x.area_cap / 4) {
        if (cur.fault_kind != fault::none && cur.tokens_done == cur.fault_at) {
            fault f = cur.fault_kind;
            cur.fault_kind = fault::none;
            worker_stats::bump(stats_.faults[unsigned(f)]);
            if (f == fault::stall) {
                cur.due_ns = now + cfg.fault_stall_ms * 1000000;  // the schedule resumes from here
                break;
            }
            if (f == fault::disconnect) {
                out.body = ev.view();
                out.reset_after = true;
                return;
            }
            d.stream_error(ev, "The server had an error while generating the answer (injected).");
            last = true;
            break;
        }
        if (cur.tokens_done == 0) {
            open();
        }
        if (cur.tokens_sent == 0 && (cur.block == BLOCK_CONTENT || cur.block == BLOCK_CALL)) {
            stats_.ttfat.observe(DELAY_BUCKETS, (now - cur.admitted_ns) / 1000);
        }
        if (cur.tokens_sent == 0 && cur.block < BLOCK_CALL && d.block_start != nullptr) {
            // A reasoning or text block opens (the tool calls' open with their id, below).
            const block_kind k = cur.block == BLOCK_REASONING ? block_kind::reasoning : block_kind::text;
            for (uint32_t c = 0; c < n; ++c) {
                d.block_start(ev, m, block_ref{c, k});
            }
        }
        // This step's token, for every choice.
        if (cur.block == BLOCK_REASONING) {
            const size_t off = cur.text_off < snap_->text.size() ? cur.text_off : 0;
            const size_t len = token_length(snap_->text, off);
            for (uint32_t k = 0; k < n; ++k) {
                d.delta(ev, m, block_ref{k, block_kind::reasoning}, snap_->text.substr(off, len));
            }
            cur.text_off = uint32_t(off + len);
        } else if (cur.block == BLOCK_CONTENT) {
            for (uint32_t k = 0; k < n; ++k) {
                // One run per choice: the cursor's offset for a plain answer, the script's
                // (advanced here) otherwise.
                uint32_t& at = sc != nullptr ? sc->choice[k].off : cur.text_off;
                const uint32_t tokens = sc != nullptr ? sc->choice[k].tokens : cur.tokens_total;
                if (cur.tokens_sent >= tokens) {
                    continue;
                }
                const size_t off = at < text.size() ? at : 0;
                size_t len = token_length(text, off);
                at = uint32_t(off + len);
                if (sc != nullptr && cur.tokens_sent + 1 == tokens && sc->choice[k].last_len != 0 &&
                    sc->choice[k].last_len < len) {
                    len = sc->choice[k].last_len;
                }
                block_ref b{k, block_kind::text};
                b.token = cur.tokens_sent;
                d.delta(ev, m, b, text.substr(off, len));
            }
        } else {
            const uint32_t i = cur.block - BLOCK_CALL;
            char id[32];
            // The id and name only in the call's first event (its fragments carry neither).
            const block_ref call = cur.tokens_sent == 0
                                       ? block_ref{0, block_kind::tool_call, i, call_id(d, cur, i, id), sc->call_name(i)}
                                       : block_ref{0, block_kind::tool_call, i};
            const std::string_view args = sc->call_args(i);
            const size_t len = token_length(args, cur.text_off);
            for (uint32_t k = 0; k < n; ++k) {
                block_ref b = call;
                b.choice = k;
                if (cur.tokens_sent == 0 && d.block_start != nullptr) {
                    d.block_start(ev, m, b);
                }
                d.delta(ev, m, b, args.substr(cur.text_off, len));
            }
            cur.text_off += uint32_t(len);
        }
        if (cur.tokens_done == 0) {
            const uint64_t ttft_us = (now - cur.admitted_ns) / 1000;
            stats_.ttft.observe(DELAY_BUCKETS, ttft_us);
            stats_.prefill_time.observe(DELAY_BUCKETS, ttft_us > cur.mark_us ? ttft_us - cur.mark_us : 0);
            cur.mark_us = uint32_t(ttft_us < UINT32_MAX ? ttft_us : UINT32_MAX);  // now: the first token's time
        } else {
            stats_.itl.observe(ITL_BUCKETS, (now - cur.last_token_ns) / 1000);
        }
        stats_.late.observe(LATE_BUCKETS, (now - cur.due_ns) / 1000);
        cur.last_token_ns = now;
        ++cur.tokens_sent;
        ++cur.tokens_done;
        worker_stats::bump(stats_.generated_tokens, n);
        if (cur.tokens_sent >= block_tokens(cur, cur.block)) {
            if (d.block_end != nullptr) {
                const block_kind k = cur.block == BLOCK_REASONING ? block_kind::reasoning
                                     : cur.block == BLOCK_CONTENT ? block_kind::text
                                                                  : block_kind::tool_call;
                answer_body body;
                answer_call calls[MAX_TOOL_CALLS];
                char ids[MAX_TOOL_CALLS][32];
                fill_body(d, cur, body, calls, ids);
                for (uint32_t c = 0; c < n; ++c) {
                    d.block_end(ev, m, block_ref{c, k, uint32_t(cur.block >= BLOCK_CALL ? cur.block - BLOCK_CALL : 0)},
                                body);
                }
            }
            enter_block(cur, first_block(cur, uint8_t(cur.block + 1)));
        }
        const uint32_t running = srv_.slots.active();
        cur.due_ns += token_gap_ns(cur.itl_us, cfg, load_multiplier(), running > 0 ? running - 1 : 0, rng_);
    }
    if (!last && cur.block == BLOCK_DONE) {
        if (cur.tokens_done == 0) {
            open();  // an answer with no token at all (a stop sequence at its very start)
        }
        answer_body body;
        answer_call calls[MAX_TOOL_CALLS];
        char ids[MAX_TOOL_CALLS][32];
        fill_body(d, cur, body, calls, ids);
        d.stream_close(ev, m, stream_end{n, body.finish, cur.include_usage ? &body.usage : nullptr, &body});
        worker_stats::bump(cur.finish_length && cur.calls == 0 ? stats_.finished_length : stats_.finished_stop);
        // Hidden reasoning is generated but never sent: counted here.
        if (!cur.reasoning_shown && cur.reasoning_tokens != 0) {
            worker_stats::bump(stats_.generated_tokens, uint64_t(cur.reasoning_tokens) * n);
        }
        last = true;
    }
    if (last) {
        const uint64_t e2e_us = (now - cur.admitted_ns) / 1000;
        stats_.delay.observe(DELAY_BUCKETS, e2e_us);
        if (cur.tokens_done != 0) {
            stats_.decode_time.observe(DELAY_BUCKETS, e2e_us > cur.mark_us ? e2e_us - cur.mark_us : 0);
        }
    }
    out.body = ev.view();
    out.send_head = true;  // even with no event due (a stall), the head goes out now
    out.last = last;
    out.due_ns = cur.due_ns;
}

}  // namespace lms
