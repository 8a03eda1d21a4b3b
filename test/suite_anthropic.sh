#!/usr/bin/env bash
# Anthropic Messages on the wire, with curl and jq: POST /v1/messages (whole and streamed: text,
# thinking, tool_use, stop_sequences, max_tokens), POST /v1/messages/count_tokens, the 400s in
# Anthropic's envelope, the request-id header, the stream's content type and named events, 529
# overloaded_error with Retry-After on a full server, X-Return-Error envelopes, REQUIRE_API_KEY
# through x-api-key and through Bearer.
# usage: test/suite_anthropic.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "anthropic: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CONTENT='我是阿里云开发的一款超大规模语言模型，我叫通义千问。'
M=/v1/messages
CT=/v1/messages/count_tokens
REQID='^req_[0-9a-f]{32}$'
AH=(-H 'anthropic-version: 2023-06-01')

mk() { printf '%s' "$2" >"$T/$1.json"; }
# post OUT PATH BODY [CURL-ARGS...]
post() {
    local out=$1 path=$2 body=$3
    shift 3
    req "$out" -N -H 'Content-Type: application/json' "${AH[@]}" --data-binary "@$T/$body.json" "$@" "$URL$path"
}
# events OUT: the event names of a stream, one a line; OUT.json its data lines.
events() {
    sed -n 's/^event: //p' "$1.body" | tr -d '\r' >"$1.ev"
    sed -n 's/^data: //p' "$1.body" | tr -d '\r' >"$1.json"
}
js() { jq -s -r "$2" "$1" 2>/dev/null || echo "<jq error on: $(head -c 200 "$1" | tr '\n\r' '  ')>"; }

USER='{"role":"user","content":"What is the weather in Paris?"}'
TOOLS='[{"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false}}]'
mk text "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"messages\":[$USER]}"
mk text_s "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stream\":true,\"messages\":[$USER]}"
mk short "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":3,\"messages\":[$USER]}"
mk stop "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stop_sequences\":[\"阿里\"],\"messages\":[$USER]}"
mk stop_s "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stream\":true,\"stop_sequences\":[\"阿里\"],\"messages\":[$USER]}"
mk stop5 "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stop_sequences\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"messages\":[$USER]}"
mk tools "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"tools\":$TOOLS,\"tool_choice\":{\"type\":\"any\"},\"messages\":[$USER]}"
mk tools_s "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"stream\":true,\"tools\":$TOOLS,\"messages\":[$USER]}"
mk tools_none "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"tools\":$TOOLS,\"tool_choice\":{\"type\":\"none\"},\"messages\":[$USER]}"
TURN="$USER,{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"21C\"}]}"
mk tools_turn "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":1024,\"tools\":$TOOLS,\"messages\":[$TURN]}"
mk think_s "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":2048,\"stream\":true,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"messages\":[$USER]}"
mk think "{\"model\":\"claude-sonnet-4-6\",\"max_tokens\":2048,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"messages\":[$USER]}"
mk no_max "{\"model\":\"claude-sonnet-4-6\",\"messages\":[$USER]}"
mk count "{\"model\":\"claude-sonnet-4-6\",\"system\":\"You are terse.\",\"messages\":[$USER]}"
mk badjson '{"model":"claude-sonnet-4-6","messages":'

