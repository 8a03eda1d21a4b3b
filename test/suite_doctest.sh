#!/usr/bin/env bash
# The doc-tests: every ```sh doctest block of README.md and docs/*.md (the rules are in
# docs/design.md, "For contributors") run against the real binary on loopback: each in its own
# process group with HOST=127.0.0.1 and a free PORT, a 20 s cap, its exit status 0 and every
# `# => TEXT` it states found in its output; then its process group (the servers it started)
# is killed by its id. The whole suite is bounded (no block starts after DOCTEST_SUITE_SECONDS, 90 s).
# Also: README.md marks at least 6 blocks (its first request and five recipes).
# usage: test/suite_doctest.sh [BINARY]   (default build/llm-mock-server)
# Ends with one line "doctest: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server}"
source "$(dirname "$0")/lib.sh" "$1" --binary
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT" || exit 2
BLOCK_SECONDS=${DOCTEST_BLOCK_SECONDS:-20}
# The whole suite stays within SUITE_SECONDS: a block that would start later is a failure.
SUITE_SECONDS=${DOCTEST_SUITE_SECONDS:-90}

GROUPS_STARTED=()
kill_groups() {
    local g
    for g in "${GROUPS_STARTED[@]}"; do
        kill -KILL -- "-$g" 2>/dev/null
    done
}
trap 'kill_groups; cleanup' EXIT

mkdir -p "$T/blocks"
n=$(python3 "$HERE/docs/extract_doctests.py" "$T/blocks" README.md docs/*.md)
fcheck "README.md and docs/ hold doc-test blocks ($n)" "a >= 10" "${n:-0}"
readme_blocks=$(grep -cE '^```sh doctest( |$)' README.md)
fcheck "README.md marks its runnable blocks ($readme_blocks)" "a >= 6" "$readme_blocks"

prelude='lms_wait_up() { local i; for i in $(seq 200); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT/health" && return 0; sleep 0.05; done; echo "doctest: no server on port $PORT" >&2; return 1; }'

for f in "$T"/blocks/*.sh; do
    [ -e "$f" ] || continue
    base=${f%.sh}
    name=$(cat "$base.name")
    needs=$(cat "$base.needs")
    if [ -n "$needs" ] && [ ! -e "$needs" ]; then
        skip "$name" "needs $needs (make test installs it)"
        continue
    fi
    if awk -v e="$(elapsed "$SUITE_START")" -v b="$SUITE_SECONDS" 'BEGIN { exit !(e > b) }'; then
        fail "$name: runs" "not started: the suite is past its ${SUITE_SECONDS} s budget"
        continue
    fi
    port=$(free_port)
    { echo "$prelude"; cat "$f"; } >"$base.run"
    start=$(now)
    HOST=127.0.0.1 PORT=$port LMS_BIN=$BIN setsid bash "$base.run" >"$base.out" 2>&1 </dev/null &
    pid=$!
    GROUPS_STARTED+=("$pid")
    if wait_gone "$pid" "$BLOCK_SECONDS"; then
        wait "$pid"
        rc=$?
    else
        rc=timeout
    fi
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    took=$(elapsed "$start")
    if [ "$rc" == 0 ]; then
        pass "$name: exits 0 (${took} s)"
    else
        fail "$name: exits 0" "status $rc after ${took} s; output: $(tail -c 600 "$base.out" | tr '\n' ' ')"
    fi
    while IFS= read -r want; do
        contains "$name: prints '$want'" "$base.out" "$want"
    done <"$base.expect"
done

echo "doctest: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
