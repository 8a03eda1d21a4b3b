#!/usr/bin/env bash
# Integration suite: starts the real server binary on free loopback ports, one scenario per
# setting, and talks to it with real clients (curl, python3 raw sockets, ab, wrk, promtool).
#
# usage: test/integration_test.sh BINARY
#
# Prints "ok - NAME", "FAIL - NAME (details)" or "skip - NAME (reason)" per check and ends with
# exactly one line "integration: P passed, F failed, S skipped"; exit status 1 when F > 0.
# Every process started here is killed by PID on exit; every client call has a timeout.
# Timing bounds: "not early" is strict (>= delay - 5 ms), "late" is generous (+250 ms).
set -u
export LC_ALL=C

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
source "$(dirname "$0")/lib.sh"
# ---- bodies -------------------------------------------------------------------------------

CONTENT='我是阿里云开发的一款超大规模语言模型，我叫通义千问。'
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"你是谁？"}]}' >"$T/chat.json"
printf '%s' '{"messages":[{"role":"user","content":"hi"}]}' >"$T/nomodel.json"
printf '%s' '{"model":null,"messages":[{"role":"user","content":"hi"}]}' >"$T/nullmodel.json"
MODEL_ODD='my "model" \ ü 通义千问'
jq -cn --arg m "$MODEL_ODD" '{model:$m,messages:[{role:"user",content:"hi"}]}' >"$T/oddmodel.json"
M96=$(head -c 96 /dev/zero | tr '\0' m)
M97=${M96}m
jq -cn --arg m "$M96" '{model:$m,messages:[{role:"user",content:"hi"}]}' >"$T/model96.json"
jq -cn --arg m "$M97" '{model:$m,messages:[{role:"user",content:"hi"}]}' >"$T/model97.json"
# padded_body FILE BYTES: a valid chat body of exactly BYTES bytes.
padded_body() {
    local pre='{"messages":[{"role":"user","content":"' post='"}]}'
    local pad=$(($2 - ${#pre} - ${#post}))
    { printf '%s' "$pre"; head -c "$pad" /dev/zero | tr '\0' a; printf '%s' "$post"; } >"$1"
}
padded_body "$T/b1000.json" 1000
padded_body "$T/b1001.json" 1001
padded_body "$T/b2048.json" 2048
CHAT_PATH=/v1/chat/completions
COMPAT_PATH=/compatible-mode/v1/chat/completions

# =========================================================================================
# 1. Startup and configuration
# =========================================================================================

out=$(timeout 5 "$BIN" --help 2>&1)
rc=$?
eq "config: --help exits 0" "$rc" 0
missing=""
for v in PORT RESPONSE_DELAY_SECONDS MAX_CONCURRENT WORKER_THREADS HOST MAX_BODY_BYTES \
    HEADER_TIMEOUT_SECONDS IDLE_TIMEOUT_SECONDS SHUTDOWN_TIMEOUT_SECONDS X_SHOULD_RETRY; do
    grep -qw -- "$v" <<<"$out" || missing="$missing $v"
done
eq "config: --help lists every variable" "${missing:-none}" none
out=$(timeout 5 "$BIN" --version 2>&1)
rc=$?
eq "config: --version exits 0" "$rc" 0
match "config: --version prints name and version" "$out" '^llm-mock-server [0-9]+\.[0-9]+'

# bad_config NAME VAR=VALUE|--flag WORD-IN-MESSAGE [--flag-args...]
bad_config() {
    local name=$1 setting=$2 word=$3 out rc
    if [[ "$setting" == --* ]]; then
        out=$(timeout 5 "$BIN" --host 127.0.0.1 "$setting" 2>&1)
    else
        out=$(env "$setting" timeout 5 "$BIN" 2>&1)
    fi
    rc=$?
    eq "config: $name exits 2" "$rc" 2
    if grep -qF -- "$word" <<<"$out"; then
        pass "config: $name message names $word"
    else
        fail "config: $name message names $word" "message: $(head -c 200 <<<"$out")"
    fi
}
bad_config "PORT=abc" PORT=abc PORT
bad_config "PORT=70000" PORT=70000 PORT
bad_config "PORT=65536 (one past the limit)" PORT=65536 PORT
bad_config "RESPONSE_DELAY_SECONDS=-1" RESPONSE_DELAY_SECONDS=-1 RESPONSE_DELAY_SECONDS
bad_config "RESPONSE_DELAY_SECONDS=1e3" RESPONSE_DELAY_SECONDS=1e3 RESPONSE_DELAY_SECONDS
bad_config "MAX_CONCURRENT=0" MAX_CONCURRENT=0 MAX_CONCURRENT
bad_config "HOST=localhost (host names refused)" HOST=localhost HOST
bad_config "X_SHOULD_RETRY=maybe" X_SHOULD_RETRY=maybe X_SHOULD_RETRY
bad_config "unknown flag --nope" --nope --nope
bad_config "flag --max-concurrent=0 names the flag" --max-concurrent=0 --max-concurrent

# A value at its limit is accepted: MAX_CONCURRENT=1, PORT=65535 is parsed (we bind elsewhere
# by flag: the flag wins over the variable).
if start_server cfg-limits PORT=65535 MAX_CONCURRENT=1 WORKER_THREADS=3 RESPONSE_DELAY_SECONDS=5 -- \
    --response-delay-seconds 0; then
    contains "config: WORKER_THREADS=3 gives 'workers 3' in the startup log" "$SRV_LOG" "workers 3 "
    contains "config: MAX_CONCURRENT=1 accepted and logged" "$SRV_LOG" "max concurrent 1 (set by MAX_CONCURRENT"
    contains "config: flag --response-delay-seconds 0 wins over RESPONSE_DELAY_SECONDS=5" "$SRV_LOG" "delay 0 s,"
    chat "$T/cfg1" "$URL$CHAT_PATH" "$T/chat.json"
    eq "config: flag-configured server answers 200" "$CODE" 200
    stop_server cfg-limits
fi

# PORT 0: main.cpp binds the first listener to an ephemeral port and logs it.
P0LOG=$T/port0.log
"$BIN" --host 127.0.0.1 --port 0 --response-delay-seconds 0 >"$P0LOG" 2>&1 &
p0=$!
PIDS+=("$p0")
for i in $(seq 80); do
    grep -q 'listening on' "$P0LOG" && break
    alive "$p0" || break
    sleep 0.025
done
p0port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$P0LOG" | head -n 1)
if [[ "$p0port" =~ ^[0-9]+$ ]] && [ "$p0port" -gt 0 ]; then
    code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p0port/health")
    eq "config: --port 0 listens on the logged ephemeral port" "$code" 200
else
    fail "config: --port 0 listens on the logged ephemeral port" "log: $(head -c 200 "$P0LOG" | tr '\n' ' ')"
fi
kill -TERM "$p0" 2>/dev/null
wait_gone "$p0" 5 || kill -KILL "$p0" 2>/dev/null
wait "$p0" 2>/dev/null

# =========================================================================================
# 2, 7, 8, 9, 10. Delay 0: chat answers, errors, HTTP/1.1 framing, timeouts, load
# =========================================================================================

if start_server main RESPONSE_DELAY_SECONDS=0 HEADER_TIMEOUT_SECONDS=1 IDLE_TIMEOUT_SECONDS=1; then
    # ---- 2. chat on both routes ----
    for route in "$CHAT_PATH" "$COMPAT_PATH"; do
        n="chat $route"
        chat "$T/c" "$URL$route" "$T/chat.json"
        eq "$n: status 200" "$CODE" 200
        eq "$n: Content-Type application/json" "$CTYPE" application/json
        eq "$n: content" "$(j "$T/c.body" '.choices[0].message.content')" "$CONTENT"
        eq "$n: role assistant" "$(j "$T/c.body" '.choices[0].message.role')" assistant
        eq "$n: finish_reason stop" "$(j "$T/c.body" '.choices[0].finish_reason')" stop
        eq "$n: index 0" "$(j "$T/c.body" '.choices[0].index')" 0
        eq "$n: logprobs null" "$(j "$T/c.body" '.choices[0] | has("logprobs") and .logprobs == null')" true
        eq "$n: one choice" "$(j "$T/c.body" '.choices | length')" 1
        eq "$n: object chat.completion" "$(j "$T/c.body" '.object')" chat.completion
        eq "$n: usage 3019/104/3123" \
            "$(j "$T/c.body" '[.usage.prompt_tokens, .usage.completion_tokens, .usage.total_tokens] | join("/")')" \
            3019/104/3123
        eq "$n: cached_tokens 2048" "$(j "$T/c.body" '.usage.prompt_tokens_details.cached_tokens')" 2048
        eq "$n: system_fingerprint null" "$(j "$T/c.body" 'has("system_fingerprint") and .system_fingerprint == null')" true
        if [ "$route" = "$CHAT_PATH" ]; then
            match "$n: id chatcmpl-<32 hex>" "$(j "$T/c.body" '.id')" '^chatcmpl-[0-9a-f]{32}$'
            match "$n: x-request-id req_<32 hex>" "$(hdr "$T/c.hdr" x-request-id)" '^req_[0-9a-f]{32}$'
        else
            # DashScope: one UUID per request, the x-request-id and the body's id (dashscope.md §0 item 2).
            match "$n: id chatcmpl-<UUID v4>" "$(j "$T/c.body" '.id')" \
                '^chatcmpl-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
            eq "$n: x-request-id is the id's UUID" "chatcmpl-$(hdr "$T/c.hdr" x-request-id)" "$(j "$T/c.body" '.id')"
            eq "$n: x-dashscope-call-gateway" "$(hdr "$T/c.hdr" x-dashscope-call-gateway)" true
            eq "$n: req-cost-time = resp-start-time - req-arrive-time" "$(hdr "$T/c.hdr" req-cost-time)" \
                "$(($(hdr "$T/c.hdr" resp-start-time) - $(hdr "$T/c.hdr" req-arrive-time)))"
        fi
        created=$(j "$T/c.body" '.created')
        fcheck "$n: created within 5 s of now" "a - b <= 5 && b - a <= 5" "$created" "$(date +%s)"
        eq "$n: model echoed" "$(j "$T/c.body" '.model')" qwen-plus
        eq "$n: Connection keep-alive" "$(hdr "$T/c.hdr" Connection)" keep-alive
    done
    # Unique ids: 10 on one keep-alive connection, 10 on separate connections.
    args=()
    for i in $(seq 10); do args+=("$URL$CHAT_PATH"); done
    curl -s -m 10 -w '\n' -H 'Content-Type: application/json' --data-binary "@$T/chat.json" "${args[@]}" \
        >"$T/ids.txt" 2>/dev/null
    for i in $(seq 10); do
        curl -s -m 5 -w '\n' -H 'Content-Type: application/json' --data-binary "@$T/chat.json" \
            "$URL$COMPAT_PATH" >>"$T/ids.txt" 2>/dev/null
    done
    ID_RE='^chatcmpl-([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$'
    nids=$(jq -r '.id' "$T/ids.txt" 2>/dev/null | grep -cE "$ID_RE")
    nuniq=$(jq -r '.id' "$T/ids.txt" 2>/dev/null | sort -u | grep -cE "$ID_RE")
    eq "chat: 20 answers carry well-formed ids" "$nids" 20
    eq "chat: 20 ids are all different" "$nuniq" 20
    chat "$T/c" "$URL$CHAT_PATH" "$T/oddmodel.json"
    eq "chat: model with quote, backslash and unicode: status 200" "$CODE" 200
    eq "chat: model with quote, backslash and unicode echoed exactly" "$(j "$T/c.body" '.model')" "$MODEL_ODD"
    chat "$T/c" "$URL$CHAT_PATH" "$T/nomodel.json"
    eq "chat: model absent -> qwen-plus" "$CODE/$(j "$T/c.body" '.model')" 200/qwen-plus
    chat "$T/c" "$URL$CHAT_PATH" "$T/nullmodel.json"
    eq "chat: model null -> qwen-plus" "$CODE/$(j "$T/c.body" '.model')" 200/qwen-plus
    chat "$T/c" "$URL$CHAT_PATH" "$T/model96.json"
    eq "chat: 96-byte model (the limit) echoed" "$CODE/$(j "$T/c.body" '.model')" "200/$M96"
    chat "$T/c" "$URL$CHAT_PATH" "$T/model97.json"
    eq "chat: 97-byte model -> 400 param model" "$CODE/$(j "$T/c.body" '.error.param')" 400/model
    chat "$T/c" "$URL$CHAT_PATH?api-version=1" "$T/chat.json"
    eq "chat: query string ignored -> 200" "$CODE" 200
    req "$T/delay0" -o /dev/null -H 'Content-Type: application/json' --data-binary "@$T/chat.json" "$URL$CHAT_PATH"
    fcheck "delay 0: answered in < 0.25 s" "a < 0.25" "$TIME"

    # ---- 7. errors in the OpenAI envelope ----
    # err_case NAME EXPECTED-STATUS EXPECTED-PARAM(null|name) CURL-ARGS...
    err_case() {
        local name=$1 status=$2 param=$3
        shift 3
        req "$T/e" "$@"
        eq "error $name: status $status" "$CODE" "$status"
        eq "error $name: envelope shape" \
            "$(j "$T/e.body" '(keys == ["error"] or keys == ["error","request_id"]) and (.error | keys == ["code","message","param","type"]) and (.error.message | type == "string" and length > 0)')" \
            true
        eq "error $name: param" "$(j "$T/e.body" '.error.param // "null"')" "$param"
        eq "error $name: Content-Type application/json" "$CTYPE" application/json
    }
    err_type() {
        eq "error $1: type/code" "$(j "$T/e.body" '.error.type + "/" + (.error.code // "null")')" "$2"
    }
    H=(-H 'Content-Type: application/json')
    err_case "body not JSON" 400 null "${H[@]}" --data-binary '{"messages": [' "$URL$CHAT_PATH"
    err_type "body not JSON" invalid_request_error/invalid_request
    err_case "JSON array" 400 null "${H[@]}" --data-binary '[{"role":"user","content":"hi"}]' "$URL$CHAT_PATH"
    err_case "no messages" 400 messages "${H[@]}" --data-binary '{"model":"qwen-plus"}' "$URL$CHAT_PATH"
    err_type "no messages" invalid_request_error/invalid_request
    err_case "messages not an array" 400 messages "${H[@]}" --data-binary '{"messages":"hi"}' "$URL$CHAT_PATH"
    err_case "empty messages" 400 messages "${H[@]}" --data-binary '{"messages":[]}' "$URL$CHAT_PATH"
    err_case "model a number" 400 model "${H[@]}" --data-binary '{"model":42,"messages":[{"role":"user","content":"hi"}]}' \
        "$URL$COMPAT_PATH"
    err_case "empty body" 400 null "${H[@]}" -X POST "$URL$CHAT_PATH"
    err_case "unknown path" 404 null "$URL/v1/nope"
    err_type "unknown path" invalid_request_error/not_found
    err_case "GET on the chat route" 405 null "$URL$CHAT_PATH"
    eq "error GET on the chat route: Allow: POST" "$(hdr "$T/e.hdr" Allow)" POST
    err_type "GET on the chat route" invalid_request_error/method_not_allowed
    err_case "POST /health" 405 null "${H[@]}" --data-binary '{}' "$URL/health"
    match "error POST /health: Allow contains GET" "$(hdr "$T/e.hdr" Allow)" '(^|[ ,])GET(,|$)'
    # The connection stays usable after a 4xx on a well-framed request.
    w=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{num_connects}\n' "${H[@]}" --data-binary '{}' "$URL$CHAT_PATH" \
        --next -s -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/health" 2>/dev/null | tr '\n' ' ')
    eq "error 400 keeps the keep-alive connection (second request, no new connect)" "$w" "400 1 200 0 "

    # ---- 8. HTTP/1.1 framing over raw sockets ----
    # raw_error NAME STATUS REQUEST-TEXT: one request, STATUS, then the server closes.
    raw_error() {
        local name=$1 status=$2 text=$3
        raw "$T/r" "$SRV_PORT" "send:$text" read:1:5 eof:3
        eq "framing $name: status $status" "$(j "$T/r.json" '.responses[0].status')" "$status"
        eq "framing $name: error envelope" "$(j "$T/r.json" '.responses[0].body | fromjson | .error.type | type')" string
        eq "framing $name: Connection: close and then EOF" \
            "$(j "$T/r.json" '(.responses[0].headers.connection // "none") + "/" + (.closed | tostring)')" close/true
    }
    hdrpad() {  # hdrpad FILE SECTION-BYTES: GET /health whose header section is exactly that long
        local pad=$(($2 - 42))
        { printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: '; head -c "$pad" /dev/zero | tr '\0' p; printf '\r\n\r\n'; } >"$1"
    }
    hdrpad "$T/h8192" 8192
    hdrpad "$T/h8193" 8193
    raw "$T/r" "$SRV_PORT" "sendfile:$T/h8192" read:1:5
    eq "framing: header section of exactly 8192 bytes -> 200" "$(j "$T/r.json" '.responses[0].status')" 200
    raw "$T/r" "$SRV_PORT" "sendfile:$T/h8193" read:1:5 eof:3
    eq "framing: header section of 8193 bytes -> 431" "$(j "$T/r.json" '.responses[0].status')" 431
    eq "framing: 431 then EOF" "$(j "$T/r.json" '.closed')" true
    target=$(head -c 8200 /dev/zero | tr '\0' a)
    raw "$T/r" "$SRV_PORT" "send:GET /$target HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" read:1:5 eof:3
    eq "framing: request target over 8 KiB -> 414, then EOF" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.closed | tostring)')" 414/true
    fields=""
    for i in $(seq 63); do fields="${fields}X-H$i: v\\r\\n"; done
    raw "$T/r" "$SRV_PORT" "send:GET /health HTTP/1.1\\r\\nHost: x\\r\\n$fields\\r\\n" read:1:5
    eq "framing: 64 header fields (the limit) -> 200" "$(j "$T/r.json" '.responses[0].status')" 200
    raw "$T/r" "$SRV_PORT" "send:GET /health HTTP/1.1\\r\\nHost: x\\r\\n${fields}X-Last: v\\r\\n\\r\\n" read:1:5 eof:3
    eq "framing: 65 header fields -> 431, then EOF" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.closed | tostring)')" 431/true
    raw_error "malformed request line (two spaces)" 400 'GET  /health HTTP/1.1\r\nHost: x\r\n\r\n'
    raw_error "request line without version" 400 'GET /health\r\nHost: x\r\n\r\n'
    raw_error "Content-Length with Transfer-Encoding" 400 \
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
    raw_error "two different Content-Length" 400 \
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'
    raw_error "Transfer-Encoding: gzip" 501 \
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'
    raw_error "HTTP/2.0 request line" 505 'GET /health HTTP/2.0\r\nHost: x\r\n\r\n'
    raw_error "missing Host in HTTP/1.1" 400 'GET /health HTTP/1.1\r\nAccept: */*\r\n\r\n'
    raw_error "two Host headers" 400 'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
    raw_error "obsolete line folding" 400 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n'
    raw_error "bad chunk size" 400 \
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
    # A valid chunked body: two chunks, an extension, a trailer field.
    cb='{"messages":[{"role":"user","content":"chunked"}]}'
    c1=${cb:0:20}
    c2=${cb:20}
    chunked_req=$(printf 'POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n%x;ext=1\\r\\n%s\\r\\n%x\\r\\n%s\\r\\n0\\r\\nX-Trailer: 1\\r\\n\\r\\n' \
        "${#c1}" "$c1" "${#c2}" "$c2")
    raw "$T/r" "$SRV_PORT" "send:$chunked_req" read:1:5
    eq "framing: valid chunked body -> 200 chat.completion" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.responses[0].body | fromjson | .object)')" \
        200/chat.completion
    # The same chunked request cut into pieces with pauses.
    half=$((${#chunked_req} / 2))
    raw "$T/r" "$SRV_PORT" "send:${chunked_req:0:$half}" sleep:0.1 "send:${chunked_req:$half}" read:1:5
    eq "framing: chunked body split across two writes -> 200" "$(j "$T/r.json" '.responses[0].status')" 200
    # Pipelining: three requests in one write, three answers in order.
    body='{"messages":[{"role":"user","content":"p"}]}'
    pipe="GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nPOST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: ${#body}\\r\\n\\r\\n${body}GET /nope HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
    raw "$T/r" "$SRV_PORT" "send:$pipe" read:3:5 eof:0.3
    eq "framing: pipelined GET /health, POST chat, GET /nope -> 200 200 404 in order" \
        "$(j "$T/r.json" '[.responses[].status] | map(tostring) | join(" ")')" "200 200 404"
    eq "framing: pipelined answers are health, chat, error" \
        "$(j "$T/r.json" '[(.responses[0].body | fromjson | .status), (.responses[1].body | fromjson | .object), (.responses[2].body | fromjson | .error.code)] | join(" ")')" \
        "healthy chat.completion not_found"
    eq "framing: connection still open after the pipelined answers" "$(j "$T/r.json" '.closed')" false
    # A burst: 500 pipelined requests in one write (answers overflow the socket buffer).
    burst=""
    for i in $(seq 500); do burst="${burst}GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"; done
    raw "$T/r" "$SRV_PORT" "send:$burst" read:500:10
    eq "framing: 500 pipelined GET /health in one write -> 500 answers, all 200" \
        "$(j "$T/r.json" '[.responses[].status] | "\(length) \(unique)"')" "500 [200]"
    # HTTP/1.0
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.0\r\n\r\n' read:1:5 eof:3
    eq "framing: HTTP/1.0 without keep-alive: 200, Connection: close, then EOF" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + .responses[0].headers.connection + "/" + (.closed | tostring)')" \
        200/close/true
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' read:1:5 \
        'send:GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' read:1:5 eof:0.3
    eq "framing: HTTP/1.0 keep-alive: two answers on one connection" \
        "$(j "$T/r.json" '[.responses[].status] | map(tostring) | join(" ")')" "200 200"
    eq "framing: HTTP/1.0 keep-alive: response says Connection: keep-alive" \
        "$(j "$T/r.json" '.responses[0].headers.connection')" keep-alive
    eq "framing: HTTP/1.0 keep-alive: connection stays open" "$(j "$T/r.json" '.closed')" false
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' read:1:5 eof:3
    eq "framing: HTTP/1.1 Connection: close: 200, Connection: close, then EOF" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + .responses[0].headers.connection + "/" + (.closed | tostring)')" \
        200/close/true
    # Expect: 100-continue: the interim answer comes before we send the body.
    body='{"messages":[{"role":"user","content":"expect"}]}'
    raw "$T/r" "$SRV_PORT" \
        "send:POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nExpect: 100-continue\\r\\nContent-Length: ${#body}\\r\\n\\r\\n" \
        interim:2 "send:$body" read:1:5
    eq "framing: Expect: 100-continue -> 100 Continue before the body" "$(j "$T/r.json" '.interim[0].status')" 100
    fcheck "framing: 100 Continue arrives at once (< 0.5 s)" "a < 0.5" "$(j "$T/r.json" '.interim[0].t')"
    eq "framing: Expect: 100-continue -> then 200" "$(j "$T/r.json" '.responses[0].status')" 200
    req "$T/exp" -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary "@$T/b2048.json" \
        "$URL$CHAT_PATH"
    eq "framing: curl 2 KB body with Expect: 100-continue -> 200" "$CODE" 200
    fcheck "framing: curl 2 KB body with Expect completes well under 1 s" "a < 0.5" "$TIME"

    # ---- 9. timeouts (HEADER_TIMEOUT_SECONDS=1, IDLE_TIMEOUT_SECONDS=1) ----
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\nHost: x\r\n' read:1:4 eof:3
    eq "timeout: partial header -> 408" "$(j "$T/r.json" '.responses[0].status')" 408
    # The server times the request from accept; the client's clock starts a little later.
    fcheck "timeout: 408 not before HEADER_TIMEOUT_SECONDS (>= 0.9 s after the first byte)" "a >= 0.9" \
        "$(j "$T/r.json" '.responses[0].t')"
    fcheck "timeout: 408 within 2.5 s" "a < 2.5" "$(j "$T/r.json" '.responses[0].t')"
    eq "timeout: 408 then EOF" "$(j "$T/r.json" '.closed')" true
    fcheck "timeout: closed within 2.5 s" "a < 2.5" "$(j "$T/r.json" '.closed_t // 99')"
    raw "$T/r" "$SRV_PORT" 'send:GET' sleep:0.3 'send: /hea' sleep:0.3 'send:lth HT' sleep:0.3 'send:TP/1.1\r\n' \
        read:1:4 eof:3
    eq "timeout: a client dribbling its header still gets 408" "$(j "$T/r.json" '.responses[0].status')" 408
    fcheck "timeout: dribbled 408 within 0.9-2.5 s" "a >= 0.9 && a < 2.5" "$(j "$T/r.json" '.responses[0].t // 0')"
    raw "$T/r" "$SRV_PORT" 'send:POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"messages":' \
        read:1:4 eof:3
    eq "timeout: a body that stops short of its Content-Length -> 408" "$(j "$T/r.json" '.responses[0].status')" 408
    fcheck "timeout: short-body 408 within 0.9-2.5 s" "a >= 0.9 && a < 2.5" "$(j "$T/r.json" '.responses[0].t // 0')"
    raw "$T/r" "$SRV_PORT" eof:4
    eq "timeout: silent connection closed without a byte" \
        "$(j "$T/r.json" '(.closed | tostring) + "/" + (.responses | length | tostring) + "/" + .leftover')" "true/0/"
    fcheck "timeout: silent connection closed within 1-2.5 s" "a >= 0.995 && a < 2.5" "$(j "$T/r.json" '.closed_t // 0')"
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\nHost: x\r\n\r\n' read:1:5 eof:4
    eq "timeout: keep-alive idle connection closed by the server" "$(j "$T/r.json" '.closed')" true
    fcheck "timeout: idle close 1-2.5 s after the response" "a - b >= 0.95 && a - b < 2.5" \
        "$(j "$T/r.json" '.closed_t // 0')" "$(j "$T/r.json" '.responses[0].t // 0')"
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\nHost: x\r\n\r\n' read:1:5 sleep:0.6 \
        'send:GET /health HTTP/1.1\r\nHost: x\r\n\r\n' read:1:5 sleep:0.6 \
        'send:GET /health HTTP/1.1\r\nHost: x\r\n\r\n' read:1:5
    eq "timeout: a request within the idle time keeps the connection (3 answers over 1.2 s)" \
        "$(j "$T/r.json" '[.responses[].status] | map(tostring) | join(" ")')" "200 200 200"

    # ---- 10. load: ab and wrk ----
    timeout 60 ab -n 200 -c 20 -s 10 -p "$T/chat.json" -T application/json "$URL$CHAT_PATH" >"$T/ab.txt" 2>&1
    eq "ab: Complete requests 200" "$(awk -F: '/^Complete requests/ { gsub(/ /, "", $2); print $2 }' "$T/ab.txt")" 200
    eq "ab: Failed requests 0" "$(awk -F: '/^Failed requests/ { gsub(/ /, "", $2); print $2 }' "$T/ab.txt")" 0
    eq "ab: Non-2xx responses absent or 0" "$(awk -F: '/^Non-2xx responses/ { gsub(/ /, "", $2); n = $2 } END { print n + 0 }' "$T/ab.txt")" 0
    timeout 60 ab -k -n 200 -c 20 -s 10 -p "$T/chat.json" -T application/json "$URL$CHAT_PATH" >"$T/abk.txt" 2>&1
    eq "ab -k: Complete requests 200" "$(awk -F: '/^Complete requests/ { gsub(/ /, "", $2); print $2 }' "$T/abk.txt")" 200
    eq "ab -k: Failed requests 0" "$(awk -F: '/^Failed requests/ { gsub(/ /, "", $2); print $2 }' "$T/abk.txt")" 0
    eq "ab -k: Non-2xx responses absent or 0" "$(awk -F: '/^Non-2xx responses/ { gsub(/ /, "", $2); n = $2 } END { print n + 0 }' "$T/abk.txt")" 0
    eq "ab -k: Keep-Alive requests 200" "$(awk -F: '/^Keep-Alive requests/ { gsub(/ /, "", $2); print $2 }' "$T/abk.txt")" 200
    if command -v wrk >/dev/null 2>&1; then
        {
            echo 'wrk.method = "POST"'
            echo 'wrk.headers["Content-Type"] = "application/json"'
            printf 'wrk.body = [[%s]]\n' "$(cat "$T/chat.json")"
        } >"$T/post.lua"
        timeout 20 wrk -t1 -c20 -d2s -s "$T/post.lua" "$URL$CHAT_PATH" >"$T/wrk.txt" 2>&1
        nreq=$(awk '/requests in/ { print $1; exit }' "$T/wrk.txt")
        fcheck "wrk: requests served" "a > 100" "${nreq:-0}"
        eq "wrk: no non-2xx responses" "$(grep -c 'Non-2xx' "$T/wrk.txt")" 0
        eq "wrk: no socket errors" "$(grep -c 'Socket errors' "$T/wrk.txt")" 0
    else
        skip "wrk" "wrk not installed"
    fi
    chat "$T/c" "$URL$CHAT_PATH" "$T/chat.json"
    eq "load: server answers after ab and wrk" "$CODE" 200
    req "$T/m" "$URL/metrics"
    fcheck "metrics: requests_total{route=other,status=404} counts the unknown paths" "a >= 2" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="other",status="404"}')"
    fcheck "metrics: requests_total{route=bad_request,status=505} counts the HTTP/2.0 request" "a >= 1" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="bad_request",status="505"}')"
    fcheck "metrics: requests_total{route=bad_request,status=408} counts the header timeouts" "a >= 3" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="bad_request",status="408"}')"
    fcheck "metrics: requests_total{route=chat_completions,status=200} counts ab and wrk" "a >= 400" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="200"}')"
    # HEAD: the head of the GET answer (its Content-Length), no body; the raw client reads to EOF.
    # Last on this server: a HEAD leaves its connection record marked head-only (see the
    # "HEAD leak" checks below), which would truncate later error answers at random.
    raw "$T/r" "$SRV_PORT" 'send:HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' eof:3
    eq "HEAD /health: 200, Content-Length, no body" \
        "$(j "$T/r.json" '.leftover | test("^HTTP/1.1 200 [^\r]*\r\n.*Content-Length: [1-9][0-9]*\r\n.*\r\n\r\n$"; "p")')" true
    stop_server main
