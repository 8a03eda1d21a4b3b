#!/usr/bin/env bash
# vLLM's tokenizer routes on the wire: POST /tokenize and POST /detokenize, with curl and jq.
# The count is the usage.prompt_tokens the chat and text completion routes give for the same
# text; detokenize(tokenize(x)) == x for ASCII, UTF-8 and JSON-escaped text (prompt and
# messages); the refusals (400 in OpenAI's envelope naming the problem, 404, 405, 413, never cut
# JSON); max_model_len in /v1/models and /tokenize, from MAX_MODEL_LEN (live) or the no-limit
# default; no API key asked (vLLM guards /v1 only); the routes' own metric labels.
# usage: test/suite_tokenize.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "tokenize: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

# post OUT PATH JSON [CURL-ARGS...]: POST a JSON body (from a string) to $URL$PATH.
post() {
    local out=$1 path=$2 body=$3
    shift 3
    printf '%s' "$body" >"$out.req"
    req "$out" -H 'Content-Type: application/json' --data-binary "@$out.req" "$@" "$URL$path"
}
# ids OUT: the tokens of a /tokenize answer as a /detokenize body.
ids() { jq -c '{tokens: .tokens}' "$1.body" 2>/dev/null || echo '{}'; }

# Texts: ASCII; UTF-8 of 2, 3 and 4 bytes (4-byte tokens cut them mid-character); and text
# that travels JSON-escaped (quotes, backslashes, control bytes, \u escapes, a surrogate pair).
ASCII='The quick brown fox jumps over the lazy dog, 1234567890 times!'
UTF8='我是阿里云开发的一款超大规模语言模型 — café, naïve, 😀🚀 ok'
ESCAPED_JSON='"tab\there \"quoted\" back\\slash\nnew line \u0001\u001f \u00e9 \ud83d\ude00 /slash\/"'

