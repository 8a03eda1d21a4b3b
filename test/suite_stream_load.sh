#!/usr/bin/env bash
# Streaming load suite: bench/load_client's streaming mode (--stream 1) against the server and
# against bench/reference_stream, with real assertions on what it counts and measures (every
# stream complete, the token count, TTFT and gap errors within generous bounds), and that it
# catches a wrong token count and a wrong TTFT; then the client's plain mode still works.
# Not a speed test: the bounds only say "the tool measures what it should".
# usage: test/suite_stream_load.sh [BINARY]   (default build/llm-mock-server-san)
# Needs build/bench/load_client and build/bench/reference_stream (make bench-tools; make test
# builds them). Ends with one line "stream-load: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary
LC=$HERE/../build/bench/load_client
REFS=$HERE/../build/bench/reference_stream

# kv LINE KEY: the value of KEY=... in a RESULT line.
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2; exit}'; }
# load OUT ARGS...: one load_client run (bounded by timeout), its RESULT line in RES.
load() {
    local out=$1
    shift
    timeout 60 "$LC" "$@" >"$out" 2>"$out.err"
    LC_RC=$?
    RES=$(grep '^RESULT' "$out" | tail -n 1)
}

if [ ! -x "$LC" ] || [ ! -x "$REFS" ]; then
    fail "bench tools built" "build/bench/load_client or build/bench/reference_stream missing (make bench-tools)"
    echo "stream-load: $P passed, $F failed, $S skipped"
    exit 1
fi

# ---- against the server: TTFT 0.2 s, ITL 0.02 s, 30 tokens, 20 connections x 2 streams ----
if start_server stream RESPONSE_DELAY_SECONDS=0 TTFT_SECONDS=0.2 ITL_SECONDS=0.02 OUTPUT_TOKENS=30; then
    load "$T/a" --port "$SRV_PORT" --connections 20 --requests-per-conn 2 --stream 1 --ttft 0.2 --itl 0.02 \
        --tokens 30 --ramp 0.1 --label ours
    eq "ours: load_client exits 0" "$LC_RC" 0
    eq "ours: every stream complete ([DONE], 30 tokens), none bad, no non-2xx, no error" \
        "$(kv "$RES" streams_ok) $(kv "$RES" streams_bad) $(kv "$RES" non2xx) $(kv "$RES" errors)" "40 0 0 0"
    eq "ours: 20 keep-alive connections carried the 40 streams" "$(kv "$RES" connected)" 20
    eq "ours: 1,200 content token events (the role and finish events are not tokens)" \
        "$(kv "$RES" token_events)" 1200
    eq "ours: one TTFT sample per stream, 29 gaps per stream" \
        "$(kv "$RES" ttft_samples) $(kv "$RES" gap_samples)" "40 1160"
    fcheck "ours: TTFT error p50 within 0..100 ms" "a > -1 && a < 100" "$(kv "$RES" ttft_err_p50_ms)"
    fcheck "ours: no token before its TTFT (min TTFT error > -1 ms)" "a > -1" "$(kv "$RES" ttft_err_min_ms)"
    fcheck "ours: inter-token gap error p50 under 10 ms" "a >= 0 && a < 10" "$(kv "$RES" gap_err_p50_ms)"
    fcheck "ours: token lateness against the schedule p50 within 0..100 ms" "a > -1 && a < 100" \
        "$(kv "$RES" late_p50_ms)"
    eq "ours: every token also carries the kernel's arrival stamp" "$(kv "$RES" k_stamped)" 1200
    fcheck "ours: kernel-stamped lateness p50 within 0..100 ms, not after the receipt figure" \
        "a > -1 && a < 100 && a <= b + 0.001" "$(kv "$RES" k_late_p50_ms)" "$(kv "$RES" late_p50_ms)"
    fcheck "ours: two streams of TTFT + 29 x ITL (0.78 s) plus the ramp take 1.6-5 s" "a >= 1.6 && a < 5" \
        "$(kv "$RES" seconds)"
    contains "ours: the report names the TTFT and gap error lines" "$T/a" "inter-token gap error ms (|gap - ITL|"

    # The checks are real: a wrong token count fails every stream; a wrong TTFT shows as error.
    load "$T/b" --port "$SRV_PORT" --connections 5 --requests-per-conn 1 --stream 1 --ttft 0.2 --itl 0.02 \
        --tokens 31 --label wrong-tokens
    eq "told 31 tokens while the server sends 30: every stream counted bad" \
        "$(kv "$RES" streams_ok) $(kv "$RES" streams_bad)" "0 5"
    load "$T/c" --port "$SRV_PORT" --connections 5 --requests-per-conn 1 --stream 1 --ttft 0.1 --itl 0.02 \
        --tokens 30 --label wrong-ttft
    fcheck "told TTFT 0.1 s while the server uses 0.2 s: TTFT error p50 about +100 ms" "a >= 95 && a < 200" \
        "$(kv "$RES" ttft_err_p50_ms)"
    load "$T/d" --port "$SRV_PORT" --connections 5 --requests-per-conn 1 --stream 1 --ttft 0.2 --itl 0.03 \
        --tokens 30 --label wrong-itl
    fcheck "told ITL 0.03 s while the server uses 0.02 s: gap error p50 about 10 ms" "a >= 9 && a < 11" \
        "$(kv "$RES" gap_err_p50_ms)"

    # The plain (non-streaming) mode is unchanged; a whole answer takes TTFT + 29 x ITL = 0.78 s.
    load "$T/e" --port "$SRV_PORT" --connections 10 --requests-per-conn 2 --delay 0.78 --label plain
    eq "plain mode: 20 answers 2xx, no error, its own RESULT line" \
        "$(kv "$RES" ok) $(kv "$RES" errors) $(echo "$RES" | cut -d' ' -f2)" "20 0 load"
    fcheck "plain mode: delay error p50 within 0..100 ms" "a > -1 && a < 100" "$(kv "$RES" all_p50_ms)"
    stop_server stream
fi

# ---- against bench/reference_stream (same model) ----
port=$(free_port)
"$REFS" --port "$port" --ttft-ms 200 --itl-ms 20 --tokens 30 >"$T/ref.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.02
done
load "$T/r" --port "$port" --connections 20 --requests-per-conn 2 --stream 1 --ttft 0.2 --itl 0.02 --tokens 30 \
    --ramp 0.1 --label reference
eq "reference: every stream complete, 1,200 token events, no error" \
    "$(kv "$RES" streams_ok) $(kv "$RES" streams_bad) $(kv "$RES" token_events) $(kv "$RES" errors)" "40 0 1200 0"
fcheck "reference: TTFT error p50 within 0..100 ms" "a > -1 && a < 100" "$(kv "$RES" ttft_err_p50_ms)"
fcheck "reference: inter-token gap error p50 under 10 ms" "a >= 0 && a < 10" "$(kv "$RES" gap_err_p50_ms)"
curl -s -N -m 5 --raw -d '{}' "http://127.0.0.1:$port/v1/chat/completions" >"$T/ref.raw" 2>/dev/null
match "reference: chunked SSE ending in [DONE] and the last chunk" "$(tail -c 24 "$T/ref.raw" | tr -d '\r\n')" \
    'data: \[DONE\]0$'
eq "reference: 30 content events, like the server's chunks" \
    "$(grep -c '"delta":{"content":"[^"]' "$T/ref.raw")" 30

echo "stream-load: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
