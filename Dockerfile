# mcdns container image: multi-stage, production dependencies only, non-root, distroless Node 24
# LTS (no shell, no package manager in the image).
#
#   docker build -t ghcr.io/mcdns/mcdns:0.1.0 .
#
# Entry point `node dist/mcdns.js` (the controller bundled and minified by esbuild, see
# package.json's `bundle`), default command `run`; the Deployment in manifests/ passes
# `run --leader-elect --kubefed-clusters --metrics-address=:8080` as its args.
# test/unit/dockerfile.test.ts checks this file and runs exactly this command against dist/.

# Both bases are pinned by digest (the multi-arch index digest of the tag in front of it), so a
# rebuild gets the same bytes; bump a digest deliberately, e.g. from
# `crane digest gcr.io/distroless/nodejs24-debian12:nonroot`. The build stage is bookworm like
# the distroless debian12 runtime. The digests were taken from published Dockerfiles that pin
# these tags, as this project's build machines cannot reach a registry.
ARG BUILD_IMAGE=node:24-bookworm-slim@sha256:3638d9a6fe4030bd716be989438248074489337ba3275657f93595428be4fc03
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# 1. Compile the TypeScript (needs the dev dependencies). --ignore-scripts also skips the `node`
# dev dependency's download (tests run on it outside the image); tsc runs on the image's Node.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY providers ./providers
RUN node node_modules/typescript/bin/tsc -p tsconfig.json && npm run bundle

# 2. Production dependencies only (no install script is needed by any of them). The bundle holds
# all but the provider SDKs (Azure, etcd), which are loaded from node_modules when configured.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The runtime: the bundle, production node_modules, package.json ("type": "module").
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="mcdns" \
      org.opencontainers.image.description="Multi-cluster DNS controller: KubeFed IngressDNSRecord/ServiceDNSRecord in, ExternalDNS DNSEndpoints and direct DNS providers out" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/mcdns.js ./dist/mcdns.js
# The source map costs nothing unless NODE_OPTIONS=--enable-source-maps asks for readable stacks.
COPY --from=build /src/dist/mcdns.js.map ./dist/mcdns.js.map
# distroless "nonroot": uid/gid 65532; the Deployment also sets runAsNonRoot and a read-only root.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/mcdns.js"]
CMD ["run"]