if start_server plain RESPONSE_DELAY_SECONDS=0; then
    n=0
    for name in ascii utf8 escaped; do
        n=$((n + 1))
        case $name in
        ascii) pj=$(jq -n --arg s "$ASCII" '$s') ;;
        utf8) pj=$(jq -n --arg s "$UTF8" '$s') ;;
        escaped) pj=$ESCAPED_JSON ;;
        esac
        post "$T/t$n" /tokenize "{\"model\":\"qwen-plus\",\"prompt\":$pj,\"add_special_tokens\":true}"
        eq "$name prompt: /tokenize 200 application/json" "$CODE|$CTYPE" "200|application/json"
        post "$T/c$n" /v1/completions "{\"model\":\"qwen-plus\",\"prompt\":$pj,\"max_tokens\":1}"
        eq "$name prompt: count == /v1/completions usage.prompt_tokens" \
            "$(j "$T/t$n.body" .count)" "$(j "$T/c$n.body" .usage.prompt_tokens)"
        eq "$name prompt: one id per counted token, token_strs null" \
            "$(j "$T/t$n.body" '(.tokens | length) == .count and (has("token_strs")) and .token_strs == null')" true
        post "$T/d$n" /detokenize "$(ids "$T/t$n")"
        # Compared as jq's compact JSON of each string (the same text, the same bytes).
        eq "$name prompt: detokenize(tokenize(x)) == x" "$CODE|$(jq -c .prompt "$T/d$n.body" 2>&1)" \
            "200|$(printf '%s' "$pj" | jq -c .)"
        # The same text as a chat's one message.
        post "$T/mt$n" /tokenize "{\"messages\":[{\"role\":\"user\",\"content\":$pj}]}"
        post "$T/mc$n" /v1/chat/completions "{\"model\":\"qwen-plus\",\"messages\":[{\"role\":\"user\",\"content\":$pj}],\"max_tokens\":1}"
        eq "$name message: count == /v1/chat/completions usage.prompt_tokens" \
            "$(j "$T/mt$n.body" .count)" "$(j "$T/mc$n.body" .usage.prompt_tokens)"
    done
    eq "the texts are long enough to be counted in several tokens" \
        "$(j "$T/t1.body" '.count > 10')|$(j "$T/t2.body" '.count > 10')|$(j "$T/t3.body" '.count > 10')" "true|true|true"

    # A conversation: system, a user turn in content parts (an image part counts no text), an
    # assistant turn, a tool turn; the ids cut the contents concatenated in message order.
    conv='{"model":"qwen-plus","messages":[{"role":"system","content":"You are terse. "},'
    conv+='{"role":"user","content":[{"type":"text","text":"Describe "},{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"this: \u00e9\u4f60"}]},'
    conv+='{"role":"assistant","content":"A cat."},{"role":"tool","tool_call_id":"c1","content":"{\"ok\":true}"}]'
    post "$T/cv" /tokenize "$conv,\"add_generation_prompt\":true}"
    post "$T/cvc" /v1/chat/completions "$conv,\"max_tokens\":1}"
    eq "conversation: count == the chat's usage.prompt_tokens, one id per token" \
        "$(j "$T/cv.body" .count)|$(j "$T/cv.body" '.tokens | length')" \
        "$(j "$T/cvc.body" .usage.prompt_tokens)|$(j "$T/cvc.body" .usage.prompt_tokens)"
    post "$T/cvd" /detokenize "$(ids "$T/cv")"
    eq "conversation: detokenize gives the message texts concatenated, in order" "$(j "$T/cvd.body" .prompt)" \
        'You are terse. Describe this: é你A cat.{"ok":true}'
    post "$T/cvs" /compatible-mode/v1/chat/completions "$conv,\"max_tokens\":1}"
    eq "conversation: DashScope's chat counts the same" "$(j "$T/cvs.body" .usage.prompt_tokens)" "$(j "$T/cv.body" .count)"

    post "$T/ts" /tokenize "{\"prompt\":$(jq -n --arg s "$ASCII" '$s'),\"return_token_strs\":true}"
    eq "return_token_strs: one string per token, together the text" \
        "$(j "$T/ts.body" '(.token_strs | length) == .count')|$(j "$T/ts.body" '.token_strs | join("")')" "true|$ASCII"
    post "$T/e" /tokenize '{"prompt":""}'
    eq "empty prompt: count 1 (the usage's floor), its one id the empty token 0, as compact JSON" "$(cat "$T/e.body")" \
        '{"count":1,"max_model_len":4294967295,"tokens":[0],"token_strs":null}'
    post "$T/e2" /detokenize '{"tokens":[0]}'
    eq "detokenize [0]: the empty text" "$(cat "$T/e2.body")" '{"prompt":""}'
    post "$T/ff" /detokenize '{"tokens":[4294967522,4294967426]}'  # e2, 82: a character cut short
    eq "detokenize: bytes that are not UTF-8 as U+FFFD" "$(j "$T/ff.body" .prompt)" "$(printf '\xef\xbf\xbd')"
    match "answers carry x-request-id" "$(hdr "$T/t1.hdr" x-request-id)" '^req_[0-9a-f]{32}$'

    # ---- refusals ----
    post "$T/r1" /tokenize '{"model":"m"}'
    eq "tokenize without prompt or messages: 400 param prompt, OpenAI's envelope" \
        "$CODE|$(j "$T/r1.body" '.error.param + " " + .error.type')" "400|prompt invalid_request_error"
    post "$T/r2" /tokenize '{"prompt":["a"]}'
    eq "tokenize, prompt not a string: 400 naming it" "$CODE|$(j "$T/r2.body" .error.message)" \
        "400|Invalid type for 'prompt': expected a string."
    post "$T/r3" /tokenize '{"prompt":'
    eq "tokenize, not JSON: 400" "$CODE|$(j "$T/r3.body" .error.type)" "400|invalid_request_error"
    post "$T/r4" /tokenize '{"messages":[]}'
    eq "tokenize, empty messages: 400, the chat reader's words" "$CODE|$(j "$T/r4.body" .error.param)" "400|messages"
    post "$T/r5" /detokenize '{"tokens":[0,4294967393,"x"]}'
    eq "detokenize, a string among the ids: 400 naming 'tokens'[2]" "$CODE|$(j "$T/r5.body" '.error.message + " " + .error.param')" \
        "400|Invalid 'tokens'[2]: not a token id (expected a non-negative integer). tokens"
    post "$T/r6" /detokenize '{"tokens":[-1]}'
    eq "detokenize, a negative id: 400 naming 'tokens'[0]" "$CODE|$(j "$T/r6.body" .error.message)" \
        "400|Invalid 'tokens'[0]: not a token id (expected a non-negative integer)."
    post "$T/r7" /detokenize '{"tokens":[97]}'
    match "detokenize, an id no token has: 400 out of vocabulary" "$CODE|$(j "$T/r7.body" .error.message)" \
        "^400\|Invalid 'tokens'\[0\]: 97 is not a token id \(out of vocabulary"
    post "$T/r8" /detokenize '{"tokens":[21474836480]}'
    match "detokenize, an id past the largest (5 * 2^32 - 1): 400" "$CODE|$(j "$T/r8.body" .error.message)" \
        "^400\|Invalid 'tokens'\[0\]: 21474836480 is not a token id"
    post "$T/r9" /detokenize '{"tokens":"abc"}'
    eq "detokenize, tokens not an array: 400" "$CODE|$(j "$T/r9.body" .error.message)" \
        "400|Invalid type for 'tokens': expected an array of token ids."
    post "$T/r10" /detokenize '{}'
    eq "detokenize without tokens: 400" "$CODE|$(j "$T/r10.body" .error.message)" "400|Missing required parameter: 'tokens'."
    req "$T/r11" "$URL/tokenize"
    eq "GET /tokenize: 405 Allow POST" "$CODE|$(hdr "$T/r11.hdr" Allow)" "405|POST"
    post "$T/r12" /v1/tokenize '{"prompt":"x"}'
    eq "/v1/tokenize: 404 (vLLM serves it at the root only)" "$CODE" 404

    # ---- max_model_len: no limit ----
    req "$T/mo" "$URL/v1/models"
    eq "MAX_MODEL_LEN=0: every model card says max_model_len 4294967295" \
        "$(j "$T/mo.body" '[.data[].max_model_len] | unique | join(",")')" 4294967295
    eq "MAX_MODEL_LEN=0: /tokenize says 4294967295" "$(j "$T/t1.body" .max_model_len)" 4294967295
    req "$T/met" "$URL/metrics"
    eq "metrics: tokenize and detokenize under their own route labels" \
        "$(metric "$T/met.body" 'llm_mock_requests_total{route="tokenize",status="200"}')|$(metric "$T/met.body" 'llm_mock_requests_total{route="detokenize",status="400"}')" \
        "9|6"
    stop_server plain
