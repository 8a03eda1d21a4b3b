#!/bin/sh
# Makes the local base image the Dockerfile's build stage starts from (debian:bookworm-slim)
# when it is not in podman's storage yet, without pulling from a registry: debootstrap a
# minbase bookworm from the machine's own apt mirror and import it (about 30-100 s, 200 MB).
# Needs root, podman and debootstrap. CONTAINERS_CONF should point at the repo's containers.conf.
set -eu
base=${1:-debian:bookworm-slim}
if podman image exists "$base"; then
    exit 0
fi
# The machine's Debian mirror: the first URIs of a deb822 source naming bookworm, else the
# first bookworm line of sources.list, else Debian's own.
mirror=""
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u != "" { print u; exit }' \
        /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/llm-mock-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base image $base: debootstrap --variant=minbase bookworm from $mirror" >&2
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1; then
    tail -n 20 "$root.log" >&2
    rm -f "$root.log"
    exit 1
fi
rm -f "$root.log"
tar -C "$root" -c . | podman import - "$base" >/dev/null
echo "base image $base imported" >&2
