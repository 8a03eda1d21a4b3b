#!/usr/bin/env bash
# Anthropic Messages through the official @anthropic-ai/sdk (test/anthropic_sdk_test.cjs):
# create, stream().finalMessage() (text, tool use, thinking), countTokens, 400s, an aborted
# stream's slot; on a one-slot server OverloadedError (529) and the SDK's retry after
# retry-after. The packages come from test/node's lockfile (npm_ready); without node or npm
# the checks are reported as skipped, never passed.
# usage: test/suite_anthropic_sdk.sh [BINARY]; ends with "anthropic-sdk: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh"
if ! npm_ready; then
    skip "anthropic-sdk" "$NPM_WHY"
else
    # run_node NAME MODE: the node checks against the server started last.
    run_node() {
        local out line
        out=$(timeout 90 node "$HERE/anthropic_sdk_test.cjs" "$URL" "$NODE_DIR" "$2" 2>&1)
        echo "$out" | grep -E '^(ok|FAIL) - '
        line=$(echo "$out" | grep -E '^sdk: [0-9]+ passed' | tail -n 1)
        if [ -z "$line" ]; then
            fail "$1: the node test ran to its end" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
        else
            P=$((P + $(echo "$line" | sed -nE 's/sdk: ([0-9]+) passed.*/\1/p')))
            F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
        fi
    }
    if start_server anthropic RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.001 REASONING_TOKENS=8; then
        run_node anthropic main
        stop_server anthropic
    fi
    if start_server anthropic-full RESPONSE_DELAY_SECONDS=1.5 MAX_CONCURRENT=1 RETRY_AFTER_SECONDS=1; then
        run_node anthropic-full full
        stop_server anthropic-full
    fi
fi
echo "anthropic-sdk: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
