#!/usr/bin/env bash
# suite_tsan: the multi-threaded parts under ThreadSanitizer, and the zero-allocation check.
#
#   1. The slot limiter's unit test (test/engine/slot_limiter_test.cpp) built with -fsanitize=thread
#      (build/slot-limiter-tsan).
#   1b. The rate limiter's and the live settings' unit tests with -fsanitize=thread
#      (build/concurrency-tsan).
#   2. The whole server built with -fsanitize=thread (build/llm-mock-server-tsan, 4 workers):
#      keep-alive load with 503s, new connections, client aborts, /health and /metrics read
#      from every worker, rate limits (RATE_LIMIT_TPM), 30 PATCHes of /admin/config and a
#      repeating scenario, then SIGTERM while requests are held (the drain). Any
#      "WARNING: ThreadSanitizer" in its log fails.
#   3. Zero allocations on the request path: build/llm-mock-server-alloc (the optimised server
#      plus test/alloc_check.cpp, which counts malloc & co. and prints the count on SIGUSR2).
#      After a warm-up, 10,000 keep-alive chat requests (delay 0), 10,000 with a delay and 503s,
#      new connections, 400s, framing errors and /health must not allocate at all.
#
# Prints "ok - ...", "FAIL - ...", "skip - ...", "info - ..." and ends with
# "sanitizers: P passed, F failed, S skipped".
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source "$ROOT/test/lib.sh"
BODY=$T/chat.json
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}' >"$BODY"
printf '%s' '{"model":"qwen-plus","messages":[]}' >"$T/bad.json"
# Agent answers: generated tool arguments, JSON content, n with stop, logprobs, reasoning.
TOOL='{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo"]},"days":{"type":"integer","minimum":1,"maximum":7},"tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":3}},"required":["city","days"],"additionalProperties":false}}}'
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"tools":['"$TOOL"'],"tool_choice":"required"}' >"$T/tools.json"
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi json"}],"n":3,"stop":"\u963f\u91cc","logprobs":true,"top_logprobs":3,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"t":{"type":"number"}},"required":["t"]}}}}' >"$T/agent.json"
printf '%s' '{"model":"qwen-plus","stream":true,"enable_thinking":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}],"tools":['"$TOOL"']}' >"$T/agent_stream.json"

# ---- 1. the slot limiter's unit test under TSan ------------------------------------------------
# Catch2 v2's assertion macros are not thread-safe and slot_limiter_test.cpp asserts inside its
# threads, so races inside Catch:: itself are suppressed (and counted, for the record); a race in
# the limiter has no Catch:: frame and is still reported.
if [ -x build/slot-limiter-tsan ]; then
    printf 'race:Catch::\n' >"$T/catch.supp"
    out=$(TSAN_OPTIONS="suppressions=$T/catch.supp" build/slot-limiter-tsan 2>&1)
    rc=$?
    catch_races=$(build/slot-limiter-tsan 2>&1 | grep -c 'WARNING: ThreadSanitizer')
    if [ $rc -eq 0 ] && ! grep -q 'WARNING: ThreadSanitizer' <<<"$out" && grep -q '^All tests passed' <<<"$out"; then
        pass "tsan: slot limiter unit test: $(grep '^All tests passed' <<<"$out"), no race in the limiter"
    else
        fail "tsan: slot limiter unit test" "exit $rc: $(grep -m 3 -E 'WARNING|SUMMARY|failed' <<<"$out" | tr '\n' ' ')"
    fi
    echo "info - tsan: the slot limiter test's own CHECKs in threads race inside Catch2 ($catch_races reports, suppressed above)"
else
    fail "tsan: slot limiter unit test" "build/slot-limiter-tsan not built"
fi