fi

# =========================================================================================
# 8b. A HEAD request must not leak into later answers (one worker: records reused LIFO)
# =========================================================================================

if start_server headleak RESPONSE_DELAY_SECONDS=0 WORKER_THREADS=1 HEADER_TIMEOUT_SECONDS=1; then
    head_req='HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n'
    head_close='HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    raw "$T/r" "$SRV_PORT" "send:${head_req}GET /health HTTP/2.0\r\nHost: x\r\n\r\n" eof:3
    check "HEAD leak: HEAD then a 505 on the same connection: the 505 has its body" \
        "received: $(j "$T/r.json" '.leftover | @json' | head -c 600)" \
        jtest "$T/r.json" '.leftover | test("\r\n\r\nHTTP/1.1 505 [^\r]*\r\n.*\r\n\r\n[{].*http_version_not_supported.*[}]$"; "p")'
    raw "$T/r" "$SRV_PORT" "send:$head_close" eof:3
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/2.0\r\nHost: x\r\n\r\n' read:1:3 eof:3
    eq "HEAD leak: a 505 on the next connection (after a HEAD) has its body" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.responses[0].body | fromjson | .error.code)')" \
        505/http_version_not_supported
    raw "$T/r" "$SRV_PORT" "send:$head_close" eof:3
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\n' read:1:4 eof:3
    eq "HEAD leak: a 408 on the next connection (after a HEAD) has its body" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.responses[0].body | fromjson | .error.code)')" \
        408/request_timeout
    raw "$T/r" "$SRV_PORT" "send:$head_close" eof:3
    raw "$T/r" "$SRV_PORT" 'send:GET /health HTTP/1.1\r\nHost: x\r\n\r\n' read:1:3
    eq "HEAD leak: a GET on the next connection (after a HEAD) has its body" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.responses[0].body | fromjson | .status)')" 200/healthy
    stop_server headleak
