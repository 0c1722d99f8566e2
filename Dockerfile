# syntax=docker/dockerfile:1
# mtls-doctor: the Slack bot (`serve`) and the CLI, on a current Node LTS, production dependencies only,
# as a non-root user with a read-only root filesystem (write only to /data for the SQLite store).

ARG NODE_IMAGE=node:24.11.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native module at install.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3=* make=* g++=* \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY commands ./commands
COPY scripts/bundle-cli.mjs ./scripts/
# npm ci runs `prepare`, the build: tsc, then the bundle in dist/cli/ that bin/ runs.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS istioctl
# Optional: build with --build-arg ISTIOCTL_VERSION=1.28.1 --build-arg ISTIOCTL_SHA256=<sha256 of the
# linux-amd64 tarball from the Istio release page>; the checksum is verified before anything is kept.
ARG ISTIOCTL_VERSION=""
ARG ISTIOCTL_SHA256=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN mkdir -p /out \
 && if [ -n "${ISTIOCTL_VERSION}" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ca-certificates=* curl=* \
      && curl -fsSLo /tmp/istioctl.tar.gz "https://github.com/istio/istio/releases/download/${ISTIOCTL_VERSION}/istioctl-${ISTIOCTL_VERSION}-linux-amd64.tar.gz" \
      && echo "${ISTIOCTL_SHA256}  /tmp/istioctl.tar.gz" | sha256sum -c - \
      && tar -xzf /tmp/istioctl.tar.gz -C /out istioctl \
      && rm -rf /var/lib/apt/lists/* /tmp/istioctl.tar.gz; \
    fi

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist/cli ./dist/cli
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=istioctl /out/ /usr/local/bin/
# The image's `node` user (uid 1000); the store lives on a volume at /data.
RUN mkdir -p /data && chown node:node /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["node", "/app/bin/mtls-doctor.js"]
CMD ["serve"]
