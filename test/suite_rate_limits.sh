#!/usr/bin/env bash
# Rate limits per API key (RATE_LIMIT_*) on the wire, with curl and jq: OpenAI's x-ratelimit-*
# headers (limits, remaining, Go-duration resets) on 200s, streams and 429s; the 429's words,
# type, code, retry-after and retry-after-ms, and that a client waiting that long gets through;
# early retries and the wait ratio in /metrics; two keys apart, one key in two headers;
# RATE_LIMIT_KEYS tiers; tokens per minute (max_tokens capped by MAX_OUTPUT_TOKENS, a request
# larger than the whole limit); a rate-limited request holds no slot; Anthropic's
# anthropic-ratelimit-* and DashScope's (none, unless RATE_LIMIT_HEADERS_COMPAT); GET
# /v1/mock/rate-limits; the sum of 200s of a burst from many connections on two workers; the
# bad settings refused at startup; the official openai SDK with maxRetries 2 (test/node).
# usage: test/suite_rate_limits.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "rate-limits: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CHAT=/v1/chat/completions
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}' >"$T/chat.json"
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true}' >"$T/chat_s.json"
# post OUT PATH BODYFILE KEY [CURL-ARGS...]: POST with Authorization: Bearer KEY (KEY - : none).
post() {
    local out=$1 path=$2 body=$3 key=$4
    shift 4
    if [ "$key" = - ]; then
        req "$out" -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$URL$path"
    else
        req "$out" -H 'Content-Type: application/json' -H "Authorization: Bearer $key" --data-binary "@$body" "$@" "$URL$path"
    fi
}
metric() { curl -s -m 2 "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# max_tokens body of N
mt() { printf '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"max_tokens":%s}' "$1" >"$T/mt$1.json"; echo "$T/mt$1.json"; }

# ---- requests per minute ----------------------------------------------------------------------
if start_server rpm RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=30; then
    post "$T/a1" $CHAT "$T/chat.json" sk-a
    eq "rpm: 200 with the limit" "$CODE|$(hdr "$T/a1.hdr" x-ratelimit-limit-requests)" "200|30"
    eq "rpm: remaining 29 after the first" "$(hdr "$T/a1.hdr" x-ratelimit-remaining-requests)" 29
    eq "rpm: reset-requests 2s (one request of 30 a minute)" "$(hdr "$T/a1.hdr" x-ratelimit-reset-requests)" 2s
    eq "rpm: no token headers while TPM is off" "$(grep -ci 'x-ratelimit-.*tokens' "$T/a1.hdr")" 0
    match "rpm: x-request-id still sent" "$(hdr "$T/a1.hdr" x-request-id)" '^req_[0-9a-f]{32}$'
    post "$T/a2" $CHAT "$T/chat.json" sk-a
    eq "rpm: remaining 28 after the second" "$(hdr "$T/a2.hdr" x-ratelimit-remaining-requests)" 28
    match "rpm: reset-requests near 4s, Go's duration text" "$(hdr "$T/a2.hdr" x-ratelimit-reset-requests)" '^(3\.[0-9]{1,3}|4)s$'
    post "$T/s1" $CHAT "$T/chat_s.json" sk-a -N
    eq "rpm: a stream's head carries them too" "$CODE|$(hdr "$T/s1.hdr" x-ratelimit-remaining-requests)" "200|27"
    ok=3
    for i in $(seq 27); do
        post "$T/a" $CHAT "$T/chat.json" sk-a
        [ "$CODE" = 200 ] && ok=$((ok + 1))
    done
    eq "rpm: 30 answers pass at once" "$ok" 30
    post "$T/r1" $CHAT "$T/chat.json" sk-a
    eq "rpm: the 31st is 429 type requests, code rate_limit_exceeded" \
        "$CODE|$(j "$T/r1.body" '"\(.error.type)|\(.error.code)|\(.error.param)"')" "429|requests|rate_limit_exceeded|null"
    match "rpm: the 429 says what happened in OpenAI's words" "$(j "$T/r1.body" .error.message)" \
        '^Rate limit reached for qwen-plus in organization org-mock on requests per min \(RPM\): Limit 30, Used 30, Requested 1\. Please try again in [0-9.]+m?s\.$'
    RA=$(hdr "$T/r1.hdr" retry-after)
    RAMS=$(hdr "$T/r1.hdr" retry-after-ms)
    check "rpm: retry-after whole seconds, retry-after-ms the wait (at most 2 s)" "$RA $RAMS" \
        test "${RAMS:-0}" -gt 0 -a "${RAMS:-9999}" -le 2000 -a "${RA:-0}" -eq $(((RAMS + 999) / 1000))
    eq "rpm: the 429 carries the headers, remaining 0" "$(hdr "$T/r1.hdr" x-ratelimit-remaining-requests)" 0
    post "$T/r2" $CHAT "$T/chat.json" sk-a
    eq "rpm: retried at once: 429 again" "$CODE" 429
    eq "rpm: that retry is counted early" "$(metric llm_mock_early_retries_total)" 1
    eq "rpm: the first request after the 429 is observed once" "$(metric llm_mock_retry_wait_ratio_count)" 1
    # The same token in x-api-key and api-key is the same key.
    req "$T/x1" -H 'x-api-key: sk-a' --data-binary "@$T/chat.json" "$URL$CHAT"
    req "$T/x2" -H 'api-key: sk-a' --data-binary "@$T/chat.json" "$URL$CHAT"
    eq "rpm: the same key in x-api-key and in api-key is limited too" "$(grep -m1 -o ' [0-9]\{3\} ' "$T/x1.hdr")|$(grep -m1 -o ' [0-9]\{3\} ' "$T/x2.hdr")" " 429 | 429 "
    post "$T/b1" $CHAT "$T/chat.json" sk-b
    eq "rpm: another key is apart (200, remaining 29)" "$CODE|$(hdr "$T/b1.hdr" x-ratelimit-remaining-requests)" "200|29"
    post "$T/n1" $CHAT "$T/chat.json" -
    eq "rpm: no key at all is one anonymous key (200)" "$CODE|$(hdr "$T/n1.hdr" x-ratelimit-limit-requests)" "200|30"
    # A client that waits as long as it was told gets through.
    post "$T/w0" $CHAT "$T/chat.json" sk-a
    WAIT=$(hdr "$T/w0.hdr" retry-after-ms)
    sleep "$(awk -v m="${WAIT:-2000}" 'BEGIN {printf "%.3f", m / 1000 + 0.02}')"
    post "$T/w1" $CHAT "$T/chat.json" sk-a
    eq "rpm: after waiting retry-after-ms the same key gets 200" "$CODE" 200
    eq "rpm: 429s by limit in /metrics" "$(metric 'llm_mock_rate_limited_total{limit="requests"}')" 5
    get_rl() { curl -s -m 2 "$URL/v1/mock/rate-limits"; }
    get_rl >"$T/rl.json"
    eq "rate-limits endpoint: the most rate-limited key first, by 8 hex digits of its hash" \
        "$(j "$T/rl.json" '"\(.enabled) \(.keys | length) \(.keys[0].key | test("^[0-9a-f]{8}$")) \(.keys[0].rpm) \(.keys[0].rate_limited) \(.keys[0].early_retries) \(.keys[1].rate_limited)"')" \
        "true 3 true 30 5 4 0"
    stop_server rpm
fi

# ---- a rate-limited request holds no slot; a full server is checked after the limits ----------
if start_server slot RESPONSE_DELAY_SECONDS=3 RATE_LIMIT_RPM=1 MAX_CONCURRENT=1; then
    (post "$T/h1" $CHAT "$T/chat.json" sk-a; echo "$CODE" >"$T/h1.code") &
    HELD=$!
    sleep 0.5
    post "$T/h2" $CHAT "$T/chat.json" sk-a
    eq "slot: the key's second request is 429 at once, not 503 (the limits come first)" "$CODE" 429
    post "$T/h3" $CHAT "$T/chat.json" sk-b
    eq "slot: another key passes the limits and meets the full server: 503" "$CODE" 503
    wait "$HELD"
    eq "slot: the held request is answered 200" "$(cat "$T/h1.code")" 200
    stop_server slot
fi

# ---- tokens per minute --------------------------------------------------------------------------
if start_server tpm RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_TPM=1000 MAX_OUTPUT_TOKENS=400; then
    post "$T/t1" $CHAT "$(mt 300)" sk-t
    eq "tpm: 200, limit 1000, remaining 1000 - (prompt 1 + max_tokens 300)" \
        "$CODE|$(hdr "$T/t1.hdr" x-ratelimit-limit-tokens)|$(hdr "$T/t1.hdr" x-ratelimit-remaining-tokens)" "200|1000|699"
    eq "tpm: no request headers while RPM is off" "$(grep -ci 'x-ratelimit-.*requests' "$T/t1.hdr")" 0
    post "$T/t2" $CHAT "$(mt 5000)" sk-t
    # 699 - 401 = 298, plus what refilled meanwhile (16.7 tokens a second: one per 60 ms; a
    # loaded machine takes that long to start curl)
    left=$(hdr "$T/t2.hdr" x-ratelimit-remaining-tokens)
    check "tpm: max_tokens 5000 is charged as MAX_OUTPUT_TOKENS 400 ($CODE, $left left: 298 + the refill)" "$CODE|$left" \
        awk -v c="$CODE" -v r="${left:-0}" 'BEGIN {exit !(c == 200 && r >= 298 && r <= 310)}'
    post "$T/t3" $CHAT "$(mt 300)" sk-t
    eq "tpm: past it: 429 type tokens" "$CODE|$(j "$T/t3.body" '.error.type')" "429|tokens"
    match "tpm: the message names TPM, Limit, Used and Requested" "$(j "$T/t3.body" .error.message)" \
        '^Rate limit reached for qwen-plus in organization org-mock on tokens per min \(TPM\): Limit 1000, Used 70[0-9], Requested 301\. Please try again in [0-9.]+m?s\.$'
    match "tpm: retry-after-ms about 0.2 s (the missing tokens at 1000 a minute)" "$(hdr "$T/t3.hdr" retry-after-ms)" '^[0-9]{1,3}$'
    eq "tpm: 429s by limit" "$(metric 'llm_mock_rate_limited_total{limit="tokens"}')" 1
    stop_server tpm
fi
if start_server big RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_TPM=100; then
    post "$T/g1" $CHAT "$(mt 150)" sk-g
    eq "too large: 429 type tokens" "$CODE|$(j "$T/g1.body" .error.type)" "429|tokens"
    eq "too large: Request too large, Limit, Requested" "$(j "$T/g1.body" .error.message)" \
        "Request too large for qwen-plus in organization org-mock on tokens per min (TPM): Limit 100, Requested 151. The input or output tokens must be reduced in order to run successfully."
    eq "too large: no retry-after (it can never pass)" "$(grep -ci '^retry-after' "$T/g1.hdr")" 0
    stop_server big
fi

# ---- tiers ----------------------------------------------------------------------------------------
if start_server tiers RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=5 'RATE_LIMIT_KEYS=sk-gold:rpm=100,tpm=50000;sk-free:rpm=1'; then
    post "$T/g" $CHAT "$T/chat.json" sk-gold
    eq "tiers: sk-gold has its own limits" "$(hdr "$T/g.hdr" x-ratelimit-limit-requests)|$(hdr "$T/g.hdr" x-ratelimit-limit-tokens)" "100|50000"
    post "$T/f1" $CHAT "$T/chat.json" sk-free
    post "$T/f2" $CHAT "$T/chat.json" sk-free
    eq "tiers: sk-free's second request is 429 (rpm=1)" "$CODE|$(hdr "$T/f2.hdr" x-ratelimit-limit-requests)" "429|1"
    eq "tiers: a tier naming one limit takes the other from the global (TPM off: no token headers)" \
        "$(grep -ci 'x-ratelimit-limit-tokens' "$T/f1.hdr")" 0
    post "$T/o" $CHAT "$T/chat.json" sk-other
    eq "tiers: any other key has the global limit" "$(hdr "$T/o.hdr" x-ratelimit-limit-requests)" 5
    stop_server tiers
fi

# ---- Anthropic and DashScope ----------------------------------------------------------------------
printf '%s' '{"model":"claude-sonnet-4-6","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}' >"$T/msg.json"
RFC='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
if start_server dialects RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=2 RATE_LIMIT_TPM=10000; then
    req "$T/m1" -H 'x-api-key: sk-ant' -H 'anthropic-version: 2023-06-01' --data-binary "@$T/msg.json" "$URL/v1/messages"
    eq "anthropic: requests limit and remaining" \
        "$CODE|$(hdr "$T/m1.hdr" anthropic-ratelimit-requests-limit)|$(hdr "$T/m1.hdr" anthropic-ratelimit-requests-remaining)" "200|2|1"
    match "anthropic: requests reset as RFC 3339" "$(hdr "$T/m1.hdr" anthropic-ratelimit-requests-reset)" "$RFC"
    eq "anthropic: tokens, input-tokens, output-tokens limits and remaining (prompt 1 + max_tokens 100)" \
        "$(for n in tokens input-tokens output-tokens; do printf '%s/%s ' "$(hdr "$T/m1.hdr" anthropic-ratelimit-$n-limit)" "$(hdr "$T/m1.hdr" anthropic-ratelimit-$n-remaining)"; done)" \
        "10000/9899 10000/9899 10000/9899 "
    eq "anthropic: no OpenAI headers" "$(grep -ci '^x-ratelimit' "$T/m1.hdr")" 0
    req "$T/m2" -H 'x-api-key: sk-ant' --data-binary "@$T/msg.json" "$URL/v1/messages"
    req "$T/m3" -H 'Authorization: Bearer sk-ant' --data-binary "@$T/msg.json" "$URL/v1/messages"
    eq "anthropic: the third is 429 rate_limit_error in Anthropic's envelope (Bearer is the same key)" \
        "$CODE|$(j "$T/m3.body" '"\(.type)|\(.error.type)|\(.request_id | startswith("req_"))"')" "429|error|rate_limit_error|true"
    match "anthropic: 429 with retry-after" "$(hdr "$T/m3.hdr" retry-after)" '^[0-9]+$'
    post "$T/d1" /compatible-mode/v1/chat/completions "$T/chat.json" sk-ds
    eq "dashscope: 200 without rate-limit headers" "$CODE|$(grep -ci 'ratelimit' "$T/d1.hdr")" "200|0"
    post "$T/d2" /compatible-mode/v1/chat/completions "$T/chat.json" sk-ds
    post "$T/d3" /compatible-mode/v1/chat/completions "$T/chat.json" sk-ds
    eq "dashscope: 429 code limit_requests in DashScope's envelope, its message" \
        "$CODE|$(j "$T/d3.body" '"\(.error.code)|\(.error.message)|\(.request_id | length)"')" \
        "429|limit_requests|You have exceeded your current request limit.|36"
    eq "dashscope: no retry-after, no rate-limit headers" "$(grep -ci 'ratelimit\|^retry-after' "$T/d3.hdr")" 0
    stop_server dialects
fi
if start_server compat RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_TPM=150 RATE_LIMIT_HEADERS_COMPAT=true; then
    post "$T/c1" /compatible-mode/v1/chat/completions "$(mt 100)" sk-c
    eq "compat headers: DashScope's answers carry x-ratelimit-* when asked" "$CODE|$(hdr "$T/c1.hdr" x-ratelimit-limit-tokens)" "200|150"
    post "$T/c2" /compatible-mode/v1/chat/completions "$(mt 100)" sk-c
    eq "compat headers: the tokens 429 is insufficient_quota, with retry-after" \
        "$CODE|$(j "$T/c2.body" .error.code)|$(hdr "$T/c2.hdr" retry-after | grep -c .)" "429|insufficient_quota|1"
    stop_server compat
fi

# ---- a burst on two workers: never more than the limit plus the refill -------------------------
if start_server burst RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=60 WORKER_THREADS=2; then
    t0=$EPOCHREALTIME
    seq 600 | xargs -P 16 -I{} curl -s -m 5 -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer sk-burst' \
        --data-binary "@$T/chat.json" "$URL$CHAT" >"$T/burst.codes"
    dt=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}')
    n200=$(grep -c '^200$' "$T/burst.codes")
    n429=$(grep -c '^429$' "$T/burst.codes")
    allowed=$(awk -v d="$dt" 'BEGIN {printf "%d", 60 + d * 1 + 1}')
    check "burst: 600 requests over 16 connections and 2 workers: 200s ($n200 in ${dt}s) within 60 + the refill ($allowed), the rest 429" \
        "200: $n200, 429: $n429, other: $((600 - n200 - n429))" test "$n200" -ge 60 -a "$n200" -le "$allowed" -a $((n200 + n429)) -eq 600
    stop_server burst
