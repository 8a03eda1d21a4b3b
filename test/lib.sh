#!/usr/bin/env bash
# Shared by the integration suites (sourced): the check helpers, server start/stop, curl
# wrappers. $1 of the sourcing script, when given, is the default server binary (BIN). Sets
# BIN, HERE, T, P, F, S, PIDS; every process started is killed by PID on exit.
# With --binary as $2, $1 must be an executable (else usage and exit 2) and the locale is C.
if [ "${2:-}" = --binary ]; then
    export LC_ALL=C
    if [ ! -x "$1" ]; then
        echo "usage: $0 BINARY" >&2
        exit 2
    fi
fi
BIN=
[ -n "${1:-}" ] && BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
RAW="python3 $HERE/http_raw.py"
T=$(mktemp -d /tmp/lms-integration.XXXXXX)
SUITE_START=$EPOCHREALTIME

P=0
F=0
S=0
PIDS=()
CGROUPS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    local cg
    for cg in "${CGROUPS[@]}"; do
        rmdir "$cg" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- checks -------------------------------------------------------------------------------

pass() {
    P=$((P + 1))
    echo "ok - $1"
}
fail() {
    F=$((F + 1))
    echo "FAIL - $1 ($2)"
}
skip() {
    S=$((S + 1))
    echo "skip - $1 ($2)"
}
# check NAME DETAILS COMMAND...: passes when COMMAND succeeds.
check() {
    local name=$1 detail=$2
    shift 2
    if "$@"; then
        pass "$name"
    else
        fail "$name" "$detail"
    fi
}
# eq NAME ACTUAL EXPECTED
eq() {
    if [ "$2" == "$3" ]; then
        pass "$1"
    else
        fail "$1" "expected '$3', got '$2'"
    fi
}
# match NAME ACTUAL ERE
match() {
    if [[ "$2" =~ $3 ]]; then
        pass "$1"
    else
        fail "$1" "'$2' does not match /$3/"
    fi
}
# fcheck NAME "awk expression over a, b" A B (numbers; empty counts as failure)
fcheck() {
    local name=$1 expr=$2 a=$3 b=${4:-0}
    if [[ "$a" =~ ^-?[0-9.e+-]+$ ]] && awk -v a="$a" -v b="$b" "BEGIN { exit !($expr) }"; then
        pass "$name"
    else
        fail "$name" "a=$a b=$b: want $expr"
    fi
}
contains() {  # contains NAME FILE FIXED-STRING
    if grep -qF -- "$3" "$2"; then
        pass "$1"
    else
        fail "$1" "'$3' not found in $(basename "$2"): $(head -c 300 "$2" | tr '\n' ' ')"
    fi
}

# ---- helpers ------------------------------------------------------------------------------

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive PID: the process exists and is not a zombie.
alive() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ]
}
# wait_gone PID SECONDS: true when PID ended within SECONDS.
wait_gone() {
    local pid=$1 deadline
    deadline=$(awk -v n="$(now)" -v s="$2" 'BEGIN { printf "%.6f", n + s }')
    while alive "$pid"; do
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n >= d) }'; then
            return 1
        fi
        sleep 0.02
    done
    return 0
}

# start_server NAME [VAR=VALUE...] -- [FLAGS...]
# Starts BIN on 127.0.0.1 and a free port; sets SRV_PID, SRV_PORT, URL, SRV_LOG.
# Returns 1 (and records a failure) when the server does not come up.
start_server() {
    local name=$1
    shift
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    launch "$name" "$BIN" env "${envs[@]}" -- "$@"
}
# launch NAME BINARY [WRAPPER...] -- [FLAGS...]: start_server with any binary, run under
# WRAPPER (e.g. prlimit --nofile=200:200, or env VAR=VALUE); waits up to 10 s for it to listen.
launch() {
    local name=$1 bin=$2
    shift 2
    local wrap=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        wrap+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    local port
    port=$(free_port)
    SRV_LOG=$T/$name.log
    : >"$SRV_LOG"  # exists before the first grep (the child opens it only when it runs)
    "${wrap[@]}" "$bin" --host 127.0.0.1 --port "$port" "$@" >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    local i
    for i in $(seq 400); do
        grep -q 'listening on http://' "$SRV_LOG" && break
        alive "$SRV_PID" || break
        sleep 0.025
    done
    SRV_PORT=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$SRV_LOG" | head -n 1)
    URL=http://127.0.0.1:$SRV_PORT
    if [ "$SRV_PORT" != "$port" ]; then
        fail "$name: server starts" "no 'listening on' line for port $port: $(head -c 400 "$SRV_LOG" | tr '\n' ' ')"
        return 1
    fi
    return 0
}

