#!/bin/sh
# Runs every suite and ends with one line "N passed, N failed[, N skipped]":
#   unit tests under ASan+UBSan, the same unit tests optimised, and the integration suite
#   against the sanitised server binary.
set -u
passed=0
failed=0
skipped=0

# Catch2 v2 prints "All tests passed (A assertions in T test cases)" or
# "test cases: T | P passed | F failed".
catch2() {
    name=$1
    shift
    out=$("$@" 2>&1)
    rc=$?
    echo "$out" | tail -n 4
    line=$(echo "$out" | grep -E '^(All tests passed|test cases:)' | tail -n 1)
    case "$line" in
    "All tests passed"*)
        p=$(echo "$line" | sed -E 's/.* in ([0-9]+) test case.*/\1/')
        f=0
        ;;
    "test cases:"*)
        p=$(echo "$line" | sed -E 's/.*\| *([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.*\| *([0-9]+) failed.*/\1/')
        case "$p" in *[!0-9]*|"") p=0 ;; esac
        ;;
    *)
        echo "$out" | tail -n 30
        p=0
        f=1
        ;;
    esac
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "$name: $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
}

catch2 "unit (asan+ubsan)" build/unit-tests-san
catch2 "unit (optimised)" build/unit-tests

# suite NAME COMMAND...: a suite that ends with a line "NAME: P passed, F failed[, S skipped]";
# its FAIL and skip lines are shown, its counts added. No summary, or a failing exit status
# with no failure counted, counts as one failure.
suite() {
    name=$1
    shift
    out=$("$@" 2>&1)
    rc=$?
    echo "$out" | grep -E '^(FAIL|skip)' || true
    line=$(echo "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    echo "${line:-$name: no summary (crashed?)}"
    p=$(echo "$line" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
    f=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    [ -z "$line" ] && f=1
    [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${s:-0}))
}

suite integration bash test/integration_test.sh build/llm-mock-server-san
# Further suites (test/suite_*.sh).
for s_file in test/suite_*.sh; do
    [ -f "$s_file" ] && suite "$s_file" bash "$s_file"
done

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
