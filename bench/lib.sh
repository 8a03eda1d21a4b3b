# bench/lib.sh: what the side-by-side scripts (compare.sh, stream_compare.sh, callgrind.sh)
# share; sourced. SPID is the server started last (stop ends it).

# A loopback port nothing listens on.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
    done
}
# Waits (up to 5 s) until something accepts on the port.
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
        sleep 0.05
    done
}
# SIGTERM to $SPID, SIGKILL after 3 s, reaped.
stop() {
    [ -n "${SPID:-}" ] || return
    kill -TERM "$SPID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=
}
# ns the process's threads spent runnable but waiting for their CPU (someone else ran on it)
runq_ns() { local t s=0; for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(awk '{print $2}' "$t" 2>/dev/null || echo 0))); done; echo $s; }
# ns the process's threads spent on a CPU
cpu_ns() { local t s=0; for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(awk '{print $1}' "$t" 2>/dev/null || echo 0))); done; echo $s; }
