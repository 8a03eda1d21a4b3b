// answer_tokenize: vLLM's POST /tokenize and POST /detokenize, so that a client of a vLLM pod
// (a router counting prompts, an RL loop sending token ids back) finds them on the mock. The
// body is read and answered at once, like count_tokens: no slot, no rate limit, no delay.
//
// Known differences from vLLM, on purpose:
// - a prompt longer than MAX_MODEL_LEN is not refused: vLLM does not validate the context
//   length on /tokenize either (serving_engine.py: "TokenizeRequest and DetokenizeRequest
//   doesn't have max_tokens and does not require model context length validation"); the
//   answer's max_model_len lets the client compare;
// - the envelope of a refusal is OpenAI's, as on every other route of the mock.
#include "service/answer_service.hpp"

#include "dialects/openai_chat.hpp"
#include "dialects/openai_models.hpp"
#include "dialects/vllm_tokenize.hpp"

namespace lms {

void answer_service::tokenizer_route(const http_parser& p, const char* bytes, const exchange_context& x,
                                     bool detokenize, const answer_cursor& cur, reply& out) noexcept {
    const dialect& d = OPENAI_CHAT;  // the envelope and the request-id header
    const http_request& rq = p.request();
    const char* body = bytes + rq.body_off;
    body_error err;
    tokenize_request tok;
    detokenize_request detok;
    const bool ok = detokenize ? read_detokenize_request(body_parser_, body, rq.body_len, detok, err)
                               : read_tokenize_request(body_parser_, body, rq.body_len, request_, tok, err);
    if (!ok) {
        fail(x, d, cur, out, failure{400, err.message, err.param});
        return;
    }
    // STRICT_MODELS as on the chat route; no model at all is vLLM's default model.
    const std::string_view model = detokenize ? detok.model : tok.model;
    if (cfg().strict_models && !model.empty() && !model_listed(cfg().models, model)) {
        char msg[200];
        out_buf o(msg, sizeof msg);
        o.append("The model `");
        o.append(model.substr(0, 100));
        o.append("` does not exist or you do not have access to it.");
        fail(x, d, cur, out, failure{404, o.view(), "model", "model_not_found"});
        return;
    }
    out_buf b(x.area, x.area_cap);
    if (detokenize) {
        render_detokenize(b, detok);
    } else if (!render_tokenize(b, tok, reported_max_model_len())) {
        fail(x, d, cur, out, failure{500, "The tokenizer's walk of the messages disagrees with the chat reader's count."});
        return;
    }
    // The answer grows with the body (up to about 10 bytes per prompt byte with
    // return_token_strs): past the answer area, a clear refusal instead of cut JSON.
    if (b.truncated) {
        char msg[200];
        out_buf o(msg, sizeof msg);
        o.format("The {} answer would exceed {} KiB: send fewer {}.", detokenize ? "detokenize" : "tokenize",
                 x.area_cap / 1024, detokenize ? "tokens" : "bytes of text");
        fail(x, d, cur, out, failure{413, o.view(), detokenize ? "tokens" : tok.chat != nullptr ? "messages" : "prompt"});
        return;
    }
    respond(out, 200, "application/json", b.view(), request_headers(d, cur, x.now_ns));
}

}  // namespace lms
