# mcdns container image: multi-stage, production dependencies only, non-root, distroless Node 20
# (no shell, no package manager in the image).
#
#   docker build -t ghcr.io/mcdns/mcdns:0.1.0 .
#
# Entry point `node dist/src/cli.js`, default command `run`; the Deployment in manifests/ passes
# `run --leader-elect --kubefed-clusters --metrics-address=:8080` as its args.
# test/unit/dockerfile.test.ts checks this file and runs exactly this command against dist/.

ARG BUILD_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

# 1. Compile the TypeScript (needs the dev dependencies).
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY providers ./providers
RUN npx tsc -p tsconfig.json

# 2. Production dependencies only (no install script is needed by any of them).
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. The runtime: compiled JavaScript, production node_modules, package.json ("type": "module").
FROM ${RUNTIME_IMAGE}
LABEL org.opencontainers.image.title="mcdns" \
      org.opencontainers.image.description="Multi-cluster DNS controller: KubeFed IngressDNSRecord/ServiceDNSRecord in, ExternalDNS DNSEndpoints and direct DNS providers out" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/providers ./dist/providers
# distroless "nonroot": uid/gid 65532; the Deployment also sets runAsNonRoot and a read-only root.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli.js"]
CMD ["run"]
