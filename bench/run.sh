#!/bin/bash
# bench/run.sh (`make bench`): every scenario against three servers in one bounded run:
#   ours       build/llm-mock-server
#   nginx      Debian's nginx + echo module, configured by bench/nginx.conf (the baseline)
#   reference  build/bench/reference_server (the speed-of-light yardstick; not the product);
#              in the stream scenario build/bench/reference_stream (its per-token counterpart)
# Each server runs in a fresh cgroup limited to 1 CPU and 1 GiB (cgroup v1 cpu + cpuacct +
# memory, or v2), pinned to core 0 with taskset; the load tool is pinned to core 1. Without a
# writable cgroup it says so and pins with taskset only.
#
# Scenarios (figures in bench/results/<time>/, the table on stdout and in summary.md):
#   micro       parser / timer wheel / rendering micro-benchmarks (build/bench/*_bench)
#   hold        delay HOLD_DELAY (10 s); 1,000 / 5,000 / 15,000 held requests on keep-alive
#               connections (bench/load_client), twice: "burst" (all connections opened at once,
#               two requests each: wrk's pattern) and "paced" (open loop, deadlines spread
#               evenly): delay error of first requests (they include the wait in the accept
#               queue) and on established connections; cgroup peak memory and RSS, per held request
#   throughput  delay 0; 64 and 256 keep-alive connections (wrk + bench/post.lua), THROUGHPUT_REPS
#               runs of THROUGHPUT_SECONDS: requests/s, p99, server CPU per 100k requests (medians)
#   reject      MAX_CONCURRENT=1000, 2,000 connections, delay 60 s (bench/load_client): the 503s'
#               rate (closed loop) and latency at REJECT_RATE/s (open loop), medians of REJECT_REPS
#   stream      SSE chat streams, TTFT STREAM_TTFT (0.5 s), ITL STREAM_ITL (0.02 s), STREAM_TOKENS
#               (200) tokens, STREAM_PER_CONN (2) streams per keep-alive connection, first requests
#               spread over STREAM_RAMP (1 s); 1,000 and 2,000 concurrent streams (bench/load_client
#               --stream 1), ours and reference_stream alternately, STREAM_REPS (3) runs each
#               (medians): TTFT error and inter-token gap error p50/p99, token events/s, server
#               CPU per token event (nginx has no streaming: not run)
#   ratelimit   the rate limiter's cost per delay-0 request, on (RATE_LIMIT_RPM=1000000000, never
#               limiting, one key) against off, one build in one run: bench/compare.sh's server
#               CPU per request (RATELIMIT_REPS, 3) and, when valgrind is installed,
#               bench/callgrind.sh's instructions per request
#   kinds       the stream of each dialect and answer kind beside chat's plain text, in one run
#               (bench/kind_stream_compare.sh: text, tools, reasoning, the Responses API,
#               Anthropic Messages; 1,000 streams of 200 tokens, KINDS_REPS (3) runs each, the
#               kinds rotating): server CPU per token event, TTFT and gap error p99, as ratios
#               to text (medians)
#   queue       vLLM's waiting queue: MAX_CONCURRENT=1000, MAX_WAITING=10000, 10,000 requests offered
#               at QUEUE_CONNECT_RATE (5,000/s, one per connection), delay QUEUE_DELAY (1 s) + prefill
#               0.05 s, QUEUE_REPS (3) runs (medians), beside the same offer with every request running
#               at once (MAX_CONCURRENT=10000: no wait): queue-time error = what the client saw minus
#               the wait the FIFO planned plus prefill and delay (bench/queue_error.py), p50/p99/max
#   wrkburst    the admission-latency issue's burst as a user runs it: wrk -t1 -c WRK_BURST_CONNS (15,000)
#               -d WRK_BURST_SECONDS (25 s) --timeout 15s, the chat POST (bench/burst.lua), delay 10 s,
#               so two rounds a connection; ours, the reference and nginx alternating, WRK_BURST_REPS (2)
#               runs each (medians): delay error = wrk's latency - 10 s, p50/p99/max (burst.lua prints them
#               in us), requests done, server CPU, and the server core's steal ticks (/proc/stat) in the run
#
# Environment: BENCH_SCENARIOS="micro hold throughput reject stream kinds ratelimit" (e.g. BENCH_SCENARIOS=stream
# for that one alone), BENCH_SERVERS="ours nginx reference", HOLD_LEVELS="1000 5000 15000", HOLD_DELAY=10, THROUGHPUT_LEVELS="64 256",
# THROUGHPUT_SECONDS=5, THROUGHPUT_REPS=3, REJECT_SECONDS=4, REJECT_REPS=3, REJECT_RATE=5000,
# BENCH_CPU_SHARES=10240, BENCH_NO_CGROUP=1 (the taskset-only fallback, as without cgroups),
# STREAM_LEVELS="1000 2000", STREAM_TTFT=0.5, STREAM_ITL=0.02, STREAM_TOKENS=200, STREAM_PER_CONN=2,
# STREAM_RAMP=1, STREAM_REPS=3, STREAM_BUSY_POLL=0, QUEUE_DELAY=1, QUEUE_CONNECT_RATE=5000, QUEUE_REPS=3,
# WRK_BURST_CONNS=15000, WRK_BURST_SECONDS=25, WRK_BURST_REPS=3.
set -u
shopt -u patsub_replacement 2>/dev/null || true  # '&' in a replacement is literal

cd "$(dirname "$0")/.." || exit 1
SCENARIOS=${BENCH_SCENARIOS:-micro hold throughput reject stream kinds ratelimit queue wrkburst}
SERVERS=${BENCH_SERVERS:-ours nginx reference}
HOLD_LEVELS=${HOLD_LEVELS:-1000 5000 15000}
HOLD_DELAY=${HOLD_DELAY:-10}
THROUGHPUT_LEVELS=${THROUGHPUT_LEVELS:-64 256}
THROUGHPUT_SECONDS=${THROUGHPUT_SECONDS:-5}
THROUGHPUT_REPS=${THROUGHPUT_REPS:-3}
REJECT_SECONDS=${REJECT_SECONDS:-4}
REJECT_REPS=${REJECT_REPS:-3}
REJECT_RATE=${REJECT_RATE:-5000}
REJECT_DELAY=60
STREAM_LEVELS=${STREAM_LEVELS:-1000 2000}
STREAM_TTFT=${STREAM_TTFT:-0.5}
STREAM_ITL=${STREAM_ITL:-0.02}
STREAM_TOKENS=${STREAM_TOKENS:-200}
STREAM_PER_CONN=${STREAM_PER_CONN:-2}
STREAM_RAMP=${STREAM_RAMP:-1}
STREAM_REPS=${STREAM_REPS:-3}
KINDS_REPS=${KINDS_REPS:-3}
RATELIMIT_REPS=${RATELIMIT_REPS:-3}
QUEUE_DELAY=${QUEUE_DELAY:-1}
QUEUE_CONNECT_RATE=${QUEUE_CONNECT_RATE:-5000}
QUEUE_REPS=${QUEUE_REPS:-3}
WRK_BURST_CONNS=${WRK_BURST_CONNS:-15000}
WRK_BURST_SECONDS=${WRK_BURST_SECONDS:-25}
WRK_BURST_REPS=${WRK_BURST_REPS:-3}
SERVER_ENV=""  # VAR=VALUE ... for our server (the queue scenario's settings)
STREAM_BUSY_POLL=${STREAM_BUSY_POLL:-0}  # 1: the load client never sleeps (no wake-up of it per token)
STREAMING=0  # set by scenario_stream: start_server starts the servers streaming
CPU_SHARES=${BENCH_CPU_SHARES:-10240}  # cgroup v1 cpu.shares (default 1024) of every bench cgroup

