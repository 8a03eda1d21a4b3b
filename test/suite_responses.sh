#!/usr/bin/env bash
# The OpenAI Responses API (POST /v1/responses and /compatible-mode/v1/responses) on the wire,
# with curl and jq: the response object's keys (wire-formats.md §2.2), the named events of a
# stream in exactly §2.3's order with sequence_number 0..n-1 and no [DONE], function calls
# (whole and streamed, TOOL_CALLS, tool_choice, the tool loop's function_call_output),
# reasoning summaries, text.format json_schema, max_output_tokens (incomplete), headers, the
# 400s with their param, 401, 404, the injected 429/503 and an in-stream error.
# usage: test/suite_responses.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "responses: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

V1=/v1/responses
CM=/compatible-mode/v1/responses

mk() { printf '%s' "$2" >"$T/$1.json"; }
# sse OUT URL BODY [CURL-ARGS...]: a streamed POST; OUT.body, OUT.hdr, OUT.names (the event:
# names, one a line) and OUT.json (the data objects, one a line).
sse() {
    local out=$1 url=$2 body=$3
    shift 3
    req "$out" -N -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$url"
    tr -d '\r' <"$out.body" | sed -n 's/^event: //p' >"$out.names"
    tr -d '\r' <"$out.body" | sed -n 's/^data: //p' >"$out.json"
}
js() { jq -s -r "$2" "$1" 2>/dev/null || echo "<jq error on: $(head -c 200 "$1" | tr '\n\r' '  ')>"; }
# order OUT: the event names as one line, each run of deltas folded into NAME*.
order() { uniq "$1.names" | tr '\n' ' ' | sed 's/ $//'; }
# stream_sane WHAT OUT: the checks every stream passes.
stream_sane() {
    local what=$1 o=$2
    eq "$what: 200, text/event-stream" "$CODE|${CTYPE%%;*}" "200|text/event-stream"
    eq "$what: sequence_number runs 0..n-1" "$(js "$o.json" '[.[].sequence_number] == [range(length)]')" true
    eq "$what: each event: line names its data's type" \
        "$(jq -s -r 'map(.type) | join(" ")' "$o.json" 2>/dev/null)" "$(tr '\n' ' ' <"$o.names" | sed 's/ $//')"
    eq "$what: no [DONE]" "$(grep -c '\[DONE\]' "$o.body")" 0
    eq "$what: the first event is response.created, in_progress, no output, usage null" \
        "$(head -n 1 "$o.json" | jq -c '[.type, .response.status, .response.output, .response.usage]')" \
        '["response.created","in_progress",[],null]'
    match "$what: x-request-id req_ + 32 hex" "$(hdr "$o.hdr" x-request-id)" '^req_[0-9a-f]{32}$'
    eq "$what: x-mock-stateless (no response is kept)" "$(hdr "$o.hdr" x-mock-stateless)" true
}

