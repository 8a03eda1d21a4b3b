#!/bin/sh
# `make image`: builds the Dockerfile into IMAGE ($1) without pulling anything. With podman (as
# root): the repo's containers.conf, a local debootstrapped base, --format docker (keeps the
# HEALTHCHECK), --pull=never, host network for the build stage's apt-get. Otherwise docker.
# Layers are cached by content: with the Dockerfile and sources unchanged a rebuild takes
# seconds; a source change recompiles only the last build step.
set -eu
image=${1:?usage: build_image.sh IMAGE}
cd "$(dirname "$0")/../.."
if command -v podman >/dev/null 2>&1; then
    export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/containers.conf}"
    sh deploy/podman/base_image.sh debian:bookworm-slim
    podman build --format docker --pull=never --network host -t "$image" . >&2
    size=$(podman image inspect "$image" --format '{{.Size}}')
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    docker build -t "$image" . >&2
    size=$(docker image inspect "$image" --format '{{.Size}}')
else
    echo "make image: needs podman (apt-get install podman runc debootstrap) or a Docker engine" >&2
    exit 1
fi
echo "$image: $size bytes"
