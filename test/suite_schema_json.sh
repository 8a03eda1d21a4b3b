#!/usr/bin/env bash
# schema_json against a real validator: build/schema-json-cli generates 20 values (seeds 1..20)
# for every schema of test/schemas/corpus.json, and ajv (strict: false, allErrors, ajv-formats,
# from test/node's lockfile) validates each; one check per schema. Also: no corpus schema gives
# !too_large or !bad_schema with the default 64 KiB buffer, every schema of test/schemas/bad.json
# gives !bad_schema, small buffers (64, 256 bytes) give valid values or !too_large and never a
# cut one, and the same seeds give the same bytes. Without node or npm the ajv checks are skipped.
# usage: test/suite_schema_json.sh [CLI]; ends with "schema-json: P passed, F failed, S skipped".
set -u
CLI=${1:-build/schema-json-cli}
source "$(dirname "$0")/lib.sh"
CORPUS=$HERE/schemas/corpus.json
BAD=$HERE/schemas/bad.json
SEEDS=20

if [ ! -x "$CLI" ]; then
    fail "schema-json: the CLI is built" "no $CLI (make $CLI)"
else
    n=$(jq length "$CORPUS")
    nbad=$(jq length "$BAD")
    "$CLI" "$CORPUS" "$SEEDS" >"$T/corpus.out" 2>"$T/corpus.err"
    eq "schema-json: the CLI runs the corpus" "$?" 0
    eq "schema-json: one line per schema and seed" "$(wc -l <"$T/corpus.out")" "$((n * SEEDS))"
    refused=$(grep -cP '^\d+\t!' "$T/corpus.out")
    eq "schema-json: no corpus schema gives !too_large or !bad_schema" "$refused" 0
    [ "$refused" -eq 0 ] || grep -P '^\d+\t!' "$T/corpus.out" | head -n 5
    "$CLI" "$CORPUS" "$SEEDS" >"$T/again.out" 2>/dev/null
    check "schema-json: the same seeds give the same bytes" "two runs differ" cmp -s "$T/corpus.out" "$T/again.out"
    distinct=$(cut -f2 "$T/corpus.out" | sort -u | wc -l)
    fcheck "schema-json: different seeds give different values (distinct values > 10 x schemas)" "a > b" "$distinct" "$((n * 10))"
    "$CLI" "$BAD" 1 >"$T/bad.out" 2>"$T/bad.err"
    eq "schema-json: every bad.json schema gives !bad_schema" "$(grep -cP '^\d+\t!bad_schema' "$T/bad.out")" "$nbad"
    for cap in 64 256; do
        "$CLI" "$CORPUS" "$SEEDS" "$cap" >"$T/small$cap.out" 2>/dev/null
        fcheck "schema-json: a $cap-byte buffer refuses some values as !too_large" "a > 0" \
            "$(grep -cP '^\d+\t!too_large' "$T/small$cap.out")"
    done
    if ! npm_ready; then
        skip "schema-json: ajv validates the values" "$NPM_WHY"
    else
        for run in corpus small64 small256; do
            allow=
            [ "$run" != corpus ] && allow=allow-too-large
            out=$(timeout 120 node "$HERE/schema_ajv_test.cjs" "$CORPUS" "$T/$run.out" "$NODE_DIR" $allow 2>&1)
            line=$(echo "$out" | grep -E '^ajv: [0-9]+ passed' | tail -n 1)
            if [ -z "$line" ]; then
                fail "schema-json: ajv ran to its end ($run)" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
                continue
            fi
            if [ "$run" == corpus ]; then
                echo "$out" | grep -E '^(ok|FAIL) - ' | sed 's/^\(ok\|FAIL\) - /\1 - schema-json: /'
                P=$((P + $(echo "$line" | sed -nE 's/ajv: ([0-9]+) passed.*/\1/p')))
                F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
            else
                echo "$out" | grep -E '^FAIL - '
                eq "schema-json: with a ${run#small}-byte buffer every value validates (or is !too_large)" \
                    "$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')" 0
            fi
        done
    fi
fi
echo "schema-json: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
