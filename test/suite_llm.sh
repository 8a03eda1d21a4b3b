#!/usr/bin/env bash
# LLM realism suite: streaming (SSE, chunked), text completions, embeddings, models, latency
# models, per-request overrides, injected faults, echo/text content, vLLM metric names.
# usage: test/suite_llm.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "llm: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CONTENT='我是阿里云开发的一款超大规模语言模型，我叫通义千问。'
printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hello echo world"}],"stream":true,"stream_options":{"include_usage":true}}' >"$T/s_usage.json"
printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hi"}],"stream":true}' >"$T/s.json"
printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":5}' >"$T/s_max5.json"
printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hi"}],"max_tokens":5}' >"$T/max5.json"
printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hi"}]}' >"$T/plain.json"
printf '%s' '{"model":"m1","prompt":"Say this is a test","max_tokens":4}' >"$T/cmpl.json"
printf '%s' '{"model":"m1","prompt":["a","b"],"stream":true}' >"$T/cmpl_s.json"

# sse OUT URL BODY [CURL-ARGS...]: a streamed POST; OUT.body, OUT.hdr, OUT.data (JSON lines of
# the data events, "[DONE]" kept as is); sets CODE and TIME.
sse() {
    local out=$1 url=$2 body=$3
    shift 3
    req "$out" -N -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$url"
    sed -n 's/^data: //p' "$out.body" | tr -d '\r' >"$out.data"
}
# The content deltas of a chat stream, concatenated.
deltas() { grep -v '^\[DONE\]$' "$1.data" | jq -rj '.choices[0].delta.content // empty' 2>/dev/null; }

