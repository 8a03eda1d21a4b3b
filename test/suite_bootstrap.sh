#!/bin/bash
# Bootstrap suite (issue 16): the README's quick start, as typed as root on a minimal Debian 12
# (no make, no curl):
#     apt-get update && apt-get install -y make
#     make run
# run in a fresh minbase bookworm container (podman; the container suite's local base image,
# debootstrapped, nothing pulled) holding a copy of this source tree (the working tree's tracked
# and untracked files, build/ and ignored files left out). The container has no network
# (--network none): its apt reads a local repository made beforehand of exactly the packages
# `apt-get install make` and the build's BUILD_PACKAGES need, downloaded from the machine's Debian
# mirror by a throw-away container of the same base (host network, as `make image` does), and
# cached in build/bootstrap-repo/. So `make run` can succeed only if it needs nothing past those.
# Checks: make installed, `make run` listens on 8080 and /health answers 200 (probed from
# inside, bash's /dev/tcp), and none of the test or bench packages (nginx, clang, prometheus,
# catch2, curl, podman) got installed.
#
# Time: about 1-2 minutes for the download (first run only), then the install, then the build at
# make's default -j1: 10-15 minutes on a loaded 2-core machine. Bounded: BOOTSTRAP_TIMEOUT
# (default 1800 s) for the whole `make run`; the download 600 s.
# Ends with "bootstrap: P passed, F failed, S skipped"; what cannot run here is skipped, never passed.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
passed=0
failed=0
skipped=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
skip() { echo "skip $1"; skipped=$((skipped + 1)); }

CHECKS=("apt-get install -y make" "make run listens on 8080" "/health answers 200" "no test or bench package installed")
skip_all() {
    local c
    for c in "${CHECKS[@]}"; do skip "bootstrap: $c: $1"; done
    echo "bootstrap: $passed passed, $failed failed, $skipped skipped"
    exit 0
}

BASE=debian:bookworm-slim  # deploy/podman/base_image.sh: debootstrap --variant=minbase bookworm
TIMEOUT=${BOOTSTRAP_TIMEOUT:-1800}
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/containers.conf}"
if [ "$(id -u)" != 0 ]; then
    skip_all "needs root (podman as root with runc)"
fi
for tool in podman runc dpkg-scanpackages git tar; do
    command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed"
done
if ! podman image exists "$BASE" 2>/dev/null; then
    command -v debootstrap >/dev/null 2>&1 || skip_all "no local $BASE and no debootstrap to make one"
    timeout 900 sh deploy/podman/base_image.sh "$BASE" || skip_all "could not debootstrap $BASE here"
fi

