#!/bin/bash
# bench/compare.sh: two builds of llm-mock-server and the reference server side by side in ONE
# run, at delay 0 (wrk + bench/post.lua), for before/after figures of a change to hot code.
# Each run starts a fresh server pinned to core 0 (taskset) and wrk pinned to core 1; the
# servers alternate within every repetition so that a noisy neighbour hits all of them alike.
# Server CPU per request is utime+stime from /proc/PID/stat over the measured run.
#
#   bench/compare.sh BEFORE_BIN AFTER_BIN
#
# Environment: COMPARE_LEVELS="64 256", COMPARE_REPS=5, COMPARE_SECONDS=5, COMPARE_AFTER_ENV
# (one VAR=VALUE the after server runs with: a setting's cost with one build passed twice, e.g.
# COMPARE_AFTER_ENV=RATE_LIMIT_RPM=1000000000 bench/compare.sh BIN BIN).
# Output: one line per run (level, server, CPU us/request, requests/s, non-2xx, ms the server
# and wrk waited for their cores, user-space CPU us/request (utime alone, 10 ms ticks)), then medians per server and level, over the clean runs
# (neither waited more than 2% of the run: no neighbour on the cores) and over all runs.
set -u
cd "$(dirname "$0")/.." || exit 1
BEFORE=${1:?before binary}
AFTER=${2:?after binary}
REF=build/bench/reference_server
LEVELS=${COMPARE_LEVELS:-64 256}
REPS=${COMPARE_REPS:-5}
SECS=${COMPARE_SECONDS:-5}
HZ=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/lms-compare.XXXXXX)
BODY=$OUT/body.json
SPID=
source bench/lib.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
user_ticks() { awk '{print $14}' "/proc/$1/stat"; }
trap 'stop; exit 130' INT TERM

# The body the reference serves: ours, captured once.
port=$(free_port)
"$AFTER" --host 127.0.0.1 --port "$port" --response-delay-seconds 0 --worker-threads 1 2>/dev/null &
SPID=$!
wait_port "$port"
curl -s -m 2 -X POST "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}' -o "$BODY"
stop
[ -s "$BODY" ] || { echo "compare: no body captured" >&2; exit 1; }

: >"$OUT/runs.tsv"
for r in $(seq "$REPS"); do
    for c in $LEVELS; do
        # Rotate the order each repetition.
        case $((r % 3)) in
        1) order="before after reference" ;;
        2) order="after reference before" ;;
        0) order="reference before after" ;;
        esac
        for kind in $order; do
            port=$(free_port)
            case $kind in
            before) taskset -c 0 "$BEFORE" --host 127.0.0.1 --port "$port" --response-delay-seconds 0 2>/dev/null & ;;
            after) env ${COMPARE_AFTER_ENV:+"$COMPARE_AFTER_ENV"} taskset -c 0 "$AFTER" --host 127.0.0.1 --port "$port" \
                --response-delay-seconds 0 2>/dev/null & ;;
            reference) taskset -c 0 "$REF" --port "$port" --body "$BODY" --delay-ms 0 --max-concurrent 655350 2>/dev/null & ;;
            esac
            SPID=$!
            wait_port "$port"
            url=http://127.0.0.1:$port/v1/chat/completions
            taskset -c 1 wrk -t1 -c"$c" -d1s -s bench/post.lua "$url" >/dev/null 2>&1
            t0=$(cpu_ticks "$SPID")
            u0=$(user_ticks "$SPID")
            q0=$(runq_ns "$SPID")
            taskset -c 1 wrk -t1 -c"$c" -d"${SECS}s" -s bench/post.lua "$url" >"$OUT/wrk.txt" 2>&1 &
            wpid=$!
            sleep 0.2
            w0=$(runq_ns "$wpid")
            sleep "$(awk -v s="$SECS" 'BEGIN {print s - 0.5}')"
            w1=$(runq_ns "$wpid")
            wait "$wpid"
            t1=$(cpu_ticks "$SPID")
            u1=$(user_ticks "$SPID")
            q1=$(runq_ns "$SPID")
            stop
            n=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
            rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk.txt")
            bad=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk.txt")
            us=$(awk -v a="$t1" -v b="$t0" -v n="$n" -v hz="$HZ" 'BEGIN {printf "%.2f", (a - b) * 1e6 / hz / n}')
            uu=$(awk -v a="$u1" -v b="$u0" -v n="$n" -v hz="$HZ" 'BEGIN {printf "%.2f", (a - b) * 1e6 / hz / n}')
            # Waiting for a CPU (ms over the run): a neighbour shared the server's or wrk's core.
            qs=$(( (q1 - q0) / 1000000 ))
            qw=$(( (w1 - w0) / 1000000 ))
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$kind" "$us" "$rps" "${bad:-0}" "$qs" "$qw" "$uu" | tee -a "$OUT/runs.tsv"
        done
    done
done

# Clean runs: neither the server nor wrk waited for its core more than 2% of the run.
CLEAN_MS=$(awk -v s="$SECS" 'BEGIN {printf "%d", s * 1000 * 0.02}')
echo
echo "medians of $REPS runs x ${SECS}s (server on core 0, wrk -t1 on core 1); clean: runs in which neither"
echo "waited for its core more than ${CLEAN_MS} ms (a neighbour's load); all: every run"
printf '%-6s %-10s %14s %12s %12s %8s %14s %12s\n' conns server "CPU us/req" "user us/req" "requests/s" "clean" "all: us/req" "requests/s"
med() { sort -g | awk '{v[NR] = $1} END {if (NR) printf "%s", v[int((NR + 1) / 2)]; else printf "-"}'; }
for c in $LEVELS; do
    for kind in before after reference; do
        sel() { awk -F'\t' -v c="$c" -v k="$kind" -v m="$CLEAN_MS" -v f="$1" -v clean="$2" \
            '$1 == c && $2 == k && (clean == 0 || ($6 <= m && $7 <= m)) {print $f}' "$OUT/runs.tsv"; }
        printf '%-6s %-10s %14s %12s %12s %8s %14s %12s\n' "$c" "$kind" "$(sel 3 1 | med)" "$(sel 8 1 | med)" "$(sel 4 1 | med)" \
            "$(sel 3 1 | wc -l)/$REPS" "$(sel 3 0 | med)" "$(sel 4 0 | med)"
    done
done
echo "(raw runs: $OUT/runs.tsv)"