BIN=build/llm-mock-server
REF=build/bench/reference_server
REF_STREAM=build/bench/reference_stream
LC=build/bench/load_client
SERVER_CORE=0
LOAD_CORE=1
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=bench/results/$STAMP
mkdir -p "$OUT/logs" "$OUT/raw"
ln -sfn "$STAMP" bench/results/latest
FIG=$OUT/figures.tsv  # scenario level server metric value
: >"$FIG"
T0=$(date +%s)

say() { echo "$*" | tee -a "$OUT/run.log"; }
fig() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$FIG"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'; }
# key=value from a "RESULT ..." line
kv() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2; exit}'; }

for f in "$BIN" "$REF" "$REF_STREAM" "$LC"; do
    [ -x "$f" ] || { echo "bench: $f is missing (run: make bench)" >&2; exit 1; }
done
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576

# ---- cgroups ------------------------------------------------------------------------------
# One cgroup per server run (fresh memory accounting) and one for the load tool (its CPU).
CG_MODE=none
if [ "${BENCH_NO_CGROUP:-0}" = 1 ]; then
    :  # forced: the taskset-only fallback
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    CG_MODE=v2
elif [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/cpuacct ]; then
    CG_MODE=v1
fi
CG_SEQ=0
CG_DIRS=()  # the current cgroup's directories (v1: cpu cpuacct memory; v2: one)

cg_new() {  # cg_new NAME LIMIT(1|0): sets CG_DIRS, or CG_DIRS=() when not writable
    local name=lms-bench-$$-$((CG_SEQ += 1))-$1 limit=$2
    CG_DIRS=()
    case $CG_MODE in
    v1)
        local d ok=1
        for d in cpu cpuacct memory; do
            mkdir "/sys/fs/cgroup/$d/$name" 2>/dev/null || ok=0
            CG_DIRS+=("/sys/fs/cgroup/$d/$name")
        done
        # Weighted against the rest of this shared machine (compiles, fuzzers), servers and
        # load tool alike, so that neighbours disturb the figures less.
        [ $ok = 1 ] && { echo "$CPU_SHARES" >"${CG_DIRS[0]}/cpu.shares" || ok=0; }
        if [ $ok = 1 ] && [ "$limit" = 1 ]; then
            echo 100000 >"${CG_DIRS[0]}/cpu.cfs_period_us" && echo 100000 >"${CG_DIRS[0]}/cpu.cfs_quota_us" &&
                echo $((1 << 30)) >"${CG_DIRS[2]}/memory.limit_in_bytes" || ok=0
        fi
        [ $ok = 1 ] || { cg_remove; CG_DIRS=(); }
        ;;
    v2)
        local d=/sys/fs/cgroup/$name
        if mkdir "$d" 2>/dev/null; then
            CG_DIRS=("$d")
            echo $((CPU_SHARES * 100 / 1024)) >"$d/cpu.weight" 2>/dev/null
            if [ "$limit" = 1 ]; then
                { echo "100000 100000" >"$d/cpu.max" && echo $((1 << 30)) >"$d/memory.max"; } 2>/dev/null ||
                    { cg_remove; CG_DIRS=(); }
            fi
        fi
        ;;
    esac
}
cg_remove() {
    local d
    for d in "${CG_DIRS[@]}"; do rmdir "$d" 2>/dev/null; done
}
cg_join_cmd() {  # a shell snippet that moves the running shell into the current cgroup
    local d s=""
    for d in "${CG_DIRS[@]}"; do s="$s echo \$\$ > $d/cgroup.procs;"; done
    echo "$s"
}
cg_mem() {  # current memory usage, bytes
    case $CG_MODE in
    v1) cat "${CG_DIRS[2]}/memory.usage_in_bytes" ;;
    v2) cat "${CG_DIRS[0]}/memory.current" ;;
    esac
}
cg_peak() {  # peak since the last cg_peak_reset, bytes
    case $CG_MODE in
    v1) cat "${CG_DIRS[2]}/memory.max_usage_in_bytes" ;;
    v2) cat "${CG_DIRS[0]}/memory.peak" 2>/dev/null || echo 0 ;;
    esac
}
cg_peak_reset() {
    case $CG_MODE in
    v1) echo 0 >"${CG_DIRS[2]}/memory.max_usage_in_bytes" ;;
    v2) echo 0 >"${CG_DIRS[0]}/memory.peak" 2>/dev/null ;;  # kernels >= 6.12
    esac
}
cg_cpu_ns() {  # CPU time used by the cgroup, ns
    case $CG_MODE in
    v1) cat "${CG_DIRS[1]}/cpuacct.usage" ;;
    v2) awk '$1 == "usage_usec" {print $2 * 1000}' "${CG_DIRS[0]}/cpu.stat" ;;
    esac
}