fi

# ---- 60 s of keep-alive load on two workers: at most the limit plus the initial bucket ----------
if start_server minute RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=120 WORKER_THREADS=2; then
    python3 - "$SRV_PORT" 60 8 >"$T/minute.json" 2>"$T/minute.err" <<'PY'
import json, socket, sys, threading, time
port, seconds, conns = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
BODY = b'{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}'
REQ = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer sk-minute\r\nContent-Type: "
       b"application/json\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
counts = {}
lock = threading.Lock()
end = time.monotonic() + seconds
def run():
    s = socket.create_connection(("127.0.0.1", port))
    f = s.makefile("rb")
    while time.monotonic() < end:
        s.sendall(REQ)
        status = f.readline().split(b" ")[1].decode()
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        f.read(length)
        with lock:
            counts[status] = counts.get(status, 0) + 1
        time.sleep(0.01)  # bounded: about 100 requests a second per connection
    s.close()
ts = [threading.Thread(target=run) for _ in range(conns)]
t0 = time.monotonic()
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps({"counts": counts, "seconds": time.monotonic() - t0}))
PY
    n200=$(j "$T/minute.json" '.counts["200"] // 0')
    n429=$(j "$T/minute.json" '.counts["429"] // 0')
    secs=$(j "$T/minute.json" .seconds)
    cap=$(awk -v s="$secs" 'BEGIN {printf "%d", 120 + 120 * s / 60 + 1}')
    check "minute: 200s over ${secs%.*} s of 8 keep-alive connections on 2 workers ($n200, with $n429 429s) stay within 120 + the refill ($cap)" \
        "$(cat "$T/minute.json") $(tail -n 2 "$T/minute.err")" test "$n200" -ge 200 -a "$n200" -le "$cap" -a "$n429" -gt 0
    stop_server minute
