#!/usr/bin/env bash
# The agent features of chat completions through the official clients: the OpenAI Node SDK
# (tool calls non-streamed and streamed, parallel calls, runTools, parse with zod, reasoning,
# n > 1, compatible-mode 400s), LangChain JS (bindTools, withStructuredOutput, an agent loop)
# and the Vercel AI SDK (generateText / streamText with tools). The packages come from
# test/node's lockfile (npm_ready). Without node or npm, or when the registry cannot be
# reached, the checks are reported as skipped, never passed.
# usage: test/suite_agents_sdk.sh [BINARY]; ends with "agents-sdk: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh"
if ! npm_ready; then
    skip "agents-sdk" "$NPM_WHY"
else
    # run_node NAME [multi]: the node checks against the server started last.
    run_node() {
        local out line
        out=$(timeout 90 node "$HERE/agents_sdk_test.cjs" "$URL" "$NODE_DIR" ${2:-} 2>&1)
        echo "$out" | grep -E '^(ok|FAIL) - '
        line=$(echo "$out" | grep -E '^sdk: [0-9]+ passed' | tail -n 1)
        if [ -z "$line" ]; then
            fail "$1: the node test ran to its end" "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
        else
            P=$((P + $(echo "$line" | sed -nE 's/sdk: ([0-9]+) passed.*/\1/p')))
            F=$((F + $(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')))
        fi
    }
    if start_server agents RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.001 REASONING_TOKENS=8 OUTPUT_TOKENS=12; then
        run_node agents
        stop_server agents
    fi
    # Two parallel calls a turn and two tool turns before the answer.
    if start_server agents-multi RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.001 OUTPUT_TOKENS=12 TOOL_CALLS=2 TOOL_ROUNDS=2; then
        run_node agents-multi multi
        stop_server agents-multi
    fi
fi
echo "agents-sdk: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