# ---- 1b. the rate limiter's and the live settings' unit tests under TSan -------------------------
if [ -x build/concurrency-tsan ]; then
    printf 'race:Catch::\n' >"$T/catch.supp"
    out=$(TSAN_OPTIONS="suppressions=$T/catch.supp" build/concurrency-tsan 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && ! grep -q 'WARNING: ThreadSanitizer' <<<"$out" && grep -q '^All tests passed' <<<"$out"; then
        pass "tsan: rate limiter and live settings unit tests: $(grep '^All tests passed' <<<"$out"), no race"
    else
        fail "tsan: rate limiter and live settings unit tests" "exit $rc: $(grep -m 3 -E 'WARNING|SUMMARY|failed' <<<"$out" | tr '\n' ' ')"
    fi
else
    fail "tsan: rate limiter and live settings unit tests" "build/concurrency-tsan not built"
fi

# ---- 2. the server under TSan: load, aborts, stats readers, live changes, drain ---------------
if [ ! -x build/llm-mock-server-tsan ]; then
    fail "tsan: server" "build/llm-mock-server-tsan not built"
elif launch tsan build/llm-mock-server-tsan env ADMIN_TOKEN=tsan RATE_LIMIT_TPM=100000000 -- --worker-threads 4 \
    --response-delay-seconds 0.5 --max-concurrent 100 --shutdown-timeout-seconds 20; then
    wrk -t2 -c200 -d8s --timeout 10s -s bench/post.lua "$URL/v1/chat/completions" >"$T/wrk.txt" 2>&1 &
    wpid=$!
    PIDS+=("$wpid")
    ab -q -n 300 -c 10 -s 10 "$URL/health" >/dev/null 2>&1 &
    apid=$!
    PIDS+=("$apid")
    (
        for i in $(seq 30); do
            curl -s -m 0.05 -o /dev/null -H 'Content-Type: application/json' --data-binary "@$BODY" \
                "$URL/v1/chat/completions" 2>/dev/null &  # gives up while held: a client abort
            curl -s -m 2 -o /dev/null "$URL/metrics"
            curl -s -m 2 -o /dev/null "$URL/health"
            # Live changes while every worker answers (the snapshots' swap and reclamation).
            curl -s -m 2 -o /dev/null -X PATCH -H 'Authorization: Bearer tsan' \
                -d "{\"RESPONSE_DELAY_SECONDS\":\"0.$((i % 5 + 1))\",\"MAX_CONCURRENT\":$((90 + i))}" "$URL/admin/config"
        done
        curl -s -m 2 -o /dev/null -X POST -H 'Authorization: Bearer tsan' \
            -d '{"name":"t","repeat":true,"phases":[{"name":"a","duration":"300ms","ramp":{"ITL_SECONDS":[0.01,0.05]}},{"name":"b","duration":"200ms","set":{"RESPONSE_DELAY_SECONDS":"0.2"}}]}' \
            "$URL/admin/scenario"
        wait
    ) &
    lpid=$!
    PIDS+=("$lpid")
    curl -s -m 5 -N -o /dev/null -H 'Content-Type: application/json' \
        --data-binary '{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}' \
        "$URL/v1/chat/completions" &
    sleep 3
    m=$(curl -s -m 5 "$URL/metrics")
    ok200=$(awk '$1 == "llm_mock_requests_total{route=\"chat_completions\",status=\"200\"}" { print $2 }' <<<"$m")
    r503=$(awk '$1 == "llm_mock_rejected_requests_total" { print $2 }' <<<"$m")
    aborts=$(awk '$1 == "llm_mock_client_aborts_total" { print $2 }' <<<"$m")
    held=$(awk '$1 == "llm_mock_active_requests" { print $2 }' <<<"$m")
    echo "info - tsan: at SIGTERM: ${ok200:-0} answered, ${r503:-0} refused 503, ${aborts:-0} client aborts, ${held:-?} held"
    kill -TERM "$SRV_PID"
    if wait_gone "$SRV_PID" 30; then
        wait "$SRV_PID"
        eq "tsan: server drains and exits 0 under load (4 workers)" "$?" 0
    else
        kill -KILL "$SRV_PID" 2>/dev/null
        fail "tsan: server drains and exits 0 under load (4 workers)" "still running 30 s after SIGTERM"
    fi
    wait "$wpid" 2>/dev/null
    wait "$apid" 2>/dev/null
    wait 2>/dev/null
    n=$(grep -c 'WARNING: ThreadSanitizer' "$SRV_LOG")
    if [ "$n" -eq 0 ]; then
        pass "tsan: no ThreadSanitizer warning (load with 503s, aborts, /health and /metrics, rate limits, live changes and a scenario, drain)"
    else
        fail "tsan: no ThreadSanitizer warning" "$n warnings: $(grep -m 1 -A 8 'WARNING: ThreadSanitizer' "$SRV_LOG" | tr '\n' ' ' | head -c 900)"
    fi
    grep -q 'drained; exiting' "$SRV_LOG" && pass "tsan: log says drained" || fail "tsan: log says drained" "$(tail -n 2 "$SRV_LOG" | tr '\n' ' ')"
    [ "${ok200:-0}" != 0 ] && [ "${r503:-0}" != 0 ] && pass "tsan: the load reached both 200 and 503" ||
        fail "tsan: the load reached both 200 and 503" "200: ${ok200:-0}, 503: ${r503:-0}"
fi

# ---- 3. zero allocations on the request path --------------------------------------------------
SEQ=0
alloc_count() {  # alloc_count: SIGUSR2, then the allocation count from the server's log
    SEQ=$((SEQ + 1))
    kill -USR2 "$SRV_PID"
    local i line
    for i in $(seq 100); do
        line=$(grep "^alloc_check: seq=$SEQ " "$SRV_LOG")
        if [ -n "$line" ]; then
            sed -nE 's/.* allocations=([0-9]+).*/\1/p' <<<"$line"
            return
        fi
        sleep 0.02
    done
    echo "none"
}
# window NAME COMMAND...: the allocations made while COMMAND runs must be 0.
window() {
    local name=$1 a b
    shift
    a=$(alloc_count)
    "$@" >"$T/window.out" 2>&1
    local rc=$?
    b=$(alloc_count)
    if [ $rc -ne 0 ]; then
        fail "alloc: $name" "the client failed (exit $rc): $(tail -c 300 "$T/window.out" | tr '\n' ' ')"
    elif [[ "$a" =~ ^[0-9]+$ ]] && [[ "$b" =~ ^[0-9]+$ ]] && [ "$a" -eq "$b" ]; then
        pass "alloc: $name: 0 allocations"
    else
        fail "alloc: $name" "allocations $a -> $b (ALLOC_CHECK_BACKTRACE=1 prints where)"
    fi
}
ab_ok() {  # ab_ok N AB-ARGS...: ab, then check it completed N requests with no failure
    local n=$1
    shift
    ab -q -s 10 "$@" >"$T/ab.txt" 2>&1 || return 1
    # ab counts answers whose length differs from the first one's as "failed (Length)": with
    # 200s and 503s mixed, only connect, receive and exception failures are failures.
    grep -q "^Complete requests: *$n\$" "$T/ab.txt" &&
        { grep -q '^Failed requests: *0$' "$T/ab.txt" ||
            grep -qE '^ *\(Connect: 0, Receive: 0, Length: [0-9]+, Exceptions: 0\)' "$T/ab.txt"; } || {
        cat "$T/ab.txt"
        return 1
    }
    sed -nE 's/^Non-2xx responses: *([0-9]+)/non-2xx \1/p' "$T/ab.txt"
}
raw_errors() {  # raw_errors PORT N: N connections, each a framing error (400, then closed)
    python3 - "$1" "$2" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
    data = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
    s.close()
    if not data.startswith(b"HTTP/1.1 400 "):
        sys.exit("unexpected answer: %r" % data[:40])
PY
}
streams() {  # streams PORT CONNS EACH [BODY-FILE [PATH]]: CONNS connections in parallel, each reading EACH streamed answers
    python3 - "$1" "$2" "$3" "${4:-}" "${5:-/v1/chat/completions}" <<'PY'
import socket, sys, threading
port, conns, each = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = open(sys.argv[4], "rb").read() if sys.argv[4] else b'{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}'
path = sys.argv[5].encode()
req = (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
       % len(body)) + body
errors = []
def one():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        for i in range(each):
            s.sendall(req)
            data = b""
            while not data.endswith(b"0\r\n\r\n"):
                d = s.recv(65536)
                if not d:
                    raise EOFError("closed")
                data += d
            if not data.startswith(b"HTTP/1.1 200 ") or b"[DONE]" not in data:
                raise ValueError("unexpected answer: %r" % data[:80])
        s.close()
    except Exception as e:
        errors.append(e)
threads = [threading.Thread(target=one) for _ in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    sys.exit("%d errors, first: %s" % (len(errors), errors[0]))
PY
}

if [ ! -x build/llm-mock-server-alloc ]; then
    fail "alloc: zero allocations" "build/llm-mock-server-alloc not built"
else
    if launch alloc0 build/llm-mock-server-alloc -- --worker-threads 2 --response-delay-seconds 0 --reasoning-tokens 8; then
        # Warm-up: every path once per worker, so that whatever is lazily set up is set up.
        ab_ok 2000 -k -n 2000 -c 32 -p "$BODY" -T application/json "$URL/v1/chat/completions" >/dev/null
        ab_ok 200 -n 200 -c 8 -p "$BODY" -T application/json "$URL/v1/chat/completions" >/dev/null
        ab_ok 200 -k -n 200 -c 8 -p "$T/bad.json" -T application/json "$URL/v1/chat/completions" >/dev/null
        ab_ok 100 -k -n 100 -c 4 "$URL/health" >/dev/null
        raw_errors "$SRV_PORT" 50
        ab_ok 100 -k -n 100 -c 4 -p "$T/tools.json" -T application/json "$URL/v1/chat/completions" >/dev/null
        ab_ok 100 -k -n 100 -c 4 -p "$T/agent.json" -T application/json "$URL/compatible-mode/v1/chat/completions" >/dev/null
        stream_ok=0
        streams "$SRV_PORT" 4 1 >/dev/null 2>&1 && stream_ok=1
        streams "$SRV_PORT" 4 1 "$T/agent_stream.json" /compatible-mode/v1/chat/completions >/dev/null 2>&1
        startup=$(alloc_count)
        echo "info - alloc: $startup allocations from startup to the end of the warm-up"
        window "10,000 keep-alive chat requests, delay 0 (ab -k -c 32)" \
            ab_ok 10000 -k -n 10000 -c 32 -p "$BODY" -T application/json "$URL/v1/chat/completions"
        window "2,000 chat requests on new connections (ab, no keep-alive)" \
            ab_ok 2000 -n 2000 -c 16 -p "$BODY" -T application/json "$URL/v1/chat/completions"
        window "1,000 refused bodies (400, keep-alive)" \
            ab_ok 1000 -k -n 1000 -c 8 -p "$T/bad.json" -T application/json "$URL/v1/chat/completions"
        window "300 framing errors (400, lingering close)" raw_errors "$SRV_PORT" 300
        window "500 GET /health" ab_ok 500 -k -n 500 -c 4 "$URL/health"
        window "1,000 tool-call answers (generated arguments, keep-alive)" \
            ab_ok 1000 -k -n 1000 -c 8 -p "$T/tools.json" -T application/json "$URL/v1/chat/completions"
        window "1,000 agent answers on compatible-mode (n 3, stop, logprobs, json_schema content)" \
            ab_ok 1000 -k -n 1000 -c 8 -p "$T/agent.json" -T application/json "$URL/compatible-mode/v1/chat/completions"
        if [ $stream_ok = 1 ]; then
            window "100 streamed answers (stream: true; 20 connections x 5)" streams "$SRV_PORT" 20 5
            window "100 streamed agent answers (thinking, then tool-call fragments; 20 x 5)" \
                streams "$SRV_PORT" 20 5 "$T/agent_stream.json" /compatible-mode/v1/chat/completions
        else
            skip "alloc: streamed answers" "the server does not stream"
        fi
        kill -TERM "$SRV_PID"
        wait_gone "$SRV_PID" 10
        wait "$SRV_PID" 2>/dev/null
    fi
    if launch alloc1 build/llm-mock-server-alloc -- --worker-threads 2 --response-delay-seconds 0.02 --max-concurrent 64; then
        ab_ok 2000 -k -n 2000 -c 128 -p "$BODY" -T application/json "$URL/v1/chat/completions" >/dev/null
        window "10,000 keep-alive chat requests, delay 20 ms, 128 clients for 64 slots (200s and 503s)" \
            ab_ok 10000 -k -n 10000 -c 128 -p "$BODY" -T application/json "$URL/v1/chat/completions"
        echo "info - alloc: delayed window: $(sed -nE 's/^Non-2xx responses: *([0-9]+)/\1 of 10000 were 503/p' "$T/ab.txt")"
        kill -TERM "$SRV_PID"
        wait_gone "$SRV_PID" 10
        wait "$SRV_PID" 2>/dev/null
    fi
fi

echo "sanitizers: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