fi

# =========================================================================================
# 7b. Body limit at exactly MAX_BODY_BYTES and one past it
# =========================================================================================

if start_server body RESPONSE_DELAY_SECONDS=0 MAX_BODY_BYTES=1000; then
    H=(-H 'Content-Type: application/json')
    chat "$T/b" "$URL$CHAT_PATH" "$T/b1000.json"
    eq "body limit: 1000-byte body (Content-Length) -> 200" "$CODE" 200
    chat "$T/b" "$URL$CHAT_PATH" "$T/b1001.json"
    eq "body limit: 1001-byte body (Content-Length) -> 413" "$CODE" 413
    eq "body limit: 413 envelope type/code" "$(j "$T/b.body" '.error.type + "/" + .error.code')" \
        invalid_request_error/request_too_large
    chat "$T/b" "$URL$CHAT_PATH" "$T/b1000.json" -H 'Transfer-Encoding: chunked'
    eq "body limit: 1000-byte body (chunked) -> 200" "$CODE" 200
    chat "$T/b" "$URL$CHAT_PATH" "$T/b1001.json" -H 'Transfer-Encoding: chunked'
    eq "body limit: 1001-byte body (chunked) -> 413" "$CODE" 413
    eq "body limit: chunked 413 envelope code" "$(j "$T/b.body" '.error.code')" request_too_large
    # Expect with a too-large Content-Length: refused at once, no 100 Continue.
    raw "$T/r" "$SRV_PORT" \
        'send:POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n' \
        read:1:3 eof:3
    eq "body limit: Expect with Content-Length 1001 -> 413 without 100 Continue" \
        "$(j "$T/r.json" '(.responses[0].status | tostring) + "/" + (.interim | length | tostring) + "/" + (.closed | tostring)')" \
        413/0/true
    stop_server body
