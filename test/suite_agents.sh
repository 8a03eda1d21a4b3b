#!/usr/bin/env bash
# The agent features of chat completions on the wire, with curl and jq: tool calls (whole and
# streamed, both dialects, tool_choice, parallel_tool_calls, TOOL_ROUNDS / TOOL_CALLS), reasoning
# (DashScope enable_thinking / thinking_budget, OpenAI reasoning_effort, hidden reasoning time),
# n, stop, response_format (json_object, json_schema), request ids and DashScope's headers, API
# keys, STRICT_MODELS, MAX_MODEL_LEN, DashScope SSE errors, CORS, the first-answer-token metric
# and the X-Mock-* override headers.
# usage: test/suite_agents.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "agents: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CONTENT='我是阿里云开发的一款超大规模语言模型，我叫通义千问。'
V1=/v1/chat/completions
CM=/compatible-mode/v1/chat/completions

# mk NAME JSON: a request body in $T/NAME.json.
mk() { printf '%s' "$2" >"$T/$1.json"; }
# sse OUT URL BODY [CURL-ARGS...]: a streamed POST; OUT.body, OUT.hdr, OUT.data (the data
# events, "[DONE]" kept as is) and OUT.json (the JSON events, one a line); sets CODE, TIME.
sse() {
    local out=$1 url=$2 body=$3
    shift 3
    req "$out" -N -H 'Content-Type: application/json' --data-binary "@$body" "$@" "$url"
    sed -n 's/^data: //p' "$out.body" | tr -d '\r' >"$out.data"
    grep -v '^\[DONE\]$' "$out.data" >"$out.json"
}
# js FILE FILTER: jq -s -r over a file of JSON lines.
js() { jq -s -r "$2" "$1" 2>/dev/null || echo "<jq error on: $(head -c 200 "$1" | tr '\n\r' '  ')>"; }
# deltas OUT: the content deltas of choice 0, concatenated.
deltas() { jq -rj '.choices[0]?.delta.content // empty' "$1.json" 2>/dev/null; }
# args OUT INDEX: the concatenated argument fragments of streamed tool call INDEX.
args() { jq -rj --argjson i "$2" '.choices[]?.delta.tool_calls[]? | select(.index == $i) | .function.arguments // empty' "$1.json" 2>/dev/null; }
now_ms() { date +%s%3N; }

TOOLS='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false}}}]'
USER='{"role":"user","content":"What is the weather in Paris?"}'
TURN='{"role":"user","content":"What is the weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abcdefghijklmnopqrstuvwx","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_abcdefghijklmnopqrstuvwx","content":"{\"temp\":21}"}'
mk tools "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS}"
mk tools_s "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
mk tools_none "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS,\"tool_choice\":\"none\"}"
mk tools_turn "{\"model\":\"qwen-plus\",\"messages\":[$TURN],\"tools\":$TOOLS,\"tool_choice\":\"auto\"}"
mk tools_absent "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS,\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"absent_fn\"}}}"
mk tools_serial "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS,\"parallel_tool_calls\":false}"
mk plain '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}'
mk plain_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
mk think_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"enable_thinking":true}'
mk think_budget_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"enable_thinking":true,"thinking_budget":3}'
mk think '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"enable_thinking":true}'
mk effort_high_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"high"}'
mk effort_low_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"low"}'
mk effort_med_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"medium"}'
mk n3 '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"n":3}'
mk n2_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"n":2,"stream":true}'
mk n9 '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"n":9}'
mk n5 '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"n":5}'
mk n5_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"n":5,"stream":true}'
mk n2_tools "{\"model\":\"qwen-plus\",\"messages\":[$USER],\"tools\":$TOOLS,\"n\":2}"
mk stop '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stop":"阿里"}'
mk stop_s '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stop":["阿里"],"stream":true}'
mk jobj '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}'
mk jobj_word '{"model":"qwen-plus","messages":[{"role":"system","content":"Answer in JSON."},{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}'
mk jschema '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"t":{"type":"integer","minimum":3,"maximum":5},"tags":{"type":"array","items":{"type":"string"},"minItems":2}},"required":["t","tags"],"additionalProperties":false}}}}'
mk jschema_bad '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":[1]}}}'
mk badjson '{"model":"qwen-plus","messages":'

UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
REQID='^req_[0-9a-f]{32}$'

