#!/usr/bin/env bash
# suite_fuzz_replay: the fuzz corpus replayed without libFuzzer (g++ ASan+UBSan replay binaries,
# build/fuzz-replay/*), then a short libFuzzer pass per target (FUZZ_CI_SECONDS, default 20;
# 0 turns it off) when the clang-built targets exist (build/fuzz/*).
# Prints "ok - ...", "FAIL - ...", "skip - ..." and ends with "fuzz: P passed, F failed, S skipped".
# A crash found by the short pass is kept in build/fuzz/ci-crashes/TARGET/ (add it to
# fuzz/corpus/TARGET/ once fixed: the replay then guards it for good).
set -u
cd "$(dirname "$0")/.."
P=0
F=0
S=0
pass() { P=$((P + 1)); echo "ok - $1"; }
fail() { F=$((F + 1)); echo "FAIL - $1 ($2)"; }
skip() { S=$((S + 1)); echo "skip - $1 ($2)"; }
TARGETS="fuzz_http_parser fuzz_http_differential fuzz_chat_body fuzz_responses_body fuzz_anthropic_body"
SECONDS_PER_TARGET=${FUZZ_CI_SECONDS:-20}
T=$(mktemp -d /tmp/lms-fuzz.XXXXXX)
trap 'rm -rf "$T"' EXIT

for t in $TARGETS; do
    bin=build/fuzz-replay/$t
    if [ ! -x "$bin" ]; then
        fail "replay $t" "$bin not built (make $bin)"
        continue
    fi
    n=$(ls "fuzz/corpus/$t" | wc -l)
    if out=$("$bin" "fuzz/corpus/$t" 2>"$T/$t.replay.err"); then
        pass "replay $t: $out, no sanitizer or invariant finding"
    else
        fail "replay $t ($n inputs)" "$(grep -v '^replay: ' "$T/$t.replay.err" | grep -m 5 -E 'ERROR|SUMMARY|runtime error|fuzz_|disagree|BROKEN' | tr '\n' ' ') last input: $(grep '^replay: ' "$T/$t.replay.err" | tail -n 1)"
    fi
done

if [ "$SECONDS_PER_TARGET" = 0 ]; then
    skip "libFuzzer pass" "FUZZ_CI_SECONDS=0"
else
    for t in $TARGETS; do
        if [ ! -x "build/fuzz/$t" ]; then
            skip "libFuzzer $t" "build/fuzz/$t not built (needs clang and libclang-rt-14-dev)"
            continue
        fi
        line=$(sh fuzz/run.sh build/fuzz "$SECONDS_PER_TARGET" "$T" "$t" 2>"$T/$t.run.err")
        rc=$?
        echo "$line"
        if [ $rc -eq 0 ]; then
            pass "libFuzzer $t for ${SECONDS_PER_TARGET} s: ${line#fuzz $t: }"
        else
            mkdir -p "build/fuzz/ci-crashes/$t"
            cp "$T/crashes/$t"/* "build/fuzz/ci-crashes/$t/" 2>/dev/null
            cp "$T/$t.log" "build/fuzz/ci-crashes/$t/" 2>/dev/null
            fail "libFuzzer $t" "$(head -c 600 "$T/$t.run.err" | tr '\n' ' ') inputs kept in build/fuzz/ci-crashes/$t"
        fi
    done
fi
echo "fuzz: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