fi

# =========================================================================================
# 3. Delay
# =========================================================================================

if start_server delay RESPONSE_DELAY_SECONDS=0.5; then
    req "$T/d" -o /dev/null -H 'Content-Type: application/json' --data-binary "@$T/chat.json" "$URL$CHAT_PATH"
    eq "delay 0.5: status 200" "$CODE" 200
    fcheck "delay 0.5: not early (time_total >= 0.495)" "a >= 0.495" "$TIME"
    fcheck "delay 0.5: not late (time_total < 0.75)" "a < 0.75" "$TIME"
    req "$T/d" -o /dev/null -H 'Content-Type: application/json' --data-binary "@$T/chat.json" "$URL$COMPAT_PATH"
    fcheck "delay 0.5 (compatible-mode): 0.495 <= time_total < 0.75" "a >= 0.495 && a < 0.75" "$TIME"
    req "$T/d" -o /dev/null "$URL/health"
    fcheck "delay 0.5: /health is not delayed (< 0.25 s)" "a < 0.25" "$TIME"
    # Pipelined behind a delayed answer: order kept, the later ones wait for it.
    body='{"messages":[{"role":"user","content":"p"}]}'
    pipe="POST /v1/chat/completions HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: ${#body}\\r\\n\\r\\n${body}GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /nope HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"
    raw "$T/r" "$SRV_PORT" "send:$pipe" read:3:5
    eq "delay 0.5: pipelined chat, health, nope -> 200 200 404 in order" \
        "$(j "$T/r.json" '[.responses[].status] | map(tostring) | join(" ")')" "200 200 404"
    fcheck "delay 0.5: pipelined chat answer not early" "a >= 0.495" "$(j "$T/r.json" '.responses[0].t // 0')"
    # Several at once are all delayed by the same amount (not serialised).
    t0=$(now)
    hold "$URL" 5 "$T/par"
    wait_held
    el=$(elapsed "$t0")
    eq "delay 0.5: 5 parallel requests all 200" "$(count_status "$T/par" 5 200)" 5
    fcheck "delay 0.5: 5 parallel requests finish together (< 1.2 s)" "a < 1.2" "$el"
    notearly=0
    for i in 1 2 3 4 5; do
        awk -v t="$(cut -d' ' -f2 "$T/par.$i")" 'BEGIN { exit !(t >= 0.495) }' && notearly=$((notearly + 1))
    done
    eq "delay 0.5: none of the parallel answers early" "$notearly" 5
    stop_server delay