# The checks of one streamed answer with two tool calls (index 0 then 1), both dialects.
two_calls_stream() {
    local o=$1 what=$2
    eq "$what: status 200" "$CODE" 200
    eq "$what: role chunk first, content null" "$(head -n 1 "$o.json" | jq -c '.choices[0].delta')" \
        '{"role":"assistant","content":null}'
    local i
    for i in 0 1; do
        eq "$what: call $i has exactly one header delta (id, type, name, arguments \"\")" \
            "$(js "$o.json" "[.[] | .choices[]?.delta.tool_calls[]? | select(.index == $i and (.id | type) == \"string\" and (.id | length) > 0 and .type == \"function\" and .function.name == \"get_weather\" and .function.arguments == \"\")] | length")" 1
        eq "$what: call $i's argument fragments parse as a JSON object with a string city" \
            "$(args "$o" $i | jq -r '(type == "object") and (.city | type == "string") and ((keys - ["city", "unit"]) == [])' 2>/dev/null)" true
    done
    eq "$what: call 1 starts only after call 0's last fragment" \
        "$(js "$o.json" '[to_entries[] | .key as $k | .value.choices[]?.delta.tool_calls[]? | {k: $k, i: .index}] | ([.[] | select(.i == 0) | .k] | max) < ([.[] | select(.i == 1) | .k] | min)')" true
    eq "$what: the two call ids differ and match call_ + 24" \
        "$(js "$o.json" '[.[] | .choices[]?.delta.tool_calls[]? | select((.id // "") != "") | .id] | "\(length) \(unique | length) \(all(test("^call_[A-Za-z0-9]{24}$")))"')" "2 2 true"
    eq "$what: one finish chunk, finish_reason tool_calls" \
        "$(js "$o.json" '[.[] | .choices[]? | select(.finish_reason != null) | .finish_reason] | join(",")')" tool_calls
    eq "$what: usage completion_tokens == the number of argument fragment chunks" \
        "$(js "$o.json" '([.[] | select([.choices[]?.delta.tool_calls[]? | select((.function.arguments // "") != "")] | length > 0)] | length) as $n | (.[-1].usage.completion_tokens) as $u | "\($u == $n) \($n > 0)"')" "true true"
    eq "$what: data: [DONE] last" "$(tail -n 1 "$o.data")" "[DONE]"
}

# ---- the main server: defaults, REASONING_TOKENS=4 --------------------------------------
if start_server main RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 REASONING_TOKENS=4; then
    # 1. tool calls, whole answers
    chat "$T/t1" "$URL$V1" "$T/tools.json"
    eq "tools /v1: 200, finish_reason tool_calls, content null" \
        "$CODE|$(j "$T/t1.body" '.choices[0].finish_reason')|$(j "$T/t1.body" '.choices[0].message.content')" "200|tool_calls|null"
    match "tools /v1: id call_ + 24 alphanumerics" "$(j "$T/t1.body" '.choices[0].message.tool_calls[0].id')" '^call_[A-Za-z0-9]{24}$'
    eq "tools /v1: type function, name get_weather, arguments a string" \
        "$(j "$T/t1.body" '.choices[0].message.tool_calls[0] | "\(.type) \(.function.name) \(.function.arguments | type)"')" "function get_weather string"
    eq "tools /v1: arguments parse as JSON, string city, keys within {city, unit}" \
        "$(j "$T/t1.body" '.choices[0].message.tool_calls[0].function.arguments | fromjson | "\(type) \(.city | type) \((keys - ["city", "unit"]) | length)"')" "object string 0"
    fcheck "tools /v1: usage.completion_tokens > 0" "a > 0" "$(j "$T/t1.body" '.usage.completion_tokens')"
    chat "$T/t1c" "$URL$CM" "$T/tools.json"
    eq "tools compat: 200, finish tool_calls, content \"\", tool_calls[0].index 0" \
        "$CODE|$(j "$T/t1c.body" '.choices[0] | "\(.finish_reason)|\(.message.content | tojson)|\(.message.tool_calls[0].index)"')" \
        '200|tool_calls|""|0'
    eq "tools compat: arguments parse with a string city" \
        "$(j "$T/t1c.body" '.choices[0].message.tool_calls[0].function.arguments | fromjson | "\(.city | type) \((keys - ["city", "unit"]) | length)"')" "string 0"

    # 2. streamed tool calls
    sse "$T/t2" "$URL$V1" "$T/tools_s.json" -H 'X-Mock-Tool-Calls: 2'
    two_calls_stream "$T/t2" "tools stream /v1 (X-Mock-Tool-Calls 2)"
    eq "tools stream /v1: finish delta is {}" \
        "$(js "$T/t2.json" '[.[] | .choices[]? | select(.finish_reason != null) | .delta] | .[0] | tojson')" '{}'
    sse "$T/t2c" "$URL$CM" "$T/tools_s.json" -H 'X-Mock-Tool-Calls: 2'
    eq "tools stream compat: role chunk content \"\"" "$(head -n 1 "$T/t2c.json" | jq -c '.choices[0].delta')" \
        '{"role":"assistant","content":""}'
    eq "tools stream compat: later fragments carry id \"\" and type function" \
        "$(js "$T/t2c.json" '[.[] | .choices[]?.delta.tool_calls[]? | select(.function.name == null)] | "\(length > 0) \(all(.id == "" and .type == "function"))"')" "true true"
    eq "tools stream compat: two calls, ids differ, arguments parse" \
        "$(js "$T/t2c.json" '[.[] | .choices[]?.delta.tool_calls[]? | select(.id != "") | .id] | unique | length')|$(args "$T/t2c" 0 | jq -r '.city | type' 2>/dev/null)|$(args "$T/t2c" 1 | jq -r '.city | type' 2>/dev/null)" \
        "2|string|string"
    eq "tools stream compat: finish delta {\"content\":\"\"}, finish_reason tool_calls" \
        "$(js "$T/t2c.json" '[.[] | .choices[]? | select(.finish_reason != null) | "\(.delta | tojson) \(.finish_reason)"] | join(",")')" '{"content":""} tool_calls'
    eq "tools stream compat: [DONE] last" "$(tail -n 1 "$T/t2c.data")" "[DONE]"

    # 3. tool_choice, conversations, parallel_tool_calls
    chat "$T/t3" "$URL$V1" "$T/tools_none.json"
    eq "tool_choice none: a text answer (finish stop, no tool_calls)" \
        "$CODE|$(j "$T/t3.body" '.choices[0] | "\(.finish_reason) \(.message.tool_calls // "none") \(.message.content | type)"')" "200|stop none string"
    chat "$T/t3b" "$URL$V1" "$T/tools_turn.json"
    eq "tool_choice auto after a tool result (TOOL_ROUNDS=1): a text answer" \
        "$CODE|$(j "$T/t3b.body" '.choices[0] | "\(.finish_reason) \(.message.tool_calls // "none") \((.message.content // "") | length > 0)"')" "200|stop none true"
    chat "$T/t3c" "$URL$V1" "$T/tools_absent.json"
    eq "tool_choice naming an absent function: 400 param tool_choice" \
        "$CODE|$(j "$T/t3c.body" '.error.param')" "400|tool_choice"
    chat "$T/t3d" "$URL$V1" "$T/tools.json"
    eq "TOOL_CALLS default 1: one call" "$(j "$T/t3d.body" '.choices[0].message.tool_calls | length')" 1

    # 4. reasoning
    sse "$T/r1" "$URL$CM" "$T/think_s.json"
    eq "enable_thinking stream: 200" "$CODE" 200
    eq "enable_thinking stream: first delta reasoning_content \"\", content null" \
        "$(head -n 1 "$T/r1.json" | jq -c '.choices[0].delta | [.reasoning_content, has("content"), .content]')" '["",true,null]'
    eq "enable_thinking stream: exactly 4 reasoning chunks, right after the first, content null" \
        "$(js "$T/r1.json" '[to_entries[] | select((.value.choices[0]?.delta.reasoning_content // "") != "") | [.key, (.value.choices[0].delta | has("content") and .content == null)]] | tojson')" \
        '[[1,true],[2,true],[3,true],[4,true]]'
    eq "enable_thinking stream: content chunks come after, reasoning_content null" \
        "$(js "$T/r1.json" '[to_entries[] | select((.value.choices[0]?.delta.content // "") != "")] | "\(.[0].key) \(all(.value.choices[0].delta | has("reasoning_content") and .reasoning_content == null))"')" "5 true"
    eq "enable_thinking stream: the content spells the answer" "$(deltas "$T/r1")" "$CONTENT"
    eq "enable_thinking stream: usage reasoning_tokens 4, text_tokens == completion_tokens" \
        "$(tail -n 1 "$T/r1.json" | jq -r '.usage | "\(.completion_tokens_details.reasoning_tokens) \(.completion_tokens_details.text_tokens == .completion_tokens)"')" "4 true"
    sse "$T/r2" "$URL$V1" "$T/effort_high_s.json"
    eq "reasoning_effort high /v1 stream: no reasoning_content, reasoning_tokens 16" \
        "$CODE|$(grep -c reasoning_content "$T/r2.body")|$(tail -n 1 "$T/r2.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "200|0|16"
    eq "reasoning_effort high /v1 stream: the content is the whole answer" "$(deltas "$T/r2")" "$CONTENT"
    sse "$T/r3" "$URL$V1" "$T/effort_low_s.json"
    eq "reasoning_effort low /v1 stream: reasoning_tokens 1" \
        "$CODE|$(grep -c reasoning_content "$T/r3.body")|$(tail -n 1 "$T/r3.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "200|0|1"
    sse "$T/r4" "$URL$V1" "$T/effort_low_s.json" -H 'X-Mock-Reasoning-Tokens: 2'
    eq "X-Mock-Reasoning-Tokens 2 (reasoning_effort low): reasoning_tokens 2" \
        "$CODE|$(tail -n 1 "$T/r4.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "200|2"
    sse "$T/r4b" "$URL$V1" "$T/plain_s.json" -H 'X-Mock-Reasoning-Tokens: 2'
    eq "X-Mock-Reasoning-Tokens 2 alone (/v1 stream): reasoning_tokens 2, no reasoning_content" \
        "$CODE|$(grep -c reasoning_content "$T/r4b.body")|$(tail -n 1 "$T/r4b.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "200|0|2"
    sse "$T/r4c" "$URL$CM" "$T/think_s.json" -H 'X-Mock-Reasoning-Tokens: 2'
    eq "X-Mock-Reasoning-Tokens 2 (compat enable_thinking): 2 reasoning chunks, reasoning_tokens 2" \
        "$(js "$T/r4c.json" '[.[] | select((.choices[0]?.delta.reasoning_content // "") != "")] | length')|$(tail -n 1 "$T/r4c.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "2|2"
    sse "$T/r5" "$URL$CM" "$T/think_budget_s.json"
    eq "thinking_budget 3 with enable_thinking: 3 reasoning chunks, reasoning_tokens 3" \
        "$(js "$T/r5.json" '[.[] | select((.choices[0]?.delta.reasoning_content // "") != "")] | length')|$(tail -n 1 "$T/r5.json" | jq -r '.usage.completion_tokens_details.reasoning_tokens')" "3|3"
    chat "$T/r6" "$URL$CM" "$T/think.json"
    eq "enable_thinking non-stream compat: 400 invalid_parameter_error" \
        "$CODE|$(j "$T/r6.body" '.error.code')" "400|invalid_parameter_error"
    eq "enable_thinking non-stream compat: the message" "$(j "$T/r6.body" '.error.message')" \
        "parameter.enable_thinking must be set to false for non-streaming calls"
    match "enable_thinking non-stream compat: a top-level request_id (UUID)" "$(j "$T/r6.body" '.request_id')" "$UUID4"
    eq "compat error: body request_id == the x-request-id header" "$(j "$T/r6.body" '.request_id')" "$(hdr "$T/r6.hdr" x-request-id)"

    # 5. n
    chat "$T/n1" "$URL$V1" "$T/n3.json"
    eq "n=3: three choices, index 0,1,2, each with content" \
        "$CODE|$(j "$T/n1.body" '[.choices[] | .index] | tojson')|$(j "$T/n1.body" '[.choices[] | select((.message.content // "") != "")] | length')" \
        "200|[0,1,2]|3"
    fcheck "n=3: the contents are not all equal" "a > 1" "$(j "$T/n1.body" '[.choices[].message.content] | unique | length')"
    sse "$T/n2" "$URL$V1" "$T/n2_s.json"
    eq "n=2 stream: content chunks for index 0 and 1" \
        "$(js "$T/n2.json" '[.[] | .choices[]? | select((.delta.content // "") != "") | .index] | unique | tojson')" '[0,1]'
    eq "n=2 stream: two finish chunks (index 0 and 1)" \
        "$(js "$T/n2.json" '[.[] | .choices[]? | select(.finish_reason != null) | .index] | sort | tojson')" '[0,1]'
    chat "$T/n3" "$URL$V1" "$T/n9.json"
    eq "n=9 /v1: 400 param n" "$CODE|$(j "$T/n3.body" '.error.param')" "400|n"
    chat "$T/n4" "$URL$CM" "$T/n5.json"
    eq "n=5 compat: 400 'Range of n should be [1, 4]'" "$CODE|$(j "$T/n4.body" '.error.message')" "400|Range of n should be [1, 4]"
    chat "$T/n5" "$URL$CM" "$T/n2_tools.json"
    eq "n=2 with tools compat: 400 param n" "$CODE|$(j "$T/n5.body" '.error.param')" "400|n"

    # 6. stop
    chat "$T/s1" "$URL$V1" "$T/stop.json"
    eq "stop 阿里: content 我是, finish stop" \
        "$CODE|$(j "$T/s1.body" '.choices[0] | "\(.message.content) \(.finish_reason)"')" "200|我是 stop"
    sse "$T/s2" "$URL$V1" "$T/stop_s.json"
    eq "stop 阿里 streamed: the content is 我是, finish stop" \
        "$CODE|$(deltas "$T/s2")|$(js "$T/s2.json" '[.[] | .choices[]? | select(.finish_reason != null) | .finish_reason] | join(",")')" "200|我是|stop"

    # 7. response_format
    chat "$T/f1" "$URL$V1" "$T/jobj.json"
    eq "json_object /v1: content parses as a JSON object" \
        "$CODE|$(j "$T/f1.body" '.choices[0].message.content | fromjson | type')" "200|object"
    chat "$T/f2" "$URL$CM" "$T/jobj.json"
    eq "json_object compat without the word json: 400 with DashScope's message" \
        "$CODE|$(j "$T/f2.body" '.error.message')" \
        "400|'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    chat "$T/f3" "$URL$CM" "$T/jobj_word.json"
    eq "json_object compat with JSON in a message: 200, a JSON object" \
        "$CODE|$(j "$T/f3.body" '.choices[0].message.content | fromjson | type')" "200|object"
    chat "$T/f4" "$URL$V1" "$T/jschema.json"
    eq "json_schema: content parses, 3 <= t <= 5 (integer), tags >= 2 strings, no other keys" \
        "$CODE|$(j "$T/f4.body" '.choices[0].message.content | fromjson | "\(.t | type == "number" and . == floor and . >= 3 and . <= 5) \((.tags | length) >= 2 and all(.tags[]; type == "string")) \(keys)"')" \
        '200|true true ["t","tags"]'
    chat "$T/f5" "$URL$V1" "$T/jschema_bad.json"
    eq "json_schema schema [1]: 400 param response_format" "$CODE|$(j "$T/f5.body" '.error.param')" "400|response_format"

    # 8. request ids and DashScope's headers
    chat "$T/h1" "$URL$V1" "$T/plain.json"
    match "x-request-id on a /v1 200" "$(hdr "$T/h1.hdr" x-request-id)" "$REQID"
    chat "$T/h2" "$URL$V1" "$T/badjson.json"
    match "x-request-id on a /v1 400 (status $CODE)" "$CODE $(hdr "$T/h2.hdr" x-request-id)" "^400 req_[0-9a-f]{32}$"
    req "$T/h3" "$URL/v1/no-such-route"
    match "x-request-id on a 404 (status $CODE)" "$CODE $(hdr "$T/h3.hdr" x-request-id)" "^404 req_[0-9a-f]{32}$"
    req "$T/h4" "$URL/v1/models"
    match "x-request-id on GET /v1/models (status $CODE)" "$CODE $(hdr "$T/h4.hdr" x-request-id)" "^200 req_[0-9a-f]{32}$"
    eq "x-request-id differs between requests" "$(hdr "$T/h1.hdr" x-request-id | grep -c "$(hdr "$T/h4.hdr" x-request-id)")" 0
    chat "$T/h5" "$URL$CM" "$T/plain.json"
    now=$(now_ms)
    rid=$(hdr "$T/h5.hdr" x-request-id)
    match "compat x-request-id is a UUID v4" "$rid" "$UUID4"
    eq "compat x-request-id == the body id minus chatcmpl-" "$rid" "$(j "$T/h5.body" '.id | sub("^chatcmpl-"; "")')"
    eq "compat x-dashscope-call-gateway: true" "$(hdr "$T/h5.hdr" x-dashscope-call-gateway)" true
    arrive=$(hdr "$T/h5.hdr" req-arrive-time)
    start=$(hdr "$T/h5.hdr" resp-start-time)
    cost=$(hdr "$T/h5.hdr" req-cost-time)
    match "compat req-arrive-time and resp-start-time are 13-digit epoch ms" "$arrive $start" '^[0-9]{13} [0-9]{13}$'
    eq "compat req-cost-time == resp-start-time - req-arrive-time" "$cost" "$((${start:-0} - ${arrive:-0}))"
    fcheck "compat req-arrive-time within 60 s of now" "a - b < 60000 && b - a < 60000" "${arrive:-x}" "$now"
    sse "$T/h6" "$URL$CM" "$T/plain_s.json"
    eq "compat stream Content-Type" "$(hdr "$T/h6.hdr" Content-Type)" "text/event-stream;charset=UTF-8"
    eq "compat stream: x-request-id == the chunk id minus chatcmpl-" \
        "chatcmpl-$(hdr "$T/h6.hdr" x-request-id)" "$(head -n 1 "$T/h6.json" | jq -r .id)"
    sse "$T/h7" "$URL$V1" "$T/plain_s.json"
    eq "/v1 stream Content-Type" "$(hdr "$T/h7.hdr" Content-Type)" "text/event-stream; charset=utf-8"
    match "/v1 stream x-request-id" "$(hdr "$T/h7.hdr" x-request-id)" "$REQID"
    chat "$T/h8" "$URL$CM" "$T/n5.json"
    eq "compat 400: body request_id == the x-request-id header" "$(j "$T/h8.body" '.request_id')" "$(hdr "$T/h8.hdr" x-request-id)"

    # 12. DashScope SSE errors (DASHSCOPE_SSE_ERRORS default true)
    sse "$T/e1" "$URL$CM" "$T/n5_s.json"
    eq "compat stream n=5: 400 as an SSE event" "$CODE|$(hdr "$T/e1.hdr" Content-Type)" "400|text/event-stream;charset=UTF-8"
    eq "compat stream n=5: body starts with data: {\"error\":" "$(head -c 15 "$T/e1.body")" 'data: {"error":'
    eq "compat stream n=5: body ends with a blank line" "$(tail -c 2 "$T/e1.body" | od -An -c | tr -d ' ')" '\n\n'
    contains "compat stream n=5: carries \"id\":\"chatcmpl-" "$T/e1.body" '"id":"chatcmpl-'
    eq "compat stream n=5: the event's error message" "$(head -n 1 "$T/e1.json" | jq -r '.error.message')" "Range of n should be [1, 4]"

    # 13. CORS off by default
    req "$T/c0" -X OPTIONS -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: POST' "$URL$V1"
    eq "CORS off: OPTIONS 405, no Access-Control-Allow-Origin" "$CODE|$(hdr "$T/c0.hdr" Access-Control-Allow-Origin)" "405|"

    # 14. first-answer-token metric
    req "$T/m0" "$URL/metrics"
    sse "$T/m1" "$URL$V1" "$T/plain_s.json"
    req "$T/m2" "$URL/metrics"
    eq "llm_mock_time_to_first_answer_token_seconds_count grows by 1 after one stream" \
        "$(($(metric "$T/m2.body" llm_mock_time_to_first_answer_token_seconds_count) - $(metric "$T/m0.body" llm_mock_time_to_first_answer_token_seconds_count)))" 1

    # 15. bad override headers
    chat "$T/o1" "$URL$V1" "$T/tools.json" -H 'X-Mock-Tool-Calls: 17'
    eq "X-Mock-Tool-Calls: 17 -> 400" "$CODE" 400
    chat "$T/o2" "$URL$V1" "$T/plain.json" -H 'X-Mock-Reasoning-Tokens: x'
    eq "X-Mock-Reasoning-Tokens: x -> 400" "$CODE" 400
    chat "$T/o4" "$URL$V1" "$T/tools.json" -H 'X-Mock-Tool-Calls: 0'
    eq "X-Mock-Tool-Calls: 0 with tools -> a text answer" \
        "$CODE|$(j "$T/o4.body" '.choices[0] | "\(.finish_reason) \(.message.tool_calls // "none") \(.message.content)"')" "200|stop none $CONTENT"
    chat "$T/o3" "$URL$V1" "$T/tools.json" -H 'X-Mock-Tool-Calls: 16'
    eq "X-Mock-Tool-Calls: 16 -> 16 calls" "$CODE|$(j "$T/o3.body" '.choices[0].message.tool_calls | length')" "200|16"
    stop_server main
fi

# ---- TOOL_ROUNDS=2, TOOL_CALLS=3, OUTPUT_TOKENS=40 --------------------------------------------
if start_server rounds RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 TOOL_ROUNDS=2 TOOL_CALLS=3 OUTPUT_TOKENS=40; then
    chat "$T/w1" "$URL$V1" "$T/tools_turn.json"
    eq "TOOL_ROUNDS=2: after one tool result, another call" \
        "$CODE|$(j "$T/w1.body" '.choices[0] | "\(.finish_reason) \((.message.tool_calls | length) > 0)"')" "200|tool_calls true"
    chat "$T/w2" "$URL$V1" "$T/tools.json"
    eq "TOOL_CALLS=3: three calls, three distinct ids" \
        "$CODE|$(j "$T/w2.body" '.choices[0].message.tool_calls | "\(length) \([.[].id] | unique | length)"')" "200|3 3"
    chat "$T/w3" "$URL$V1" "$T/tools_serial.json"
    eq "TOOL_CALLS=3 with parallel_tool_calls false: one call" \
        "$CODE|$(j "$T/w3.body" '.choices[0].message.tool_calls | length')" "200|1"
    sse "$T/w5" "$URL$V1" "$T/tools_s.json"
    eq "TOOL_CALLS=3 streamed: header deltas for index 0, 1, 2 in order, distinct ids" \
        "$(js "$T/w5.json" '[.[] | .choices[]?.delta.tool_calls[]? | select((.id // "") != "")] | "\([.[].index] | tojson) \([.[].id] | unique | length)"')" "[0,1,2] 3"
    eq "TOOL_CALLS=3 streamed: each call's fragments parse" \
        "$(for i in 0 1 2; do args "$T/w5" $i | jq -r '.city | type' 2>/dev/null; done | tr '\n' ' ')" "string string string "
    chat "$T/w6" "$URL$V1" "$T/plain.json"
    eq "OUTPUT_TOKENS=40: 40 tokens, the answer text then its start again" \
        "$(j "$T/w6.body" '"\(.usage.completion_tokens) \(.choices[0].message.content)"')" "40 ${CONTENT}我是阿里云开发的一款超大规模"
    mk stop2 '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}],"stop":["xyz","通义"]}'
    chat "$T/w7" "$URL$V1" "$T/stop2.json"
    eq "stop [xyz, 通义] with OUTPUT_TOKENS=40: cut before the first 通义, finish stop, 21 tokens" \
        "$CODE|$(j "$T/w7.body" '"\(.choices[0].message.content) \(.choices[0].finish_reason) \(.usage.completion_tokens)"')" \
        "200|我是阿里云开发的一款超大规模语言模型，我叫 stop 21"
    chat "$T/w8" "$URL$V1" "$T/plain.json" -H 'X-Mock-Output-Tokens: 5'
    eq "X-Mock-Output-Tokens: 5 -> 我是阿里云, 5 tokens" \
        "$CODE|$(j "$T/w8.body" '"\(.choices[0].message.content) \(.usage.completion_tokens)"')" "200|我是阿里云 5"
    chat "$T/w9" "$URL$V1" "$T/plain.json" -H 'X-Mock-Output-Tokens: x'
    eq "X-Mock-Output-Tokens: x -> 400" "$CODE" 400
    sse "$T/w4" "$URL$CM" "$T/think_s.json"
    eq "REASONING_TOKENS default 0: enable_thinking streams no reasoning, the whole answer" \
        "$CODE|$(js "$T/w4.json" '[.[] | select((.choices[0]?.delta.reasoning_content // "") != "")] | length')|$(deltas "$T/w4" | head -c ${#CONTENT})" "200|0|$CONTENT"
    stop_server rounds
fi

# ---- timing of hidden reasoning, and its metric -------------------------------------------
# first_content URL BODY: seconds from the request to the first chunk with content.
first_content() {
    timeout 15 python3 - "$1" "$2" <<'PY' 2>&1 | tail -n 1
import json, sys, time, urllib.request
url, body = sys.argv[1], open(sys.argv[2], "rb").read()
t0 = time.monotonic()
r = urllib.request.urlopen(urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}), timeout=10)
for line in r:
    line = line.strip()
    if not line.startswith(b"data: {"):
        continue
    d = json.loads(line[6:])
    if any((c.get("delta") or {}).get("content") for c in d.get("choices", [])):
        print("%.3f" % (time.monotonic() - t0))
        sys.exit(0)
print("none")
PY
}
if start_server timing RESPONSE_DELAY_SECONDS=0.05 ITL_SECONDS=0.02 REASONING_TOKENS=10; then
    t=$(first_content "$URL$V1" "$T/effort_med_s.json")
    fcheck "reasoning_effort medium: the first content chunk comes >= 0.15 s after the request (got $t)" "a >= 0.15 && a < 5" "$t"
    req "$T/q0" "$URL/metrics"
    sse "$T/q1" "$URL$CM" "$T/think_s.json"
    req "$T/q2" "$URL/metrics"
    eq "timing: the enable_thinking stream has 10 reasoning chunks" \
        "$CODE|$(js "$T/q1.json" '[.[] | select((.choices[0]?.delta.reasoning_content // "") != "")] | length')" "200|10"
    ans=$(awk -v a="$(metric "$T/q0.body" llm_mock_time_to_first_answer_token_seconds_sum)" -v b="$(metric "$T/q2.body" llm_mock_time_to_first_answer_token_seconds_sum)" 'BEGIN { printf "%.6f", b - a }')
    tok=$(awk -v a="$(metric "$T/q0.body" llm_mock_time_to_first_token_seconds_sum)" -v b="$(metric "$T/q2.body" llm_mock_time_to_first_token_seconds_sum)" 'BEGIN { printf "%.6f", b - a }')
    fcheck "metrics: with reasoning the first-answer-token sum grows more than the first-token sum ($ans vs $tok)" \
        "a > b && a >= 0.1" "$ans" "$tok"
    stop_server timing
fi

# ---- DASHSCOPE_THINKING_STREAM_ONLY=false, DASHSCOPE_SSE_ERRORS=false ---------------------
if start_server lax RESPONSE_DELAY_SECONDS=0 ITL_SECONDS=0.001 REASONING_TOKENS=4 DASHSCOPE_THINKING_STREAM_ONLY=false DASHSCOPE_SSE_ERRORS=false; then
    chat "$T/l1" "$URL$CM" "$T/think.json"
    eq "THINKING_STREAM_ONLY=false: enable_thinking non-stream 200 with reasoning_content" \
        "$CODE|$(j "$T/l1.body" '(.choices[0].message.reasoning_content // "") | length > 0')" "200|true"
    sse "$T/l2" "$URL$CM" "$T/n5_s.json"
    match "SSE_ERRORS=false: compat stream n=5 is a 400 application/json" "$CODE|$(hdr "$T/l2.hdr" Content-Type)" '^400\|application/json'
    eq "SSE_ERRORS=false: the body is the JSON error" "$(j "$T/l2.body" '.error.message')" "Range of n should be [1, 4]"
    stop_server lax
fi

# ---- REQUIRE_API_KEY=k1,k2 ------------------------------------------------------------------
if start_server auth RESPONSE_DELAY_SECONDS=0 REQUIRE_API_KEY=k1,k2; then
    chat "$T/a1" "$URL$V1" "$T/plain.json"
    eq "no key: 401 invalid_api_key" "$CODE|$(j "$T/a1.body" '.error.code')" "401|invalid_api_key"
    match "no key: You didn't provide an API key..." "$(j "$T/a1.body" '.error.message')" "^You didn't provide an API key"
    chat "$T/a2" "$URL$V1" "$T/plain.json" -H 'Authorization: Bearer wrong'
    eq "wrong key: 401 invalid_api_key" "$CODE|$(j "$T/a2.body" '.error.code')" "401|invalid_api_key"
    match "wrong key: Incorrect API key provided...." "$(j "$T/a2.body" '.error.message')" '^Incorrect API key provided\.'
    chat "$T/a3" "$URL$V1" "$T/plain.json" -H 'Authorization: Bearer k2'
    eq "Bearer k2: 200" "$CODE" 200
    chat "$T/a4" "$URL$V1" "$T/plain.json" -H 'Authorization: Bearer k1'
    eq "Bearer k1: 200" "$CODE" 200
    sse "$T/a5" "$URL$CM" "$T/plain_s.json" -H 'Authorization: Bearer wrong'
    match "compat wrong key stream:true: 401 JSON, not SSE" "$CODE|$(hdr "$T/a5.hdr" Content-Type)" '^401\|application/json'
    eq "compat wrong key: message exactly 'Incorrect API key provided.'" "$(j "$T/a5.body" '.error.message')" "Incorrect API key provided."
    eq "compat wrong key: request_id == x-request-id" "$(j "$T/a5.body" '.request_id')" "$(hdr "$T/a5.hdr" x-request-id)"
    req "$T/a6" "$URL/health"
    eq "/health without a key: 200" "$CODE" 200
    req "$T/a7" "$URL/metrics"
    eq "/metrics without a key: 200" "$CODE" 200
    req "$T/a8" "$URL/v1/models"
    eq "GET /v1/models without a key: 401" "$CODE" 401
    req "$T/a9" -H 'Authorization: Bearer k1' "$URL/v1/models"
    eq "GET /v1/models with k1: 200" "$CODE" 200
    stop_server auth
fi

# ---- STRICT_MODELS ------------------------------------------------------------------------------
if start_server strict RESPONSE_DELAY_SECONDS=0 STRICT_MODELS=true MODELS=qwen-plus,qwen-max; then
    mk m_max '{"model":"qwen-max","messages":[{"role":"user","content":"hi"}]}'
    mk m_nope '{"model":"nope","messages":[{"role":"user","content":"hi"}]}'
    chat "$T/k1" "$URL$V1" "$T/m_max.json"
    eq "STRICT_MODELS: qwen-max 200" "$CODE|$(j "$T/k1.body" .model)" "200|qwen-max"
    chat "$T/k2" "$URL$V1" "$T/m_nope.json"
    eq "STRICT_MODELS: nope 404 model_not_found" "$CODE|$(j "$T/k2.body" .error.code)" "404|model_not_found"
    eq "STRICT_MODELS: nope message" "$(j "$T/k2.body" .error.message)" 'The model `nope` does not exist or you do not have access to it.'
    stop_server strict
fi

# ---- MAX_MODEL_LEN=10 ---------------------------------------------------------------------------
if start_server maxlen RESPONSE_DELAY_SECONDS=0 MAX_MODEL_LEN=10; then
    long=$(printf 'a%.0s' $(seq 100))
    mk long "{\"model\":\"qwen-plus\",\"messages\":[{\"role\":\"user\",\"content\":\"$long\"}]}"
    mk short '{"model":"qwen-plus","messages":[{"role":"user","content":"abcdefghijklmnopqrst"}]}'
    chat "$T/x1" "$URL$V1" "$T/long.json"
    eq "MAX_MODEL_LEN=10, 100-byte prompt /v1: 400 context_length_exceeded param messages" \
        "$CODE|$(j "$T/x1.body" .error.code)|$(j "$T/x1.body" .error.param)" "400|context_length_exceeded|messages"
    chat "$T/x2" "$URL$CM" "$T/long.json"
    eq "MAX_MODEL_LEN=10, 100-byte prompt compat: 400 DashScope's message" "$CODE|$(j "$T/x2.body" .error.message)" \
        "400|<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 10]"
    for nb in 40:200 41:400; do
        body=$(printf 'a%.0s' $(seq "${nb%%:*}"))
        mk edge "{\"model\":\"qwen-plus\",\"messages\":[{\"role\":\"user\",\"content\":\"$body\"}]}"
        chat "$T/xe" "$URL$V1" "$T/edge.json"
        eq "MAX_MODEL_LEN=10: a ${nb%%:*}-byte prompt (ceil(bytes/4) vs 10) -> ${nb#*:}" "$CODE" "${nb#*:}"
    done
    chat "$T/x3" "$URL$V1" "$T/short.json"
    eq "MAX_MODEL_LEN=10, 20-byte prompt /v1: 200" "$CODE" 200
    chat "$T/x4" "$URL$CM" "$T/short.json"
    eq "MAX_MODEL_LEN=10, 20-byte prompt compat: 200" "$CODE" 200
    stop_server maxlen
fi

# ---- CORS_ALLOW_ORIGIN=* ------------------------------------------------------------------------
if start_server cors RESPONSE_DELAY_SECONDS=0 'CORS_ALLOW_ORIGIN=*'; then
    req "$T/y1" -X OPTIONS -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: POST' \
        -H 'Access-Control-Request-Headers: authorization,content-type' "$URL$V1"
    eq "CORS preflight: 200, Allow-Origin *" "$CODE|$(hdr "$T/y1.hdr" Access-Control-Allow-Origin)" "200|*"
    match "CORS preflight: Allow-Methods contains POST" "$(hdr "$T/y1.hdr" Access-Control-Allow-Methods)" 'POST'
    match "CORS preflight: Allow-Headers contains authorization" "$(hdr "$T/y1.hdr" Access-Control-Allow-Headers | tr 'A-Z' 'a-z')" 'authorization'
    chat "$T/y2" "$URL$V1" "$T/plain.json" -H 'Origin: http://example.com'
    eq "CORS: a POST answer has Allow-Origin *" "$CODE|$(hdr "$T/y2.hdr" Access-Control-Allow-Origin)" "200|*"
    stop_server cors
fi

echo "agents: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