# ---- one server: answers at once, 8 reasoning tokens -------------------------------------------
if start_server main RESPONSE_DELAY_SECONDS=0 REASONING_TOKENS=8; then
    post "$T/a1" $M text
    eq "text: 200 application/json" "$CODE|$CTYPE" "200|application/json"
    match "text: request-id header req_ + 32 hex" "$(hdr "$T/a1.hdr" request-id)" "$REQID"
    eq "text: no x-request-id" "$(hdr "$T/a1.hdr" x-request-id)" ""
    eq "text: type, role, model" "$(j "$T/a1.body" '[.type, .role, .model] | join(",")')" "message,assistant,claude-sonnet-4-6"
    match "text: id msg_ + 32 hex" "$(j "$T/a1.body" .id)" '^msg_[0-9a-f]{32}$'
    eq "text: one text block, the server's text" "$(j "$T/a1.body" '[(.content | length), .content[0].type, .content[0].text] | join("|")')" "1|text|$CONTENT"
    eq "text: stop_reason end_turn, stop_sequence null" "$(j "$T/a1.body" '[.stop_reason, (.stop_sequence | tostring)] | join(",")')" "end_turn,null"
    eq "text: usage keys" "$(j "$T/a1.body" '.usage | keys_unsorted | join(",")')" \
        "input_tokens,cache_creation_input_tokens,cache_read_input_tokens,output_tokens"
    fcheck "text: output_tokens > 0" 'a > 0' "$(j "$T/a1.body" .usage.output_tokens)"

    post "$T/a2" $M short
    eq "max_tokens 3: stop_reason max_tokens, 3 output tokens" "$(j "$T/a2.body" '[.stop_reason, .usage.output_tokens] | join(",")')" "max_tokens,3"
    post "$T/a3" $M stop
    eq "stop_sequences: stop_reason stop_sequence, the sequence, text before it" \
        "$(j "$T/a3.body" '[.stop_reason, .stop_sequence, .content[0].text] | join(",")')" "stop_sequence,阿里,我是"
    post "$T/a4" $M stop5
    eq "5 stop_sequences: 400 invalid_request_error" "$CODE|$(j "$T/a4.body" .error.type)" "400|invalid_request_error"
    post "$T/a5" $M no_max
    eq "no max_tokens: 400, Anthropic's envelope" "$CODE|$(j "$T/a5.body" '[.type, .error.type, .error.message] | join("|")')" \
        "400|error|invalid_request_error|max_tokens: Field required"
    match "no max_tokens: envelope request_id = request-id header" "$(j "$T/a5.body" .request_id)" "^$(hdr "$T/a5.hdr" request-id)\$"
    post "$T/a6" $M badjson
    eq "bad JSON: 400 invalid_request_error" "$CODE|$(j "$T/a6.body" .error.type)" "400|invalid_request_error"

    # Streams.
    post "$T/s1" $M text_s
    events "$T/s1"
    eq "stream: 200" "$CODE" 200
    match "stream: content-type text/event-stream" "$CTYPE" '^text/event-stream'
    match "stream: request-id header" "$(hdr "$T/s1.hdr" request-id)" "$REQID"
    eq "stream: every data line has its event line" "$(wc -l <"$T/s1.ev")" "$(wc -l <"$T/s1.json")"
    eq "stream: each event line names its data's type" "$(paste -d' ' "$T/s1.ev" <(jq -r .type "$T/s1.json") | awk '$1 != $2' | wc -l)" 0
    eq "stream: event order" "$(uniq "$T/s1.ev" | tr '\n' ' ')" \
        "message_start content_block_start ping content_block_delta content_block_stop message_delta message_stop "
    eq "stream: text deltas = the server's text" "$(jq -rj 'select(.type == "content_block_delta") | .delta.text' "$T/s1.json")" "$CONTENT"
    eq "stream: message_start content [], stop_reason null" "$(js "$T/s1.json" '.[0].message | [(.content | length), (.stop_reason | tostring)] | join(",")')" "0,null"
    eq "stream: message_delta stop_reason end_turn, usage.output_tokens = whole's" \
        "$(js "$T/s1.json" 'map(select(.type == "message_delta"))[0] | [.delta.stop_reason, .usage.output_tokens] | join(",")')" \
        "end_turn,$(j "$T/a1.body" .usage.output_tokens)"
    check "stream: no [DONE]" "found [DONE]" bash -c "! grep -q DONE '$T/s1.body'"

    post "$T/s2" $M stop_s
    events "$T/s2"
    eq "stream stop_sequences: stop_reason, stop_sequence" \
        "$(js "$T/s2.json" 'map(select(.type == "message_delta"))[0].delta | [.stop_reason, .stop_sequence] | join(",")')" "stop_sequence,阿里"

    post "$T/s3" $M think_s
    events "$T/s3"
    eq "thinking stream: blocks thinking@0 then text@1" \
        "$(js "$T/s3.json" 'map(select(.type == "content_block_start") | "\(.content_block.type)@\(.index)") | join(",")')" "thinking@0,text@1"
    eq "thinking stream: 8 thinking deltas, then a signature_delta" \
        "$(js "$T/s3.json" '[(map(select(.delta.type? == "thinking_delta")) | length), (map(select(.delta.type? == "signature_delta")) | length)] | join(",")')" "8,1"
    eq "thinking stream: text deltas at index 1" "$(jq -rj 'select(.delta.type? == "text_delta" and .index == 1) | .delta.text' "$T/s3.json")" "$CONTENT"
    post "$T/a7" $M think
    eq "thinking whole: thinking block with a signature, then text" \
        "$(j "$T/a7.body" '[.content[0].type, (.content[0].signature | length > 0), .content[1].type] | join(",")')" "thinking,true,text"

    post "$T/t1" $M tools
    eq "tool_choice any: one tool_use, stop_reason tool_use" \
        "$(j "$T/t1.body" '[(.content | length), .content[0].type, .content[0].name, .stop_reason] | join(",")')" "1,tool_use,get_weather,tool_use"
    match "tool_use: id toolu_ + 24 alphanumerics" "$(j "$T/t1.body" '.content[0].id')" '^toolu_[0-9A-Za-z]{24}$'
    eq "tool_use: input is an object with city" "$(j "$T/t1.body" '.content[0].input | [type, (.city | type)] | join(",")')" "object,string"
    post "$T/t2" $M tools_none
    eq "tool_choice none: text" "$(j "$T/t2.body" '[.content[0].type, .stop_reason] | join(",")')" "text,end_turn"
    post "$T/t3" $M tools_turn
    eq "after a tool_result turn (TOOL_ROUNDS=1): text" "$(j "$T/t3.body" '[.content[0].type, .stop_reason] | join(",")')" "text,end_turn"
    post "$T/t4" $M tools_s
    events "$T/t4"
    eq "tool stream: content_block_start tool_use @0 with input {}" \
        "$(js "$T/t4.json" 'map(select(.type == "content_block_start"))[0] | [.index, .content_block.type, .content_block.name, (.content_block.input | tojson)] | join(",")')" \
        "0,tool_use,get_weather,{}"
    eq "tool stream: partial_json joins into an object" \
        "$(jq -rj 'select(.delta.type? == "input_json_delta") | .delta.partial_json' "$T/t4.json" | jq -r 'has("city")')" true
    eq "tool stream: stop_reason tool_use" "$(js "$T/t4.json" 'map(select(.type == "message_delta"))[0].delta.stop_reason')" tool_use

    # count_tokens: the prompt's estimate, the same the answer's usage states.
    post "$T/c1" $CT count
    eq "count_tokens: 200 {input_tokens}" "$CODE|$(j "$T/c1.body" 'keys | join(",")')" "200|input_tokens"
    fcheck "count_tokens: input_tokens > 0" 'a > 0' "$(j "$T/c1.body" .input_tokens)"
    match "count_tokens: request-id header" "$(hdr "$T/c1.hdr" request-id)" "$REQID"
    mk count_text "{\"model\":\"claude-sonnet-4-6\",\"messages\":[$USER]}"
    post "$T/c2" $CT count_text
    eq "count_tokens = messages' usage.input_tokens" "$(j "$T/c2.body" .input_tokens)" "$(j "$T/a1.body" .usage.input_tokens)"
    post "$T/c3" $CT badjson
    eq "count_tokens bad body: 400 envelope" "$CODE|$(j "$T/c3.body" .type)" "400|error"
    req "$T/c4" "$URL$CT"
    eq "count_tokens GET: 405" "$CODE" 405
    req "$T/c5" "$URL$M"
    eq "messages GET: 405" "$CODE" 405

    # X-Return-Error: the status, in Anthropic's envelope.
    post "$T/e1" $M text -H 'X-Return-Error: 429'
    eq "X-Return-Error 429: rate_limit_error envelope" "$CODE|$(j "$T/e1.body" '[.type, .error.type] | join(",")')" "429|error,rate_limit_error"
    match "X-Return-Error 429: retry-after" "$(hdr "$T/e1.hdr" retry-after)" '^[0-9]+$'
    post "$T/e2" $M text -H 'X-Return-Error: 529'
    eq "X-Return-Error 529: overloaded_error envelope" "$CODE|$(j "$T/e2.body" '.error.type')" "529|overloaded_error"
    match "X-Return-Error 529: request_id" "$(j "$T/e2.body" .request_id)" "$REQID"
    eq "X-Return-Error 529: retry-after (as a full server's)" "$(hdr "$T/e2.hdr" retry-after)" 1
    post "$T/e3" $M text -H 'X-Return-Error: 401'
    eq "X-Return-Error 401: authentication_error" "$CODE|$(j "$T/e3.body" '.error.type')" "401|authentication_error"
    post "$T/e4" $M text -H 'X-Return-Error: 500'
    eq "X-Return-Error 500: api_error" "$CODE|$(j "$T/e4.body" '.error.type')" "500|api_error"
    stop_server main
