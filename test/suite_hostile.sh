#!/usr/bin/env bash
# suite_hostile: hostile clients against the real server binary, each case asserting the exact
# outcome (issue 6): request smuggling and framing, resets and closes at every stage, slowloris,
# slow readers, connection floods past the open-file limit and the record pool, and SIGTERM
# under load (every held request answered, new connections refused, a second signal exits).
#
# usage: test/suite_hostile.sh        (from make test; about two minutes)
# The clients are test/hostile_clients.py (standard library only). Framing and resets run
# against the ASan+UBSan binary, the load cases against the optimised one.
# Prints "ok - ...", "FAIL - ...", "skip - ...", "info - ..." (figures) and ends with
# "hostile: P passed, F failed, S skipped".
#
# Known server bugs: a check listed in KNOWN_BUGS below that fails is reported as
# "skip - NAME (expected failure: ...)" so that main stays green until the fix lands; it is a
# real failure with HOSTILE_STRICT=1. Remove the entry when the bug is fixed.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OPT=$ROOT/build/llm-mock-server
SAN=$ROOT/build/llm-mock-server-san
HC="python3 $ROOT/test/hostile_clients.py"
source "$ROOT/test/lib.sh" "$OPT"

# Regex on check names -> why it is expected to fail (the report sent with the test).
declare -A KNOWN_BUGS=(
)

# lib.sh's fail(), with the known bugs reported as expected failures.
fail() {
    local name=$1 why=$2 re
    if [ "${HOSTILE_STRICT:-0}" != 1 ]; then
        for re in "${!KNOWN_BUGS[@]}"; do
            if [[ "$name" =~ $re ]]; then
                S=$((S + 1))
                echo "skip - $name (expected failure, ${KNOWN_BUGS[$re]}; got: $why)"
                return
            fi
        done
    fi
    F=$((F + 1))
    echo "FAIL - $name ($why)"
}
# helper PREFIX ARGS...: runs hostile_clients.py, prefixes its check names, counts its lines.
helper() {
    local prefix=$1 line kind rest name why
    shift
    timeout 120 $HC "$@" >"$T/helper.out" 2>"$T/helper.err"
    local rc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) pass "$prefix${line#ok - }" ;;
        "skip - "*) S=$((S + 1)); echo "skip - $prefix${line#skip - }" ;;
        "FAIL - "*)  # "FAIL - NAME<TAB>(WHY)"
            rest=${line#FAIL - }
            name=${rest%%$'\t'*}
            why=${rest#*$'\t'(}
            fail "$prefix$name" "${why%)}"
            ;;
        *) echo "$line" ;;
        esac
    done <"$T/helper.out"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$T/helper.out"; then
        fail "${prefix}hostile_clients.py $1 ran" "exit $rc: $(tail -c 400 "$T/helper.err" | tr '\n' ' ')"
    fi
}

# ---- 1. request smuggling and framing (RFC 9112) ------------------------------------------
if launch framing "$SAN" -- --response-delay-seconds 0; then
    helper "" framing "$SRV_PORT"
    stop_server framing "server exits 0 on SIGTERM"
fi

# ---- 2. resets and closes at every stage ---------------------------------------------------
if launch resets "$SAN" -- --response-delay-seconds 2 --max-concurrent 20 --worker-threads 2; then
    helper "" resets "$SRV_PORT" 20
    stop_server resets "server exits 0 on SIGTERM"
fi

# ---- 3. slowloris --------------------------------------------------------------------------
# One header byte per second per connection; HEADER_TIMEOUT_SECONDS=4. 800 connections fit the
# read buffers (2 workers x 512); 2,000 do not.
for n in 800 2000; do
    if launch "slowloris-$n" "$OPT" -- --response-delay-seconds 0 --header-timeout-seconds 4 --worker-threads 2; then
        helper "" slowloris "$SRV_PORT" "$SRV_PID" "$n" 1 4
        stop_server "slowloris-$n" "server exits 0 on SIGTERM"
    fi
done

# ---- 4. slow readers -----------------------------------------------------------------------
if launch slowread "$OPT" -- --response-delay-seconds 0 --worker-threads 2; then
    bufbytes=$(sed -nE 's/.*read buffers ([0-9]+) x ([0-9]+) bytes per worker.*/\1 \2/p' "$SRV_LOG")
    pool=$(awk -v b="$bufbytes" 'BEGIN { split(b, x, " "); printf "%d", 2 * x[1] * x[2] }')
    helper "" slowread "$SRV_PORT" "$SRV_PID" 50 "${pool:-0}"
    stop_server slowread "server exits 0 on SIGTERM"
fi

# ---- 5. floods -----------------------------------------------------------------------------
# Past the open-file limit (the server run under prlimit --nofile=200:200: its connection budget
# refuses), past the limit lowered under a running server (prlimit --pid: accept() meets EMFILE,
# the spare-fd trick and the accept pause), then past the record pool (MAX_CONNECTIONS=50 per
# worker) with plenty of file descriptors.
if launch flood-nofile "$OPT" prlimit --nofile=200:200 -- --response-delay-seconds 0 --header-timeout-seconds 30 \
    --worker-threads 2; then
    helper "" flood "$SRV_PORT" "$SRV_PID" 1000 flood/nofile
    # At the limit and past it: the budget the server logged is exactly what it held.
    budget=$(sed -nE 's/.* and ([0-9]+) in all,.*/\1/p' "$SRV_LOG" | head -n 1)
    held=$(sed -nE 's/^info - flood\/nofile: [0-9]+ connections: ([0-9]+) still open.*/\1/p' "$T/helper.out")
    eq "flood/nofile: exactly the connection budget is held (${budget:-?} in all), the rest refused" "${held:-none}" "${budget:-unknown}"
    stop_server flood-nofile "server exits 0 on SIGTERM"