tmp=$(mktemp -d /var/tmp/llm-mock-bootstrap.XXXXXX)
container=""
cleanup() {
    [ -n "$container" ] && timeout 60 podman rm -f -t 0 "$container" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the local repository: make plus BUILD_PACKAGES and what they pull in on a minbase root ----
build_packages=$(make -s print-build-packages)
repo=$ROOT/build/bootstrap-repo
key="make $build_packages"
if [ "$(cat "$repo/.packages" 2>/dev/null)" != "$key" ] || [ ! -s "$repo/Packages" ]; then
    rm -rf "$repo"
    mkdir -p "$repo/partial"
    # --network host: apt's downloads from the machine's Debian mirror, as `make image` does.
    if ! timeout 600 podman run --rm --network host -v "$repo:/var/cache/apt/archives" "$BASE" \
        sh -c "rm -f /var/cache/apt/archives/*.deb; apt-get update -q && \
               apt-get install -y -q --download-only --no-install-recommends $key" >"$tmp/fetch.log" 2>&1; then
        tail -n 15 "$tmp/fetch.log"
        rm -rf "$repo"
        skip_all "could not download the packages from the Debian mirror (see above)"
    fi
    rm -rf "$repo/partial" "$repo/lock"
    (cd "$repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
    echo "$key" >"$repo/.packages"
fi
chmod -R a+rX "$repo"
echo "local repository: $(ls "$repo"/*.deb | wc -l) packages for: $key"

# --- the source tree, as a user would have it (the working tree, without build/) -------------
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$tmp/src.tar"
echo 'deb [trusted=yes] file:/repo ./' >"$tmp/sources.list"
# The container starts as the debian:bookworm image does: no package lists, no cached packages,
# its sources the local repository. Then the quick start, literally, then the checks' readings.
cat >"$tmp/quickstart.sh" <<'EOF'
rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
mkdir -p /root/llm-mock-server && cd /root/llm-mock-server && tar -xf /src.tar
echo "before: make $(command -v make || echo absent), curl $(command -v curl || echo absent)"
apt-get update && apt-get install -y make || { echo "QUICKSTART: apt-get install make failed"; exit 90; }
echo "QUICKSTART: make installed"
exec make run
EOF

container=llm-mock-bootstrap-$$
t0=$(date +%s)
nice podman run -d --name "$container" --network none \
    -v "$repo:/repo:ro" -v "$tmp/sources.list:/etc/apt/sources.list:ro" \
    -v "$tmp/src.tar:/src.tar:ro" -v "$tmp/quickstart.sh:/quickstart.sh:ro" \
    "$BASE" bash /quickstart.sh >/dev/null 2>"$tmp/run.log"
if [ $? != 0 ]; then
    cat "$tmp/run.log"
    fail "bootstrap: the container starts"
    container=""
    echo "bootstrap: $passed passed, $failed failed, $skipped skipped"
    exit 1
fi

# One GET /health from inside the container's own network namespace (loopback only).
probe() {
    timeout 10 podman exec "$container" bash -c \
        'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3 && cat <&3' \
        2>/dev/null
}
state=running
answer=""
while :; do
    if [ "$(podman inspect "$container" --format '{{.State.Running}}' 2>/dev/null)" != true ]; then
        state=exited
        break
    fi
    if podman logs "$container" 2>&1 | grep -q 'listening on http://'; then
        answer=$(probe)
        [ -n "$answer" ] && break
    fi
    if [ $(($(date +%s) - t0)) -ge "$TIMEOUT" ]; then
        state=timeout
        break
    fi
    sleep 5
done
secs=$(($(date +%s) - t0))
podman logs "$container" >"$tmp/container.log" 2>&1

if grep -q 'QUICKSTART: make installed' "$tmp/container.log"; then
    pass "bootstrap: apt-get update && apt-get install -y make, offline from the local repository ($(grep -m 1 '^before:' "$tmp/container.log"))"
else
    tail -n 20 "$tmp/container.log"
    fail "bootstrap: apt-get install -y make ($state after ${secs} s)"
fi
line=$(grep -m 1 'listening on http://' "$tmp/container.log")
if [[ $line == *":8080"* ]]; then
    pass "bootstrap: make run listens after ${secs} s: ${line#llm-mock-server: }"
else
    tail -n 30 "$tmp/container.log"
    fail "bootstrap: make run listens on 8080 ($state after ${secs} s; exit $(podman inspect "$container" --format '{{.State.ExitCode}}' 2>/dev/null))"
fi
status=$(echo "$answer" | head -n 1 | tr -d '\r')
if [[ $status == "HTTP/1.1 200"* ]] && [[ $answer == *'"status":"healthy"'* ]]; then
    pass "bootstrap: GET /health inside the container: $status, healthy"
else
    fail "bootstrap: GET /health answers 200 healthy (got: $(echo "$answer" | head -c 300 | tr '\r\n' '  '))"
fi
# What dpkg has: none of the test or bench packages, and the build's are there.
installed=$(timeout 30 podman exec "$container" dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null |
    awk '$1 == "ii" { print $2 }')
present=""
for p in nginx clang prometheus catch2 curl jq podman wrk linux-perf; do
    echo "$installed" | grep -qx "$p" && present="$present $p"
done
if [ -z "$installed" ]; then
    fail "bootstrap: dpkg's package list could be read in the container"
elif [ -n "$present" ]; then
    fail "bootstrap: make run installed test or bench packages:$present"
else
    pass "bootstrap: $(echo "$installed" | wc -l) packages installed, none of nginx, clang, prometheus, catch2, curl, jq, podman, wrk, linux-perf"
fi

echo "bootstrap: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
