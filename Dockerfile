# The Pincer gateway image (docs/install.md "Docker"). Built by scripts/docker-setup.sh:
#
#   docker build --build-arg BASE_IMAGE=pincer-debian:bookworm-minbase \
#                --build-arg PINCER_DOCKER_APT_PACKAGES="ffmpeg" -t pincer:local .
#
# BASE_IMAGE is a Debian bookworm image with apt sources that work from this machine. Docker
# Hub may be unreachable, so the default is a minbase image scripts/sandbox-image.sh imports from
# an mmdebstrap tarball (`--name pincer-debian:bookworm-minbase --packages ca-certificates`; its
# apt sources point at the mirror it was built from); debian:bookworm-slim works too where
# Docker Hub is reachable.
ARG BASE_IMAGE=pincer-debian:bookworm-minbase

# --- build stage: compilers and -dev packages, never shipped -------------------------------------
FROM ${BASE_IMAGE} AS build
USER root
ENV DEBIAN_FRONTEND=noninteractive
# libcmocka-dev only because configuring the tree configures the unit tests too.
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
       gcc libc6-dev cmake ninja-build pkg-config libjansson-dev libsqlite3-dev libseccomp-dev \
       libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libcurl4-openssl-dev libcmocka-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
  && cmake --build /build --target pincer \
  && DESTDIR=/out cmake --install /build --prefix /usr/local >/dev/null \
  && strip /out/usr/local/bin/pincer

# --- runtime stage: the runtime libraries and the binary -----------------------------------------
FROM ${BASE_IMAGE}
USER root
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
       libjansson4 libsqlite3-0 libseccomp2 libuv1 libwebsockets17 libwebsockets-evlib-uv libcurl4 \
       ca-certificates curl \
  && rm -rf /var/lib/apt/lists/*
# Extra packages for the gateway's own tools (not the sandboxes: those use sandbox images).
# A separate layer, last, so changing the list does not rebuild anything above it.
# OPENCLAW_DOCKER_APT_PACKAGES is accepted for people coming from OpenClaw.
ARG PINCER_DOCKER_APT_PACKAGES=""
ARG OPENCLAW_DOCKER_APT_PACKAGES=""
RUN pkgs="$(echo ${PINCER_DOCKER_APT_PACKAGES} ${OPENCLAW_DOCKER_APT_PACKAGES})"; \
  if [ -n "$pkgs" ]; then \
    apt-get update \
    && apt-get install -y --no-install-recommends $pkgs \
    && rm -rf /var/lib/apt/lists/*; \
  fi
# The base's unprivileged user (uid/gid 1000) becomes the gateway's user: files it writes in the
# bind-mounted config dir are owned by uid 1000 on the host (docs/install.md "Ownership").
RUN if id sandbox >/dev/null 2>&1; then \
      groupmod -n pincer sandbox && usermod -l pincer -d /home/pincer -m sandbox; \
    else \
      groupadd --gid 1000 pincer && useradd --uid 1000 --gid 1000 -m -d /home/pincer -s /bin/bash pincer; \
    fi \
  && mkdir -p /home/pincer/.pincer/workspace && chown -R pincer:pincer /home/pincer
COPY --from=build /out/ /
USER pincer
WORKDIR /home/pincer
ENV PINCER_STATE_DIR=/home/pincer/.pincer
EXPOSE 18789
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:18789/health >/dev/null || exit 1
CMD ["pincer", "gateway", "run", "--bind", "lan", "--port", "18789"]