fi

# =========================================================================================
# 4, 6. Concurrency limit and /metrics
# =========================================================================================

# A 3 s delay: the held requests must still be held while the 503 checks run, even on a
# loaded machine.
if start_server conc RESPONSE_DELAY_SECONDS=3 MAX_CONCURRENT=2; then
    hold "$URL" 2 "$T/hc"
    check "concurrency: 2 requests held (active_requests 2)" "active=$(active "$URL")" wait_active "$URL" 2 0.9
    chat "$T/o" "$URL$CHAT_PATH" "$T/chat.json"
    eq "concurrency: third request -> 503" "$CODE" 503
    fcheck "concurrency: 503 within 0.2 s" "a < 0.2" "$TIME"
    eq "concurrency: 503 type service_unavailable_error" "$(j "$T/o.body" '.error.type')" service_unavailable_error
    eq "concurrency: 503 code server_is_overloaded" "$(j "$T/o.body" '.error.code')" server_is_overloaded
    eq "concurrency: 503 param null" "$(j "$T/o.body" '.error.param')" null
    eq "concurrency: 503 Retry-After: 1" "$(hdr "$T/o.hdr" Retry-After)" 1
    eq "concurrency: 503 has no x-should-retry by default" "$(grep -ci '^x-should-retry:' "$T/o.hdr")" 0
    w=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{num_connects}\n' -H 'Content-Type: application/json' \
        --data-binary "@$T/chat.json" "$URL$CHAT_PATH" \
        --next -s -o /dev/null -w '%{http_code} %{num_connects}\n' "$URL/metrics" 2>/dev/null | tr '\n' ' ')
    eq "concurrency: 503 keeps the keep-alive connection (503 then 200 on one connect)" "$w" "503 1 200 0 "
    wait_held
    eq "concurrency: both held requests got 200" "$(count_status "$T/hc" 2 200)" 2
    check "concurrency: slots free again" "active=$(active "$URL")" wait_active "$URL" 0 1
    chat "$T/o" "$URL$CHAT_PATH" "$T/chat.json"
    eq "concurrency: after the held ones finish -> 200" "$CODE" 200

    # ---- 6. /metrics ----
    req "$T/m" "$URL/metrics"
    eq "metrics: status 200" "$CODE" 200
    match "metrics: Content-Type text/plain" "$CTYPE" '^text/plain'
    timeout 10 promtool check metrics <"$T/m.body" >"$T/promtool.txt" 2>&1
    rc=$?
    eq "metrics: promtool check metrics passes" "$rc" 0
    [ "$rc" -ne 0 ] && sed 's/^/    promtool: /' "$T/promtool.txt" | head -n 10
    for name in llm_mock_active_requests llm_mock_max_concurrent_requests llm_mock_rejected_requests_total \
        llm_mock_client_aborts_total process_resident_memory_bytes process_open_fds; do
        match "metrics: $name is a number" "$(metric "$T/m.body" "$name")" '^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$'
    done
    eq "metrics: llm_mock_active_requests 0" "$(metric "$T/m.body" llm_mock_active_requests)" 0
    eq "metrics: llm_mock_max_concurrent_requests 2" "$(metric "$T/m.body" llm_mock_max_concurrent_requests)" 2
    eq "metrics: llm_mock_rejected_requests_total counts the two 503s" \
        "$(metric "$T/m.body" llm_mock_rejected_requests_total)" 2
    eq "metrics: requests_total{route=chat_completions,status=503} 2" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="503"}')" 2
    eq "metrics: requests_total{route=chat_completions,status=200} 3" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="200"}')" 3
    match "metrics: requests_total{route=health,status=...} present" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="health",status="200"}')" '^[0-9]+$'
    contains "metrics: llm_mock_response_delay_seconds is a histogram" "$T/m.body" \
        "# TYPE llm_mock_response_delay_seconds histogram"
    eq "metrics: delay histogram count 3" "$(metric "$T/m.body" llm_mock_response_delay_seconds_count)" 3
    eq "metrics: delay histogram +Inf bucket 3" \
        "$(metric "$T/m.body" 'llm_mock_response_delay_seconds_bucket{le="+Inf"}')" 3
    eq "metrics: no answer under 2.5 s with a 3 s delay (le=2.5 bucket 0)" \
        "$(metric "$T/m.body" 'llm_mock_response_delay_seconds_bucket{le="2.5"}')" 0
    fcheck "metrics: delay histogram sum >= 3 x 2.995 s" "a >= 8.985 && a < 10.5" \
        "$(metric "$T/m.body" llm_mock_response_delay_seconds_sum)"
    fcheck "metrics: process_resident_memory_bytes > 1 MB" "a > 1000000" \
        "$(metric "$T/m.body" process_resident_memory_bytes)"
    fcheck "metrics: process_open_fds > 0" "a > 0" "$(metric "$T/m.body" process_open_fds)"
    stop_server conc
