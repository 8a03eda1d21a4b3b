#!/bin/bash
# bench/kind_stream_compare.sh: server CPU per streamed token, and the client's TTFT and gap
# errors, for kinds of stream against chat's plain text tokens, with ONE build in ONE run. Kinds:
#   text       chat completions, content tokens (the baseline)
#   tools      chat, tool-call argument fragments generated from a schema (8 parallel calls)
#   reasoning  chat, reasoning_content tokens, then a few content tokens
#   responses  the Responses API (POST /v1/responses), output_text deltas
#   anthropic  Anthropic Messages (POST /v1/messages), text_delta events
# Each run starts a fresh server pinned to core 0 and the load client (bench/load_client
# --stream 1, which counts each kind's token events) pinned to core 1; the kinds rotate every
# repetition. Server CPU is the on-CPU time of all its threads from /proc/PID/task/*/schedstat
# over the whole load, divided by the token events received.
#
#   bench/kind_stream_compare.sh [BIN]      (default build/llm-mock-server)
#
# Environment: SC_KINDS ("text tools reasoning"), SC_STREAMS=1000 concurrent streams, SC_TOKENS=200
# tokens each, SC_TTFT=0.5, SC_ITL=0.02 (seconds), SC_REPS=5. Output: one line per run, then per
# kind the medians (us/token, TTFT error p99, gap error p99) and the ratios to text.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${1:-build/llm-mock-server}
LC=build/bench/load_client
read -r -a KINDS <<<"${SC_KINDS:-text tools reasoning}"
STREAMS=${SC_STREAMS:-1000}
TOKENS=${SC_TOKENS:-200}
TTFT=${SC_TTFT:-0.5}
ITL=${SC_ITL:-0.02}
REPS=${SC_REPS:-5}
OUT=$(mktemp -d /tmp/lms-kind-compare.XXXXXX)
SPID=
source bench/lib.sh

[ -x "$LC" ] || { echo "kind_stream_compare: build $LC first (make bench-tools)" >&2; exit 2; }
trap 'stop; exit 130' INT TERM

: >"$OUT/runs.tsv"
printf 'run\tkind\tserver_cpu_ms\ttoken_events\tus_per_token\tstreams_ok\tbad\tttft_err_p99_ms\tgap_err_p99_ms\n'
nk=${#KINDS[@]}
for r in $(seq "$REPS"); do
    for j in $(seq 0 $((nk - 1))); do
        kind=${KINDS[$(( (r + j) % nk ))]}
        port=$(free_port)
        taskset -c 0 "$BIN" --host 127.0.0.1 --port "$port" --ttft-seconds "$TTFT" --itl-seconds "$ITL" \
            --output-tokens "$TOKENS" --reasoning-tokens $((TOKENS - 10)) --tool-calls 8 \
            --max-concurrent $((STREAMS + 100)) --worker-threads 1 2>/dev/null &
        SPID=$!
        wait_port "$port"
        c0=$(cpu_ns "$SPID")
        taskset -c 1 timeout 120 "$LC" --port "$port" --path "$(kind_path "$kind")" --connections "$STREAMS" --stream 1 \
            --ttft "$TTFT" --itl "$ITL" --body "$(kind_body "$kind" "$TOKENS")" --requests-per-conn 1 --ramp 1 --timeout 60 \
            --label "$kind" >"$OUT/load.txt" 2>&1
        c1=$(cpu_ns "$SPID")
        stop
        line=$(grep '^RESULT stream' "$OUT/load.txt")
        kv() { echo "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
        ev=$(kv token_events)
        bad=$(( $(kv streams_bad) + $(kv non2xx) + $(kv errors) ))
        us=$(awk -v a="$c1" -v b="$c0" -v n="$ev" 'BEGIN {if (n > 0) printf "%.3f", (a - b) / 1e3 / n; else print "nan"}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$kind" "$(( (c1 - c0) / 1000000 ))" "$ev" "$us" \
            "$(kv streams_ok)" "$bad" "$(kv ttft_err_p99_ms)" "$(kv gap_err_p99_ms)" | tee -a "$OUT/runs.tsv"
    done
done
med() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%s", v[int((NR + 1) / 2)]; else printf "nan"}'; }
col() { awk -F'\t' -v k="$1" -v c="$2" '$2 == k {print $c}' "$OUT/runs.tsv" | med; }
t_us=$(col text 5) t_ttft=$(col text 8) t_gap=$(col text 9)
for kind in "${KINDS[@]}"; do
    us=$(col "$kind" 5) ttft=$(col "$kind" 8) gap=$(col "$kind" 9)
    awk -v k="$kind" -v us="$us" -v tt="$ttft" -v g="$gap" -v bu="$t_us" -v bt="$t_ttft" -v bg="$t_gap" 'BEGIN {
        printf "%-9s us/token %s (%.3fx text), ttft err p99 %s ms (%.2fx), gap err p99 %s ms (%.2fx)\n",
            k, us, (bu > 0 ? us / bu : 0), tt, (bt > 0 ? tt / bt : 0), g, (bg > 0 ? g / bg : 0) }'
done
rm -rf "$OUT"
