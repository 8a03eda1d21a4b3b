#!/usr/bin/env bash
# The live dashboard and the Grafana dashboard (issue 16): GET and HEAD /dashboard (the embedded
# page whole, text/html; charset=utf-8, Content-Length, Cache-Control: no-store; DASHBOARD=false a
# 404 like any unknown path); every PromQL expression of deploy/grafana/llm-mock-server.json names
# only families /metrics exports (VLLM_METRICS=true, after traffic); headless Chromium opens the
# page while a bounded load runs and the figures it shows are compared with /health and /metrics
# read before and after it (counters between the two, gauges within what a 0.2 s sampler saw,
# percentiles within 2x of the server's); screenshots at 1280x800 and 390x844 go to build/plots/
# (DASHBOARD_SCREENSHOTS=bench/plots refreshes the committed ones, which the docs show).
# usage: test/suite_dashboard.sh [BINARY]   (default build/llm-mock-server-san)
# Ends with one line "dashboard: P passed, F failed, S skipped".
set -u
export LC_ALL=C
set -- "${1:-build/llm-mock-server-san}"
if [ ! -x "$1" ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$HERE/.." && pwd)
CHECK="python3 $HERE/tools/dashboard_check.py"
PAGE=$ROOT/src/observe/dashboard.html
GRAFANA=$ROOT/deploy/grafana/llm-mock-server.json
PLOTS=$ROOT/${DASHBOARD_SCREENSHOTS:-build/plots}
mkdir -p "$PLOTS"

CHROME=$(command -v chromium || command -v chromium-browser || true)
# chrome ARGS...: one headless run (as root it needs --no-sandbox), its own profile, 90 s cap.
chrome() {
    local profile
    profile=$(mktemp -d "$T/chrome.XXXXXX")
    timeout -k 5 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
        --no-default-browser-check --disable-extensions --disable-background-networking --hide-scrollbars \
        --user-data-dir="$profile" "$@" 2>>"$T/chrome.log" &
    local pid=$!
    PIDS+=("$pid")
    wait "$pid"
}

# ---- the route --------------------------------------------------------------------------------
printf '%s' '{"name":"dash","phases":[{"name":"steady","duration":"600s","set":{"FAULT_500_RATE":"0.03"}}]}' >"$T/scen.json"
if start_server dash VLLM_METRICS=true RESPONSE_DELAY_SECONDS=0.2 TTFT_SECONDS=0.2 ITL_SECONDS=0.02 \
    FAULT_429_RATE=0.04 FAULT_STREAM_ERROR_RATE=0.04 RATE_LIMIT_KEYS='sk-slow:rpm=2' SCENARIO_FILE="$T/scen.json"; then
    req "$T/g" "$URL/dashboard"
    eq "GET /dashboard: 200 text/html; charset=utf-8" "$CODE|$CTYPE" "200|text/html; charset=utf-8"
    check "GET /dashboard: the body is src/observe/dashboard.html, byte for byte" "$(wc -c <"$T/g.body") bytes" \
        cmp -s "$T/g.body" "$PAGE"
    eq "Content-Length is the page's size" "$(hdr "$T/g.hdr" content-length)" "$(wc -c <"$PAGE")"
    eq "Cache-Control: no-store" "$(hdr "$T/g.hdr" cache-control)" "no-store"
    fcheck "the page is at most 16 KiB (DASHBOARD_PAGE_MAX)" "a <= 16384" "$(wc -c <"$PAGE")"
    check "the page loads nothing from elsewhere (no src= or href= but data:, no url(), @import)" "" \
        bash -c "! grep -Eiq '(src|href)=\"?[^d\"]|url\\(|@import' '$PAGE'"
    head_size=$(curl -s -m 5 -I -o /dev/null -D "$T/h.hdr" -w '%{http_code}|%{content_type}|%{size_download}' "$URL/dashboard")
    eq "HEAD /dashboard: 200, the same head, no body" \
        "${head_size%|*}|$(hdr "$T/h.hdr" content-length)|$(hdr "$T/h.hdr" cache-control)|${head_size##*|}" \
        "200|text/html; charset=utf-8|$(wc -c <"$PAGE")|no-store|0"
    req "$T/p" -X POST -d x "$URL/dashboard"
    eq "POST /dashboard: 405 Allow: GET, HEAD" "$CODE|$(hdr "$T/p.hdr" allow)" "405|GET, HEAD"
    req "$T/q" "$URL/dashboard?x=1"
    eq "GET /dashboard?x=1: 200" "$CODE" "200"

    # ---- traffic, then the Grafana expressions against what /metrics exports -----------------
    LOAD_COUNT=2000
    $CHECK load "$URL" "$LOAD_COUNT" 60 >"$T/load.out" 2>&1 &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
    sleep 3
    req "$T/m0" "$URL/metrics"
    if $CHECK promql "$GRAFANA" "$T/m0.body" >"$T/promql.out" 2>&1; then
        pass "Grafana: every expression names an exported family ($(tail -n 1 "$T/promql.out"))"
    else
        fail "Grafana: every expression names an exported family" "$(tr '\n' ';' <"$T/promql.out" | head -c 600)"
    fi
    eq "Grafana: schemaVersion 39, a Prometheus datasource variable" \
        "$(jq -r '[.schemaVersion, (.templating.list[] | select(.type == "datasource") | .query)] | join(",")' "$GRAFANA")" \
        "39,prometheus"
    eq "Grafana: every panel has a query and uses the datasource variable" \
        "$(jq '[.panels[] | (.targets | length) > 0 and .datasource.uid == "${datasource}"] | all' "$GRAFANA")" true

    # ---- the browser --------------------------------------------------------------------------
    if [ -z "$CHROME" ]; then
        skip "the browser reads the page's figures" "chromium not installed (make test installs it)"
        skip "screenshots" "chromium not installed"
    else
        : >"$T/samples"
        (while [ ! -e "$T/stop" ]; do curl -s -m 2 "$URL/health" >>"$T/samples"; echo >>"$T/samples"; sleep 0.2; done) &
        SAMPLER=$!
        PIDS+=("$SAMPLER")
        curl -s -m 5 -o "$T/mb" "$URL/metrics"
        curl -s -m 5 -o "$T/hb" "$URL/health"
        chrome --virtual-time-budget=6000 --dump-dom "$URL/dashboard" >"$T/dump.html"
        curl -s -m 5 -o "$T/ha" "$URL/health"
        curl -s -m 5 -o "$T/ma" "$URL/metrics"
        touch "$T/stop"
        wait "$SAMPLER" 2>/dev/null
        if [ -s "$T/dump.html" ]; then
            $CHECK compare "$T/dump.html" "$T/mb" "$T/ma" "$T/hb" "$T/ha" "$T/samples" >"$T/compare.out" 2>&1
            while read -r verdict rest; do
                case $verdict in
                PASS) pass "browser: $rest" ;;
                FAIL) detail=${rest#* (}; fail "browser: ${rest%% (*}" "${detail%)}" ;;
                *) fail "browser: compare" "$verdict $rest" ;;
                esac
            done <"$T/compare.out"
        else
            fail "the browser dumps the page" "$(tail -n 5 "$T/chrome.log" | tr '\n' ' ')"
        fi
        mkdir -p "$PLOTS"
        for size in 1280,800 390,844; do
            w=${size%,*}
            rm -f "$T/shot.png"
            chrome --window-size="$size" --virtual-time-budget=8000 --screenshot="$T/shot.png" "$URL/dashboard" \
                >/dev/null
            if [ -s "$T/shot.png" ] && [ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]; then
                cp "$T/shot.png" "$PLOTS/dashboard-$w.png"
                pass "screenshot at ${size/,/x}: ${PLOTS#"$ROOT"/}/dashboard-$w.png"
            else
                fail "screenshot at ${size/,/x}" "$(tail -n 3 "$T/chrome.log" | tr '\n' ' ')"
            fi
        done
    fi
    kill "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null
    stop_server dash "SIGTERM after the load exits 0"
fi

# ---- DASHBOARD=false ---------------------------------------------------------------------------
if start_server off DASHBOARD=false RESPONSE_DELAY_SECONDS=0; then
    req "$T/o1" "$URL/dashboard"
    req "$T/o2" -I "$URL/dashboard"
    c2=$CODE
    req "$T/o3" -X POST -d x "$URL/dashboard"
    eq "DASHBOARD=false: GET, HEAD and POST /dashboard are 404 like an unknown path" \
        "$(jq -r .error.message "$T/o1.body")|$c2|$CODE" "Invalid URL (GET /dashboard).|404|404"
    req "$T/o4" "$URL/health"
    eq "DASHBOARD=false: /health still answers" "$CODE" 200
    stop_server off
fi

echo "dashboard: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