fi

if start_server retry RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=1 X_SHOULD_RETRY=false RETRY_AFTER_SECONDS=7; then
    hold "$URL" 1 "$T/hr"
    check "x-should-retry: one request held" "active=$(active "$URL")" wait_active "$URL" 1 0.9
    chat "$T/o" "$URL$CHAT_PATH" "$T/chat.json"
    eq "x-should-retry: second request -> 503" "$CODE" 503
    eq "x-should-retry: X_SHOULD_RETRY=false adds x-should-retry: false" "$(hdr "$T/o.hdr" x-should-retry)" false
    eq "x-should-retry: RETRY_AFTER_SECONDS=7 gives Retry-After: 7" "$(hdr "$T/o.hdr" Retry-After)" 7
    wait_held
    eq "x-should-retry: held request got 200" "$(count_status "$T/hr" 1 200)" 1
    stop_server retry
fi

# =========================================================================================
# 5. /health
# =========================================================================================

health_fields() {  # health_fields NAME FILE
    local n=$1 f=$2
    eq "$n: status is a string" "$(j "$f" '.status | type')" string
    match "$n: concurrent_usage is \"N.N%\"" "$(j "$f" '.concurrent_usage')" '^[0-9]+\.[0-9]%$'
    eq "$n: original number fields" \
        "$(j "$f" '[.available_slots, .memory.total_mb, .memory.used_mb, .memory.available_mb, .cpu.total_cores, .cpu.available_cores] | map(type) | unique | join(",")')" \
        number
    match "$n: memory.usage_percent is \"N.N%\"" "$(j "$f" '.memory.usage_percent')" '^[0-9]+\.[0-9]%$'
    match "$n: memory.source" "$(j "$f" '.memory.source')" '^(system|cgroup_v1|cgroup_v2)$'
    match "$n: cpu.source" "$(j "$f" '.cpu.source')" '^(affinity|system|cgroup_v1|cgroup_v2)$'
    eq "$n: numeric companions are numbers" \
        "$(j "$f" '[.active_requests, .max_concurrent_requests, .concurrent_usage_ratio, .memory.usage_ratio, .memory.process_rss_bytes] | map(type) | unique | join(",")')" \
        number
    eq "$n: memory used + available = total (MB, rounding)" \
        "$(j "$f" '(.memory.used_mb + .memory.available_mb - .memory.total_mb) | (. >= -1 and . <= 1)')" true
}