# ---- streaming chat ----------------------------------------------------------------------
if start_server stream RESPONSE_DELAY_SECONDS=0.2 ITL_SECONDS=0.01 MODELS=qwen-plus,gpt-4o-mini VLLM_METRICS=true; then
    sse "$T/a" "$URL/v1/chat/completions" "$T/s_usage.json"
    eq "stream: status 200" "$CODE" 200
    match "stream: Content-Type text/event-stream" "$(hdr "$T/a.hdr" Content-Type)" '^text/event-stream'
    eq "stream: chunked transfer on HTTP/1.1" "$(hdr "$T/a.hdr" Transfer-Encoding)" chunked
    eq "stream: content deltas spell the answer" "$(deltas "$T/a")" "$CONTENT"
    eq "stream: last event is [DONE]" "$(tail -n 1 "$T/a.data")" "[DONE]"
    grep -v '^\[DONE\]$' "$T/a.data" >"$T/a.json"
    eq "stream: every chunk is a chat.completion.chunk" "$(jq -r .object "$T/a.json" | sort -u)" chat.completion.chunk
    eq "stream: one id in every chunk" "$(jq -r .id "$T/a.json" | sort -u | wc -l)" 1
    match "stream: id chatcmpl-hex" "$(jq -r .id "$T/a.json" | head -n 1)" '^chatcmpl-[0-9a-f]{32}$'
    eq "stream: one created and the model in every chunk" "$(jq -r '"\(.created) \(.model)"' "$T/a.json" | sort -u | wc -l) $(jq -r .model "$T/a.json" | sort -u)" "1 m1"
    eq "stream: first chunk is the assistant role with empty content" \
        "$(head -n 1 "$T/a.json" | jq -c '.choices[0].delta')" '{"role":"assistant","content":""}'
    eq "stream: finish chunk has an empty delta and finish_reason stop" \
        "$(tail -n 2 "$T/a.json" | head -n 1 | jq -c '[.choices[0].delta, .choices[0].finish_reason]')" '[{},"stop"]'
    eq "stream: usage chunk last, with no choices" "$(tail -n 1 "$T/a.json" | jq -c '.choices')" '[]'
    eq "stream: usage counts the 26 tokens sent" \
        "$(tail -n 1 "$T/a.json" | jq -r '.usage | "\(.completion_tokens) \(.total_tokens - .prompt_tokens) \(.prompt_tokens >= 1)"')" \
        "26 26 true"
    eq "stream: earlier chunks carry usage null" "$(head -n -1 "$T/a.json" | jq -r '.usage' | sort -u)" null
    fcheck "stream: takes TTFT + 25 x ITL (>= 0.45 s)" "a >= 0.445 && a < 1.5" "$TIME"

    sse "$T/b" "$URL/v1/chat/completions" "$T/s.json"
    eq "stream without include_usage: no usage key anywhere" \
        "$(grep -v '^\[DONE\]$' "$T/b.data" | jq -r 'has("usage")' | sort -u)" false
    sse "$T/c" "$URL/compatible-mode/v1/chat/completions" "$T/s_max5.json"
    eq "stream max_tokens 5: five tokens" "$(deltas "$T/c")" "我是阿里云"
    eq "stream max_tokens 5: finish_reason length" \
        "$(grep -v '^\[DONE\]$' "$T/c.data" | jq -r '.choices[0].finish_reason // empty')" length
    chat "$T/d" "$URL/v1/chat/completions" "$T/max5.json"
    eq "whole answer max_tokens 5: content, finish_reason, usage" \
        "$(j "$T/d.body" '"\(.choices[0].message.content) \(.choices[0].finish_reason) \(.usage.completion_tokens)"')" \
        "我是阿里云 length 5"
    chat "$T/e" "$URL/v1/chat/completions" "$T/plain.json"
    eq "whole answer without max_tokens: the original body and usage" \
        "$(j "$T/e.body" '"\(.choices[0].message.content) \(.usage.prompt_tokens) \(.usage.total_tokens)"')" \
        "$CONTENT 3019 3123"
    req "$T/h10" -N --http1.0 -H 'Content-Type: application/json' --data-binary "@$T/s.json" "$URL/v1/chat/completions"
    sed -n 's/^data: //p' "$T/h10.body" | tr -d '\r' >"$T/h10.data"
    eq "stream over HTTP/1.0: not chunked, closed at the end, whole answer" \
        "$(hdr "$T/h10.hdr" Transfer-Encoding)|$(hdr "$T/h10.hdr" Connection)|$(deltas "$T/h10")" "|close|$CONTENT"

    # ---- text completions, embeddings, models ----
    chat "$T/f" "$URL/v1/completions" "$T/cmpl.json"
    eq "completions: text_completion with 4 tokens, finish length" \
        "$(j "$T/f.body" '"\(.object) \(.choices[0].text) \(.choices[0].finish_reason) \(.usage.completion_tokens)"')" \
        "text_completion 我是阿里 length 4"
    match "completions: id cmpl-hex" "$(j "$T/f.body" .id)" '^cmpl-[0-9a-f]{32}$'
    sse "$T/g" "$URL/compatible-mode/v1/completions" "$T/cmpl_s.json"
    eq "completions stream: text deltas spell the answer, then [DONE]" \
        "$(grep -v '^\[DONE\]$' "$T/g.data" | jq -rj '.choices[0].text')|$(tail -n 1 "$T/g.data")" "$CONTENT|[DONE]"
    eq "completions stream: every chunk is a text_completion" \
        "$(grep -v '^\[DONE\]$' "$T/g.data" | jq -r .object | sort -u)" text_completion
    req "$T/em" -H 'Content-Type: application/json' -d '{"input":["same","other","same"],"dimensions":8}' "$URL/v1/embeddings"
    eq "embeddings: three vectors of 8" "$(j "$T/em.body" '[.data[].embedding | length] | join(",")')" "8,8,8"
    eq "embeddings: the same input gives the same vector, another a different one" \
        "$(j "$T/em.body" '[(.data[0].embedding == .data[2].embedding), (.data[0].embedding == .data[1].embedding)] | join(",")')" \
        "true,false"
    fcheck "embeddings: unit length" "a > 0.999 && a < 1.001" "$(j "$T/em.body" '[.data[0].embedding[] | . * .] | add')"
    req "$T/em2" -H 'Content-Type: application/json' -d '{"input":"same","dimensions":8}' "$URL/compatible-mode/v1/embeddings"
    eq "embeddings: deterministic across requests" "$(j "$T/em2.body" '.data[0].embedding')" "$(j "$T/em.body" '.data[0].embedding')"
    req "$T/em3" -H 'Content-Type: application/json' -d '{"input":"x","encoding_format":"base64"}' "$URL/v1/embeddings"
    eq "embeddings: base64 of 1536 float32" "$(j "$T/em3.body" '.data[0].embedding' | base64 -d | wc -c)" 6144
    req "$T/em4" -H 'Content-Type: application/json' -d '{"model":"e"}' "$URL/v1/embeddings"
    eq "embeddings: no input -> 400 param input" "$CODE $(j "$T/em4.body" .error.param)" "400 input"
    req "$T/mo" "$URL/v1/models"
    eq "models: lists MODELS" "$(j "$T/mo.body" '[.object, (.data | map(.id) | join(","))] | join(" ")')" \
        "list qwen-plus,gpt-4o-mini"
    req "$T/mo2" "$URL/compatible-mode/v1/models"
    eq "models: under /compatible-mode too" "$CODE" 200
    req "$T/mo3" "$URL/v1/models/gpt-4o-mini"
    eq "models/{id}: the model object" "$CODE $(j "$T/mo3.body" '[.id, .object, .owned_by] | join(" ")')" \
        "200 gpt-4o-mini model llm-mock-server"
    req "$T/mo4" "$URL/compatible-mode/v1/models/qwen%2Dplus"
    eq "models/{id}: %-decoded, under /compatible-mode too" "$CODE $(j "$T/mo4.body" .id)" "200 qwen-plus"
    req "$T/mo5" "$URL/v1/models/gpt-9"
    eq "models/{id}: an unknown model -> 404 model_not_found" \
        "$CODE|$(j "$T/mo5.body" .error.code)|$(j "$T/mo5.body" .error.message)" \
        '404|model_not_found|The model `gpt-9` does not exist or you do not have access to it.'
    req "$T/mo6" -X DELETE "$URL/v1/models/gpt-4o-mini"
    eq "models/{id}: DELETE -> 405 Allow GET, HEAD" "$CODE $(hdr "$T/mo6.hdr" Allow)" "405 GET, HEAD"

    # ---- per-request overrides ----
    req "$T/o1" -H 'X-Mock-Delay: 0.05' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    fcheck "X-Mock-Delay 0.05 overrides the 0.2 s delay" "a >= 0.045 && a < 0.18" "$TIME"
    sse "$T/o2" "$URL/v1/chat/completions" "$T/s.json" -H 'X-Mock-Output-Tokens: 3' -H 'X-Mock-TTFT: 0.4' -H 'X-Mock-ITL: 0'
    eq "X-Mock-Output-Tokens 3: three tokens" "$(deltas "$T/o2")" "我是阿"
    fcheck "X-Mock-TTFT 0.4: first token not before 0.4 s" "a >= 0.395" "$TIME"
    req "$T/o3" -H 'X-Return-Error: 500' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    eq "X-Return-Error 500: status, type and code" "$CODE $(j "$T/o3.body" '"\(.error.type) \(.error.code)"')" \
        "500 server_error server_error"
    req "$T/o4" -H 'X-Return-Error: 429' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    eq "X-Return-Error 429: rate_limit_exceeded with Retry-After and retry-after-ms" \
        "$CODE $(j "$T/o4.body" .error.code) $(hdr "$T/o4.hdr" Retry-After) $(hdr "$T/o4.hdr" retry-after-ms)" \
        "429 rate_limit_exceeded 1 1000"
    req "$T/o5" -H 'X-Mock-ITL: soon' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    eq "a bad override header -> 400 naming it" "$CODE $(j "$T/o5.body" .error.message | grep -c X-Mock-ITL)" "400 1"
    req "$T/o6" -H 'X-Return-Error: 700' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    eq "X-Return-Error out of 400-599 -> 400" "$CODE" 400

    # ---- abort mid-stream frees the slot ----
    curl -s -N -m 10 -H 'Content-Type: application/json' -H 'X-Mock-TTFT: 0' -H 'X-Mock-ITL: 0.5' \
        -H 'X-Mock-Output-Tokens: 20' --data-binary "@$T/s.json" "$URL/v1/chat/completions" >/dev/null 2>&1 &
    cpid=$!
    PIDS+=("$cpid")
    check "abort: the stream holds a slot" "active=$(active "$URL")" wait_active "$URL" 1 1
    sleep 0.3
    kill -KILL "$cpid" 2>/dev/null
    wait "$cpid" 2>/dev/null
    check "abort: slot freed within 1 s of the client leaving mid-stream" "active=$(active "$URL")" wait_active "$URL" 0 1

    # ---- metrics ----
    req "$T/m" "$URL/metrics"
    # promtool's lint refuses ':' (reserved for recording rules): check everything else.
    grep -v '^# [A-Z]* vllm:\|^vllm:' "$T/m.body" | timeout 10 promtool check metrics >"$T/promtool.txt" 2>&1
    eq "metrics: promtool accepts all but the vllm: names" "$?" 0
    eq "metrics: the only promtool complaint is the colon" \
        "$(promtool check metrics <"$T/m.body" 2>&1 | grep -vc "should not contain ':'")" 0
    fcheck "metrics: TTFT histogram counted the streams" "a >= 5" "$(metric "$T/m.body" llm_mock_time_to_first_token_seconds_count)"
    fcheck "metrics: ITL histogram counted token gaps" "a >= 25" "$(metric "$T/m.body" llm_mock_inter_token_latency_seconds_count)"
    fcheck "metrics: generated tokens counted" "a >= 60" "$(metric "$T/m.body" llm_mock_generated_tokens_total)"
    fcheck "metrics: client abort counted" "a >= 1" "$(metric "$T/m.body" llm_mock_client_aborts_total)"
    eq "metrics: vllm:num_requests_running with model_name" \
        "$(metric "$T/m.body" 'vllm:num_requests_running{model_name="qwen-plus",engine="0"}')" 0
    fcheck "metrics: vllm:generation_tokens_total" "a >= 60" "$(metric "$T/m.body" 'vllm:generation_tokens_total{model_name="qwen-plus",engine="0"}')"
    contains "metrics: vllm:time_to_first_token_seconds histogram" "$T/m.body" "# TYPE vllm:time_to_first_token_seconds histogram"
    stop_server stream
