# Shipping: the container image, compose.yaml and deploy/kubernetes (README "Container and
# Kubernetes"); their test is test/suite_container.sh.
#
#   make image        build the image IMAGE offline (podman: local debootstrapped base, no pulls)
#
# The container test needs podman as root with runc (crun fails on hybrid cgroup hosts) and
# debootstrap for the local base image; without them it reports its checks as skipped.

IMAGE ?= llm-mock-server:$(VERSION)

# podman (as root, runtime runc) and debootstrap run the container test; python3-yaml and
# docker-compose validate compose.yaml and the Kubernetes manifests. The container test takes
# about 3 minutes on a fresh machine (base image, build stage, compile) and seconds afterwards.
TEST_PACKAGES += podman runc debootstrap python3-yaml docker-compose

# A rule in an included fragment would otherwise become the default goal.
.DEFAULT_GOAL := all

.PHONY: image

image:
	@sh deploy/podman/build_image.sh $(IMAGE)

# The container suite checks the static binary's healthcheck mode too.
TEST_DEPS += build/llm-mock-server-static
