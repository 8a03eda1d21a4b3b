#!/bin/bash
# bench/callgrind.sh: user-space instructions per delay-0 chat request, counted by valgrind's
# callgrind (noise-free, unlike CPU time on a shared machine). One worker thread; a warm-up
# load, then the counters are zeroed, CONNS connections send REQS requests each
# (bench/load_client, closed loop), and the total Ir is divided by the request count.
#
#   bench/callgrind.sh BIN [BIN...]      prints "BIN Ir/request" per binary
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

i=0
for bin in "$@"; do
    i=$((i + 1))
    port=$(free_port)
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$i.%p" --dump-instr=no \
        "$bin" --host 127.0.0.1 --port "$port" --response-delay-seconds 0 --worker-threads 1 \
        2>"$OUT/vg.$i.log" &
    pid=$!
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    timeout 60 "$LC" --port "$port" --connections "$CONNS" --requests-per-conn 20 >/dev/null 2>&1
    callgrind_control -z "$pid" >/dev/null 2>&1
    timeout 120 "$LC" --port "$port" --connections "$CONNS" --requests-per-conn "$REQS" >"$OUT/load.$i.txt" 2>&1
    callgrind_control -d "$pid" >/dev/null 2>&1
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # The dump taken after the measured load (the highest-numbered part file).
    f=$(ls "$OUT"/cg.$i.$pid.* 2>/dev/null | sort -t. -k4 -n | head -1)
    ir=$(awk '/^summary:|^totals:/ {print $2; exit}' "$f")
    n=$((CONNS * REQS))
    echo "$bin $(awk -v ir="$ir" -v n="$n" 'BEGIN {printf "%.0f", ir / n}') Ir/request ($n requests; $f)"
done
[ "${CG_KEEP:-0}" = 1 ] || rm -rf "$OUT"
