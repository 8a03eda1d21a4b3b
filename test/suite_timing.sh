#!/usr/bin/env bash
# TRACE_TIMING and the admission time under a burst (the admission-latency issue): a burst of
# 2,000 connections, two requests each, delay 1 s, traced; every request's phases are in the
# tables, in order, and joined with the client's own log (bench/load_client --answers-log).
# Never early: each answer's first byte leaves at least the delay after the request's last
# byte was read (not after the loop's wakeup), and reaches the client at least the delay after
# its send. Also: the table's grant time of a queued request; the fd table sized at startup;
# TRACE_TIMING off writes nothing;
# an unwritable TRACE_TIMING_FILE is said in the log and the exit stays clean.
# usage: test/suite_timing.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "timing: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary
LC=$HERE/../build/bench/load_client

# fig NAME: a figure of timing_check.py's output ($T/check).
fig() { awk -v k="$1" '$1 == k {print $2}' "$T/check"; }

if [ ! -x "$LC" ]; then
    fail "bench tools built" "build/bench/load_client missing (make bench-tools)"
elif start_server burst TRACE_TIMING=10000 TRACE_TIMING_FILE="$T/trace" RESPONSE_DELAY_SECONDS=1 MAX_CONCURRENT=5000; then
    timeout 60 "$LC" --port "$SRV_PORT" --connections 2000 --requests-per-conn 2 --delay 1 --timeout 30 \
        --answers-log "$T/answers" >"$T/load.txt" 2>&1
    res=$(grep '^RESULT' "$T/load.txt")
    eq "burst: 4,000 answers, no errors" "$(echo "$res" | grep -oE ' ok=[0-9]+ non2xx=[0-9]+ s503=[0-9]+ errors=[0-9]+')" \
        " ok=4000 non2xx=0 s503=0 errors=0"
    stop_server burst
    traced=$(sed -nE 's/.*TRACE_TIMING: worker [0-9]+ traced ([0-9]+) requests.*/\1/p' "$SRV_LOG" | awk '{s += $1} END {print s + 0}')
    eq "the log says where the tables went, 4,000 requests traced" "$traced" 4000
    ls "$T"/trace.*.tsv >/dev/null 2>&1 && python3 "$HERE/timing_check.py" "$T/answers" 1 "$T"/trace.*.tsv >"$T/check"
    eq "every answer is in the tables and joins the client's log" "$(fig records)|$(fig joined)|$(fig first)" "4000|4000|2000"
    eq "phases in order: send <= read <= complete <= written" "$(fig order)" 0
    eq "a connection's first request has its accept time (connect <= accept <= read), later ones none" \
        "$(fig accept_missing)" 0
    eq "admitted at or after the request's last byte was read (not at the loop's wakeup)" \
        "$(fig admitted_before_complete)" 0
    eq "deadline = admission + RESPONSE_DELAY_SECONDS exactly" "$(fig plan_not_delay)" 0
    eq "no answer written before its deadline" "$(fig written_before_due)" 0
    eq "no answer out less than the delay after its request's last byte" "$(fig early_from_last_byte)" 0
    eq "no answer reached the client less than the delay after its send" "$(fig client_early)" 0
    python3 "$HERE/../bench/phases.py" "$T/answers" 1 "$T"/trace.*.tsv >"$T/phases" 2>&1
    match "bench/phases.py joins them and counts no early answer" "$(grep '^RESULT' "$T/phases")" \
        'joined=4000 missing=0 early=0 '
fi

echo '{"model":"qwen-plus","messages":[{"role":"user","content":"a"}]}' >"$T/chat.json"

# A queued request's grant: one slot, two requests; the second waits for the first.
if start_server queue TRACE_TIMING=10 TRACE_TIMING_FILE="$T/q" RESPONSE_DELAY_SECONDS=0.3 MAX_CONCURRENT=1 MAX_WAITING=4; then
    chat "$T/q1" "$URL/v1/chat/completions" "$T/chat.json" &
    c1=$!
    sleep 0.1
    chat "$T/q2" "$URL/v1/chat/completions" "$T/chat.json"
    wait "$c1"
    stop_server queue
    # The rows, by written time: the first has no grant; the second was granted when the first was
    # written, and its deadline is its grant + 0.3 s.
    rows=$(awk 'FNR > 1' "$T"/q.*.tsv | sort -t$'\t' -k11,11n)
    first=$(echo "$rows" | sed -n 1p)
    second=$(echo "$rows" | sed -n 2p)
    eq "two rows" "$(echo "$rows" | grep -c .)" 2
    eq "the first did not wait (granted_ns 0)" "$(echo "$first" | cut -f9)" 0
    g=$(echo "$second" | cut -f9)
    w1=$(echo "$first" | cut -f11)
    fcheck "the second was granted after the first was written, within 50 ms" "a >= b && a - b < 50e6" "$g" "$w1"
    fcheck "its deadline is its grant + 0.3 s (to the ms)" "a - b >= 299e6 && a - b <= 301e6" "$(echo "$second" | cut -f10)" "$g"
fi

if start_server off RESPONSE_DELAY_SECONDS=0 TRACE_TIMING_FILE="$T/off"; then
    # The fd table is sized at startup (up to 65,536 fds), not grown by accept() under load:
    # each growth of a threaded process's table waits out an RCU grace period (10-30 ms).
    fdsize=$(awk '$1 == "FDSize:" {print $2}' "/proc/$SRV_PID/status")
    want=$(ulimit -n)
    [ "$want" = unlimited ] || [ "$want" -gt 65536 ] && want=65536
    fcheck "the fd table holds min(open-file limit, 65,536) fds from the start (FDSize $fdsize)" "a >= b" "$fdsize" "$want"
    chat "$T/o1" "$URL/v1/chat/completions" "$T/chat.json"
    stop_server off
    eq "TRACE_TIMING=0 (the default): no table, no log line" \
        "$(ls "$T"/off.*.tsv 2>/dev/null | wc -l)|$(grep -c TRACE_TIMING "$SRV_LOG")" "0|0"
fi

if start_server nowhere RESPONSE_DELAY_SECONDS=0 TRACE_TIMING=5 TRACE_TIMING_FILE=/nonexistent/dir/t; then
    chat "$T/n1" "$URL/v1/chat/completions" "$T/chat.json"
    stop_server nowhere "SIGTERM with an unwritable TRACE_TIMING_FILE exits 0"
    contains "the log names the file it cannot write" "$SRV_LOG" "TRACE_TIMING: cannot write /nonexistent/dir/t.0.tsv"
fi

echo "timing: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