fi

# ---- settings refused at startup -----------------------------------------------------------------
for bad in 'RATE_LIMIT_KEYS=sk-x:rpm=abc|RATE_LIMIT_KEYS: "sk-x:rpm=abc": rpm must be an unsigned integer' \
    'RATE_LIMIT_MAX_KEYS=15|invalid RATE_LIMIT_MAX_KEYS="15": expected a whole number from 16' 'RATE_LIMIT_RPM=-1|RATE_LIMIT_RPM'; do
    setting=${bad%%|*}
    want=${bad#*|}
    out=$(env "$setting" timeout 5 "$BIN" --port 0 2>&1)
    rc=$?
    check "startup: $setting is refused (exit 1, or 2 for a malformed value) naming it" "rc $rc: $(echo "$out" | tail -n 1)" \
        test "(" "$rc" -eq 1 -o "$rc" -eq 2 ")" -a -n "$(echo "$out" | grep -F -- "$want")"
done

# ---- the official openai SDK with maxRetries 2 --------------------------------------------------------
if ! npm_ready; then
    skip "sdk: openai-node against RATE_LIMIT_RPM=30" "$NPM_WHY"
elif start_server sdk RESPONSE_DELAY_SECONDS=0 RATE_LIMIT_RPM=30; then
    out=$(timeout 120 node "$HERE/rate_limits_sdk_test.cjs" "$URL" "$NODE_DIR" 2>&1)
    echo "$out" | grep -E '^(ok|FAIL) - ' | sed 's/^/  /'
    line=$(echo "$out" | grep -E '^sdk: [0-9]+ passed' | tail -n 1)
    if [ -z "$line" ]; then
        fail "sdk: the node test ran to its end" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
    else
        P=$((P + $(echo "$line" | sed -nE 's/sdk: ([0-9]+) passed.*/\1/p')))
        F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
    fi
    eq "sdk: the SDK waited as told: no early retry" "$(metric llm_mock_early_retries_total)" 0
    stop_server sdk
fi

echo "rate-limits: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