fi

# ---- latency models, keep-alive comments, content modes -----------------------------------
if start_server models RESPONSE_DELAY_SECONDS=0 TTFT_SECONDS=uniform:0.3,0.4 ITL_SECONDS=normal:0.01,0.002 \
    SEED=7 SSE_KEEPALIVE_SECONDS=0.1 CONTENT_MODE=echo; then
    sse "$T/k" "$URL/v1/chat/completions" "$T/s_usage.json"
    fcheck "keep-alive: ': keep-alive' comments while waiting for the first token" "a >= 2" \
        "$(grep -c '^: keep-alive' "$T/k.body")"
    eq "echo: the stream answers with the last user message" "$(deltas "$T/k")" "hello echo world"
    eq "echo: usage counts its 3 tokens" "$(grep -v '^\[DONE\]$' "$T/k.data" | tail -n 1 | jq -r .usage.completion_tokens)" 3
    chat "$T/w" "$URL/v1/chat/completions" "$T/plain.json"
    fcheck "TTFT model uniform(0.3,0.4): a whole answer takes TTFT + ITL x tokens" "a >= 0.3 && a < 1.2" "$TIME"
    eq "whole answer under a latency model: computed usage, echoed text" \
        "$(j "$T/w.body" '"\(.choices[0].message.content) \(.usage.completion_tokens)"')" "hi 1"
    stop_server models
