# mcdns container image: multi-stage; the runtime stage holds Node.js (distroless Node 24 LTS: no
# shell, no package manager) and mcdns's own files only: the launcher and the bundle, package.json
# ("type": "module"), and the provider SDKs it loads at run time with their dependencies.
#
#   docker build --build-arg MCDNS_COMMIT=$(git rev-parse --short=12 HEAD) -t ghcr.io/mcdns/mcdns:0.1.0 .
#
# Entry point `node dist/mcdns.js` (the launcher: it checks the Node.js version, then loads
# dist/mcdns-bundle.js, the controller bundled and minified by esbuild, see scripts/bundle.mjs),
# default command `run`; the Deployment in manifests/ passes `run --leader-elect ...` as its args.
# test/unit/dockerfile.test.ts checks this file; test/e2e/image.test.ts builds the runtime stage's
# files on disk as the stages below do and runs the CLI from them.

# Both bases are pinned by digest (the multi-arch index digest of the tag in front of it), so a
# rebuild gets the same bytes; bump a digest deliberately, e.g. from
# `crane digest gcr.io/distroless/nodejs24-debian12:nonroot`. The build stage is bookworm like
# the distroless debian12 runtime. The digests were taken from published Dockerfiles that pin
# these tags, as this project's build machines cannot reach a registry.
ARG BUILD_IMAGE=node:24-bookworm-slim@sha256:3638d9a6fe4030bd716be989438248074489337ba3275657f93595428be4fc03
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# 1. Compile the TypeScript and bundle it (needs the dev dependencies). --ignore-scripts also
# skips the `node` dev dependency's download (tests run on it outside the image); tsc runs on the
# image's Node.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY providers ./providers
ARG MCDNS_COMMIT=unknown
RUN node node_modules/typescript/bin/tsc -p tsconfig.json && MCDNS_COMMIT="${MCDNS_COMMIT}" npm run bundle

# 2. The packages loaded at run time: the provider SDKs providers/sdk.ts loads when a provider
# of their kind is configured (everything else is inside the bundle). Production dependencies,
# then pruned by npm to these SDKs and what they depend on.
FROM ${BUILD_IMAGE} AS sdks
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && node -e "const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json', 'utf8')); const keep = process.argv.slice(1); p.dependencies = Object.fromEntries(Object.entries(p.dependencies).filter(([n]) => keep.includes(n))); fs.writeFileSync('package.json', JSON.stringify(p))" @azure/arm-dns @azure/identity etcd3 \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && find node_modules -depth -type d -empty -delete

# 3. The runtime: Node.js and mcdns's own files.
FROM ${RUNTIME_IMAGE}
ARG MCDNS_COMMIT=unknown
LABEL org.opencontainers.image.title="mcdns" \
      org.opencontainers.image.description="Multi-cluster DNS controller: KubeFed IngressDNSRecord/ServiceDNSRecord in, ExternalDNS DNSEndpoints and direct DNS providers out" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.revision="${MCDNS_COMMIT}" \
      org.opencontainers.image.source="https://github.com/mcdns/mcdns" \
      org.opencontainers.image.documentation="https://github.com/mcdns/mcdns/blob/main/docs/install.md" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs24-debian12:nonroot"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./package.json
COPY --from=sdks /app/node_modules ./node_modules
COPY --from=build /src/dist/mcdns.js ./dist/mcdns.js
COPY --from=build /src/dist/mcdns-bundle.js ./dist/mcdns-bundle.js
# The source map costs nothing unless NODE_OPTIONS=--enable-source-maps asks for readable stacks.
COPY --from=build /src/dist/mcdns-bundle.js.map ./dist/mcdns-bundle.js.map
# distroless "nonroot": uid/gid 65532; the Deployment also sets runAsNonRoot and a read-only root.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/mcdns.js"]
CMD ["run"]
