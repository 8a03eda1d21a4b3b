#!/bin/bash
# bench/callgrind.sh: user-space instructions per delay-0 chat request, counted by valgrind's
# callgrind (noise-free, unlike CPU time on a shared machine). One worker thread; a warm-up
# load, then the counters are zeroed, CONNS connections send REQS requests each
# (bench/load_client, closed loop), and the total Ir is divided by the request count.
#
#   bench/callgrind.sh BIN [BIN...]      prints "BIN Ir/request" per binary
#
# With CG_KINDS (e.g. "text responses anthropic", the kinds of bench/lib.sh): streams instead,
# per binary and kind: CG_CONNS streams of CG_TOKENS (200) tokens at ITL 1 ms, one each, after a
# warm-up of the same; prints "BIN KIND Ir/token" (all Ir over the token events received).
#
# With CG_ENVS (e.g. "- RATE_LIMIT_RPM=1000000000"): each binary once per entry, the server
# run with that environment setting ("-": none); prints "BIN ENV Ir/request" (same run, side
# by side: a setting's cost per request).
#
# Environment: CG_CONNS=64, CG_REQS=200, CG_KEEP=1 keeps the callgrind.out files (for
# callgrind_annotate) in /tmp/lms-callgrind.*/.
set -u
cd "$(dirname "$0")/.." || exit 1
LC=build/bench/load_client
CONNS=${CG_CONNS:-64}
REQS=${CG_REQS:-200}
OUT=$(mktemp -d /tmp/lms-callgrind.XXXXXX)
source bench/lib.sh

TOKENS=${CG_TOKENS:-200}
SERVER_ARGS=()
[ -n "${CG_KINDS:-}" ] && SERVER_ARGS=(--ttft-seconds 0.01 --itl-seconds 0.001 --output-tokens "$TOKENS" --tool-calls 8
    --reasoning-tokens $((TOKENS - 10)) --max-concurrent $((CONNS + 100)))
i=0
# One server under callgrind: warm-up, zero, measured load, dump; IR the measured Ir, and the
# measured load's output in $OUT/load.$i.txt.
# run_one BIN LOAD_ARGS... (the load client's arguments after --port)
RUN_ENV=()
run_one() {
    local bin=$1 port pid f
    shift
    i=$((i + 1))
    port=$(free_port)
    env "${RUN_ENV[@]}" valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$i.%p" --dump-instr=no \
        "$bin" --host 127.0.0.1 --port "$port" --response-delay-seconds 0 --worker-threads 1 "${SERVER_ARGS[@]}" \
        2>"$OUT/vg.$i.log" &
    pid=$!
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    timeout 120 "$LC" --port "$port" "$@" >/dev/null 2>&1
    callgrind_control -z "$pid" >/dev/null 2>&1
    timeout 300 "$LC" --port "$port" "$@" >"$OUT/load.$i.txt" 2>&1
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # The dump taken after the measured load (the highest-numbered part file).
    f=$(ls "$OUT"/cg.$i.$pid.* 2>/dev/null | sort -t. -k4 -n | head -1)
    IR=$(awk '/^summary:|^totals:/ {print $2; exit}' "$f")
}
for bin in "$@"; do
    if [ -n "${CG_ENVS:-}" ]; then
        for e in $CG_ENVS; do
            RUN_ENV=()
            [ "$e" = - ] || RUN_ENV=("$e")
            run_one "$bin" --connections "$CONNS" --requests-per-conn "$REQS"
            n=$((CONNS * REQS))
            echo "$bin $e $(awk -v ir="$IR" -v n="$n" 'BEGIN {printf "%.0f", ir / n}') Ir/request ($n requests)"
        done
        RUN_ENV=()
        continue
    fi
    if [ -z "${CG_KINDS:-}" ]; then
        run_one "$bin" --connections "$CONNS" --requests-per-conn "$REQS"
        ir=$IR
        n=$((CONNS * REQS))
        echo "$bin $(awk -v ir="$ir" -v n="$n" 'BEGIN {printf "%.0f", ir / n}') Ir/request ($n requests)"
        continue
    fi
    for kind in $CG_KINDS; do
        run_one "$bin" --connections "$CONNS" --requests-per-conn 1 --stream 1 --ttft 0.01 --itl 0.001 \
            --path "$(kind_path "$kind")" --body "$(kind_body "$kind" "$TOKENS")" --timeout 200
        ir=$IR
        ev=$(grep '^RESULT stream' "$OUT/load.$i.txt" | tr ' ' '\n' | awk -F= '$1 == "token_events" {print $2}')
        echo "$bin $kind $(awk -v ir="$ir" -v n="${ev:-0}" 'BEGIN {if (n > 0) printf "%.0f", ir / n; else print "nan"}') Ir/token ($ev token events)"
    done
done
[ "${CG_KEEP:-0}" = 1 ] || rm -rf "$OUT"
