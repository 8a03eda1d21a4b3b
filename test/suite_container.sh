#!/bin/bash
# Container suite (issue 5): the healthcheck mode against the real binaries, the compose file and
# the Kubernetes manifests checked offline, then — when podman can run here — the image built
# offline and run with 1 CPU / 1 GiB. Ends with "container: P passed, F failed, S skipped";
# whatever cannot run here is counted as skipped, never as passed.
#
# Container traffic stays on loopback: the test container has no network (--network none) and
# is reached with nsenter into its own network namespace (127.0.0.1 there), so nothing is sent
# to the bridge's private addresses.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
passed=0
failed=0
skipped=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
skip() { echo "skip $1"; skipped=$((skipped + 1)); }
expect() { if [ "$1" = 1 ]; then pass "$2"; else fail "$2${3:+: $3}"; fi; }

tmp=$(mktemp -d)
pids=()
container=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    [ -n "$container" ] && timeout 60 podman rm -f -t 0 "$container" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

SAN=build/llm-mock-server-san
STATIC=build/llm-mock-server-static

# Starts $SAN with the given environment on 127.0.0.1 and a port it picks; sets $port and $pid.
start_server() {
    local log=$tmp/server.$RANDOM.log
    env HOST=127.0.0.1 PORT=0 "$@" "$SAN" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    port=""
    for _ in $(seq 1 100); do
        port=$(sed -nE 's/.*listening on http:\/\/127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "server did not start:"
    cat "$log"
    return 1
}

stop_server() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# --- the healthcheck mode, against the real server -----------------------------------------
if start_server RESPONSE_DELAY_SECONDS=2 MAX_CONCURRENT=1; then
    out=$("$SAN" healthcheck --port "$port")
    rc=$?
    expect "$([ $rc = 0 ] && [[ $out == "healthy: GET http://127.0.0.1:$port/health answered 200 (status healthy)" ]] && echo 1)" \
        "healthcheck --port: exit 0 on 200 (\"$out\")" "rc $rc"
    out=$(PORT=$port "$SAN" --healthcheck)
    rc=$?
    expect "$([ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo 1)" "--healthcheck with PORT from the environment: exit 0, one line" "rc $rc: $out"

    # One held request fills MAX_CONCURRENT=1: /health says 503 overloaded, the check says 1.
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/v1/chat/completions" \
        -d '{"model":"m","messages":[{"role":"user","content":"hi"}]}' &
    pids+=($!)
    rc=0
    for _ in $(seq 1 40); do
        out=$(PORT=$port "$SAN" healthcheck)
        rc=$?
        [ $rc = 1 ] && break
        sleep 0.05
    done
    expect "$([ $rc = 1 ] && [[ $out == *"answered 503 (status overloaded)"* ]] && echo 1)" \
        "healthcheck: exit 1 while overloaded (\"$out\")" "rc $rc"
    if [ -x "$STATIC" ]; then
        out=$(PORT=$port "$STATIC" healthcheck)
        rc=$?
        expect "$([ $rc = 1 ] && [[ $out == *"503"* ]] && echo 1)" "static binary healthcheck agrees (\"$out\")" "rc $rc"
    else
        skip "static binary healthcheck: $STATIC not built (make static)"
    fi
    stop_server "$pid"
    t0=$(date +%s%N)
    out=$(PORT=$port "$SAN" healthcheck)
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    expect "$([ $rc = 1 ] && [[ $out == "unhealthy: cannot connect to 127.0.0.1:$port: Connection refused" ]] && echo 1)" \
        "healthcheck: exit 1 with nobody listening, in ${ms} ms (\"$out\")" "rc $rc"
    out=$("$SAN" healthcheck --port notaport)
    rc=$?
    expect "$([ $rc = 1 ] && [[ $out == unhealthy:*PORT* || $out == unhealthy:*port* ]] && echo 1)" \
        "healthcheck: a bad port is exit 1, named (\"$out\")" "rc $rc"
else
    fail "healthcheck: server did not start"
fi

if [ -x "$STATIC" ]; then
    info=$(file "$STATIC")
    expect "$([[ $info == *"statically linked"* && $info == *stripped* && $info != *"not stripped"* ]] && echo 1)" \
        "static binary: statically linked and stripped" "$info"
fi

# --- compose.yaml and the Kubernetes manifests, offline ------------------------------------
PY=/usr/bin/python3
if [ -x $PY ] && $PY -c 'import yaml' 2>/dev/null; then
    out=$($PY deploy/check_manifests.py "$ROOT" 2>&1)
    rc=$?
    echo "$out" | grep '^FAIL' || true
    n=$(echo "$out" | grep -c '^ok')
    expect "$([ $rc = 0 ] && echo 1)" "compose.yaml and deploy/kubernetes: $n structural checks" "$(echo "$out" | grep -c '^FAIL') failed"
    # The checker must catch what it is there for: a liveness probe on /health, a grace period
    # shorter than the drain, a top-level name: in compose.yaml.
    mkdir -p "$tmp/bad/deploy"
    cp -r deploy/kubernetes "$tmp/bad/deploy/"
    cp compose.yaml "$tmp/bad/"
    $PY - "$tmp/bad" <<'EOF'
import sys, yaml
root = sys.argv[1]
p = root + "/deploy/kubernetes/deployment.yaml"
d = yaml.safe_load(open(p))
c = d["spec"]["template"]["spec"]["containers"][0]
c["livenessProbe"] = {"httpGet": {"path": "/health", "port": "http"}}
d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10
yaml.safe_dump(d, open(p, "w"))
p = root + "/compose.yaml"
s = open(p).read()
open(p, "w").write("name: llm\n" + s)
EOF
    bad=$($PY deploy/check_manifests.py "$tmp/bad" 2>&1 | grep '^FAIL')
    expect "$([[ $bad == *"liveness does not use /health"* && $bad == *terminationGracePeriodSeconds* && $bad == *"no top-level name"* ]] && echo 1)" \
        "manifest checker rejects a /health liveness probe, a short grace period, a compose name:" "$bad"
else
    skip "compose.yaml and deploy/kubernetes checks: python3-yaml missing"
    skip "manifest checker self-test: python3-yaml missing"
fi
if command -v docker-compose >/dev/null 2>&1; then
    out=$(docker-compose -f compose.yaml config -q 2>&1)
    expect "$([ $? = 0 ] && echo 1)" "docker-compose $(docker-compose version --short 2>/dev/null) config accepts compose.yaml" "$out"
else
    skip "docker-compose config: docker-compose not installed"
fi
if command -v kubectl >/dev/null 2>&1; then
    # kustomize renders offline; --dry-run would need an API server.
    out=$(timeout 60 kubectl kustomize deploy/kubernetes 2>&1)
    kinds=$(echo "$out" | grep -E '^kind: ' | sort | tr '\n' ' ')
    expect "$([ "$kinds" = "kind: Deployment kind: HorizontalPodAutoscaler kind: PodDisruptionBudget kind: Service " ] && echo 1)" \
        "kubectl kustomize renders deploy/kubernetes ($kinds)" "$(echo "$out" | tail -n 3)"
else
    skip "kubectl kustomize: kubectl not installed"
fi

# --- the image, built offline and run with 1 CPU / 1 GiB ------------------------------------
CHECKS=("image build" "image size and config" "cgroup limits inside" "one worker" "/health memory"
    "podman healthcheck" "chat answered" "podman stop drains and exits 0")
# Skips the checks from index $1 on, saying why ($2).
skip_from() {
    local i
    for ((i = $1; i < ${#CHECKS[@]}; i++)); do skip "container ${CHECKS[$i]}: $2"; done
}
why_not=""
if [ "$(id -u)" != 0 ]; then
    why_not="needs root (podman as root with runc)"
elif ! command -v podman >/dev/null 2>&1; then
    why_not="podman not installed (apt-get install podman runc debootstrap)"
elif ! command -v runc >/dev/null 2>&1; then
    why_not="runc not installed"
elif ! command -v nsenter >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
    why_not="nsenter and curl needed"
fi
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/containers.conf}"
if [ -z "$why_not" ] && ! podman image exists debian:bookworm-slim 2>/dev/null && ! command -v debootstrap >/dev/null 2>&1; then
    why_not="no local debian:bookworm-slim and no debootstrap to make one"
fi
if [ -n "$why_not" ]; then
    skip_from 0 "$why_not"
else
    IMAGE=llm-mock-server:0.1.0
    t0=$(date +%s)
    # Podman's layer cache is keyed on content: unchanged Dockerfile and sources rebuild nothing.
    out=$(timeout 1500 sh deploy/podman/build_image.sh "$IMAGE" 2>"$tmp/build.log")
    rc=$?
    secs=$(($(date +%s) - t0))
    if [ $rc != 0 ]; then
        tail -n 30 "$tmp/build.log"
        fail "container image build (exit $rc after ${secs} s)"
        skip_from 1 "the image did not build"
    else
        pass "container image build offline in ${secs} s ($out)"
        size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
        cfg=$(podman image inspect "$IMAGE" --format '{{.Config.User}}|{{.Config.StopSignal}}|{{json .Config.Healthcheck.Test}}|{{json .Config.ExposedPorts}}|{{json .Config.Entrypoint}}')
        layers=$(podman image inspect "$IMAGE" --format '{{len .RootFS.Layers}}')
        expect "$([ "$size" -lt 5000000 ] && [ "$cfg" = '65532:65532|SIGTERM|["CMD","/llm-mock-server","healthcheck"]|{"8080/tcp":{}}|["/llm-mock-server"]' ] && [ "$layers" = 1 ] && echo 1)" \
            "container image: $size bytes (< 5 MB), one layer, user 65532, SIGTERM, exec HEALTHCHECK, EXPOSE 8080" "$cfg, $layers layers"

        container=llm-mock-test-$$
        podman run -d --name "$container" --network none --cpus 1 --memory 1g \
            -e RESPONSE_DELAY_SECONDS=1 "$IMAGE" >/dev/null 2>"$tmp/run.log"
        cpid=""
        for _ in $(seq 1 50); do
            cpid=$(podman inspect "$container" --format '{{.State.Pid}}' 2>/dev/null)
            [ -n "$cpid" ] && [ "$cpid" != 0 ] && podman logs "$container" 2>&1 | grep -q 'listening on' && break
            sleep 0.1
        done
        logs=$(podman logs "$container" 2>&1)
        if [ -z "$cpid" ] || [ "$cpid" = 0 ]; then
            cat "$tmp/run.log"
            echo "$logs"
            fail "container did not start"
            skip_from 3 "the container did not start"
        else
            # The limits as the container sees them, through its own root and cgroup mounts.
            cg=/proc/$cpid/root/sys/fs/cgroup
            if [ -f "$cg/memory.max" ]; then
                mem=$(cat "$cg/memory.max")
                cpu=$(cat "$cg/cpu.max")
            else
                mem=$(cat "$cg/memory/memory.limit_in_bytes")
                cpu="$(cat "$cg/cpu/cpu.cfs_quota_us") $(cat "$cg/cpu/cpu.cfs_period_us")"
            fi
            quota=$(echo "$cpu" | awk '$1 != "max" && $2 > 0 { printf "%.2f", $1 / $2 }')
            uid=$(awk '/^Uid:/ { print $2 }' "/proc/$cpid/status")
            nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$cpid/limits")
            expect "$([ "$mem" = 1073741824 ] && [ "$quota" = 1.00 ] && [ "$uid" = 65532 ] && echo 1)" \
                "container cgroup: memory limit $mem, cpu quota $quota cores, uid $uid, nofile $nofile" "cpu '$cpu'"
            line=$(echo "$logs" | grep -m 1 'workers ')
            expect "$([[ $line == *"workers 1 (usable cores 1:"* && $line == *"cgroup quota 1.00"* ]] && echo 1)" \
                "container server chose 1 worker: ${line#llm-mock-server: }" "$line"
            health=$(timeout 10 nsenter -t "$cpid" -n curl -s --max-time 5 http://127.0.0.1:8080/health)
            total=$(echo "$health" | jq -r '.memory.total_mb' 2>/dev/null)
            src=$(echo "$health" | jq -r '.memory.source' 2>/dev/null)
            workers=$(echo "$health" | jq -r '.workers' 2>/dev/null)
            expect "$([ "$total" = 1024 ] && [[ $src == cgroup_v* ]] && [ "$workers" = 1 ] && echo 1)" \
                "container /health: memory.total_mb $total from $src, workers $workers" "$health"
            timeout 30 podman healthcheck run "$container" >/dev/null 2>"$tmp/hc.log"
            rc=$?
            hc=$(podman inspect "$container" --format '{{range .State.Health.Log}}{{.Output}}{{end}}' 2>/dev/null | tail -n 1)
            status=$(podman inspect "$container" --format '{{.State.Health.Status}}' 2>/dev/null)
            expect "$([ $rc = 0 ] && [ "$status" = healthy ] && [[ $hc == healthy:* ]] && echo 1)" \
                "podman healthcheck run: $status (\"$hc\")" "rc $rc $(cat "$tmp/hc.log")"
            code=$(timeout 10 nsenter -t "$cpid" -n curl -s -o "$tmp/chat.json" -w '%{http_code}' --max-time 5 \
                -X POST http://127.0.0.1:8080/v1/chat/completions \
                -d '{"model":"m","messages":[{"role":"user","content":"hi"}]}')
            expect "$([ "$code" = 200 ] && jq -e '.object == "chat.completion" and .model == "m"' "$tmp/chat.json" >/dev/null 2>&1 && echo 1)" \
                "container chat completion answered 200 after the 1 s delay" "HTTP $code $(head -c 200 "$tmp/chat.json")"

            # Stop while a request is held: PID 1 must drain it and exit 0 well within the grace.
            grace=15
            (timeout 20 nsenter -t "$cpid" -n curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
                -X POST http://127.0.0.1:8080/v1/chat/completions \
                -d '{"model":"m","messages":[{"role":"user","content":"hi"}]}' >"$tmp/held.code") &
            held=$!
            sleep 0.3
            t0=$(date +%s%N)
            timeout 60 podman stop -t $grace "$container" >/dev/null 2>&1
            ms=$((($(date +%s%N) - t0) / 1000000))
            wait $held
            exit_code=$(podman inspect "$container" --format '{{.State.ExitCode}}')
            drained=$(podman logs "$container" 2>&1 | grep -c 'drained; exiting')
            expect "$([ "$exit_code" = 0 ] && [ "$ms" -lt $((grace * 1000)) ] && [ "$(cat "$tmp/held.code")" = 200 ] && [ "$drained" = 1 ] && echo 1)" \
                "podman stop: held request answered 200, exit $exit_code after ${ms} ms (grace ${grace} s)" \
                "held $(cat "$tmp/held.code"), drained $drained"
        fi
    fi
fi

echo "container: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
