#!/usr/bin/env bash
# The defects fixed in the engine/dialect split, on the wire: every 4xx/5xx status with its
# phrase, SDK error type and its own metric label; an injected disconnect counted; an HTTP/2
# prior-knowledge client answered with SETTINGS + GOAWAY(HTTP_1_1_REQUIRED); a bad agent field
# refused by name through the dialect's reader.
# usage: test/suite_engine_split.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "engine_split: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

printf '%s' '{"model":"m1","messages":[{"role":"user","content":"hi"}]}' >"$T/plain.json"

if start_server statuses RESPONSE_DELAY_SECONDS=0; then
    for st in 401:Unauthorized:authentication_error 403:Forbidden:permission_denied_error \
        409:Conflict:conflict_error 422:Unprocessable\ Content:unprocessable_entity_error \
        502:Bad\ Gateway:api_error 504:Gateway\ Timeout:api_error 499:Client\ Error:invalid_request_error; do
        code=${st%%:*}
        rest=${st#*:}
        phrase=${rest%%:*}
        type=${rest#*:}
        chat "$T/e$code" "$URL/v1/chat/completions" "$T/plain.json" -H "X-Return-Error: $code"
        eq "X-Return-Error $code: status, phrase and error type" \
            "$CODE|$(head -n 1 "$T/e$code.hdr" | tr -d '\r')|$(j "$T/e$code.body" .error.type)" \
            "$code|HTTP/1.1 $code $phrase|$type"
    done
    printf '%s' '{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}' >"$T/badtool.json"
    chat "$T/bt" "$URL/v1/chat/completions" "$T/badtool.json"
    eq "a named tool_choice not among the tools: 400 naming tool_choice" \
        "$CODE|$(j "$T/bt.body" .error.param)|$(j "$T/bt.body" .error.type)" "400|tool_choice|invalid_request_error"
    req "$T/m" "$URL/metrics"
    eq "metrics: each status under its own label" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="502"}')|$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="422"}')|$(grep -c 'status="0"' "$T/m.body")" \
        "1|1|0"
    stop_server statuses
fi

if start_server disconnect RESPONSE_DELAY_SECONDS=0.05 FAULT_DISCONNECT_RATE=1; then
    chat "$T/d" "$URL/v1/chat/completions" "$T/plain.json"
    eq "FAULT_DISCONNECT: the whole answer is a reset" "$CODE" 000
    req "$T/m" "$URL/metrics"
    eq "FAULT_DISCONNECT: the reset is counted in llm_mock_requests_total" \
        "$(metric "$T/m.body" 'llm_mock_requests_total{route="chat_completions",status="reset"}')" 1
    stop_server disconnect
fi

if start_server h2 RESPONSE_DELAY_SECONDS=0; then
    # The client preface, then what the server sends back, byte for byte.
    got=$(python3 - "$SRV_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
data = b""
while True:
    try:
        b = s.recv(4096)
    except Exception:
        break
    if not b:
        break
    data += b
print(data.hex())
PY
)
    eq "HTTP/2 preface: SETTINGS then GOAWAY(HTTP_1_1_REQUIRED), then close" "$got" \
        "000000040000000000000008070000000000000000000000000d"
    if curl --version | grep -q nghttp2; then
        out=$(curl -sv -m 5 --http2-prior-knowledge "$URL/health" 2>&1)
        match "curl --http2-prior-knowledge: reads the GOAWAY (error 13, HTTP_1_1_REQUIRED), not 'Empty reply'" \
            "$(echo "$out" | grep -c 'GOAWAY, error=13')|$(echo "$out" | grep -c 'Empty reply')" '^1\|0$'
    else
        skip "curl --http2-prior-knowledge" "curl has no HTTP/2"
    fi
    req "$T/after" "$URL/health"
    eq "HTTP/2 preface: the server still serves HTTP/1.1" "$CODE" 200
    stop_server h2
fi

echo "engine_split: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