if start_server health RESPONSE_DELAY_SECONDS=1.5 MAX_CONCURRENT=10; then
    req "$T/h" "$URL/health"
    eq "health: idle -> 200" "$CODE" 200
    eq "health: idle status healthy" "$(j "$T/h.body" '.status')" healthy
    eq "health: idle concurrent_usage 0.0%" "$(j "$T/h.body" '.concurrent_usage')" 0.0%
    eq "health: idle available_slots 10" "$(j "$T/h.body" '.available_slots')" 10
    eq "health: max_concurrent_requests 10" "$(j "$T/h.body" '.max_concurrent_requests')" 10
    health_fields "health" "$T/h.body"
    hold "$URL" 9 "$T/hh"
    check "health: 9 of 10 held" "active=$(active "$URL")" wait_active "$URL" 9 1.2
    req "$T/h" "$URL/health"
    eq "health: 9 of 10 (90%, the default limit) -> 200 healthy" "$CODE/$(j "$T/h.body" '.status')" 200/healthy
    HELD9=("${HELD[@]}")
    hold "$URL" 1 "$T/hh10"
    HELD+=("${HELD9[@]}")
    check "health: 10 of 10 held" "active=$(active "$URL")" wait_active "$URL" 10 1.2
    req "$T/h" "$URL/health"
    eq "health: full -> HTTP 503" "$CODE" 503
    eq "health: full -> status overloaded" "$(j "$T/h.body" '.status')" overloaded
    eq "health: full -> active_requests 10" "$(j "$T/h.body" '.active_requests')" 10
    eq "health: full -> available_slots 0" "$(j "$T/h.body" '.available_slots')" 0
    eq "health: full -> concurrent_usage 100.0%" "$(j "$T/h.body" '.concurrent_usage')" 100.0%
    eq "health: full -> concurrent_usage_ratio 1" "$(j "$T/h.body" '.concurrent_usage_ratio == 1')" true
    fcheck "health: answered while full (< 0.25 s)" "a < 0.25" "$TIME"
    health_fields "health (full)" "$T/h.body"
    wait_held
    eq "health: the 10 held requests got 200" "$(( $(count_status "$T/hh" 9 200) + $(count_status "$T/hh10" 1 200) ))" 10
    check "health: slots free again" "active=$(active "$URL")" wait_active "$URL" 0 1
    req "$T/h" "$URL/health"
    eq "health: after the held ones -> 200 healthy" "$CODE/$(j "$T/h.body" '.status')" 200/healthy
    stop_server health
fi

if start_server health50 RESPONSE_DELAY_SECONDS=2 MAX_CONCURRENT=10 HEALTH_MAX_CONCURRENT_PERCENT=50; then
    hold "$URL" 5 "$T/h5"
    HELD5=("${HELD[@]}")
    check "health 50%: 5 of 10 held" "active=$(active "$URL")" wait_active "$URL" 5 1.5
    req "$T/h" "$URL/health"
    eq "health 50%: 5 of 10 (exactly 50%) -> 200 healthy" "$CODE/$(j "$T/h.body" '.status')" 200/healthy
    hold "$URL" 1 "$T/h6"
    HELD+=("${HELD5[@]}")
    check "health 50%: 6 of 10 held" "active=$(active "$URL")" wait_active "$URL" 6 1.2
    req "$T/h" "$URL/health"
    eq "health 50%: 6 of 10 -> HTTP 503 overloaded" "$CODE/$(j "$T/h.body" '.status')" 503/overloaded
    eq "health 50%: 6 of 10 -> available_slots 4" "$(j "$T/h.body" '.available_slots')" 4
    wait_held
    stop_server health50
fi

# =========================================================================================
# 11. Client abort
# =========================================================================================