fi

# ---- MAX_MODEL_LEN=10, a key, STRICT_MODELS; then MAX_MODEL_LEN changed live ----
if start_server strict RESPONSE_DELAY_SECONDS=0 MAX_MODEL_LEN=10 REQUIRE_API_KEY=sk-1 STRICT_MODELS=true \
    MODELS=qwen-plus ADMIN_TOKEN=adm-1; then
    KEY=(-H 'Authorization: Bearer sk-1')
    long=$(printf 'a%.0s' $(seq 100))
    req "$T/m1" "${KEY[@]}" "$URL/v1/models"
    eq "MAX_MODEL_LEN=10: /v1/models says max_model_len 10" "$(j "$T/m1.body" '.data[0].max_model_len')" 10
    req "$T/m2" "${KEY[@]}" "$URL/v1/models/qwen-plus"
    eq "MAX_MODEL_LEN=10: /v1/models/{id} says 10 too" "$(j "$T/m2.body" .max_model_len)" 10
    post "$T/l1" /tokenize "{\"prompt\":\"$long\"}"
    eq "a 100-byte prompt on /tokenize, no key: 200, count 25 beside max_model_len 10 (vLLM does not refuse)" \
        "$CODE|$(j "$T/l1.body" '[.count, .max_model_len] | join(",")')" "200|25,10"
    post "$T/l2" /v1/completions "{\"prompt\":\"$long\"}" "${KEY[@]}"
    eq "the same prompt on /v1/completions: 400 context_length_exceeded" "$CODE|$(j "$T/l2.body" .error.code)" \
        "400|context_length_exceeded"
    post "$T/k1" /v1/completions '{"prompt":"x"}'
    eq "the /v1 routes still ask for the key" "$CODE" 401
    post "$T/s1" /tokenize '{"model":"nope","prompt":"x"}'
    eq "STRICT_MODELS: /tokenize with an unknown model: 404 model_not_found" \
        "$CODE|$(j "$T/s1.body" .error.code)|$(j "$T/s1.body" .error.message)" \
        '404|model_not_found|The model `nope` does not exist or you do not have access to it.'
    post "$T/s2" /detokenize '{"model":"nope","tokens":[0]}'
    eq "STRICT_MODELS: /detokenize with an unknown model: 404" "$CODE" 404
    post "$T/s3" /tokenize '{"model":"qwen-plus","prompt":"x"}'
    listed=$CODE
    post "$T/s4" /tokenize '{"prompt":"x"}'
    eq "STRICT_MODELS: a listed model, or none, is served" "$listed|$CODE" "200|200"
    printf '%s' '{"MAX_MODEL_LEN":"2048"}' >"$T/patch.json"
    req "$T/p" -X PATCH -H 'Authorization: Bearer adm-1' -H 'Content-Type: application/json' \
        --data-binary "@$T/patch.json" "$URL/admin/config"
    eq "PATCH MAX_MODEL_LEN=2048" "$CODE" 200
    post "$T/l3" /tokenize '{"prompt":"x"}'
    req "$T/m3" "${KEY[@]}" "$URL/v1/models"
    eq "MAX_MODEL_LEN changed live: /tokenize and /v1/models follow" \
        "$(j "$T/l3.body" .max_model_len)|$(j "$T/m3.body" '.data[0].max_model_len')" "2048|2048"
    stop_server strict