fi

# ---- 529 when full: MAX_CONCURRENT=1, one request held --------------------------------------------
if start_server full RESPONSE_DELAY_SECONDS=1.5 MAX_CONCURRENT=1 RETRY_AFTER_SECONDS=2; then
    curl -s -m 10 -o "$T/held.body" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "@$T/text.json" "$URL$M" >"$T/held.code" 2>/dev/null &
    HELD_PID=$!
    PIDS+=("$HELD_PID")
    check "full: one request held" "active=$(active "$URL")" wait_active "$URL" 1 1
    post "$T/f1" $M text
    eq "full: 529 overloaded_error, message Overloaded" "$CODE|$(j "$T/f1.body" '[.error.type, .error.message] | join(",")')" \
        "529|overloaded_error,Overloaded"
    eq "full: retry-after 2" "$(hdr "$T/f1.hdr" retry-after)" 2
    match "full: request-id" "$(hdr "$T/f1.hdr" request-id)" "$REQID"
    post "$T/f2" $M text_s
    eq "full: a stream request gets 529 JSON too" "$CODE|$CTYPE" "529|application/json"
    wait "$HELD_PID"
    eq "full: the held request got 200" "$(cat "$T/held.code")" 200
    stop_server full
fi

# ---- REQUIRE_API_KEY: x-api-key and Bearer -----------------------------------------------------------
if start_server keys RESPONSE_DELAY_SECONDS=0 REQUIRE_API_KEY=sk-ant-test; then
    post "$T/k1" $M text
    eq "no key: 401 authentication_error" "$CODE|$(j "$T/k1.body" '[.type, .error.type] | join(",")')" "401|error,authentication_error"
    eq "no key: Anthropic's message" "$(j "$T/k1.body" .error.message)" "x-api-key header is required"
    match "no key: request-id" "$(hdr "$T/k1.hdr" request-id)" "$REQID"
    post "$T/k2" $M text -H 'x-api-key: wrong'
    eq "wrong x-api-key: 401" "$CODE|$(j "$T/k2.body" .error.type)" "401|authentication_error"
    eq "wrong x-api-key: Anthropic's message" "$(j "$T/k2.body" .error.message)" "invalid x-api-key"
    post "$T/k3" $M text -H 'x-api-key: sk-ant-test'
    eq "x-api-key: 200" "$CODE" 200
    post "$T/k4" $M text -H 'Authorization: Bearer sk-ant-test'
    eq "Bearer: 200" "$CODE" 200
    post "$T/k5" $M text -H 'Authorization: Bearer nope'
    eq "wrong Bearer: 401" "$CODE" 401
    post "$T/k6" $CT count -H 'x-api-key: nope'
    eq "count_tokens wrong key: 401" "$CODE|$(j "$T/k6.body" .error.type)" "401|authentication_error"
    post "$T/k7" $CT count -H 'x-api-key: sk-ant-test'
    eq "count_tokens with key: 200" "$CODE" 200
    stop_server keys
fi

echo "anthropic: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
