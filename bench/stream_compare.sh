#!/bin/bash
# bench/stream_compare.sh: server CPU per streamed token, two builds side by side in ONE run, for
# before/after figures of a change to the streaming path (the answer plan's schedule, a renderer,
# the engine's stream writes). Each run starts a fresh server pinned to core 0 and the load client
# (bench/load_client --stream 1) pinned to core 1; the two builds alternate, the order rotating
# every repetition. Server CPU is the on-CPU time of all its threads from /proc/PID/task/*/schedstat
# (nanoseconds, not 10 ms ticks), over the whole load, divided by the token events received.
#
#   bench/stream_compare.sh BEFORE_BIN AFTER_BIN
#
# Environment: SC_STREAMS=1000 concurrent streams, SC_TOKENS=200 tokens each, SC_TTFT=0.5,
# SC_ITL=0.02 (seconds), SC_REPS=5. Output: one line per run, then the median per build and the
# ratio after/before of the medians.
set -u
cd "$(dirname "$0")/.." || exit 1
BEFORE=${1:?before binary}
AFTER=${2:?after binary}
LC=build/bench/load_client
STREAMS=${SC_STREAMS:-1000}
TOKENS=${SC_TOKENS:-200}
TTFT=${SC_TTFT:-0.5}
ITL=${SC_ITL:-0.02}
REPS=${SC_REPS:-5}
OUT=$(mktemp -d /tmp/lms-stream-compare.XXXXXX)
SPID=
source bench/lib.sh

[ -x "$LC" ] || { echo "stream_compare: build $LC first (make bench-tools)" >&2; exit 2; }
trap 'stop; exit 130' INT TERM

: >"$OUT/runs.tsv"
printf 'run\tserver\tserver_cpu_ms\ttoken_events\tus_per_token\tstreams_ok\tbad\n'
for r in $(seq "$REPS"); do
    if [ $((r % 2)) = 1 ]; then order="before after"; else order="after before"; fi
    for kind in $order; do
        bin=$BEFORE
        [ "$kind" = after ] && bin=$AFTER
        port=$(free_port)
        taskset -c 0 "$bin" --host 127.0.0.1 --port "$port" --ttft-seconds "$TTFT" --itl-seconds "$ITL" \
            --output-tokens "$TOKENS" --max-concurrent $((STREAMS + 100)) --worker-threads 1 2>/dev/null &
        SPID=$!
        wait_port "$port"
        c0=$(cpu_ns "$SPID")
        taskset -c 1 timeout 120 "$LC" --port "$port" --connections "$STREAMS" --stream 1 --ttft "$TTFT" --itl "$ITL" \
            --tokens "$TOKENS" --requests-per-conn 1 --ramp 1 --timeout 60 --label "$kind" >"$OUT/load.txt" 2>&1
        c1=$(cpu_ns "$SPID")
        stop
        line=$(grep '^RESULT stream' "$OUT/load.txt")
        kv() { echo "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
        ev=$(kv token_events)
        ok=$(kv streams_ok)
        bad=$(( $(kv streams_bad) + $(kv non2xx) + $(kv errors) ))
        us=$(awk -v a="$c1" -v b="$c0" -v n="$ev" 'BEGIN {if (n > 0) printf "%.3f", (a - b) / 1e3 / n; else print "nan"}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$kind" "$(( (c1 - c0) / 1000000 ))" "$ev" "$us" "$ok" "$bad" |
            tee -a "$OUT/runs.tsv"
    done
done
med() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%s", v[int((NR + 1) / 2)]; else printf "nan"}'; }
b=$(awk -F'\t' '$2 == "before" {print $5}' "$OUT/runs.tsv" | med)
a=$(awk -F'\t' '$2 == "after" {print $5}' "$OUT/runs.tsv" | med)
echo
echo "server CPU per token event, medians of $REPS runs ($STREAMS streams x $TOKENS tokens, TTFT ${TTFT}s, ITL ${ITL}s):"
echo "before $b us, after $a us, after/before $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')"
rm -rf "$OUT"
