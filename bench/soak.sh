#!/usr/bin/env bash
# soak: minutes of churn at thousands of concurrent connections (connect, request, disconnect,
# keep-alive, 503s, client aborts, streams, malformed input: bench/soak_client.py), sampling the
# server's RSS, open file descriptors, slots in use and open connections over time.
#
# usage: bench/soak.sh [BINARY]            (default build/llm-mock-server; `make soak` builds it)
#   SOAK_SECONDS (600)  SOAK_CONNS (3000)  SOAK_DELAY (0.5)  SOAK_MAX_CONCURRENT (500: 503s happen)
#   SOAK_SAMPLE_SECONDS (5)  SOAK_WARMUP_SECONDS (60)
# Writes bench/results/soak.csv (one row per sample), bench/results/soak-summary.txt,
# bench/results/soak-client.json (answers per behaviour, wrong answers) and, with gnuplot,
# bench/results/soak.png. A benchmark, not a test: it is not part of `make test`.
#
# "Growth after warm-up" compares the samples taken under load after SOAK_WARMUP_SECONDS: the
# first and the last minute (medians), and the maximum. File descriptors and slots are also
# compared before the load and 10 s after it ends (they must return to their idle values).
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
BIN=${1:-build/llm-mock-server}
SECS=${SOAK_SECONDS:-600}
CONNS=${SOAK_CONNS:-3000}
DELAY=${SOAK_DELAY:-0.5}
MAXC=${SOAK_MAX_CONCURRENT:-500}
EVERY=${SOAK_SAMPLE_SECONDS:-5}
WARMUP=${SOAK_WARMUP_SECONDS:-60}
OUT=bench/results
mkdir -p "$OUT"
CSV=$OUT/soak.csv
LOG=$OUT/soak-server.log
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$BIN" --host 127.0.0.1 --port "$port" --response-delay-seconds "$DELAY" --max-concurrent "$MAXC" \
    --header-timeout-seconds 5 --idle-timeout-seconds 10 >"$LOG" 2>&1 &
pid=$!
sampler=
trap 'kill $sampler 2>/dev/null; kill -KILL $pid 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$LOG" && break; sleep 0.05; done
t0=$(date +%s.%N)

sample() {  # one CSV row: seconds since start, RSS KiB, open fds, slots in use, open connections, CPU s
    local h rss fds cpu
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$pid/stat" 2>/dev/null)
    h=$(curl -s -m 5 "http://127.0.0.1:$port/health" | jq -r '"\(.active_requests),\(.open_connections)"' 2>/dev/null)
    echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'),${rss:-},${fds:-},${h:-,},${cpu:-}"
}
echo "seconds,rss_kib,open_fds,slots_in_use,open_connections,cpu_seconds" >"$CSV"
sample >>"$CSV"
idle_fds=$(tail -n 1 "$CSV" | cut -d, -f3)
(
    while kill -0 "$pid" 2>/dev/null; do
        sleep "$EVERY"
        sample >>"$CSV"
    done
) &
sampler=$!

echo "soak: $SECS s, $CONNS connections of churn, delay $DELAY s, MAX_CONCURRENT $MAXC, server pid $pid" >&2
python3 bench/soak_client.py "$port" "$SECS" "$CONNS" "$DELAY" "$OUT/soak-client.json"
load_end=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sleep 10
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
sample >>"$CSV"
after=$(tail -n 1 "$CSV")
kill -TERM "$pid"
wait "$pid"
rc=$?

python3 - "$CSV" "$OUT/soak-client.json" "$WARMUP" "$load_end" "$idle_fds" "$after" "$rc" >"$OUT/soak-summary.txt" <<'PY'
import csv, json, statistics, sys
path, client, warmup, load_end, idle_fds, after, rc = sys.argv[1:]
warmup, load_end = float(warmup), float(load_end)
rows = [r for r in csv.DictReader(open(path)) if r["rss_kib"]]
under = [r for r in rows if warmup <= float(r["seconds"]) <= load_end]
c = json.load(open(client))
def col(rs, k):
    return [float(r[k]) for r in rs if r[k] not in ("", "null")]
print("soak: %.0f s of churn, %d actors; server exit status %s" % (load_end, c["actors"], rc))
print("client: %d exchanges, %d wrong answers, client-side errors %s" %
      (c["exchanges"], c["wrong_answers"], json.dumps(c["client_errors"]) or "{}"))
print("answers: %s" % json.dumps(c["counts"]))
if c["wrong_examples"]:
    print("wrong answers (first ones): %s" % json.dumps(c["wrong_examples"]))
if len(under) >= 4:
    span = float(under[-1]["seconds"]) - float(under[0]["seconds"])
    n = max(1, int(60 / max(1e-9, span / max(1, len(under) - 1))))  # samples in a minute
    for key, unit, scale in (("rss_kib", "MiB", 1024), ("open_fds", "", 1), ("slots_in_use", "", 1),
                             ("open_connections", "", 1)):
        v = col(under, key)
        first, last = statistics.median(v[:n]), statistics.median(v[-n:])
        print("%-17s after warm-up (%.0f s): first minute median %.1f%s, last minute median %.1f%s, "
              "growth %+.1f%s, max %.1f%s" % (key, warmup, first / scale, unit, last / scale, unit,
                                              (last - first) / scale, unit, max(v) / scale, unit))
a = after.split(",")
print("idle: open fds %s before the load, %s 10 s after it; slots in use %s, open connections %s "
      "(the /health request itself)" % (idle_fds, a[2], a[3], a[4]))
PY
cat "$OUT/soak-summary.txt"

if command -v gnuplot >/dev/null; then
    gnuplot <<EOF
set terminal pngcairo size 1100,600 font ",10" noenhanced
set output "$OUT/soak.png"
set datafile separator ","
set key top left
set xlabel "seconds"
set ylabel "RSS (MiB)"
set y2label "open fds, slots in use, open connections"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set title "llm-mock-server soak: $CONNS connections of churn, delay ${DELAY} s, MAX_CONCURRENT $MAXC"
set arrow from $WARMUP, graph 0 to $WARMUP, graph 1 nohead dt 2
set arrow from $load_end, graph 0 to $load_end, graph 1 nohead dt 2
plot "$CSV" using 1:(\$2/1024) skip 1 with lines lw 2 title "RSS (MiB)" axes x1y1, \
     "" using 1:3 skip 1 with lines title "open fds" axes x1y2, \
     "" using 1:4 skip 1 with lines title "slots in use" axes x1y2, \
     "" using 1:5 skip 1 with lines title "open connections" axes x1y2
EOF
    echo "plot: $OUT/soak.png"
else
    echo "plot: gnuplot not installed (apt-get install gnuplot-nox); the data is in $CSV"
fi