fi
if start_server text RESPONSE_DELAY_SECONDS=0 CONTENT_MODE=text 'CONTENT_TEXT=one two three' OUTPUT_TOKENS=6; then
    chat "$T/t" "$URL/v1/chat/completions" "$T/plain.json"
    eq "CONTENT_TEXT repeated to OUTPUT_TOKENS" "$(j "$T/t.body" '"\(.choices[0].message.content)|\(.usage.completion_tokens)"')" \
        "one two threeone two three|6"
    stop_server text
fi

# ---- injected faults -----------------------------------------------------------------------
if start_server f429 RESPONSE_DELAY_SECONDS=0 FAULT_429_RATE=1 RETRY_AFTER_SECONDS=2; then
    chat "$T/x" "$URL/v1/chat/completions" "$T/plain.json"
    eq "FAULT_429_RATE=1: 429 rate_limit_exceeded, Retry-After 2, retry-after-ms 2000" \
        "$CODE $(j "$T/x.body" .error.code) $(hdr "$T/x.hdr" Retry-After) $(hdr "$T/x.hdr" retry-after-ms)" \
        "429 rate_limit_exceeded 2 2000"
    eq "FAULT_429_RATE=1: no slot kept" "$(active "$URL")" 0
    req "$T/m" "$URL/metrics"
    eq "faults counted by kind" "$(metric "$T/m.body" 'llm_mock_faults_injected_total{kind="http_429"}')" 1
    stop_server f429
