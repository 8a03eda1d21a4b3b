#!/bin/sh
# run.sh: runs libFuzzer targets for a bounded time each and prints one summary line per target:
#   "fuzz TARGET: E execs in S s, N new inputs, C crashes"
# usage: fuzz/run.sh BIN_DIR SECONDS WORK_DIR TARGET...
# Each target starts from fuzz/corpus/TARGET (read-only seeds) plus WORK_DIR/corpus/TARGET
# (where libFuzzer adds what it finds); crash, leak, timeout and OOM inputs go to
# WORK_DIR/crashes/TARGET/. Exit status 1 when any target found one.
set -u
bin_dir=$1
seconds=$2
work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$@"; do
    corpus=$work/corpus/$t
    crashes=$work/crashes/$t
    log=$work/$t.log
    mkdir -p "$corpus" "$crashes"
    before=$(ls "$corpus" | wc -l)
    dict=""
    case "$t" in
    fuzz_chat_body | fuzz_responses_body | fuzz_anthropic_body) dict="-dict=$here/json.dict" max_len=16384 ;;
    *) dict="-dict=$here/http.dict" max_len=4096 ;;
    esac
    "$bin_dir/$t" "$corpus" "$here/corpus/$t" $dict -max_len=$max_len -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1
    rc=$?
    execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
    secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -n 1)
    after=$(ls "$corpus" | wc -l)
    found=$(ls "$crashes" | wc -l)
    echo "fuzz $t: ${execs:-0} execs in ${secs:-$seconds} s, $((after - before)) new inputs, $found crashes"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        echo "fuzz $t: exit status $rc; log $log; crash inputs in $crashes:" >&2
        ls "$crashes" >&2
        grep -m 20 -E 'ERROR|SUMMARY|fuzz_[a-z_]+:|runtime error' "$log" >&2
    fi
done
exit $status
