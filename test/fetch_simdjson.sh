#!/bin/sh
# Unpacks simdjson's single-header sources from Debian's source package into $1, for the
# static build (Debian ships only a shared libsimdjson). Enables deb-src lines if needed.
set -e
dest="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! apt-get source --print-uris simdjson >/dev/null 2>&1 || [ -z "$(apt-get source --print-uris simdjson 2>/dev/null | grep orig)" ]; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/llm-mock-deb-src.sources
    elif [ -f /etc/apt/sources.list ]; then
        grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > /etc/apt/sources.list.d/llm-mock-deb-src.list
    fi
    apt-get update -q >/dev/null
fi
(cd "$tmp" && apt-get source --download-only simdjson >/dev/null 2>&1)
orig=$(ls "$tmp"/simdjson_*.orig.tar.* | head -n 1)
mkdir -p "$dest"
tar -xf "$orig" -C "$dest" --strip-components=1 --wildcards '*/singleheader/simdjson.cpp' '*/singleheader/simdjson.h' '*/LICENSE'
echo "simdjson sources from $(basename "$orig") in $dest" >&2