fi

# ---- answers past the 256 KiB answer area: 413, whole JSON (MAX_BODY_BYTES=1 MiB) ----
if start_server big RESPONSE_DELAY_SECONDS=0 MAX_BODY_BYTES=1048576; then
    # 60,000 bytes: 15,000 ids of 11 digits fit; with their strings they do not.
    python3 -c 'import json; print(json.dumps({"prompt": "abcd" * 15000}))' >"$T/b1.req"
    req "$T/b1" -H 'Content-Type: application/json' --data-binary "@$T/b1.req" "$URL/tokenize"
    eq "a 60,000-byte prompt: 200, 15,000 ids" "$CODE|$(j "$T/b1.body" '[.count, (.tokens | length)] | join(",")')" \
        "200|15000,15000"
    python3 -c 'import json; print(json.dumps({"prompt": "abcd" * 15000, "return_token_strs": True}))' >"$T/b2.req"
    req "$T/b2" -H 'Content-Type: application/json' --data-binary "@$T/b2.req" "$URL/tokenize"
    eq "the same with return_token_strs: 413, a whole JSON error naming prompt" \
        "$CODE|$(j "$T/b2.body" '.error.param + " " + .error.type')" "413|prompt invalid_request_error"
    match "the 413 says why" "$(j "$T/b2.body" .error.message)" '^The tokenize answer would exceed 256 KiB'
    # 20,000 ids of four control bytes each: 480,000 bytes of \u00XX escapes.
    python3 -c 'import json; print(json.dumps({"tokens": [(4 << 32) | 0x01010101] * 20000}))' >"$T/b3.req"
    req "$T/b3" -H 'Content-Type: application/json' --data-binary "@$T/b3.req" "$URL/detokenize"
    eq "detokenize past the answer area: 413 naming tokens" "$CODE|$(j "$T/b3.body" .error.param)" "413|tokens"
    python3 -c 'import json; print(json.dumps({"tokens": [(4 << 32) | 0x01010101] * 2000}))' >"$T/b4.req"
    req "$T/b4" -H 'Content-Type: application/json' --data-binary "@$T/b4.req" "$URL/detokenize"
    eq "2,000 such ids: 200, 8,000 bytes" "$CODE|$(j "$T/b4.body" '.prompt | length')" "200|8000"
    stop_server big
fi

echo "tokenize: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
