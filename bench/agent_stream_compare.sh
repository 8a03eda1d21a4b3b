#!/bin/bash
# bench/agent_stream_compare.sh: server CPU per streamed token for the agent answers against plain
# text tokens, with ONE build in ONE run: "text" (content tokens), "tools" (tool-call argument
# fragments generated from a schema: 8 parallel calls), "reasoning" (reasoning_content tokens, then
# a few content tokens). Each run starts a fresh server pinned to core 0 and the load client
# (bench/load_client --stream 1, which counts every content, reasoning and argument fragment as a
# token) pinned to core 1; the kinds rotate every repetition. Server CPU is the on-CPU time of all
# its threads from /proc/PID/task/*/schedstat over the whole load, divided by the token events
# received.
#
#   bench/agent_stream_compare.sh [BIN]      (default build/llm-mock-server)
#
# Environment: SC_STREAMS=1000 concurrent streams, SC_TOKENS=200 tokens each (text; reasoning is
# SC_TOKENS - 10 reasoning + 10 content), SC_TTFT=0.5, SC_ITL=0.02 (seconds), SC_REPS=5. Output:
# one line per run, the median per kind, and the ratios tools/text and reasoning/text.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${1:-build/llm-mock-server}
LC=build/bench/load_client
STREAMS=${SC_STREAMS:-1000}
TOKENS=${SC_TOKENS:-200}
TTFT=${SC_TTFT:-0.5}
ITL=${SC_ITL:-0.02}
REPS=${SC_REPS:-5}
OUT=$(mktemp -d /tmp/lms-agent-compare.XXXXXX)
SPID=
source bench/lib.sh

[ -x "$LC" ] || { echo "agent_stream_compare: build $LC first (make bench-tools)" >&2; exit 2; }
trap 'stop; exit 130' INT TERM

MSG='"messages":[{"role":"user","content":"Hello"}],"stream":true'
# Arguments of about 25 tokens per call ({"city":"…","days":N,"tags":["…","…"]}), 8 calls.
TOOL='{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo","Lima"]},"days":{"type":"integer","minimum":1,"maximum":7},"tags":{"type":"array","items":{"type":"string","minLength":4,"maxLength":8},"minItems":2,"maxItems":2}},"required":["city","days","tags"],"additionalProperties":false}}}'
body() {
    case $1 in
    text) printf '{"model":"qwen-plus",%s,"max_tokens":%s}' "$MSG" "$TOKENS" ;;
    tools) printf '{"model":"qwen-plus",%s,"tools":[%s],"tool_choice":"required"}' "$MSG" "$TOOL" ;;
    reasoning) printf '{"model":"qwen-plus",%s,"enable_thinking":true,"max_tokens":10}' "$MSG" ;;
    esac
}
: >"$OUT/runs.tsv"
printf 'run\tkind\tserver_cpu_ms\ttoken_events\tus_per_token\tstreams_ok\tbad\n'
kinds=(text tools reasoning)
for r in $(seq "$REPS"); do
    for j in 0 1 2; do
        kind=${kinds[$(( (r + j) % 3 ))]}
        port=$(free_port)
        taskset -c 0 "$BIN" --host 127.0.0.1 --port "$port" --ttft-seconds "$TTFT" --itl-seconds "$ITL" \
            --output-tokens "$TOKENS" --reasoning-tokens $((TOKENS - 10)) --tool-calls 8 \
            --max-concurrent $((STREAMS + 100)) --worker-threads 1 2>/dev/null &
        SPID=$!
        wait_port "$port"
        c0=$(cpu_ns "$SPID")
        taskset -c 1 timeout 120 "$LC" --port "$port" --connections "$STREAMS" --stream 1 --ttft "$TTFT" --itl "$ITL" \
            --body "$(body "$kind")" --requests-per-conn 1 --ramp 1 --timeout 60 --label "$kind" >"$OUT/load.txt" 2>&1
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
t=$(awk -F'\t' '$2 == "text" {print $5}' "$OUT/runs.tsv" | med)
l=$(awk -F'\t' '$2 == "tools" {print $5}' "$OUT/runs.tsv" | med)
g=$(awk -F'\t' '$2 == "reasoning" {print $5}' "$OUT/runs.tsv" | med)
echo "median us/token: text $t, tools $l, reasoning $g"
awk -v t="$t" -v l="$l" -v g="$g" 'BEGIN {printf "ratio tools/text %.3f, reasoning/text %.3f\n", l / t, g / t}'
rm -rf "$OUT"
