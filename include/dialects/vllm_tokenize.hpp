#pragma once
// vllm_tokenize: vLLM's POST /tokenize and POST /detokenize (vllm/entrypoints/serve/tokenize/
// protocol.py: TokenizeCompletionRequest | TokenizeChatRequest, TokenizeResponse,
// DetokenizeRequest, DetokenizeResponse): their readers and their answers. The tokens are the
// mock's 4-byte prompt tokens (answer/tokens.hpp), so a count is what the usage of a chat or
// text completion with the same text reports, and /detokenize inverts /tokenize exactly.
//
// Level 0. No syscalls, no allocation: answers render into a caller's out_buf, which says
// truncated when one does not fit (the caller then refuses; it never sends a cut answer). The
// views and elements point into the body and the worker's parser, valid until its next parse.
// Any thread (the parser is the caller's).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "answer/generation_request.hpp"
#include "answer/json_body.hpp"
#include "engine/http_response.hpp"

namespace lms {

// What /tokenize counts: "prompt" (a string), or else "messages" read as the chat route reads
// them. "add_special_tokens", "add_generation_prompt" and the chat-template fields are
// accepted and ignored: the mock has no special tokens and no template.
struct tokenize_request {
    std::string_view model;         // empty when absent or null
    std::string_view prompt;        // !chat: the text
    const generation_request* chat = nullptr;  // else: the chat reader's request (chat_prompt_text)
    bool token_strs = false;        // "return_token_strs": true
    uint64_t prompt_bytes = 0;      // the bytes counted (the chat reader's prompt_bytes)
};

// true and out filled when body[0, len) is an object with a string "prompt" or a chat body's
// "messages" ("prompt" wins when both are given, as vLLM's union does); false and err set
// otherwise. For "messages" the body is read again by read_chat_request into chat, which
// out.chat then points to (the caller keeps it until the answer is rendered).
[[nodiscard]] bool read_tokenize_request(json_body_parser& p, const char* body, size_t len, generation_request& chat,
                                         tokenize_request& out, body_error& err) noexcept;

// {"count":N,"max_model_len":M,"tokens":[...],"token_strs":null} (token_strs each token's
// text when asked for; vLLM's key order). count is estimate_prompt_tokens(rq.prompt_bytes)
// and always the number of ids (an empty text is the one empty token, id 0). For a chat
// body the ids cut the messages' text concatenated in the reader's order (message by
// message, each message's parts in order), so a token may span two messages. False (o left
// as is) when the text walked is not the bytes counted: a reader bug, never a client's.
[[nodiscard]] bool render_tokenize(out_buf& o, const tokenize_request& rq, uint64_t max_model_len) noexcept;

// A /detokenize body: "tokens", every one an id of answer/tokens.hpp.
struct detokenize_request {
    std::string_view model;  // empty when absent or null
    simdjson::dom::array tokens;
    char why[200];           // the refusal's message when it names a token (err.message points here)
};

// true and out filled when body[0, len) is an object with a "tokens" array of token ids;
// false and err set otherwise (naming the first id that is not one, by index).
[[nodiscard]] bool read_detokenize_request(json_body_parser& p, const char* body, size_t len, detokenize_request& out,
                                           body_error& err) noexcept;

// {"prompt":"..."}: the ids' bytes in order, as a JSON string (bytes that are not well-formed
// UTF-8, which ids cut from a text can leave at either end, as U+FFFD).
void render_detokenize(out_buf& o, const detokenize_request& rq) noexcept;

}  // namespace lms