# stop_server NAME [WHAT]: SIGTERM, expect a clean exit 0 within 10 s and no sanitizer report.
stop_server() {
    local name=$1 what=${2:-SIGTERM with nothing held exits 0} rc
    kill -TERM "$SRV_PID" 2>/dev/null
    if wait_gone "$SRV_PID" 10; then
        wait "$SRV_PID"
        rc=$?
        eq "$name: $what" "$rc" 0
    else
        kill -KILL "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
        fail "$name: $what" "still running 10 s after SIGTERM"
    fi
    sanitizer_clean "$name" "$SRV_LOG"
}
sanitizer_clean() {
    if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$2"; then
        fail "$1: no sanitizer report" "$(grep -m 3 -E 'Sanitizer|runtime error' "$2" | tr '\n' ' ')"
    else
        pass "$1: no sanitizer report"
    fi
}

# req OUT CURL-ARGS...: one curl call (5 s cap); OUT.body, OUT.hdr; sets CODE, TIME, CTYPE, NCONN.
req() {
    local out=$1
    shift
    local w
    w=$(curl -sS -m "${CURL_MAX:-5}" -o "$out.body" -D "$out.hdr" \
        -w '%{http_code} %{time_total} %{num_connects} %{content_type}' "$@" 2>"$out.err")
    read -r CODE TIME NCONN CTYPE <<<"$w"
    CODE=${CODE:-000}
    TIME=${TIME:-99}
    CTYPE=${CTYPE:-}
}
# chat OUT URL BODYFILE [CURL-ARGS...]: POST a chat body.
chat() {
    local out=$1 url=$2 body=$3
    shift 3
    req "$out" -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$url"
}
# hdr FILE NAME: the value of the last NAME header in a curl -D file (no CR).
hdr() {
    grep -i "^$2:" "$1" | tail -n 1 | cut -d: -f2- | sed -e 's/^[ \t]*//' -e 's/\r$//'
}
# j FILE FILTER: jq -r on a file ("<jq error>" when it is not JSON).
j() {
    jq -r "$2" "$1" 2>/dev/null || echo "<jq error on: $(head -c 200 "$1" | tr '\n\r' '  ')>"
}
# jtest FILE FILTER: true when the jq filter yields true.
jtest() {
    jq -e "$2" "$1" >/dev/null 2>&1
}
# raw OUT PORT STEPS...: the python raw client; JSON result in OUT.json.
raw() {
    local out=$1
    shift
    timeout 20 $RAW "$@" >"$out.json" 2>"$out.err" || true
    [ -s "$out.json" ] || echo '{"error":"no output","responses":[],"interim":[],"closed":false}' >"$out.json"
}
# active URL: /health's active_requests.
active() {
    curl -s -m 2 "$1/health" | jq -r '.active_requests' 2>/dev/null
}
# wait_active URL N SECONDS: poll until active_requests == N.
wait_active() {
    local url=$1 n=$2 i tries
    tries=$(awk -v s="$3" 'BEGIN { printf "%d", s / 0.05 }')
    for i in $(seq "$tries"); do
        [ "$(active "$url")" == "$n" ] && return 0
        sleep 0.05
    done
    return 1
}
# hold URL COUNT PREFIX: COUNT chat requests in the background, each writing its status to
# PREFIX.N (and time_total to PREFIX.N.t). Their PIDs go to HELD (and to PIDS).
hold() {
    local url=$1 count=$2 prefix=$3 i
    HELD=()
    for i in $(seq "$count"); do
        curl -s -m 15 -o /dev/null -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
            --data-binary "@$T/chat.json" "$url/v1/chat/completions" >"$prefix.$i" 2>/dev/null &
        HELD+=($!)
        PIDS+=($!)
    done
}
wait_held() {
    local pid
    for pid in "${HELD[@]}"; do
        wait "$pid" 2>/dev/null
    done
}
# count_status PREFIX COUNT CODE: how many of PREFIX.1..COUNT start with CODE.
count_status() {
    local n=0 i
    for i in $(seq "$2"); do
        [ "$(cut -d' ' -f1 "$1.$i" 2>/dev/null)" == "$3" ] && n=$((n + 1))
    done
    echo "$n"
}
# metric FILE NAME-WITH-LABELS: the sample's value (first match), empty when absent.
metric() {
    awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}


# npm_ready: the client packages of test/node (official SDKs, LangChain, the AI SDK, ajv) as
# its lockfile pins them, installed once with `npm ci` (again when the lockfile changes).
# Sets NODE_DIR; false, with the reason in NPM_WHY, when node or npm is missing or the install
# fails (the caller reports its checks as skipped, never passed).
NODE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node
npm_ready() {
    NPM_WHY=""
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        NPM_WHY="node or npm not installed"
        return 1
    fi
    local stamp="$NODE_DIR/node_modules/.lock-stamp"
    if [ -f "$stamp" ] && cmp -s "$stamp" "$NODE_DIR/package-lock.json"; then
        return 0
    fi
    # One installer at a time (suites may run side by side).
    if ! (cd "$NODE_DIR" && flock "$NODE_DIR/.npm-lock" timeout 600 npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
        NPM_WHY="npm ci failed: $(tail -n 2 "$T/npm.log" | tr '\n' ' ')"
        return 1
    fi
    cp "$NODE_DIR/package-lock.json" "$stamp"
}
