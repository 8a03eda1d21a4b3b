#!/usr/bin/env bash
# Live control on the wire: /admin/config (GET, PATCH, POST) and /admin/scenario (GET, POST,
# DELETE): off without ADMIN_TOKEN (404), 401 without or with a wrong token; every setting
# listed with its live flag; a change all or nothing, each refusal naming the setting; the new
# delay for new requests while 5,000 held ones keep theirs (none dropped); MAX_CONCURRENT
# raised and lowered live; /health's config_generation and the metrics; a three-phase scenario
# observed from outside (the latency of each phase), its position, its end restoring the base,
# DELETE; SCENARIO_FILE at startup (a bad one exits 2 naming its line and field); promtool.
# usage: test/suite_live_control.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "live-control: P passed, F failed, S skipped".
set -u
set -- "${1:-build/llm-mock-server-san}"
source "$(dirname "$0")/lib.sh" "$1" --binary

CHAT=/v1/chat/completions
printf '%s' '{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}' >"$T/chat.json"
AUTH=(-H 'Authorization: Bearer tok-123')
# admin OUT METHOD PATH [BODY] [CURL-ARGS...]
admin() {
    local out=$1 method=$2 path=$3 body=${4:-}
    shift 3
    [ $# -gt 0 ] && shift
    if [ -n "$body" ]; then
        printf '%s' "$body" >"$out.req"
        req "$out" -X "$method" -H 'Content-Type: application/json' --data-binary "@$out.req" "$@" "$URL$path"
    else
        req "$out" -X "$method" "$@" "$URL$path"
    fi
}
metric() { curl -s -m 2 "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# latency: seconds one chat request takes
latency() { curl -s -m 10 -o /dev/null -w '%{time_total}' --data-binary "@$T/chat.json" "$URL$CHAT"; }
setting() { j "$1" ".settings[] | select(.name == \"$2\") | $3"; }

# ---- off without ADMIN_TOKEN --------------------------------------------------------------------
if start_server off RESPONSE_DELAY_SECONDS=0; then
    admin "$T/o1" GET /admin/config
    eq "off: GET /admin/config is 404 without ADMIN_TOKEN" "$CODE|$(j "$T/o1.body" .error.type)" "404|invalid_request_error"
    admin "$T/o2" PATCH /admin/config '{"RESPONSE_DELAY_SECONDS":"1"}' "${AUTH[@]}"
    eq "off: PATCH is 404 too, whatever the token" "$CODE" 404
    eq "off: /health says generation 0" "$(curl -s "$URL/health" | jq -r .config_generation)" 0
    stop_server off
fi

# ---- /admin/config --------------------------------------------------------------------------------
if start_server cfg RESPONSE_DELAY_SECONDS=0 ADMIN_TOKEN=tok-123 MAX_CONCURRENT=100; then
    admin "$T/a1" GET /admin/config
    eq "auth: no token is 401 in the OpenAI envelope" "$CODE|$(j "$T/a1.body" .error.type)" "401|authentication_error"
    admin "$T/a2" GET /admin/config '' -H 'Authorization: Bearer tok-12'
    eq "auth: a wrong token (a prefix of it) is 401" "$CODE" 401
    admin "$T/a3" GET /admin/config '' "${AUTH[@]}"
    eq "GET: 200, generation 0" "$CODE|$(j "$T/a3.body" .generation)" "200|0"
    eq "GET: RESPONSE_DELAY_SECONDS live, its value as written and parsed" \
        "$(setting "$T/a3.body" RESPONSE_DELAY_SECONDS '"\(.live) \(.value) \(.parsed)"')" "true 0 0"
    eq "GET: PORT not live" "$(setting "$T/a3.body" PORT .live)" false
    eq "GET: ADMIN_TOKEN's value hidden" "$(setting "$T/a3.body" ADMIN_TOKEN .value)" "(hidden)"
    check "GET: every setting listed (50 or more)" "$(j "$T/a3.body" '.settings | length')" \
        test "$(j "$T/a3.body" '.settings | length')" -ge 50
    admin "$T/p1" PATCH /admin/config '{"RESPONSE_DELAY_SECONDS":"0.4","FAULT_500_RATE":0}' "${AUTH[@]}"
    eq "PATCH: 200, generation 1, what changed" "$CODE|$(j "$T/p1.body" '"\(.generation)|\(.changed)"')" \
        "200|1|RESPONSE_DELAY_SECONDS 0 -> 0.4"
    l=$(latency)
    check "PATCH: the next request takes the new delay (0.4 s; took $l)" "$l" awk -v l="$l" 'BEGIN {exit !(l >= 0.39 && l < 2)}'
    eq "PATCH: /health's config_generation 1" "$(curl -s "$URL/health" | jq -r .config_generation)" 1
    eq "PATCH: llm_mock_config_changes_total 1, generation gauge 1" \
        "$(metric llm_mock_config_changes_total) $(metric llm_mock_config_generation)" "1 1"
    check "PATCH: logged with the client's address, old -> new" "$(grep admin: "$SRV_LOG" | tail -n 1)" \
        grep -q 'admin: 127.0.0.1:[0-9]* changed RESPONSE_DELAY_SECONDS 0 -> 0.4 (generation 1)' "$SRV_LOG"
    admin "$T/p2" POST /admin/config '{"RESPONSE_DELAY_SECONDS":0,"ALLOW_REQUEST_OVERRIDES":false}' "${AUTH[@]}"
    eq "POST as PATCH, JSON numbers and booleans" "$CODE|$(j "$T/p2.body" .generation)" "200|2"
    l=$(latency)
    check "POST: delay 0 again (took $l)" "$l" awk -v l="$l" 'BEGIN {exit !(l < 0.3)}'
    while IFS='|' read -r name body want; do
        admin "$T/b" PATCH /admin/config "$body" "${AUTH[@]}"
        eq "400 $name: names the problem" "$CODE|$(j "$T/b.body" .error.message)" "400|$want"
    done <<'EOF'
restart-only|{"PORT":"9000"}|PORT cannot change while the server runs: it needs a restart
unknown|{"NOPE":1}|unknown setting "NOPE"
bad value|{"RESPONSE_DELAY_SECONDS":"soon"}|invalid RESPONSE_DELAY_SECONDS="soon": expected a number of seconds >= 0 such as 10 or 0.25, or a latency model such as uniform:0.2,0.8
not an object|[1]|the body must be a JSON object of settings, e.g. {"RESPONSE_DELAY_SECONDS":"0.5"}
empty|{}|no settings given
a null|{"FAULT_500_RATE":null}|FAULT_500_RATE: expected a string, number or boolean
EOF
    admin "$T/b2" PATCH /admin/config '{"FAULT_500_RATE":0.5,"ITL_SECONDS":"-1"}' "${AUTH[@]}"
    admin "$T/b3" GET /admin/config '' "${AUTH[@]}"
    eq "all or nothing: one bad value, nothing changes (generation 2, FAULT_500_RATE 0)" \
        "$(grep -o ' [0-9]\{3\} ' "$T/b2.hdr" | head -n 1 | tr -d ' ')|$(j "$T/b3.body" .generation)|$(setting "$T/b3.body" FAULT_500_RATE .value)" "400|2|0"
    # MAX_CONCURRENT live: lowering it refuses new requests while held ones finish; raising frees at once.
    admin "$T/m1" PATCH /admin/config '{"MAX_CONCURRENT":"1","RESPONSE_DELAY_SECONDS":"1.5"}' "${AUTH[@]}"
    (curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" "$URL$CHAT" >"$T/held.code") &
    HELD=$!
    sleep 0.4
    eq "MAX_CONCURRENT 1: a second request is 503" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" "$URL$CHAT")" 503
    admin "$T/m2" PATCH /admin/config '{"MAX_CONCURRENT":"2"}' "${AUTH[@]}"
    eq "MAX_CONCURRENT raised to 2: the next is admitted at once" \
        "$(curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" "$URL$CHAT")" 200
    wait "$HELD"
    eq "MAX_CONCURRENT: the held request was answered" "$(cat "$T/held.code")" 200
    eq "MAX_CONCURRENT: /health shows the new limit" "$(curl -s "$URL/health" | jq -r .max_concurrent_requests)" 2
    # Rate limits live: off at startup, turned on (3 a minute), raised, then off again.
    code() { curl -s -m 5 -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" -H "Authorization: Bearer $1" "$URL$CHAT"; }
    admin "$T/r0" PATCH /admin/config '{"MAX_CONCURRENT":"100","RESPONSE_DELAY_SECONDS":"0","RATE_LIMIT_RPM":3}' "${AUTH[@]}"
    eq "rate limits live: RATE_LIMIT_RPM turned on from 0" "$CODE|$(j "$T/r0.body" .changed | grep -c RATE_LIMIT_RPM)" "200|1"
    codes="$(code sk-a) $(code sk-a) $(code sk-a) $(code sk-a) $(code sk-b)"
    eq "rate limits live: 3 pass, the 4th is 429, another key passes" "$codes" "200 200 200 429 200"
    req "$T/r1" --data-binary "@$T/chat.json" -H 'Authorization: Bearer sk-c' "$URL$CHAT"
    eq "rate limits live: the limit in the headers" "$(hdr "$T/r1.hdr" x-ratelimit-limit-requests)" 3
    eq "rate limits live: /v1/mock/rate-limits says enabled, rpm 3" \
        "$(curl -s "$URL/v1/mock/rate-limits" | jq -r '"\(.enabled) \(.rpm)"')" "true 3"
    admin "$T/r2" PATCH /admin/config '{"RATE_LIMIT_RPM":"300"}' "${AUTH[@]}"
    # sk-a had used its whole 3: it has used (nearly) its whole 300 too (a bucket keeps its share
    # of the window; it refills 5 a second since): a 429, or a 200 with a handful left.
    req "$T/r2a" --data-binary "@$T/chat.json" -H 'Authorization: Bearer sk-a' "$URL$CHAT"
    left=$(hdr "$T/r2a.hdr" x-ratelimit-remaining-requests)
    check "rate limits live: raised to 300, an exhausted key stays exhausted in share ($CODE, ${left:-no} left)" \
        "$CODE $left" awk -v c="$CODE" -v r="${left:-0}" 'BEGIN {exit !(c == 429 || (c == 200 && r < 20))}'
    req "$T/r3" --data-binary "@$T/chat.json" -H 'Authorization: Bearer sk-c' "$URL$CHAT"
    rem=$(hdr "$T/r3.hdr" x-ratelimit-remaining-requests)
    check "rate limits live: a key that used 1 of 3 has 2/3 of 300 left, less this one (199, plus the refill; got $rem)" \
        "$CODE|$(hdr "$T/r3.hdr" x-ratelimit-limit-requests)|$rem" \
        awk -v c="$CODE" -v l="$(hdr "$T/r3.hdr" x-ratelimit-limit-requests)" -v r="$rem" 'BEGIN {exit !(c == 200 && l == 300 && r >= 199 && r <= 205)}'
    admin "$T/r4" PATCH /admin/config '{"RATE_LIMIT_RPM":0}' "${AUTH[@]}"
    eq "rate limits live: turned off, the exhausted key passes, no headers" \
        "$(code sk-a)|$(curl -s -D - -o /dev/null --data-binary "@$T/chat.json" -H 'Authorization: Bearer sk-a' "$URL$CHAT" | grep -ci x-ratelimit)" "200|0"
    eq "rate limits live: /v1/mock/rate-limits says disabled" "$(curl -s "$URL/v1/mock/rate-limits" | jq -r .enabled)" false
    admin "$T/r5" PATCH /admin/config '{"RATE_LIMIT_MAX_KEYS":"32"}' "${AUTH[@]}"
    eq "rate limits live: RATE_LIMIT_MAX_KEYS needs a restart" "$CODE|$(j "$T/r5.body" .error.message | grep -c 'needs a restart')" "400|1"
    if command -v promtool >/dev/null; then
        curl -s "$URL/metrics" >"$T/metrics.txt"
        check "promtool check metrics: clean" "$(promtool check metrics <"$T/metrics.txt" 2>&1 | head -n 3 | tr '\n' ' ')" \
            sh -c "promtool check metrics <'$T/metrics.txt' >/dev/null 2>&1"
    else
        skip "promtool check metrics" "promtool not installed"
    fi
    stop_server cfg
fi

# ---- a change under 5,000 held requests ------------------------------------------------------------
if start_server held RESPONSE_DELAY_SECONDS=6 ADMIN_TOKEN=tok-123 MAX_CONCURRENT=6000; then
    python3 - "$SRV_PORT" 5000 >"$T/held.json" 2>"$T/held.err" <<'PY' &
import asyncio, json, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
BODY = b'{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}'
REQ = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: "
       + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY)
async def one():
    t0 = time.monotonic()
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(REQ)
        await w.drain()
        data = await asyncio.wait_for(r.read(), 30)
        w.close()
        return data.split(b" ", 2)[1].decode(), time.monotonic() - t0
    except Exception as e:
        return "error", time.monotonic() - t0
async def main():
    res = await asyncio.gather(*(one() for _ in range(n)))
    ok = sum(1 for c, _ in res if c == "200")
    print(json.dumps({"ok": ok, "min": min(t for _, t in res), "codes": sorted(set(c for c, _ in res))}))
asyncio.run(main())
PY
    PYPID=$!
    for _ in $(seq 100); do
        [ "$(curl -s "$URL/health" | jq -r .active_requests)" -ge 5000 ] 2>/dev/null && break
        sleep 0.05
    done
    active=$(curl -s "$URL/health" | jq -r .active_requests)
    admin "$T/h1" PATCH /admin/config '{"RESPONSE_DELAY_SECONDS":"0"}' "${AUTH[@]}"
    l=$(latency)
    check "held: with $active held, a new request takes the new delay 0 (took $l)" "$l" awk -v l="$l" 'BEGIN {exit !(l < 1)}'
    wait "$PYPID"
    eq "held: all 5,000 held requests answered 200 (none dropped)" "$(j "$T/held.json" '"\(.ok) \(.codes)"')" '5000 ["200"]'
    check "held: and they kept their 6 s delay (fastest $(j "$T/held.json" .min) s)" "$(cat "$T/held.err" | tail -n 2)" \
        awk -v m="$(j "$T/held.json" .min)" 'BEGIN {exit !(m >= 5.95)}'
    stop_server held
fi

# ---- scenarios ---------------------------------------------------------------------------------------
SCEN='{"name":"three","phases":[{"name":"fast","duration":"1s","set":{"RESPONSE_DELAY_SECONDS":"0"}},{"name":"slow","duration":"1.5s","set":{"RESPONSE_DELAY_SECONDS":"0.6"}},{"name":"fast2","duration":"1s","set":{"RESPONSE_DELAY_SECONDS":0}}]}'
if start_server scen RESPONSE_DELAY_SECONDS=0.25 ADMIN_TOKEN=tok-123; then
    admin "$T/s0" DELETE /admin/scenario '' "${AUTH[@]}"
    eq "scenario: DELETE with none running is 404" "$CODE" 404
    admin "$T/s1" POST /admin/scenario "$SCEN" "${AUTH[@]}"
    t0=$EPOCHREALTIME
    eq "scenario: POST starts it" "$CODE|$(j "$T/s1.body" .running)" "200|true"
    at() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'; }
    until_t() { while awk -v a="$t0" -v b="$EPOCHREALTIME" -v t="$1" 'BEGIN {exit !(b - a < t)}'; do sleep 0.02; done; }
    until_t 0.2
    admin "$T/g1" GET /admin/scenario '' "${AUTH[@]}"
    eq "scenario: GET in phase 0 names it" "$(j "$T/g1.body" '"\(.phase) \(.phase_name)"')" "0 fast"
    l1=$(latency)
    check "scenario: phase fast answers at once (took $l1 s at $(at) s)" "$l1" awk -v l="$l1" 'BEGIN {exit !(l < 0.2)}'
    until_t 1.3
    eq "scenario: llm_mock_scenario_phase names the slow phase" "$(metric 'llm_mock_scenario_phase{phase="slow"}')" 1
    l2=$(latency)
    check "scenario: phase slow takes 0.6 s (took $l2 s at $(at) s)" "$l2" awk -v l="$l2" 'BEGIN {exit !(l >= 0.59 && l < 1.5)}'
    until_t 2.7
    l3=$(latency)
    check "scenario: phase fast2 answers at once again (took $l3 s at $(at) s)" "$l3" awk -v l="$l3" 'BEGIN {exit !(l < 0.2)}'
    admin "$T/g2" GET /admin/config '' "${AUTH[@]}"
    eq "scenario: GET /admin/config shows base and effective" \
        "$(setting "$T/g2.body" RESPONSE_DELAY_SECONDS '"\(.value)|\(.effective)"')" "0.25|0"
    until_t 3.8
    l4=$(latency)
    check "scenario: after its last phase the base delay 0.25 returns (took $l4 s at $(at) s)" "$l4" \
        awk -v l="$l4" 'BEGIN {exit !(l >= 0.24 && l < 1)}'
    eq "scenario: ended, phase -1" "$(metric 'llm_mock_scenario_phase{phase=""}')" -1
    admin "$T/s2" POST /admin/scenario '{"name":"sq","repeat":true,"phases":[{"name":"on","duration":"20s","set":{"FAULT_500_RATE":1}}]}' "${AUTH[@]}"
    eq "scenario: a repeating one runs (every request 500)" \
        "$CODE|$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" "$URL$CHAT")" "200|500"
    admin "$T/s3" DELETE /admin/scenario '' "${AUTH[@]}"
    eq "scenario: DELETE stops it and restores the base" \
        "$CODE|$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$T/chat.json" "$URL$CHAT")" "200|200"
    # A ramp: RESPONSE_DELAY_SECONDS 0 -> 1 over 2 s, stepped on worker 0's timer wheel; then
    # its end restores the base with no request to wake anything.
    admin "$T/s5" POST /admin/scenario '{"name":"ramp","phases":[{"name":"up","duration":"2s","ramp":{"RESPONSE_DELAY_SECONDS":[0,1]}}]}' "${AUTH[@]}"
    t0=$EPOCHREALTIME
    until_t 1.0
    l5=$(latency)
    check "scenario: a ramp 0 -> 1 s over 2 s is about 0.5 s half way (took $l5 s at $(at) s)" "$l5" \
        awk -v l="$l5" 'BEGIN {exit !(l >= 0.35 && l <= 0.75)}'
    sleep 1.3
    g_end=$(curl -s "$URL/health" | jq -r .config_generation)
    l6=$(latency)
    check "scenario: the ramp's end restored the base 0.25 s by itself (took $l6 s at $(at) s)" "$l6" \
        awk -v l="$l6" 'BEGIN {exit !(l >= 0.24 && l < 0.6)}'
    sleep 0.5
    eq "scenario: nothing is published after its end (generation stays $g_end)" \
        "$(curl -s "$URL/health" | jq -r .config_generation)" "$g_end"
    admin "$T/s4" POST /admin/scenario '{"name":"bad","phases":[{"name":"x","duration":"1s","set":{"PORT":"1"}}]}' "${AUTH[@]}"
    eq "scenario: a restart-only setting is refused, naming it" \
        "$CODE|$(j "$T/s4.body" .error.message | grep -c 'PORT cannot change while the server runs')" "400|1"
    stop_server scen
fi
printf '%s' '{"name":"file","phases":[{"name":"slow","duration":"60s","set":{"RESPONSE_DELAY_SECONDS":"0.5"}}]}' >"$T/scen.json"
if start_server file RESPONSE_DELAY_SECONDS=0 SCENARIO_FILE="$T/scen.json"; then
    l=$(latency)
    check "SCENARIO_FILE: runs from startup without ADMIN_TOKEN (took $l s)" "$l" awk -v l="$l" 'BEGIN {exit !(l >= 0.49 && l < 2)}'
    eq "SCENARIO_FILE: its phase in /metrics" "$(metric 'llm_mock_scenario_phase{phase="slow"}')" 0
    stop_server file
fi
printf '{"name":"bad",\n "phases":[\n  {"name":"a","duration":"soon"}]}' >"$T/bad.json"
out=$(SCENARIO_FILE="$T/bad.json" timeout 5 "$BIN" --port 0 2>&1)
rc=$?
check "SCENARIO_FILE: a bad one exits 2 naming its line and field" "rc $rc: $out" \
    sh -c "[ $rc -eq 2 ] && echo '$out' | grep -q 'line 3.*phases\[0\].duration'"

echo "live-control: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
