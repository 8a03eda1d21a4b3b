#!/usr/bin/env bash
# vLLM's waiting queue (MAX_WAITING) on the wire: 200 running + 300 waiting all answered, the
# 501st refused at once; queue times in the histogram match what the client saw; first come
# first served across two workers; a client that leaves frees its place; MAX_WAIT_SECONDS;
# QUEUE_FULL_STATUS=429; MAX_CONCURRENT raised live serves the waiters at once; /health's queue
# and vllm:num_requests_waiting; a queued stream's TTFT counts from its arrival.
# usage: test/suite_queue.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "queue: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CHAT=/v1/chat/completions
QC="$HERE/queue_client.py"
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}' >"$T/chat.json"
metric() { curl -s -m 2 "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
health() { curl -s -m 2 "$URL/health" | jq -r "$1"; }
# wait_for FILTER VALUE: until /health's FILTER is VALUE (10 s at most)
wait_for() {
    local i
    for i in $(seq 200); do
        [ "$(health "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
# py FILE EXPR: a Python expression over r = the client's JSON
py() { python3 -c "import json,sys; r = json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- 200 running + 300 waiting, the 501st refused at once -----------------------------------
if start_server big RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=200 MAX_WAITING=300 VLLM_METRICS=true; then
    python3 "$QC" "$SRV_PORT" 500 0 30 >"$T/big.json" 2>"$T/big.err" &
    QPID=$!
    if wait_for '"\(.active_requests) \(.queue.waiting)"' "200 300"; then
        pass "big: 200 running and 300 waiting (/health)"
    else
        fail "big: 200 running and 300 waiting (/health)" "$(curl -s "$URL/health" | jq -c '{active_requests, queue}')"
    fi
    eq "big: /health's queue says max_waiting 300" "$(health .queue.max_waiting)" 300
    eq "big: vllm:num_requests_waiting 300, running 200" \
        "$(metric 'vllm:num_requests_waiting{model_name="qwen-plus",engine="0"}') $(metric 'vllm:num_requests_running{model_name="qwen-plus",engine="0"}')" \
        "300 200"
    req "$T/over" --data-binary "@$T/chat.json" "$URL$CHAT"
    check "big: the 501st is refused at once (503 in $TIME s)" "$CODE $TIME" \
        awk -v c="$CODE" -v t="$TIME" 'BEGIN {exit !(c == 503 && t < 0.5)}'
    contains "big: its message names MAX_WAITING" "$T/over.body" "requests are waiting (MAX_WAITING)"
    wait "$QPID"
    eq "big: all 500 answered 200" "$(py "$T/big.json" 'r["codes"]')" "{'200': 500}"
    # The first 200 took a slot at once (about 1 s); the other 300 waited about 1 s more.
    # None early; a waiter's latency is its 1 s plus the wait for the first slots to free (which
    # ran from when the first 200 were sent): every waiter took at least 1 s + (1 s - the spread
    # of the sends).
    spread=$(py "$T/big.json" 'round(max(x[2] for x in r["results"]) - min(x[2] for x in r["results"]), 3)')
    eq "big: none answered before its 1 s; 200 within 1.9 s; the other 300 after 2 s - the send spread ($spread s)" \
        "$(py "$T/big.json" 'sum(1 for x in r["results"] if x[3]-x[2] < 0.999)') $(py "$T/big.json" 'sum(1 for x in r["results"] if x[3]-x[2] < 1.9)') $(py "$T/big.json" "sum(1 for x in r['results'] if x[3]-x[2] >= 2 - $spread - 0.01)")" \
        "0 200 300"
    eq "big: every admitted request observed in the queue-time histogram" \
        "$(metric llm_mock_queue_time_seconds_count) $(metric 'vllm:request_queue_time_seconds_count{model_name="qwen-plus",engine="0"}')" "500 500"
    eq "big: 200 did not wait (le 0.05), 300 waited 0.5-2.5 s" \
        "$(metric 'llm_mock_queue_time_seconds_bucket{le="0.05"}') $(( $(metric 'llm_mock_queue_time_seconds_bucket{le="2.5"}') - $(metric 'llm_mock_queue_time_seconds_bucket{le="0.5"}') ))" \
        "200 300"
    # The server's total wait against the client's view (each latency minus its 1 s delay).
    client_wait=$(py "$T/big.json" 'round(sum(max(0, x[3]-x[2]-1.0) for x in r["results"]), 3)')
    fcheck "big: the histogram's total wait $(metric llm_mock_queue_time_seconds_sum) s matches the client's $client_wait s (within 0.05 s a request)" \
        "a - b < 0.05 * 500 && b - a < 0.05 * 500" "$(metric llm_mock_queue_time_seconds_sum)" "$client_wait"
    # The families vLLM 0.11 exports (vllm/v1/metrics/loggers.py, PrometheusStatLogger) that a
    # stand-in must have, with their types as prometheus_client writes them.
    curl -s "$URL/metrics" >"$T/vllm.txt"
    for fam in "vllm:num_requests_running gauge" "vllm:num_requests_waiting gauge" "vllm:kv_cache_usage_perc gauge" \
        "vllm:prefix_cache_queries_total counter" "vllm:prefix_cache_hits_total counter" \
        "vllm:prompt_tokens_total counter" "vllm:generation_tokens_total counter" "vllm:request_success_total counter" \
        "vllm:cache_config_info gauge" "vllm:time_to_first_token_seconds histogram" \
        "vllm:inter_token_latency_seconds histogram" "vllm:e2e_request_latency_seconds histogram" \
        "vllm:request_queue_time_seconds histogram" "vllm:request_prefill_time_seconds histogram" \
        "vllm:request_decode_time_seconds histogram"; do
        contains "vllm names: # TYPE $fam" "$T/vllm.txt" "# TYPE $fam"
    done
    eq "vllm names: every vllm: sample is labelled model_name and engine=\"0\"" \
        "$(grep '^vllm:' "$T/vllm.txt" | grep -vc 'model_name="qwen-plus".*engine="0"\|engine="0".*model_name=')" 0
    eq "big: one refusal counted (full)" "$(metric 'llm_mock_queue_rejected_total{reason="full"}')" 1
    eq "big: the queue is empty again" "$(health .queue.waiting)" 0
    stop_server big
fi

# ---- first come first served over two workers -------------------------------------------------------
# 30 connections 20 ms apart, one slot, 0.1 s each: SO_REUSEPORT spreads them over both
# workers (all on one: chance 2^-29), and they must finish in the order they came.
if start_server fifo RESPONSE_DELAY_SECONDS=0.1 MAX_CONCURRENT=1 MAX_WAITING=100 WORKER_THREADS=2; then
    python3 "$QC" "$SRV_PORT" 30 0.02 30 >"$T/fifo.json" 2>"$T/fifo.err"
    eq "fifo: all 30 answered" "$(py "$T/fifo.json" 'r["codes"]')" "{'200': 30}"
    eq "fifo: they finished in arrival order (sent order = done order)" \
        "$(py "$T/fifo.json" '[x[0] for x in sorted(r["results"], key=lambda x: x[3])] == [x[0] for x in sorted(r["results"], key=lambda x: x[2])]')" True
    # (seen by the client, whose own scheduling blurs each time by a few ms)
    fcheck "fifo: one slot, 0.1 s each: the answers are about 0.1 s apart, never two at once (smallest gap in s)" "a >= 0.05" \
        "$(py "$T/fifo.json" 'round(min(b[3]-a[3] for a, b in zip(sorted(r["results"], key=lambda x: x[3]), sorted(r["results"], key=lambda x: x[3])[1:])), 4)')"
    stop_server fifo
fi

# ---- a client that leaves frees its place; MAX_WAIT_SECONDS; QUEUE_FULL_STATUS -----------------
if start_server leave RESPONSE_DELAY_SECONDS=1.5 MAX_CONCURRENT=1 MAX_WAITING=1; then
    # Request 0 runs, request 1 waits and leaves after 0.3 s.
    python3 "$QC" "$SRV_PORT" 2 0.05 10 0 0.3 1 >"$T/leave.json" 2>"$T/leave.err" &
    QPID=$!
    wait_for .queue.waiting 1 || true
    t_in=$(now)
    wait_for .queue.waiting 0 || true
    # It leaves 0.3 s after it was sent; the queue must drop it at once (well before the 1.5 s
    # the running request still holds the slot).
    fcheck "leave: the one that left is out of the queue at once (gone $(elapsed "$t_in") s after it was seen waiting)" \
        "a < 1.0" "$(elapsed "$t_in")"
    req "$T/l2" --data-binary "@$T/chat.json" "$URL$CHAT"
    eq "leave: its place went to the next (200, not 503)" "$CODE" 200
    wait "$QPID"
    eq "leave: the first answered, the second left" "$(py "$T/leave.json" 'sorted(r["codes"].items())')" \
        "[('200', 1), ('left', 1)]"
    stop_server leave
fi
if start_server wait RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=1 MAX_WAITING=5 MAX_WAIT_SECONDS=0.3; then
    python3 "$QC" "$SRV_PORT" 3 0.05 10 >"$T/wait.json" 2>"$T/wait.err"
    eq "max wait: one answered, two refused 503" "$(py "$T/wait.json" 'sorted(r["codes"].items())')" \
        "[('200', 1), ('503', 2)]"
    eq "max wait: refused after 0.3-0.8 s of waiting" \
        "$(py "$T/wait.json" 'sum(1 for x in r["results"] if x[1] == "503" and 0.3 <= x[3]-x[2] < 0.8)')" 2
    eq "max wait: the message names MAX_WAIT_SECONDS" \
        "$(py "$T/wait.json" 'sum(1 for x in r["results"] if "MAX_WAIT_SECONDS (0.3 s)" in x[5])')" 2
    eq "max wait: counted as timeouts" "$(metric 'llm_mock_queue_rejected_total{reason="timeout"}')" 2
    stop_server wait
fi
if start_server s429 RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=1 MAX_WAITING=1 QUEUE_FULL_STATUS=429; then
    python3 "$QC" "$SRV_PORT" 3 0.05 10 >"$T/s429.json" 2>"$T/s429.err"
    eq "QUEUE_FULL_STATUS=429: two answered, the third 429" "$(py "$T/s429.json" 'sorted(r["codes"].items())')" \
        "[('200', 2), ('429', 1)]"
    eq "QUEUE_FULL_STATUS=429: in the OpenAI envelope" \
        "$(py "$T/s429.json" '[json.loads(x[5])["error"]["code"] for x in r["results"] if x[1] == "429"]')" \
        "['rate_limit_exceeded']"
    stop_server s429
fi

# ---- MAX_CONCURRENT raised live: the waiters start at once ------------------------------------------
if start_server raise RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=1 MAX_WAITING=10 ADMIN_TOKEN=tok; then
    python3 "$QC" "$SRV_PORT" 5 0.02 10 >"$T/raise.json" 2>"$T/raise.err" &
    QPID=$!
    wait_for .queue.waiting 4 || true
    req "$T/p" -X PATCH -H 'Authorization: Bearer tok' --data-binary '{"MAX_CONCURRENT":"5"}' "$URL/admin/config"
    eq "raise: PATCH MAX_CONCURRENT 5 accepted" "$CODE" 200
    eq "raise: the 4 waiters run at once (none waiting)" "$(health .queue.waiting) $(health .active_requests)" "0 5"
    wait "$QPID"
    eq "raise: all 5 answered within 2.2 s (not 5 s one after another)" \
        "$(py "$T/raise.json" 'sum(1 for x in r["results"] if x[1] == "200" and x[3] < 2.2)')" 5
    stop_server raise
fi

# ---- a queued stream: its TTFT counts from its arrival -----------------------------------------------
if start_server stream RESPONSE_DELAY_SECONDS=0 TTFT_SECONDS=0.5 ITL_SECONDS=0.01 OUTPUT_TOKENS=5 MAX_CONCURRENT=1 MAX_WAITING=2; then
    python3 "$QC" "$SRV_PORT" 2 0 10 1 >"$T/stream.json" 2>"$T/stream.err"
    eq "stream: both streams complete" \
        "$(py "$T/stream.json" 'sum(1 for x in r["results"] if x[1] == "200")')" 2
    fcheck "stream: the second waited for the first (about 0.55 s) then had its own TTFT 0.5 s: done after 1.05 s" \
        "a >= 1.05 && a < 2.5" "$(py "$T/stream.json" 'round(max(x[3]-x[2] for x in r["results"]), 3)')"
    # The first: 0.5 s; the second: its wait (the first's 0.5 s + 4 gaps of 0.01 s) + 0.5 s.
    fcheck "stream: the server's TTFT of the second includes its wait (sum of the two TTFTs >= 1.53 s)" \
        "a >= 1.53" "$(metric llm_mock_time_to_first_token_seconds_sum)"
    stop_server stream
fi

# ---- prefill: TTFT grows with the prompt; ITL grows with the running streams -------------------------
if start_server prefill RESPONSE_DELAY_SECONDS=0 CONTENT_MODE=echo PREFILL_OVERHEAD_SECONDS=0.1 PREFILL_SECONDS_PER_1K_TOKENS=0.5; then
    python3 -c 'import json; print(json.dumps({"messages": [{"role": "user", "content": "x" * 4000}]}))' >"$T/long.json"
    req "$T/pl" --data-binary "@$T/long.json" "$URL$CHAT"
    eq "prefill: 4,000 bytes are 1,000 prompt tokens in the usage" "$(j "$T/pl.body" .usage.prompt_tokens)" 1000
    fcheck "prefill: they take the overhead 0.1 s + 1,000 x 0.5 ms = 0.6 s ($TIME s)" "a >= 0.6 && a < 1.5" "$TIME"
    req "$T/ps" --data-binary "@$T/chat.json" "$URL$CHAT"
    fcheck "prefill: a 1-token prompt takes the overhead and 0.5 ms ($TIME s)" "a >= 0.1 && a < 0.5" "$TIME"
    stop_server prefill
fi
if start_server batch RESPONSE_DELAY_SECONDS=0 TTFT_SECONDS=0 ITL_SECONDS=0.01 ITL_PER_RUNNING_STREAM=0.01 OUTPUT_TOKENS=21; then
    python3 "$QC" "$SRV_PORT" 1 0 10 1 >"$T/one.json" 2>/dev/null
    python3 "$QC" "$SRV_PORT" 5 0 10 1 >"$T/five.json" 2>/dev/null
    # Alone: 20 gaps of 0.01 s. Five at once: each gap 0.01 s + 4 x 0.01 s while all five run.
    fcheck "batching: one stream alone takes about 20 x 0.01 s" "a >= 0.2 && a < 0.45" \
        "$(py "$T/one.json" 'round(max(x[3]-x[2] for x in r["results"]), 3)')"
    fcheck "batching: five at once take about 20 x 0.05 s each" "a >= 0.9 && a < 2" \
        "$(py "$T/five.json" 'round(min(x[3]-x[2] for x in r["results"]), 3)')"
    stop_server batch
fi

# ---- refused at startup ----------------------------------------------------------------------------
out=$(MAX_WAITING=-1 timeout 5 "$BIN" --port 0 2>&1)
check "startup: MAX_WAITING=-1 is refused naming it (exit 2)" "rc $?: $out" sh -c "echo '$out' | grep -q 'MAX_WAITING'"
out=$(QUEUE_FULL_STATUS=500 timeout 5 "$BIN" --port 0 2>&1)
check "startup: QUEUE_FULL_STATUS=500 is refused (503 or 429)" "$out" sh -c "echo '$out' | grep -q 'expected 503 or 429'"

echo "queue: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