fi
if launch flood-emfile "$OPT" prlimit --nofile=200:200 -- --response-delay-seconds 0 --header-timeout-seconds 30 \
    --worker-threads 2; then
    if prlimit --pid "$SRV_PID" --nofile=100:100; then
        helper "" flood "$SRV_PORT" "$SRV_PID" 1000 flood/emfile emfile
    else
        skip "flood/emfile" "prlimit --pid cannot lower the server's open-file limit here"
    fi
    stop_server flood-emfile "server exits 0 on SIGTERM"
fi
if launch flood-pool "$OPT" -- --response-delay-seconds 0 --header-timeout-seconds 30 --worker-threads 2 \
    --max-connections 50; then
    helper "" flood "$SRV_PORT" "$SRV_PID" 500 flood/pool
    stop_server flood-pool "server exits 0 on SIGTERM"
fi

# ---- 6. shutdown under load ----------------------------------------------------------------
HOLD=${HOSTILE_HOLD:-3000}
if launch shutdown "$OPT" -- --response-delay-seconds 3 --worker-threads 2; then
    t_start=$(now)
    $HC hold "$SRV_PORT" "$HOLD" "$T/hold.json" &
    hpid=$!
    PIDS+=("$hpid")
    if wait_active "$URL" "$HOLD" 2.5; then
        pass "shutdown: $HOLD requests hold slots (active_requests $HOLD)"
    else
        fail "shutdown: $HOLD requests hold slots" "active_requests $(active "$URL")"
    fi
    held_for=$(elapsed "$t_start")
    t0=$(now)
    kill -TERM "$SRV_PID"
    sleep 0.02
    $HC probe "$SRV_PORT" 1 "$T/probe.json" &
    ppid=$!
    if wait_gone "$SRV_PID" 10; then
        wait "$SRV_PID"
        rc=$?
        took=$(elapsed "$t0")
        eq "shutdown: exit status 0 after draining" "$rc" 0
        # Every held request was admitted before the signal, so its answer is due within the
        # 3 s delay after it; the exit must follow within 2 s (SHUTDOWN_TIMEOUT_SECONDS is 8 s).
        fcheck "shutdown: exit within the delay + 2 s of SIGTERM (the bound is 8 s)" "a <= 3 + 2" "$took"
        echo "info - shutdown: $HOLD requests held (the last admitted $held_for s after the first was sent); SIGTERM to exit $took s"
    else
        fail "shutdown: exit status 0 after draining" "still running 10 s after SIGTERM"
        kill -KILL "$SRV_PID" 2>/dev/null
    fi
    wait "$ppid" 2>/dev/null
    wait "$hpid" 2>/dev/null
    full=$(jq -r '.full_200' "$T/hold.json" 2>/dev/null)
    eq "shutdown: every one of the $HOLD held requests received a full 200 chat.completion" "${full:-none}" "$HOLD"
    [ "${full:-0}" != "$HOLD" ] && echo "info - shutdown: outcomes $(cat "$T/hold.json" 2>/dev/null)"
    probe=$(cat "$T/probe.json" 2>/dev/null)
    echo "info - shutdown: new connections from 20 ms after SIGTERM: ${probe:-none}"
    answered=$(jq -r '[to_entries[] | select(.key | startswith("status")) | .value] | add // 0' "$T/probe.json" 2>/dev/null)
    tried=$(jq -r '[to_entries[] | .value] | add // 0' "$T/probe.json" 2>/dev/null)
    if [ "${tried:-0}" -gt 0 ] && [ "${answered:-1}" == 0 ]; then
        pass "shutdown: new connections are refused from the signal on ($tried tries, none answered)"
    else
        fail "shutdown: new connections are refused from the signal on" "$probe"
    fi
    grep -q 'drained; exiting' "$SRV_LOG" && pass "shutdown: log says drained" || fail "shutdown: log says drained" "$(tail -n 3 "$SRV_LOG" | tr '\n' ' ')"
fi

if launch second-signal "$OPT" -- --response-delay-seconds 10 --shutdown-timeout-seconds 60 --worker-threads 2; then
    $HC hold "$SRV_PORT" "$HOLD" "$T/hold2.json" &
    hpid=$!
    PIDS+=("$hpid")
    wait_active "$URL" "$HOLD" 2.5 || fail "second signal: $HOLD requests held" "active_requests $(active "$URL")"
    kill -TERM "$SRV_PID"
    sleep 0.3
    if alive "$SRV_PID"; then
        pass "second signal: still draining 0.3 s after the first SIGTERM"
    else
        fail "second signal: still draining 0.3 s after the first SIGTERM" "exited"
    fi
    t0=$(now)
    kill -TERM "$SRV_PID"
    if wait_gone "$SRV_PID" 1; then
        wait "$SRV_PID"
        rc=$?
        took=$(elapsed "$t0")
        if [ "$rc" -ne 0 ]; then
            pass "second signal: exits at once ($took s) with status $rc while $HOLD requests are held"
        else
            fail "second signal: exits at once with a non-zero status" "status 0"
        fi
    else
        fail "second signal: exits at once" "still running 1 s after the second SIGTERM"
        kill -KILL "$SRV_PID" 2>/dev/null
    fi
    wait "$hpid" 2>/dev/null
    full=$(jq -r '.full_200' "$T/hold2.json" 2>/dev/null)
    eq "second signal: no held request was answered (they see the connection close)" "${full:-none}" 0
fi

echo "info - hostile suite took $(elapsed "$SUITE_START") s"
echo "hostile: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
