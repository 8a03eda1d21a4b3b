#!/usr/bin/env bash
# The official OpenAI Node SDK against the server (non-streamed, streamed, errors, retries,
# aborts, other routes). The npm package "openai" (v6: v7 needs Node 22) comes from
# test/node's lockfile (npm_ready). Without node or npm, or when the registry cannot be reached, the checks are
# reported as skipped, never passed.
# usage: test/suite_openai_sdk.sh [BINARY]; ends with "openai-sdk: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh"
if ! npm_ready; then
    skip "openai-sdk" "$NPM_WHY"
elif start_server sdk RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.002 RETRY_AFTER_SECONDS=1; then
    out=$(timeout 120 node "$HERE/openai_sdk_test.cjs" "$URL" "$NODE_DIR" 2>&1)
    echo "$out" | grep -E '^(ok|FAIL) - '
    line=$(echo "$out" | grep -E '^sdk: [0-9]+ passed' | tail -n 1)
    if [ -z "$line" ]; then
        fail "openai-sdk: the node test ran to its end" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
    fi
    P=$((P + $(echo "$line" | sed -nE 's/sdk: ([0-9]+) passed.*/\1/p')))
    F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
    stop_server sdk
fi
echo "openai-sdk: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
