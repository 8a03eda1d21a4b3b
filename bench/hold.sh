#!/bin/bash
# hold: CONNS keep-alive clients (wrk) each holding one delayed chat request, against the
# server pinned to core 0 (and, where cgroup v1 is writable, inside a fresh memory cgroup),
# wrk pinned to core 1. Reports the delay error (wrk's latency minus the delay, and the
# server's own lateness histogram) and the memory per held request:
#   (cgroup peak - cgroup idle) / CONNS, and (RSS at peak - RSS idle) / CONNS.
# usage: bench/hold.sh [CONNS] [DELAY_SECONDS] [BINARY]
set -u
conns=${1:-5000}
delay=${2:-10}
bin=${3:-build/llm-mock-server}
port=$((20000 + RANDOM % 20000))
duration=$((2 * ${delay%.*} + 3))
cg=/sys/fs/cgroup/memory/lms-hold-$$
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
}
trap cleanup EXIT
use_cg=0
if mkdir "$cg" 2>/dev/null; then
    echo $((1 << 30)) > "$cg/memory.limit_in_bytes" && use_cg=1
fi
launch() {
    if [ $use_cg = 1 ]; then echo $BASHPID > "$cg/cgroup.procs"; fi
    exec taskset -c 0 "$bin" --host 127.0.0.1 --port "$port" --response-delay-seconds "$delay" \
        --max-concurrent $((conns + 100)) 2>/tmp/lms-hold-$$.log
}
launch &
pid=$!
for _ in $(seq 50); do curl -s -m 1 "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2 * 1024}' /proc/$pid/status; }
cg_usage() { [ $use_cg = 1 ] && cat "$cg/memory.usage_in_bytes" || echo 0; }
idle_rss=$(rss)
idle_cg=$(cg_usage)
[ $use_cg = 1 ] && echo 0 > "$cg/memory.max_usage_in_bytes" 2>/dev/null
wrkout=/tmp/lms-hold-wrk-$$.txt
taskset -c 1 wrk -t1 -c"$conns" -d"${duration}s" --timeout $((duration + 10))s --latency \
    -s bench/post.lua "http://127.0.0.1:$port/v1/chat/completions" >"$wrkout" 2>&1 &
wrkpid=$!
# Sample at the middle of the second delay period, when every connection holds a request.
sleep "$(awk -v d="$delay" 'BEGIN { print d * 1.5 + 1 }')"
peak_rss=$(rss)
held=$(curl -s -m 2 "http://127.0.0.1:$port/health" | jq .active_requests)
peak_cg=$(cg_usage)
wait $wrkpid
sed 's/^/wrk /' "$wrkout"
rm -f "$wrkout"
metrics=$(curl -s -m 2 "http://127.0.0.1:$port/metrics")
echo "connections $conns, delay ${delay}s, held at sample $held, cgroup: $([ $use_cg = 1 ] && echo "v1 memory, 1 GiB" || echo none)"
echo "rss idle $((idle_rss / 1024)) KiB, at peak $((peak_rss / 1024)) KiB, per held request $(( (peak_rss - idle_rss) / (held > 0 ? held : 1) )) bytes"
if [ $use_cg = 1 ]; then
    echo "cgroup idle $((idle_cg / 1024)) KiB, at peak $((peak_cg / 1024)) KiB, per held request $(( (peak_cg - idle_cg) / (held > 0 ? held : 1) )) bytes"
fi
echo "$metrics" | grep -E '^llm_mock_response_lateness_seconds_(bucket|sum|count)' | sed 's/^/server /'
