#!/usr/bin/env bash
# The Responses API through the official clients: openai-node (responses.create, text.format
# json_schema, responses.stream() helpers and finalResponse(), a function_call_output tool
# loop, 400s) and the Vercel AI SDK's default provider model (generateText, with tools and
# stopWhen, streamText). The packages come from test/node's lockfile (npm_ready). Without node
# or npm, or when the registry cannot be reached, the checks are reported as skipped.
# usage: test/suite_responses_sdk.sh [BINARY]; ends with "responses-sdk: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh"
if ! npm_ready; then
    skip "responses-sdk" "$NPM_WHY"
else
    run_node() {
        local out line
        out=$(timeout 120 node "$HERE/responses_sdk_test.cjs" "$URL" "$NODE_DIR" 2>&1)
        echo "$out" | grep -E '^(ok|FAIL) - '
        line=$(echo "$out" | grep -E '^sdk: [0-9]+ passed' | tail -n 1)
        if [ -z "$line" ]; then
            fail "$1: the node test ran to its end" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
        else
            P=$((P + $(echo "$line" | sed -nE 's/sdk: ([0-9]+) passed.*/\1/p')))
            F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
        fi
    }
    if start_server responses RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.001 OUTPUT_TOKENS=12; then
        run_node responses
        stop_server responses
    fi
fi
echo "responses-sdk: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