if start_server abort RESPONSE_DELAY_SECONDS=3; then
    curl -s -m 10 -o /dev/null -H 'Content-Type: application/json' --data-binary "@$T/chat.json" \
        "$URL$CHAT_PATH" 2>/dev/null &
    cpid=$!
    PIDS+=("$cpid")
    sleep 0.3
    check "abort: request held before the client leaves" "active=$(active "$URL")" wait_active "$URL" 1 1
    kill -TERM "$cpid" 2>/dev/null
    wait "$cpid" 2>/dev/null
    check "abort: active_requests back to 0 within 1 s of the client leaving" "active=$(active "$URL")" \
        wait_active "$URL" 0 1
    req "$T/m" "$URL/metrics"
    fcheck "abort: llm_mock_client_aborts_total >= 1" "a >= 1" "$(metric "$T/m.body" llm_mock_client_aborts_total)"
    eq "abort: the aborted request is not counted as answered" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="200"}')" ""
    stop_server abort
fi

# =========================================================================================
# 12. Shutdown
# =========================================================================================

if start_server drain RESPONSE_DELAY_SECONDS=1.5; then
    hold "$URL" 50 "$T/sd"
    check "shutdown: 50 requests held" "active=$(active "$URL")" wait_active "$URL" 50 1.2
    t0=$(now)
    kill -TERM "$SRV_PID"
    sleep 0.5
    late=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$URL/health" 2>/dev/null)
    check "shutdown: a new connection 0.5 s after SIGTERM is refused or closed without 200" "got $late" \
        test "$late" != 200
    if wait_gone "$SRV_PID" 5; then
        wait "$SRV_PID"
        rc=$?
        eq "shutdown: server exits with status 0" "$rc" 0
        fcheck "shutdown: exit within 5 s of SIGTERM" "a < 5" "$(elapsed "$t0")"
    else
        fail "shutdown: server exits with status 0" "still running 5 s after SIGTERM"
        kill -KILL "$SRV_PID" 2>/dev/null
    fi
    wait_held
    eq "shutdown: all 50 held requests got 200" "$(count_status "$T/sd" 50 200)" 50
    notearly=0
    for i in $(seq 50); do
        awk -v t="$(cut -d' ' -f2 "$T/sd.$i" 2>/dev/null)" 'BEGIN { exit !(t >= 1.495) }' && notearly=$((notearly + 1))
    done
    eq "shutdown: the drained answers kept their delay (none early)" "$notearly" 50
    contains "shutdown: log says drained" "$SRV_LOG" "drained; exiting"
    sanitizer_clean "shutdown" "$SRV_LOG"
fi

if start_server sigsig RESPONSE_DELAY_SECONDS=10 SHUTDOWN_TIMEOUT_SECONDS=60; then
    hold "$URL" 3 "$T/ss"
    check "second signal: 3 requests held" "active=$(active "$URL")" wait_active "$URL" 3 1.2
    kill -TERM "$SRV_PID"
    sleep 0.2
    check "second signal: still draining after the first SIGTERM" "exited early" alive "$SRV_PID"
    t0=$(now)
    kill -TERM "$SRV_PID"
    if wait_gone "$SRV_PID" 1; then
        wait "$SRV_PID"
        rc=$?
        check "second signal: exits within 1 s with non-zero status" "status $rc" test "$rc" -ne 0
    else
        fail "second signal: exits within 1 s with non-zero status" "still running 1 s after the second SIGTERM"
        kill -KILL "$SRV_PID" 2>/dev/null
    fi
    for pid in "${HELD[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait_held
fi

# =========================================================================================
# 13. cgroup v1 limits
# =========================================================================================

CPU_CG=/sys/fs/cgroup/cpu/lms-test-$$
MEM_CG=/sys/fs/cgroup/memory/lms-test-$$
cg_reason=""
if [ ! -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] || [ ! -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
    cg_reason="no cgroup v1 cpu and memory hierarchies at /sys/fs/cgroup"
elif [ ! -w /sys/fs/cgroup/cpu ] || [ ! -w /sys/fs/cgroup/memory ]; then
    cg_reason="cgroup v1 dirs not writable"
elif ! mkdir "$CPU_CG" 2>/dev/null; then
    cg_reason="cannot create $CPU_CG"
else
    CGROUPS+=("$CPU_CG")
    if ! mkdir "$MEM_CG" 2>/dev/null; then
        cg_reason="cannot create $MEM_CG"
    else
        CGROUPS+=("$MEM_CG")
        if ! { echo 100000 >"$CPU_CG/cpu.cfs_period_us" && echo 100000 >"$CPU_CG/cpu.cfs_quota_us" &&
            echo 1073741824 >"$MEM_CG/memory.limit_in_bytes"; } 2>/dev/null; then
            cg_reason="cannot write the cgroup limits"
        fi
    fi
fi
if [ -n "$cg_reason" ]; then
    skip "cgroup" "$cg_reason"
else
    port=$(free_port)
    CGLOG=$T/cgroup.log
    sh -c 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec "$@"' sh \
        "$CPU_CG" "$MEM_CG" env RESPONSE_DELAY_SECONDS=0 "$BIN" --host 127.0.0.1 --port "$port" >"$CGLOG" 2>&1 &
    cgpid=$!
    PIDS+=("$cgpid")
    for i in $(seq 200); do
        grep -q 'listening on' "$CGLOG" && break
        alive "$cgpid" || break
        sleep 0.025
    done
    if grep -q 'listening on' "$CGLOG"; then
        contains "cgroup: startup log says workers 1" "$CGLOG" "workers 1 "
        req "$T/cg" "http://127.0.0.1:$port/health"
        eq "cgroup: /health cpu.available_cores 1" "$(j "$T/cg.body" '.cpu.available_cores')" 1
        eq "cgroup: /health cpu.source cgroup_v1" "$(j "$T/cg.body" '.cpu.source')" cgroup_v1
        eq "cgroup: /health memory.total_mb 1024" "$(j "$T/cg.body" '.memory.total_mb')" 1024
        eq "cgroup: /health memory.source cgroup_v1" "$(j "$T/cg.body" '.memory.source')" cgroup_v1
        eq "cgroup: /health workers 1" "$(j "$T/cg.body" '.workers')" 1
        kill -TERM "$cgpid"
        if wait_gone "$cgpid" 8; then
            wait "$cgpid"
            eq "cgroup: SIGTERM exits 0" "$?" 0
        else
            fail "cgroup: SIGTERM exits 0" "still running"
            kill -KILL "$cgpid" 2>/dev/null
            wait "$cgpid" 2>/dev/null
        fi
        sanitizer_clean cgroup "$CGLOG"
    else
        fail "cgroup: server starts inside the cgroups" "$(head -c 300 "$CGLOG" | tr '\n' ' ')"
        kill -KILL "$cgpid" 2>/dev/null
        wait "$cgpid" 2>/dev/null
    fi
    for cg in "$CPU_CG" "$MEM_CG"; do
        for i in $(seq 40); do
            rmdir "$cg" 2>/dev/null && break
            sleep 0.05
        done
    done
    check "cgroup: test cgroups removed" "$CPU_CG or $MEM_CG still there" test ! -d "$CPU_CG" -a ! -d "$MEM_CG"
    CGROUPS=()
fi

echo "# runtime $(elapsed "$SUITE_START") s against $BIN"
echo "integration: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