TOOLS='[{"type":"function","name":"get_weather","description":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false},"strict":true}]'
mk text '{"model":"gpt-4o-mini","input":"Say hello"}'
mk text_s '{"model":"gpt-4o-mini","input":[{"role":"user","content":[{"type":"input_text","text":"Say hello"}]}],"instructions":"Be terse.","stream":true}'
mk cut '{"model":"gpt-4o-mini","input":"Say hello","max_output_tokens":16}'
mk cut_s '{"model":"gpt-4o-mini","input":"Say hello","max_output_tokens":16,"stream":true}'
mk tools "{\"model\":\"gpt-4o-mini\",\"input\":\"Weather in Paris?\",\"tools\":$TOOLS}"
mk tools_s "{\"model\":\"gpt-4o-mini\",\"input\":\"Weather in Paris?\",\"tools\":$TOOLS,\"stream\":true}"
mk tools_none "{\"model\":\"gpt-4o-mini\",\"input\":\"Weather in Paris?\",\"tools\":$TOOLS,\"tool_choice\":\"none\"}"
mk tools_named "{\"model\":\"gpt-4o-mini\",\"input\":\"Weather in Paris?\",\"tools\":$TOOLS,\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"}}"
mk loop "{\"model\":\"gpt-4o-mini\",\"tools\":$TOOLS,\"input\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"},{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"{\\\"temp\\\":21}\"}]}"
mk reason_s '{"model":"o4-mini","input":"hi","stream":true,"reasoning":{"effort":"medium","summary":"auto"}}'
mk reason '{"model":"o4-mini","input":"hi","reasoning":{"effort":"medium","summary":"auto"}}'
mk hidden '{"model":"o4-mini","input":"hi","reasoning":{"effort":"high"}}'
mk jschema '{"model":"gpt-4o-mini","input":"hi","text":{"format":{"type":"json_schema","name":"w","strict":true,"schema":{"type":"object","properties":{"t":{"type":"integer","minimum":3,"maximum":5}},"required":["t"],"additionalProperties":false}}}}'
mk stateless '{"model":"gpt-4o-mini","input":"again","previous_response_id":"resp_0123","store":false,"metadata":{"k":"v"},"temperature":0.2,"top_p":0.5}'

KEYS='["created_at","error","id","incomplete_details","instructions","metadata","model","object","output","parallel_tool_calls","tool_choice","tools","top_p","temperature","usage"]'

if start_server main RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 REASONING_TOKENS=4 TOOL_CALLS=1; then
    # 1. whole text, both routes
    for route in "$V1" "$CM"; do
        chat "$T/a" "$URL$route" "$T/text.json"
        eq "text $route: 200 application/json" "$CODE|${CTYPE%%;*}" "200|application/json"
        eq "text $route: object response, status completed, id resp_ + 32 hex" \
            "$(j "$T/a.body" '"\(.object) \(.status) \(.id | test("^resp_[0-9a-f]{32}$"))"')" "response completed true"
        eq "text $route: every spec-required key" "$(j "$T/a.body" "$KEYS - keys")" "[]"
        eq "text $route: one message item, output_text non-empty, annotations [] and logprobs []" \
            "$(j "$T/a.body" '.output | "\(length) \(.[0].type) \(.[0].role) \(.[0].content[0].type) \(.[0].content[0].text | length > 0) \(.[0].content[0].annotations) \(.[0].content[0].logprobs)"')" \
            "1 message assistant output_text true [] []"
        eq "text $route: message id msg_ + the response id's hex" \
            "$(j "$T/a.body" '(.id | ltrimstr("resp_")) as $h | .output[0].id | startswith("msg_" + $h)')" true
        eq "text $route: usage keys, total = input + output" \
            "$(j "$T/a.body" '.usage | "\(.input_tokens_details.cached_tokens) \(.input_tokens_details.cache_write_tokens) \(.output_tokens_details.reasoning_tokens) \(.total_tokens == .input_tokens + .output_tokens) \(.output_tokens > 0)"')" \
            "0 0 0 true true"
        eq "text $route: x-request-id is req_ + the response id's hex" \
            "$(hdr "$T/a.hdr" x-request-id)" "req_$(j "$T/a.body" '.id | ltrimstr("resp_")')"
    done

    # 2. streamed text: exactly §2.3's order
    for route in "$V1" "$CM"; do
        sse "$T/s" "$URL$route" "$T/text_s.json"
        stream_sane "text stream $route" "$T/s"
        eq "text stream $route: event order as §2.3" "$(order "$T/s")" \
            "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed"
        eq "text stream $route: deltas concatenate to output_text.done's text and to completed's" \
            "$(js "$T/s.json" '([.[] | select(.type == "response.output_text.delta") | .delta] | join("")) as $d | [$d == (.[] | select(.type == "response.output_text.done") | .text), $d == (.[-1].response.output[0].content[0].text), ($d | length > 0)] | all')" true
        eq "text stream $route: every delta has item_id, output_index 0, content_index 0, logprobs []" \
            "$(js "$T/s.json" '[.[] | select(.type == "response.output_text.delta") | (.item_id | startswith("msg_")) and .output_index == 0 and .content_index == 0 and .logprobs == []] | all')" true
        eq "text stream $route: completed has status completed, usage, the same id as created" \
            "$(js "$T/s.json" '"\(.[-1].response.status) \(.[-1].response.usage.output_tokens > 0) \(.[0].response.id == .[-1].response.id)"')" "completed true true"
        eq "text stream $route: output_tokens == the number of deltas" \
            "$(js "$T/s.json" '([.[] | select(.type == "response.output_text.delta")] | length) == .[-1].response.usage.output_tokens')" true
    done

    # 3. max_output_tokens: incomplete
    chat "$T/c" "$URL$V1" "$T/cut.json"
    eq "max_output_tokens 16: status incomplete, reason max_output_tokens, 16 output tokens" \
        "$(j "$T/c.body" '"\(.status) \(.incomplete_details.reason) \(.usage.output_tokens)"')" "incomplete max_output_tokens 16"
    sse "$T/cs" "$URL$V1" "$T/cut_s.json"
    stream_sane "max_output_tokens stream" "$T/cs"
    eq "max_output_tokens stream: ends with response.incomplete (16 deltas)" \
        "$(tail -n 1 "$T/cs.names") $(grep -c '^response.output_text.delta$' "$T/cs.names")" "response.incomplete 16"

    # 4. function calls
    chat "$T/f" "$URL$V1" "$T/tools.json"
    eq "tools: one function_call item, no message" "$(j "$T/f.body" '[.output[].type] | join(",")')" function_call
    eq "tools: call_id call_ + 24, id fc_, name, status completed" \
        "$(j "$T/f.body" '.output[0] | "\(.call_id | test("^call_[A-Za-z0-9]{24}$")) \(.id | test("^fc_[0-9a-f]{34}$")) \(.name) \(.status)"')" \
        "true true get_weather completed"
    eq "tools: arguments a JSON string with a string city, keys within {city, unit}" \
        "$(j "$T/f.body" '.output[0].arguments | fromjson | "\(.city | type) \((keys - ["city", "unit"]) | length)"')" "string 0"
    chat "$T/fn" "$URL$V1" "$T/tools_none.json"
    eq "tool_choice none: a message" "$(j "$T/fn.body" '[.output[].type] | join(",")')" message
    chat "$T/fd" "$URL$V1" "$T/tools_named.json"
    eq "tool_choice {type function, name}: a call of it" "$(j "$T/fd.body" '.output[0] | "\(.type) \(.name)"')" "function_call get_weather"
    chat "$T/fl" "$URL$V1" "$T/loop.json"
    eq "tool loop: after a function_call_output (TOOL_ROUNDS 1), a message" \
        "$(j "$T/fl.body" '[.output[].type] | join(",")') $(j "$T/fl.body" '.output[0].content[0].text | length > 0')" "message true"
    chat "$T/f2" "$URL$V1" "$T/tools.json" -H 'X-Mock-Tool-Calls: 2'
    eq "X-Mock-Tool-Calls 2: two calls, distinct call_ids, fc_ ids end in their index" \
        "$(j "$T/f2.body" '"\(.output | length) \([.output[].call_id] | unique | length) \(.output[0].id | endswith("00")) \(.output[1].id | endswith("01"))"')" "2 2 true true"

    sse "$T/fs" "$URL$V1" "$T/tools_s.json" -H 'X-Mock-Tool-Calls: 2'
    stream_sane "function-call stream" "$T/fs"
    eq "function-call stream: event order as §2.3, per call" "$(order "$T/fs")" \
        "response.created response.in_progress response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.completed"
    eq "function-call stream: added items have arguments \"\", status in_progress, call_id and name" \
        "$(js "$T/fs.json" '[.[] | select(.type == "response.output_item.added") | .item | .arguments == "" and .status == "in_progress" and (.call_id | startswith("call_")) and .name == "get_weather"] | "\(length) \(all)"')" "2 true"
    for i in 0 1; do
        eq "function-call stream: call $i's deltas == its done arguments == completed's, valid JSON" \
            "$(js "$T/fs.json" "([.[] | select(.type == \"response.function_call_arguments.delta\" and .output_index == $i) | .delta] | join(\"\")) as \$d | [\$d == (.[] | select(.type == \"response.function_call_arguments.done\" and .output_index == $i) | .arguments), \$d == .[-1].response.output[$i].arguments, (\$d | fromjson | .city | type == \"string\")] | all")" true
    done
    eq "function-call stream: arguments.done has name; call ids match completed's" \
        "$(js "$T/fs.json" '([.[] | select(.type == "response.function_call_arguments.done") | .name] | unique) == ["get_weather"] and ([.[] | select(.type == "response.output_item.done") | .item.call_id] == [.[-1].response.output[].call_id])')" true

    # 5. reasoning
    sse "$T/r" "$URL$V1" "$T/reason_s.json"
    stream_sane "reasoning stream" "$T/r"
    eq "reasoning stream: summary events, then the message at output_index 1" "$(order "$T/r")" \
        "response.created response.in_progress response.output_item.added response.reasoning_summary_part.added response.reasoning_summary_text.delta response.reasoning_summary_text.done response.reasoning_summary_part.done response.output_item.done response.output_item.added response.content_part.added response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed"
    eq "reasoning stream: 4 summary deltas at index 0, text deltas at 1, reasoning_tokens 4" \
        "$(js "$T/r.json" '"\([.[] | select(.type == "response.reasoning_summary_text.delta" and .output_index == 0)] | length) \([.[] | select(.type == "response.output_text.delta") | .output_index] | unique) \(.[-1].response.usage.output_tokens_details.reasoning_tokens)"')" \
        "4 [1] 4"
    chat "$T/rw" "$URL$V1" "$T/reason.json"
    eq "reasoning whole: a reasoning item with a summary_text, then the message" \
        "$(j "$T/rw.body" '"\([.output[].type] | join(",")) \(.output[0].id | startswith("rs_")) \(.output[0].summary[0].type) \(.output[0].summary[0].text | length > 0)"')" \
        "reasoning,message true summary_text true"
    chat "$T/rh" "$URL$V1" "$T/hidden.json"
    eq "reasoning effort high without summary: hidden, counted (16 reasoning tokens)" \
        "$(j "$T/rh.body" '"\([.output[].type] | join(",")) \(.usage.output_tokens_details.reasoning_tokens)"')" "message 16"

    # 6. text.format json_schema
    chat "$T/js" "$URL$V1" "$T/jschema.json"
    eq "text.format json_schema: output_text parses, t an integer in 3..5, no other key" \
        "$(j "$T/js.body" '.output[0].content[0].text | fromjson | "\(.t | type) \(.t >= 3 and .t <= 5) \(keys)"')" 'number true ["t"]'

    # 7. the stateless extras are accepted
    chat "$T/st" "$URL$V1" "$T/stateless.json"
    eq "previous_response_id, store false, metadata, temperature, top_p: accepted (200)" "$CODE" 200
    eq "the response repeats them: previous_response_id, store, metadata, temperature, top_p" \
        "$(j "$T/st.body" '"\(.previous_response_id) \(.store) \(.metadata.k) \(.temperature) \(.top_p) \(.instructions)"')" \
        "resp_0123 false v 0.2 0.5 null"
    sse "$T/ts" "$URL$V1" "$T/text_s.json"
    eq "the stream's response.created and response.completed repeat instructions" \
        "$(js "$T/ts.json" '[.[] | select(.type == "response.created" or .type == "response.completed") | .response.instructions] | join("|")')" \
        "Be terse.|Be terse."

    # 8. refusals name their param
    while IFS='|' read -r name body param; do
        mk bad "$body"
        chat "$T/b" "$URL$V1" "$T/bad.json"
        eq "400 $name: param $param, type invalid_request_error" \
            "$CODE|$(j "$T/b.body" '"\(.error.param)|\(.error.type)"')" "400|$param|invalid_request_error"
    done <<'EOF'
no input|{"model":"m"}|input
input a number|{"input":5}|input
empty input|{"input":[]}|input
bad role|{"input":[{"role":"robot","content":"x"}]}|input
max_output_tokens 15|{"input":"x","max_output_tokens":15}|max_output_tokens
a web_search tool|{"input":"x","tools":[{"type":"web_search"}]}|tools
chat-shaped tool|{"input":"x","tools":[{"type":"function","function":{"name":"w"}}]}|tools
tool_choice unknown|{"input":"x","tools":[{"type":"function","name":"w"}],"tool_choice":{"type":"function","name":"z"}}|tool_choice
reasoning effort|{"input":"x","reasoning":{"effort":"extreme"}}|reasoning.effort
text.format type|{"input":"x","text":{"format":{"type":"xml"}}}|text.format.type
text.format name|{"input":"x","text":{"format":{"type":"json_schema","schema":{}}}}|text.format.name
temperature 2.5|{"input":"x","temperature":2.5}|temperature
stream a string|{"input":"x","stream":"yes"}|stream
EOF
    mk badjson '{"input":'
    chat "$T/bj" "$URL$V1" "$T/badjson.json"
    eq "400 not JSON: param null" "$CODE|$(j "$T/bj.body" '.error.param')" "400|null"
    mk okmax '{"input":"x","max_output_tokens":16}'
    chat "$T/om" "$URL$V1" "$T/okmax.json"
    eq "max_output_tokens 16 (the minimum): 200" "$CODE" 200
    req "$T/g" "$URL$V1"
    eq "GET /v1/responses: 405" "$CODE" 405
    chat "$T/e4" "$URL$V1" "$T/text.json" -H 'X-Return-Error: 429'
    eq "X-Return-Error 429: 429 with OpenAI's envelope and retry-after-ms" \
        "$CODE|$(j "$T/e4.body" .error.type)|$(hdr "$T/e4.hdr" retry-after-ms | grep -c .)" "429|rate_limit_error|1"
    stop_server main
fi

# ---- MAX_CONCURRENT=1: the overload answer is 503 -----------------------------------------
if start_server busy RESPONSE_DELAY_SECONDS=2 MAX_CONCURRENT=1; then
    curl -s -m 5 -o /dev/null -H 'Content-Type: application/json' --data-binary "@$T/text.json" "$URL$V1" &
    PIDS+=($!)
    wait_active "$URL" 1 3
    chat "$T/o" "$URL$V1" "$T/text.json"
    eq "a full server: 503 with Retry-After" "$CODE|$(hdr "$T/o.hdr" Retry-After | grep -c .)" "503|1"
    stop_server busy "SIGTERM with one held request exits 0"
fi

# ---- REQUIRE_API_KEY, a mid-stream error ------------------------------------------------------
if start_server keys RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 REQUIRE_API_KEY=sk-1 FAULT_STREAM_ERROR_RATE=1 FAULT_AFTER_TOKENS=2; then
    chat "$T/k" "$URL$V1" "$T/text.json"
    eq "no key: 401 invalid_api_key" "$CODE|$(j "$T/k.body" .error.code)" "401|invalid_api_key"
    sse "$T/ke" "$URL$V1" "$T/text_s.json" -H 'Authorization: Bearer sk-1'
    eq "injected stream error: 200, then 2 deltas and an error event last" \
        "$CODE $(grep -c '^response.output_text.delta$' "$T/ke.names") $(tail -n 1 "$T/ke.names")" "200 2 error"
    eq "injected stream error: the error event has type error, code server_error" \
        "$(tail -n 1 "$T/ke.json" | jq -r '"\(.type) \(.code) \(.message | length > 0)"')" "error server_error true"
    eq "injected stream error: the events before it are numbered 0..n-1" \
        "$(sed '$d' "$T/ke.json" | jq -s '[.[].sequence_number] == [range(length)]')" true
    stop_server keys
fi

echo "responses: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