cg_new probe 1
if [ ${#CG_DIRS[@]} -gt 0 ]; then
    if [ $CG_MODE = v1 ]; then
        CG_NOTE="cgroup v1: each server in a fresh cgroup (cpu.cfs_quota_us=100000/cfs_period_us=100000 = 1 CPU, memory.limit_in_bytes=1 GiB, cpuacct; cpu.shares=$CPU_SHARES), pinned to core $SERVER_CORE; load tool pinned to core $LOAD_CORE (own cgroup, cpu.shares=$CPU_SHARES)"
    else
        CG_NOTE="cgroup v2: each server in a fresh cgroup (cpu.max 100000 100000 = 1 CPU, memory.max 1 GiB), pinned to core $SERVER_CORE; load tool pinned to core $LOAD_CORE"
    fi
    cg_remove
else
    CG_MODE=none
    CG_NOTE="NO writable cgroup: servers pinned to core $SERVER_CORE with taskset only (no 1 GiB limit; memory from /proc RSS, CPU from /proc/PID/stat); load tool on core $LOAD_CORE"
fi
CG_DIRS=()

# ---- servers -------------------------------------------------------------------------------
SPID=
SPORT=
SKIND=
SDIR=

free_port() {
    local p
    while :; do
        # Below the ephemeral range (32768-60999), so no client socket can hold it.
        p=$((20000 + RANDOM % 12000))
        ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
    done
}

server_pids() {  # the server's processes (nginx: master and worker)
    [ -n "$SPID" ] || return
    echo "$SPID"
    ps -o pid= --ppid "$SPID" 2>/dev/null
}
rss_bytes() {  # summed VmRSS (or VmHWM with an argument) of the server's processes
    local f=${1:-VmRSS} p s=0 v
    for p in $(server_pids); do
        v=$(awk -v f="$f:" '$1 == f {print $2 * 1024}' "/proc/$p/status" 2>/dev/null)
        s=$((s + ${v:-0}))
    done
    echo $s
}
cpu_ns() {  # the server's CPU time so far, ns (cgroup, else /proc/PID/stat)
    if [ ${#CG_DIRS[@]} -gt 0 ]; then
        cg_cpu_ns
        return
    fi
    local p s=0 t hz
    hz=$(getconf CLK_TCK)
    for p in $(server_pids); do
        t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null)
        s=$((s + ${t:-0}))
    done
    echo $((s * 1000000000 / hz))
}
rq_wait_ms() {  # time the server's threads spent runnable but waiting for a CPU (neighbours), ms
    local p s=0 t
    for p in $(server_pids); do
        for t in /proc/"$p"/task/*/schedstat; do
            s=$((s + $(awk '{print $2}' "$t" 2>/dev/null || echo 0)))
        done
    done
    echo $((s / 1000000))
}
throttled() {  # CPU-quota throttled periods of the server's cgroup so far
    case $CG_MODE in
    v1 | v2) awk '$1 == "nr_throttled" {print $2}' "${CG_DIRS[0]}/cpu.stat" 2>/dev/null || echo 0 ;;
    *) echo 0 ;;
    esac
}
mem_bytes() {  # server memory now: the cgroup's usage, else RSS
    if [ ${#CG_DIRS[@]} -gt 0 ]; then cg_mem; else rss_bytes; fi
}

BODY_FILE=$OUT/chat_answer.json
capture_body() {  # the chat answer's JSON from our server: nginx and the reference serve these bytes
    local port log pid
    port=$(free_port)
    "$BIN" --host 127.0.0.1 --port "$port" --response-delay-seconds 0 --worker-threads 1 \
        2>"$OUT/logs/capture.log" &
    pid=$!
    for _ in $(seq 50); do
        curl -s -m 2 -X POST "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
            -d '{"model":"qwen-plus","messages":[{"role":"user","content":"Hello"}]}' -o "$BODY_FILE" 2>/dev/null && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [ -s "$BODY_FILE" ] || { echo "bench: could not capture the chat answer from $BIN" >&2; exit 1; }
}

# start_server KIND DELAY_SECONDS MAX_CONCURRENT NAME
start_server() {
    SKIND=$1
    local delay=$2 max=$3 name=$4 cmd
    SPORT=$(free_port)
    cg_new "$SKIND-$name" 1
    case $SKIND in
    ours)
        cmd="exec env $SERVER_ENV taskset -c $SERVER_CORE $BIN --host 127.0.0.1 --port $SPORT --response-delay-seconds $delay"
        [ "$max" != auto ] && cmd="$cmd --max-concurrent $max"
        [ "$STREAMING" = 1 ] &&
            cmd="$cmd --ttft-seconds $STREAM_TTFT --itl-seconds $STREAM_ITL --output-tokens $STREAM_TOKENS"
        ;;
    nginx)
        SDIR=$(mktemp -d /tmp/lms-bench-nginx.XXXXXX)
        mkdir -p "$SDIR/tmp" "$SDIR/logs"
        local conf chat body
        body=$(cat "$BODY_FILE")
        if [ "$delay" = 0 ]; then chat="return 200 '@BODY@';"; else chat="echo_sleep $delay; echo_exec @answer;"; fi
        [ "$max" = auto ] && max=65535
        conf=$(cat bench/nginx.conf)
        conf=${conf//@CHAT@/$chat}
        conf=${conf//@BODY@/$body}
        conf=${conf//@PORT@/$SPORT}
        conf=${conf//@MAX_CONCURRENT@/$max}
        conf=${conf//@NOFILE@/$NOFILE}
        conf=${conf//@CONNECTIONS@/$((NOFILE - 100))}
        printf '%s\n' "$conf" >"$SDIR/nginx.conf"
        cmd="exec taskset -c $SERVER_CORE nginx -p $SDIR -c $SDIR/nginx.conf"
        ;;
    reference)
        if [ "$STREAMING" = 1 ]; then
            cmd="exec taskset -c $SERVER_CORE $REF_STREAM --port $SPORT --tokens $STREAM_TOKENS"
            cmd="$cmd --ttft-ms $(awk -v d="$STREAM_TTFT" 'BEGIN {print d * 1000}')"
            cmd="$cmd --itl-ms $(awk -v d="$STREAM_ITL" 'BEGIN {print d * 1000}')"
        else
            local ms
            ms=$(awk -v d="$delay" 'BEGIN {print d * 1000}')
            [ "$max" = auto ] && max=655350
            cmd="exec taskset -c $SERVER_CORE $REF --port $SPORT --body $BODY_FILE --delay-ms $ms --max-concurrent $max"
        fi
        ;;
    esac
    bash -c "$(cg_join_cmd) $cmd" 2>"$OUT/logs/$SKIND-$name.log" &
    SPID=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SPORT") 2>/dev/null && break
        sleep 0.05
    done
    sleep 0.3  # nginx: let the worker start; all: settle before the idle reading
}

stop_server() {
    [ -n "$SPID" ] || return
    kill -TERM "$SPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=
    [ -n "$SDIR" ] && rm -rf "$SDIR"
    SDIR=
    cg_remove
    CG_DIRS=()
}

# The load tool, pinned to its core, in a cgroup of its own (for its CPU time) when possible.
LOAD_CPU_S=0
run_load() {  # run_load OUTFILE COMMAND...
    local out=$1 saved=("${CG_DIRS[@]}") before after
    shift
    cg_new load 0
    local join
    join=$(cg_join_cmd)
    before=$([ ${#CG_DIRS[@]} -gt 0 ] && cg_cpu_ns || echo 0)
    bash -c "$join exec taskset -c $LOAD_CORE \"\$@\"" load "$@" >"$out" 2>&1
    after=$([ ${#CG_DIRS[@]} -gt 0 ] && cg_cpu_ns || echo 0)
    LOAD_CPU_S=$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.3f", (a - b) / 1e9}')
    [ ${#CG_DIRS[@]} -gt 0 ] || LOAD_CPU_S=nan  # no cgroup of its own: not measured
    cg_remove
    CG_DIRS=("${saved[@]}")
}

trap 'stop_server; exit 130' INT TERM

# ---- micro-benchmarks -------------------------------------------------------------------------
scenario_micro() {
    say ""
    say "== micro-benchmarks (thread CPU time; medians of 9 rounds, best in parentheses; timer wheel best of 5)"
    local b
    for b in parser_bench render_bench timer_wheel_bench; do
        taskset -c $SERVER_CORE "build/bench/$b" >"$OUT/raw/$b.txt" 2>&1
        grep -v '^RESULT' "$OUT/raw/$b.txt" | tee -a "$OUT/run.log"
    done
    local line
    while IFS= read -r line; do
        local client
        client=$(echo "$line" | sed -E 's/.*client="([^"]*)".*/\1/')
        fig micro "$client" ours "parse ns" "$(echo "$line" | sed -E 's/.*parse_ns=([0-9.]+).*/\1/')"
        fig micro "$client" ours "parse + JSON body ns" "$(echo "$line" | sed -E 's/.*parse_json_ns=([0-9.]+).*/\1/')"
        fig micro "$client" ours "5 override header lookups ns" "$(echo "$line" | sed -E 's/.*lookups_ns=([0-9.]+).*/\1/')"
    done < <(grep '^RESULT parser' "$OUT/raw/parser_bench.txt")
    line=$(grep '^RESULT render' "$OUT/raw/render_bench.txt")
    fig micro render ours "chat answer (id + body + head) ns" "$(kv "$line" answer_ns)"
    fig micro render ours "render_chat_body ns" "$(kv "$line" body_ns)"
    fig micro render ours "render_head ns" "$(kv "$line" head_ns)"
    fig micro render ours "503 answer ns" "$(kv "$line" overload_ns)"
    line=$(grep '^RESULT timer_wheel' "$OUT/raw/timer_wheel_bench.txt")
    fig micro timer_wheel ours "insert ns (1M timers)" "$(kv "$line" insert_ns)"
    fig micro timer_wheel ours "cancel ns (1M timers)" "$(kv "$line" cancel_ns)"
    fig micro timer_wheel ours "expiry ns, 1 ms ticks (1M)" "$(kv "$line" expire_tick_ns)"
    fig micro timer_wheel ours "insert ns (10k timers)" "$(kv "$line" insert_10k_ns)"
    fig micro timer_wheel ours "expiry ns, 1 ms ticks (10k)" "$(kv "$line" expire_tick_10k_ns)"
}

# ---- hold -------------------------------------------------------------------------------------
# The server's own lateness histogram (ours only): the smallest bucket bound holding p of answers.
lateness_pct() {  # lateness_pct METRICS_TEXT P -> seconds (bucket bound)
    echo "$1" | awk -v p="$2" '
        /^llm_mock_response_lateness_seconds_bucket/ {
            match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5); n[++k] = $NF; b[k] = le }
        END { total = n[k]; if (total == 0) { print "nan"; exit }
              for (i = 1; i <= k; i++) if (n[i] >= p / 100 * total) { print b[i]; exit } }'
}

# hold_run KIND LEVEL MODE: one server, LEVEL held requests.
#   burst: LEVEL connections opened at once, two requests each (closed loop; wrk's pattern). The
#          first round includes the wait in the accept queue; the second round's deadlines stay
#          as bunched as the first round's answers were.
#   paced: open loop at LEVEL / delay requests/s for 1.3 x delay, on up to LEVEL + 5%
#          connections opened as the schedule needs them, so that LEVEL requests are held at
#          once with deadlines spread evenly (a gateway's steady load); then the answers still
#          due are waited for. From 1.0 x delay on, requests reuse established connections.
hold_run() {
    local kind=$1 level=$2 mode=$3 sc=hold-$3
    local conns=$level args
    if [ "$mode" = burst ]; then
        args=(--requests-per-conn 2)
    else
        conns=$((level + level / 20))
        args=(--rate "$(awk -v l="$level" -v d="$HOLD_DELAY" 'BEGIN {print l / d}')"
              --duration "$(awk -v d="$HOLD_DELAY" 'BEGIN {print d * 1.3}')" --drain 1)
    fi
    start_server "$kind" "$HOLD_DELAY" $((conns + 100)) "$sc-$level"
    local idle_mem idle_rss cpu0 rq0 raw=$OUT/raw/$sc-$level-$kind.txt
    rq0=$(rq_wait_ms)
    idle_mem=$(mem_bytes)
    idle_rss=$(rss_bytes)
    [ ${#CG_DIRS[@]} -gt 0 ] && cg_peak_reset
    cpu0=$(cpu_ns)
    run_load "$raw" "$LC" --port "$SPORT" --connections "$conns" "${args[@]}" \
        --delay "$HOLD_DELAY" --timeout $((HOLD_DELAY + 30)) --label "$sc-$kind-$level" &
    local lpid=$!
    # burst: every connection holds its second request from about 1.0 to 2.0 x delay;
    # paced: LEVEL requests are held from 1.0 x delay to the end of sending (1.3 x delay).
    if [ "$mode" = burst ]; then
        sleep "$(awk -v d="$HOLD_DELAY" 'BEGIN {print d * 1.5 + 0.5}')"
    else
        sleep "$(awk -v d="$HOLD_DELAY" 'BEGIN {print d * 1.2 + 0.3}')"
    fi
    local held_mem held_rss held_conns
    held_mem=$(mem_bytes)
    held_rss=$(rss_bytes)
    held_conns=$(ss -Htn state established "sport = :$SPORT" 2>/dev/null | wc -l)
    wait $lpid
    local peak_mem peak_rss cpu1 metrics="" line
    if [ ${#CG_DIRS[@]} -gt 0 ]; then peak_mem=$(cg_peak); else peak_mem=$held_mem; fi
    peak_rss=$(rss_bytes VmHWM)
    cpu1=$(cpu_ns)
    local rq1 thr
    rq1=$(rq_wait_ms)
    thr=$([ ${#CG_DIRS[@]} -gt 0 ] && throttled || echo 0)
    [ "$kind" = ours ] && metrics=$(curl -s -m 2 "http://127.0.0.1:$SPORT/metrics")
    stop_server
    line=$(grep '^RESULT' "$raw")
    grep -v '^RESULT' "$raw" | sed "s/^/  /" | tee -a "$OUT/run.log"
    fig $sc "$level" "$kind" "answers 2xx" "$(kv "$line" ok)"
    fig $sc "$level" "$kind" "non-2xx" "$(kv "$line" non2xx)"
    fig $sc "$level" "$kind" "errors" "$(kv "$line" errors)"
    fig $sc "$level" "$kind" "delay error p50 ms, established" "$(kv "$line" est_p50_ms)"
    fig $sc "$level" "$kind" "delay error p99 ms, established" "$(kv "$line" est_p99_ms)"
    fig $sc "$level" "$kind" "delay error max ms, established" "$(kv "$line" est_max_ms)"
    local first="first request (accept queue)"
    [ "$mode" = paced ] && first="first request on a new connection"
    fig $sc "$level" "$kind" "delay error p50 ms, $first" "$(kv "$line" first_p50_ms)"
    fig $sc "$level" "$kind" "delay error p99 ms, $first" "$(kv "$line" first_p99_ms)"
    fig $sc "$level" "$kind" "delay error max ms, $first" "$(kv "$line" first_max_ms)"
    if [ -n "$metrics" ]; then
        fig $sc "$level" "$kind" "server's own lateness p50 <= ms (histogram bound)" "$(lateness_pct "$metrics" 50 | awk '{print $1 * 1000}')"
        fig $sc "$level" "$kind" "server's own lateness p99 <= ms (histogram bound)" "$(lateness_pct "$metrics" 99 | awk '{print $1 * 1000}')"
    fi
    fig $sc "$level" "$kind" "connections open at the sample" "$held_conns"
    fig $sc "$level" "$kind" "memory idle MiB" "$(awk -v v="$idle_mem" 'BEGIN {printf "%.1f", v / 1048576}')"
    fig $sc "$level" "$kind" "memory peak MiB" "$(awk -v v="$peak_mem" 'BEGIN {printf "%.1f", v / 1048576}')"
    fig $sc "$level" "$kind" "memory per held request, bytes" \
        "$(awk -v p="$peak_mem" -v i="$idle_mem" -v n="$level" 'BEGIN {printf "%.0f", (p - i) / n}')"
    fig $sc "$level" "$kind" "RSS idle MiB" "$(awk -v v="$idle_rss" 'BEGIN {printf "%.1f", v / 1048576}')"
    fig $sc "$level" "$kind" "RSS peak MiB" "$(awk -v v="$peak_rss" 'BEGIN {printf "%.1f", v / 1048576}')"
    fig $sc "$level" "$kind" "RSS per held request, bytes" \
        "$(awk -v p="$held_rss" -v i="$idle_rss" -v n="$level" 'BEGIN {printf "%.0f", (p - i) / n}')"
    fig $sc "$level" "$kind" "server CPU s (whole run)" "$(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN {printf "%.3f", (a - b) / 1e9}')"
    fig $sc "$level" "$kind" "server waited for a CPU (run queue), ms" "$((rq1 - rq0))"
    fig $sc "$level" "$kind" "CPU quota throttled periods" "$thr"
    say "  $kind: memory idle $((idle_mem >> 20)) MiB, at the sample $((held_mem >> 20)) MiB, peak $((peak_mem >> 20)) MiB; RSS idle $((idle_rss >> 10)) KiB, at the sample $((held_rss >> 10)) KiB; $held_conns connections at the sample"
}

scenario_hold() {
    local level kind mode
    for level in $HOLD_LEVELS; do
        for mode in burst paced; do
            say ""
            if [ $mode = burst ]; then
                say "== hold (burst): $level keep-alive connections opened at once, 2 requests each, delay ${HOLD_DELAY}s (load_client)"
            else
                say "== hold (paced): $level held requests, open loop at $((level / HOLD_DELAY))/s on $((level + level / 20)) keep-alive connections, delay ${HOLD_DELAY}s (load_client)"
            fi
            for kind in $SERVERS; do
                hold_run "$kind" "$level" "$mode"
            done
        done
    done
}

# ---- throughput ---------------------------------------------------------------------------------
# wrk's latency figures carry units (us, ms, s): to ms.
wrk_ms() { echo "$1" | awk '{v = $1; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v}'; }

scenario_throughput() {
    local c kind r
    for c in $THROUGHPUT_LEVELS; do
        say ""
        say "== throughput: delay 0, $c keep-alive connections, wrk -t1, $THROUGHPUT_REPS x ${THROUGHPUT_SECONDS}s (medians)"
        for kind in $SERVERS; do
            start_server "$kind" 0 auto "tput-$c"
            # Warm up (connections, caches, the server's lazily touched pages).
            run_load /dev/null wrk -t1 -c"$c" -d1s -s bench/post.lua "http://127.0.0.1:$SPORT/v1/chat/completions"
            local rps="" p99="" cpu100k="" us_req="" tool="" non2xx=0 errs=0 rq0 rq1
            rq0=$(rq_wait_ms)
            for r in $(seq "$THROUGHPUT_REPS"); do
                local raw=$OUT/raw/tput-$c-$kind-$r.txt cpu0 cpu1 n
                cpu0=$(cpu_ns)
                run_load "$raw" wrk -t1 -c"$c" -d"${THROUGHPUT_SECONDS}s" --latency -s bench/post.lua \
                    "http://127.0.0.1:$SPORT/v1/chat/completions"
                cpu1=$(cpu_ns)
                n=$(awk '/requests in/ {print $1}' "$raw")
                rps="$rps $(awk '/^Requests\/sec/ {print $2}' "$raw")"
                p99="$p99 $(wrk_ms "$(awk '$1 == "99%" {print $2}' "$raw")")"
                cpu100k="$cpu100k $(awk -v a="$cpu1" -v b="$cpu0" -v n="$n" 'BEGIN {printf "%.3f", (a - b) / 1e9 / n * 1e5}')"
                us_req="$us_req $(awk -v a="$cpu1" -v b="$cpu0" -v n="$n" 'BEGIN {printf "%.2f", (a - b) / 1e3 / n}')"
                if [ "$LOAD_CPU_S" = nan ]; then
                    tool="$tool nan"
                else
                    tool="$tool $(awk -v t="$LOAD_CPU_S" -v d="$THROUGHPUT_SECONDS" 'BEGIN {printf "%.0f", 100 * t / d}')"
                fi
                non2xx=$((non2xx + $(awk '/Non-2xx/ {print $NF}' "$raw" | grep . || echo 0)))
                errs=$((errs + $(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$raw" | grep . || echo 0)))
                say "  $kind run $r: $(awk '/^Requests\/sec/ {print $2}' "$raw") req/s, p99 $(awk '$1 == "99%" {print $2}' "$raw"), server CPU $(echo "$us_req" | awk '{print $NF}') us/request, wrk CPU $(echo "$tool" | awk '{print $NF}')% of core $LOAD_CORE"
            done
            rq1=$(rq_wait_ms)
            fig throughput "$c" "$kind" "CPU quota throttled periods" "$([ ${#CG_DIRS[@]} -gt 0 ] && throttled || echo 0)"
            stop_server
            fig throughput "$c" "$kind" "requests/s" "$(echo "$rps" | median)"
            fig throughput "$c" "$kind" "p99 ms" "$(echo "$p99" | median)"
            fig throughput "$c" "$kind" "server CPU s per 100k requests" "$(echo "$cpu100k" | median)"
            fig throughput "$c" "$kind" "server CPU us per request" "$(echo "$us_req" | median)"
            fig throughput "$c" "$kind" "wrk CPU % of its core" "$(echo "$tool" | median)"
            fig throughput "$c" "$kind" "non-2xx (all runs)" "$non2xx"
            fig throughput "$c" "$kind" "socket errors (all runs)" "$errs"
            fig throughput "$c" "$kind" "server waited for a CPU (run queue), ms per run" \
                "$(( (rq1 - rq0) / THROUGHPUT_REPS ))"
        done
    done
}

# ---- reject -----------------------------------------------------------------------------------
# 1,000 connections hold every slot (delay 60 s); the other 1,000 are refused with 503s, either
# as fast as they can (closed loop: the rate a full server sustains; the latency is then mostly
# queueing, Little's law) or at REJECT_RATE requests/s (open loop: the latency of one 503).
scenario_reject() {
    local kind r mode
    say ""
    say "== reject: MAX_CONCURRENT=1000, 2,000 connections, delay ${REJECT_DELAY}s (load_client); closed loop (saturation) and open loop at $REJECT_RATE/s, $REJECT_REPS x ${REJECT_SECONDS}s each (medians)"
    for kind in $SERVERS; do
        for mode in closed open; do
            local p50="" p99="" rate="" cpu_us="" ok=0 errs=0 extra=()
            [ $mode = open ] && extra=(--rate "$REJECT_RATE")
            for r in $(seq "$REJECT_REPS"); do
                local raw=$OUT/raw/reject-$mode-$kind-$r.txt cpu0 cpu1 line
                # A fresh server each run: nginx keeps the slot of a client that left until its
                # echo_sleep ends, so the last run's held requests would still fill it.
                start_server "$kind" "$REJECT_DELAY" 1000 "reject-$mode-$r"
                cpu0=$(cpu_ns)
                run_load "$raw" "$LC" --port "$SPORT" --connections 2000 --duration "$REJECT_SECONDS" \
                    --delay "$REJECT_DELAY" --label "reject-$mode-$kind" "${extra[@]}"
                cpu1=$(cpu_ns)
                line=$(grep '^RESULT' "$raw")
                p50="$p50 $(kv "$line" n2_p50_ms)"
                p99="$p99 $(kv "$line" n2_p99_ms)"
                rate="$rate $(kv "$line" n2_rate)"
                cpu_us="$cpu_us $(awk -v a="$cpu1" -v b="$cpu0" -v n="$(kv "$line" non2xx)" 'BEGIN {if (n > 0) printf "%.2f", (a - b) / 1e3 / n; else print "nan"}')"
                ok=$((ok + $(kv "$line" ok)))
                errs=$((errs + $(kv "$line" errors)))
                stop_server
                grep -v '^RESULT' "$raw" | grep -E 'answers 2xx|non-2xx latency' | sed "s/^ */  $kind $mode $r: /" | tee -a "$OUT/run.log"
            done
            local m="closed loop (as fast as possible)"
            [ $mode = open ] && m="open loop at $REJECT_RATE/s"
            fig reject 2000 "$kind" "503/s, $m" "$(echo "$rate" | median)"
            fig reject 2000 "$kind" "503 latency p50 ms, $m" "$(echo "$p50" | median)"
            fig reject 2000 "$kind" "503 latency p99 ms, $m" "$(echo "$p99" | median)"
            fig reject 2000 "$kind" "server CPU us per 503, $m" "$(echo "$cpu_us" | median)"
            fig reject 2000 "$kind" "2xx during the runs, $m" "$ok"
            fig reject 2000 "$kind" "errors (all runs), $m" "$errs"
        done
    done
}

# ---- stream -----------------------------------------------------------------------------------
# LEVEL concurrent SSE streams on LEVEL keep-alive connections, STREAM_PER_CONN streams each,
# the first requests spread over STREAM_RAMP seconds; each token timed on receipt by the load
# client against the model both servers were given (TTFT, ITL, tokens). Ours and the reference
# alternate within each repetition, so that a neighbour's busy minute hits both alike.
stream_run() {  # stream_run KIND LEVEL REP: appends to the per-(kind, level) lists below
    local kind=$1 level=$2 r=$3 raw=$OUT/raw/stream-$2-$1-$3.txt cpu0 cpu1 rq0 rq1 line ev
    start_server "$kind" "$STREAM_TTFT" auto "stream-$level-$r"
    rq0=$(rq_wait_ms)
    cpu0=$(cpu_ns)
    run_load "$raw" "$LC" --port "$SPORT" --connections "$level" --stream 1 --ttft "$STREAM_TTFT" \
        --itl "$STREAM_ITL" --tokens "$STREAM_TOKENS" --requests-per-conn "$STREAM_PER_CONN" \
        --ramp "$STREAM_RAMP" --busy-poll "$STREAM_BUSY_POLL" --timeout 60 --label "stream-$kind-$level"
    cpu1=$(cpu_ns)
    rq1=$(rq_wait_ms)
    local thr
    thr=$([ ${#CG_DIRS[@]} -gt 0 ] && throttled || echo 0)
    stop_server
    line=$(grep '^RESULT stream' "$raw")
    ev=$(kv "$line" token_events)
    grep -v '^RESULT' "$raw" | sed "s/^/  run $r: /" | tee -a "$OUT/run.log"
    ST_OK[$kind]="${ST_OK[$kind]:-} $(kv "$line" streams_ok)"
    ST_BAD[$kind]=$(( ${ST_BAD[$kind]:-0} + $(kv "$line" streams_bad) + $(kv "$line" non2xx) ))
    ST_ERR[$kind]=$(( ${ST_ERR[$kind]:-0} + $(kv "$line" errors) ))
    ST_EV[$kind]="${ST_EV[$kind]:-} $ev"
    ST_RATE[$kind]="${ST_RATE[$kind]:-} $(kv "$line" token_rate)"
    local k
    for k in ttft_err_p50_ms ttft_err_p99_ms ttft_err_max_ms gap_err_p50_ms gap_err_p99_ms gap_err_max_ms \
        late_p50_ms late_p99_ms k_ttft_err_p99_ms k_gap_err_p99_ms k_late_p99_ms; do
        ST_FIG[$kind.$k]="${ST_FIG[$kind.$k]:-} $(kv "$line" $k)"
    done
    ST_CPU[$kind]="${ST_CPU[$kind]:-} $(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN {printf "%.3f", (a - b) / 1e9}')"
    ST_CPUEV[$kind]="${ST_CPUEV[$kind]:-} $(awk -v a="$cpu1" -v b="$cpu0" -v n="$ev" 'BEGIN {if (n > 0) printf "%.3f", (a - b) / 1e3 / n; else print "nan"}')"
    if [ "$LOAD_CPU_S" = nan ]; then
        ST_TOOL[$kind]="${ST_TOOL[$kind]:-} nan"
    else
        ST_TOOL[$kind]="${ST_TOOL[$kind]:-} $(awk -v t="$LOAD_CPU_S" -v s="$(kv "$line" seconds)" 'BEGIN {printf "%.0f", 100 * t / s}')"
    fi
    ST_RQ[$kind]="${ST_RQ[$kind]:-} $((rq1 - rq0))"
    ST_THR[$kind]="${ST_THR[$kind]:-} $thr"
    say "  $kind run $r: server CPU $(echo "${ST_CPU[$kind]:-}" | awk '{print $NF}') s, $(echo "${ST_CPUEV[$kind]:-}" | awk '{print $NF}') us per token event; load tool $(echo "${ST_TOOL[$kind]:-}" | awk '{print $NF}')% of core $LOAD_CORE; server waited $((rq1 - rq0)) ms for a CPU; $thr throttled periods"
}

scenario_stream() {
    local level kind r kinds=""
    for kind in $SERVERS; do
        [ "$kind" = nginx ] || kinds="$kinds $kind"  # nginx + echo cannot stream per token
    done
    STREAMING=1
    for level in $STREAM_LEVELS; do
        say ""
        say "== stream: $level concurrent SSE streams, TTFT ${STREAM_TTFT}s, ITL ${STREAM_ITL}s, $STREAM_TOKENS tokens, $STREAM_PER_CONN streams per keep-alive connection, starts spread over ${STREAM_RAMP}s (load_client --stream 1), $STREAM_REPS runs each, servers alternating (medians)"
        declare -A ST_OK=() ST_BAD=() ST_ERR=() ST_EV=() ST_RATE=() ST_FIG=() ST_CPU=() ST_CPUEV=() ST_TOOL=() ST_RQ=() ST_THR=()
        for r in $(seq "$STREAM_REPS"); do
            for kind in $kinds; do
                stream_run "$kind" "$level" "$r"
            done
        done
        for kind in $kinds; do
            fig stream "$level" "$kind" "streams complete (median run; expected $((level * STREAM_PER_CONN)))" "$(echo "${ST_OK[$kind]:-}" | median)"
            fig stream "$level" "$kind" "bad streams + non-2xx (all runs)" "${ST_BAD[$kind]:-}"
            fig stream "$level" "$kind" "errors (all runs)" "${ST_ERR[$kind]:-}"
            fig stream "$level" "$kind" "token events (median run)" "$(echo "${ST_EV[$kind]:-}" | median)"
            fig stream "$level" "$kind" "token events/s" "$(echo "${ST_RATE[$kind]:-}" | median)"
            fig stream "$level" "$kind" "TTFT error p50 ms (signed)" "$(echo "${ST_FIG[$kind.ttft_err_p50_ms]:-}" | median)"
            fig stream "$level" "$kind" "TTFT error p99 ms (signed)" "$(echo "${ST_FIG[$kind.ttft_err_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "TTFT error max ms" "$(echo "${ST_FIG[$kind.ttft_err_max_ms]:-}" | median)"
            fig stream "$level" "$kind" "gap error p50 ms (abs)" "$(echo "${ST_FIG[$kind.gap_err_p50_ms]:-}" | median)"
            fig stream "$level" "$kind" "gap error p99 ms (abs)" "$(echo "${ST_FIG[$kind.gap_err_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "gap error max ms (abs)" "$(echo "${ST_FIG[$kind.gap_err_max_ms]:-}" | median)"
            fig stream "$level" "$kind" "token lateness vs schedule p50 ms" "$(echo "${ST_FIG[$kind.late_p50_ms]:-}" | median)"
            fig stream "$level" "$kind" "token lateness vs schedule p99 ms" "$(echo "${ST_FIG[$kind.late_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "by kernel arrival stamps (load tool's delay left out): TTFT error p99 ms" "$(echo "${ST_FIG[$kind.k_ttft_err_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "by kernel arrival stamps: gap error p99 ms (abs)" "$(echo "${ST_FIG[$kind.k_gap_err_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "by kernel arrival stamps: lateness vs schedule p99 ms" "$(echo "${ST_FIG[$kind.k_late_p99_ms]:-}" | median)"
            fig stream "$level" "$kind" "server CPU s (whole run)" "$(echo "${ST_CPU[$kind]:-}" | median)"
            fig stream "$level" "$kind" "server CPU us per token event" "$(echo "${ST_CPUEV[$kind]:-}" | median)"
            fig stream "$level" "$kind" "load tool CPU % of its core" "$(echo "${ST_TOOL[$kind]:-}" | median)"
            fig stream "$level" "$kind" "server waited for a CPU (run queue), ms per run" "$(echo "${ST_RQ[$kind]:-}" | median)"
            fig stream "$level" "$kind" "CPU quota throttled periods per run" "$(echo "${ST_THR[$kind]:-}" | median)"
        done
    done
    STREAMING=0
}

scenario_kinds() {
    say ""
    say "== kinds: each dialect's stream beside chat's text, 1,000 streams x 200 tokens, $KINDS_REPS runs each (bench/kind_stream_compare.sh, medians)"
    SC_KINDS="text tools reasoning responses anthropic" SC_REPS=$KINDS_REPS SC_STREAMS=1000 SC_TOKENS=200 \
        bash bench/kind_stream_compare.sh "$BIN" >"$OUT/kinds.txt" 2>&1
    grep -v '^[0-9]' "$OUT/kinds.txt" | grep -v '^run' | while IFS= read -r l; do say "  $l"; done
}

scenario_ratelimit() {
    say ""
    say "== ratelimit: the rate limiter on (RATE_LIMIT_RPM=1000000000, one key) vs off, delay 0, one build, $RATELIMIT_REPS runs each (medians)"
    COMPARE_AFTER_ENV=RATE_LIMIT_RPM=1000000000 COMPARE_REPS=$RATELIMIT_REPS COMPARE_LEVELS=64 \
        bash bench/compare.sh "$BIN" "$BIN" >"$OUT/ratelimit.txt" 2>&1
    say "  (before = the limiter off, after = on)"
    sed -n '/^medians/,/^(raw/p' "$OUT/ratelimit.txt" | while IFS= read -r l; do say "  $l"; done
    if command -v valgrind >/dev/null; then
        CG_ENVS="- RATE_LIMIT_RPM=1000000000" bash bench/callgrind.sh "$BIN" 2>&1 | while IFS= read -r l; do say "  $l"; done
    else
        say "  (valgrind not installed: no instruction counts)"
    fi
}

# ---- queue ------------------------------------------------------------------------------------
# vLLM's waiting queue at scale: 10,000 requests, one per connection, offered at
# QUEUE_CONNECT_RATE/s against 1,000 slots, so up to ~8,000 wait. Every request takes the same
# delay + prefill once it has a slot, so the k-th answer to finish had the slot of the
# (k - 1000)-th: bench/queue_error.py computes each one's error against that plan from the
# answers' kernel arrival stamps. Beside it, the same offer with 10,000 slots (no wait): the
# plain delay error in the same arrival pattern.
scenario_queue() {
    local body='{"model":"qwen-plus","max_tokens":16,"messages":[{"role":"user","content":"Hello"}]}'
    # The prompt is 2 tokens: prefill 0.05 s + 2 x 0.1 ms.
    local svc
    svc=$(awk -v d="$QUEUE_DELAY" 'BEGIN {printf "%.4f", d + 0.05 + 0.0002}')
    say ""
    say "== queue: MAX_CONCURRENT=1000 + MAX_WAITING=10000 against 10,000 slots (no wait); 10,000 requests at $QUEUE_CONNECT_RATE/s, delay $QUEUE_DELAY s + prefill 0.05 s, $QUEUE_REPS runs each (medians); error = seen - planned, ms"
    local mode r
    for mode in queue direct; do
        local q50="" q99="" qmax="" f50="" f99="" wmax="" okall=0
        for r in $(seq "$QUEUE_REPS"); do
            local raw=$OUT/raw/queue-$mode-$r.txt log=$OUT/raw/queue-$mode-$r.answers line slots=1000
            SERVER_ENV="PREFILL_OVERHEAD_SECONDS=0.05 PREFILL_SECONDS_PER_1K_TOKENS=0.1"
            if [ $mode = queue ]; then
                SERVER_ENV="$SERVER_ENV MAX_WAITING=10000"
            else
                slots=10000
            fi
            start_server ours "$QUEUE_DELAY" "$slots" "queue-$mode-$r"
            local st0
            st0=$(steal_ticks)
            run_load "$raw" "$LC" --port "$SPORT" --connections 10000 --requests-per-conn 1 \
                --connect-rate "$QUEUE_CONNECT_RATE" --delay "$svc" --timeout 60 --body "$body" \
                --answers-log "$log" --label "queue-$mode"
            say "  $mode $r: the server core's steal ticks (10 ms) in the run: $(( $(steal_ticks) - st0 ))"
            stop_server
            SERVER_ENV=""
            okall=$((okall + $(kv "$(grep '^RESULT' "$raw")" ok)))
            python3 bench/queue_error.py "$log" "$slots" "$svc" >"$raw.error"
            sed "s/^ */  $mode $r: /" "$raw.error" | grep -v RESULT | tee -a "$OUT/run.log"
            line=$(grep '^RESULT' "$raw.error")
            f50="$f50 $(kv "$line" first_p50_ms)"
            f99="$f99 $(kv "$line" first_p99_ms)"
            q50="$q50 $(kv "$line" queued_p50_ms)"
            q99="$q99 $(kv "$line" queued_p99_ms)"
            qmax="$qmax $(kv "$line" queued_max_ms)"
            wmax="$wmax $(kv "$line" wait_max_s)"
        done
        if [ $mode = queue ]; then
            fig queue 10000 ours "queued: queue-time error p50 ms" "$(echo "$q50" | median)"
            fig queue 10000 ours "queued: queue-time error p99 ms" "$(echo "$q99" | median)"
            fig queue 10000 ours "queued: queue-time error max ms" "$(echo "$qmax" | median)"
            fig queue 10000 ours "queued: longest wait s" "$(echo "$wmax" | median)"
            fig queue 10000 ours "first 1,000 (no wait): error p50 ms" "$(echo "$f50" | median)"
            fig queue 10000 ours "first 1,000 (no wait): error p99 ms" "$(echo "$f99" | median)"
            fig queue 10000 ours "2xx answers (all runs, of $((QUEUE_REPS * 10000)))" "$okall"
        else
            fig queue 10000 ours "10,000 slots (no queue): delay error p50 ms" "$(echo "$f50" | median)"
            fig queue 10000 ours "10,000 slots (no queue): delay error p99 ms" "$(echo "$f99" | median)"
            fig queue 10000 ours "10,000 slots: 2xx answers (all runs)" "$okall"
        fi
    done
}

steal_ticks() {  # the server core's stolen time so far (/proc/stat, USER_HZ ticks): the hypervisor ran someone else
    awk -v c="cpu$SERVER_CORE" '$1 == c {print $9}' /proc/stat
}

scenario_wrkburst() {
    local delay=10 r kind
    say ""
    say "== wrkburst: wrk -t1 -c$WRK_BURST_CONNS -d${WRK_BURST_SECONDS}s --timeout 15s, chat POST, delay ${delay}s; $WRK_BURST_REPS runs each, servers alternating (medians); delay error = wrk's latency - ${delay} s, ms"
    declare -A P50 P99 MAX REQ CPU STEAL
    for r in $(seq "$WRK_BURST_REPS"); do
        for kind in $SERVERS; do
            local raw=$OUT/raw/wrkburst-$kind-$r.txt line cpu0 cpu1 st0 st1
            start_server "$kind" "$delay" $((WRK_BURST_CONNS + 100)) "wrkburst-$r"
            cpu0=$(cpu_ns)
            st0=$(steal_ticks)
            run_load "$raw" wrk -t1 -c"$WRK_BURST_CONNS" -d"${WRK_BURST_SECONDS}s" --timeout 15s -s bench/burst.lua \
                "http://127.0.0.1:$SPORT/v1/chat/completions"
            st1=$(steal_ticks)
            cpu1=$(cpu_ns)
            stop_server
            line=$(grep '^BURST' "$raw")
            local p50 p99 mx
            p50=$(awk -v v="$(kv "$line" p50_us)" -v d="$delay" 'BEGIN {printf "%.1f", v / 1000 - d * 1000}')
            p99=$(awk -v v="$(kv "$line" p99_us)" -v d="$delay" 'BEGIN {printf "%.1f", v / 1000 - d * 1000}')
            mx=$(awk -v v="$(kv "$line" max_us)" -v d="$delay" 'BEGIN {printf "%.1f", v / 1000 - d * 1000}')
            P50[$kind]="${P50[$kind]:-} $p50"
            P99[$kind]="${P99[$kind]:-} $p99"
            MAX[$kind]="${MAX[$kind]:-} $mx"
            REQ[$kind]="${REQ[$kind]:-} $(kv "$line" requests)"
            CPU[$kind]="${CPU[$kind]:-} $(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN {printf "%.3f", (a - b) / 1e9}')"
            STEAL[$kind]="${STEAL[$kind]:-} $((st1 - st0))"
            say "  $kind run $r: requests $(kv "$line" requests), errors connect/read/write/status/timeout $(kv "$line" errors_connect)/$(kv "$line" errors_read)/$(kv "$line" errors_write)/$(kv "$line" errors_status)/$(kv "$line" errors_timeout); delay error p50 $p50 p99 $p99 max $mx; server CPU $(echo "${CPU[$kind]}" | awk '{print $NF}') s; steal $((st1 - st0)) ticks"
        done
    done
    for kind in $SERVERS; do
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "delay error p50 ms" "$(echo "${P50[$kind]}" | median)"
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "delay error p99 ms" "$(echo "${P99[$kind]}" | median)"
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "delay error max ms" "$(echo "${MAX[$kind]}" | median)"
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "requests done in the run" "$(echo "${REQ[$kind]}" | median)"
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "server CPU s (whole run)" "$(echo "${CPU[$kind]}" | median)"
        fig wrkburst "$WRK_BURST_CONNS" "$kind" "server core's steal ticks (10 ms) in the run" "$(echo "${STEAL[$kind]}" | median)"
    done
}

# ---- run ----------------------------------------------------------------------------------------
say "llm-mock-server benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -r)"
say "server: $BIN (sha256 $(sha256sum "$BIN" | cut -c1-12), built $(date -u -r "$BIN" '+%H:%M UTC')), tree $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes in src/ include/')"
say "$CG_NOTE"
say "servers: $SERVERS; open-file limit $NOFILE; load average $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine: figures are noisy, medians where repeated)"
say "results: $OUT"
capture_body
for s in $SCENARIOS; do
    t=$(date +%s)
    "scenario_$s"
    say "($s: $(( $(date +%s) - t )) s)"
done
say ""
HOLD_DELAY=$HOLD_DELAY STREAM_TTFT=$STREAM_TTFT STREAM_ITL=$STREAM_ITL STREAM_TOKENS=$STREAM_TOKENS \
    STREAM_PER_CONN=$STREAM_PER_CONN STREAM_REPS=$STREAM_REPS QUEUE_REPS=$QUEUE_REPS WRK_BURST_SECONDS=$WRK_BURST_SECONDS WRK_BURST_REPS=$WRK_BURST_REPS python3 bench/report.py "$OUT" | tee "$OUT/summary.md"
if command -v gnuplot >/dev/null; then
    HOLD_DELAY=$HOLD_DELAY bash bench/plot.sh "$OUT" >>"$OUT/run.log" 2>&1 && say "plots: $OUT/hold-memory.png $OUT/hold-delay.png"
else
    say "plots: skipped (gnuplot is not installed: apt-get install gnuplot-nox)"
fi
say "total $(( $(date +%s) - T0 )) s"
