# llm-mock-server image: the fully static binary alone on an empty filesystem (about 2 MB).
#
#   docker build -t llm-mock-server .          (or: make image, which uses podman offline)
#   docker run --rm -p 8080:8080 --cpus 1 --memory 1g --ulimit nofile=65536:65536 \
#              -e RESPONSE_DELAY_SECONDS=10 llm-mock-server
#
# Settings are environment variables (PORT, RESPONSE_DELAY_SECONDS, ...; see README). Set the
# port with PORT rather than --port: the HEALTHCHECK reads the same environment, not the flags.

# --- build: Debian's compiler and fmt, simdjson from Debian's source package -----------------
FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
# What `make static` needs, and no more (BUILD_PACKAGES less libsimdjson-dev, plus file).
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends g++ make libfmt-dev file ca-certificates \
 && rm -rf /var/cache/apt/archives/*.deb
WORKDIR /src
# Debian ships no static libsimdjson: fetch its single-header sources (enables deb-src). A layer
# of its own, so that a change to the server's sources does not fetch them again.
COPY test/fetch_simdjson.sh test/install_deps.sh test/
RUN sh test/fetch_simdjson.sh build/third_party/simdjson
COPY Makefile ./
COPY mk/ mk/
COPY include/ include/
COPY src/ src/
# The package lists on the command line: the packages above are all the static build uses.
RUN make -j"$(nproc)" static BUILD_PACKAGES="g++ make libfmt-dev" STATIC_PACKAGES=file \
 && cp build/llm-mock-server-static /llm-mock-server \
 && chmod 0755 /llm-mock-server

# --- runtime: nothing but the binary ---------------------------------------------------------
FROM scratch
COPY --from=build /llm-mock-server /llm-mock-server
# The nonroot uid/gid of distroless images; nothing in the image needs a passwd entry.
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
# PID 1: SIGTERM stops accepting, lets held requests finish (SHUTDOWN_TIMEOUT_SECONDS, default
# delay + 5 s) and exits 0 by itself; give the engine's stop timeout more than that.
STOPSIGNAL SIGTERM
# Exec form (there is no shell): GET /health on 127.0.0.1:$PORT, 0 on 200, 1 otherwise. An
# overloaded server answers 503 and so reads as unhealthy while the overload lasts.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/llm-mock-server", "healthcheck"]
ENTRYPOINT ["/llm-mock-server"]