fi
if start_server ferr RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 FAULT_STREAM_ERROR_RATE=1 FAULT_AFTER_TOKENS=2; then
    sse "$T/y" "$URL/v1/chat/completions" "$T/s.json"
    eq "mid-stream error: two tokens, then an SSE event with an error key" \
        "$(deltas "$T/y")|$(tail -n 1 "$T/y.data" | jq -r '.error.code')" "我是|server_error"
    chat "$T/y2" "$URL/v1/chat/completions" "$T/plain.json"
    eq "stream error faults leave whole answers alone" "$CODE" 200
    stop_server ferr
fi
if start_server fcut RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 FAULT_DISCONNECT_RATE=1 FAULT_AFTER_TOKENS=3; then
    curl -s -N -m 5 -H 'Content-Type: application/json' --data-binary "@$T/s.json" "$URL/v1/chat/completions" >"$T/z.body" 2>/dev/null
    rc=$?
    check "disconnect fault: curl sees the connection cut (exit 18/56, got $rc)" "rc=$rc" test "$rc" -eq 18 -o "$rc" -eq 56
    eq "disconnect fault: three tokens arrived first" "$(sed -n 's/^data: //p' "$T/z.body" | jq -rj '.choices[0].delta.content // empty')" "我是阿"
    eq "disconnect fault: slot released" "$(active "$URL")" 0
    stop_server fcut
fi
if start_server fstall RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 FAULT_STALL_RATE=1 FAULT_STALL_SECONDS=0.6 FAULT_AFTER_TOKENS=1; then
    sse "$T/st" "$URL/v1/chat/completions" "$T/s.json"
    fcheck "stall fault: the stream pauses FAULT_STALL_SECONDS" "a >= 0.6 && a < 2" "$TIME"
    eq "stall fault: the whole answer still arrives" "$(deltas "$T/st")" "$CONTENT"
    stop_server fstall
fi
if start_server noov RESPONSE_DELAY_SECONDS=0 ALLOW_REQUEST_OVERRIDES=false; then
    req "$T/n" -H 'X-Return-Error: 500' -H 'Content-Type: application/json' --data-binary "@$T/plain.json" "$URL/v1/chat/completions"
    eq "ALLOW_REQUEST_OVERRIDES=false: X-Return-Error ignored" "$CODE" 200
    stop_server noov
fi

echo "llm: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
