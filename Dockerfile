# syntax=docker/dockerfile:1
# The thumbforge service image for the aws target: the built server and console, production
# modules, the pinned pulumi CLI (verified against its release checksums) and the aws provider
# plugin, run by a non-root user under tini. It must never carry credentials, a data dir or
# compilers into the final stage.

# Override with a digest (node:22-bookworm-slim@sha256:…) for fully reproducible builds.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV PULUMI_SKIP_UPDATE_CHECK=true

# Compilers only for native modules (better-sqlite3) when no prebuilt binary matches.
FROM base AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM toolchain AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund

# The official release archive, checked against the checksums file published with the same
# release (https://get.pulumi.com/releases/sdk/pulumi-<version>-checksums.txt) before use.
FROM base AS pulumi
ARG PULUMI_VERSION=3.248.0
ARG TARGETARCH
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
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
 && apt-get install -y --no-install-recommends tini ca-certificates \
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
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini is PID 1 so the pulumi CLI and provider processes of every operation are reaped.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/main.js"]
